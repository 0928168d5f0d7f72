/**
 * One model version opened on its model's page: its files (each downloadable) and its
 * lineage: the run, the code, params, environment and gate outcome it came from, and
 * the command that fetches it.
 */
import { Link } from 'react-router-dom';
import { flattenParams, type Params } from '../../../core/params.js';
import { shellQuote } from '../../../core/shell-quote.js';
import { api, type ModelLineage, type ModelVersion } from '../api.js';
import { formatBytes, formatDate, formatParam, plural } from '../format.js';
import { paths } from '../paths.js';
import { useFetch } from '../use-fetch.js';
import { CopyCommand } from './copy-link.js';
import { LoadError } from './empty-state.js';
import { GateBadge } from './gate-badge.js';

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function Files({ version }: { version: ModelVersion }) {
  if (version.files.length === 0) return <p className="muted">No files.</p>;
  return (
    <table className="plain model-files" data-testid="model-files">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Size</th>
          <th>sha256</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {version.files.map((f) => (
          <tr key={f.path} data-testid="model-file" data-path={f.path}>
            <td className="mono">{f.path}</td>
            <td className="num">{formatBytes(f.size)}</td>
            <td className="mono" title={f.sha256}>
              {f.sha256.slice(0, 12)}…
            </td>
            <td>
              <a href={f.url ?? api.blobUrl(f.sha256)} download={fileName(f.path)} data-testid="model-file-download">
                Download
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CodeFact({ code }: { code: ModelLineage['code'] }) {
  // Lineage holds no trigger; a version without code came from a run the MLflow client logged.
  if (!code) return <span className="muted" data-testid="lineage-code-not-recorded">not recorded: the run was logged through the MLflow client, outside <code>reprise run</code></span>;
  if (code.kind === 'folder') return <span>a snapshot of the folder ({formatBytes(code.snapshot.size)} list), no git</span>;
  return (
    <span>
      <code title={code.commit}>{code.commit.slice(0, 10)}</code>
      {code.branch ? <span className="muted"> on {code.branch}</span> : null}
      {code.dirty ? <span className="dirty"> with uncommitted changes{code.patch ? ` (${formatBytes(code.patch.size)} patch)` : ''}</span> : null}
      {code.remoteUrl ? <span className="muted"> · {code.remoteUrl}</span> : null}
    </span>
  );
}

function Lineage({ version }: { version: ModelVersion }) {
  const l = version.lineage;
  // Dotted keys, as the run page shows params; lists as their JSON text.
  const params = Object.entries(flattenParams(l.params as Params)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const env = l.environment;
  return (
    <>
      <dl className="kv lineage" data-testid="model-lineage">
        <dt>Run</dt>
        <dd>
          <Link to={paths.run(l.run.id)} data-testid="lineage-run">
            {l.run.name}
          </Link>{' '}
          <span className="muted">
            of <Link to={paths.runs(l.run.project)}>{l.run.project}</Link>, {formatDate(l.run.createdAt)}
          </span>
        </dd>
        <dt>Code</dt>
        <dd>
          <CodeFact code={l.code} />
        </dd>
        <dt>Environment</dt>
        <dd>
          {env.python ? `Python ${env.python}` : <span className="muted">no interpreter recorded</span>}
          {env.envHash ? <span className="muted mono" title={env.envHash}> · env {env.envHash.slice(0, 12)}</span> : null}
          {env.lock ? (
            <>
              {' · '}
              <a href={api.blobUrl(env.lock.sha256)} download="requirements.lock.txt">
                lock
              </a>
            </>
          ) : null}
          {env.image ? <span className="mono"> · {env.image.ref}{env.image.digest ? `@${env.image.digest}` : ''}</span> : null}
        </dd>
        <dt>Data</dt>
        <dd>{l.data.length === 0 ? <span className="muted">no data snapshots recorded</span> : plural(l.data.length, 'snapshot')}</dd>
        <dt>Gates</dt>
        <dd>{l.gate ? <GateBadge gate={l.gate} /> : <span className="muted">no outcome recorded</span>}</dd>
        <dt>Params</dt>
        <dd className="mono muted" title="the params hash">
          {l.paramsHash.slice(0, 16)}
        </dd>
      </dl>
      {params.length > 0 ? (
        <table className="plain lineage-params" data-testid="lineage-params">
          <thead>
            <tr>
              <th>Param</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {params.map(([k, v]) => (
              <tr key={k}>
                <td className="mono">{k}</td>
                <td className="mono">{formatParam(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

export function ModelVersionDetail({ model, version: number, fallback }: { model: string; version: number; fallback: ModelVersion | undefined }) {
  // The single version's answer carries the download addresses; the list's copy shows meanwhile.
  const { data, error } = useFetch((signal) => api.modelVersion(model, number, signal), [model, number]);
  const version = data ?? fallback;
  return (
    <section className="model-version-detail card" data-testid="model-version-detail" data-version={number}>
      <h2>
        {model} v{number}{' '}
        {version?.aliases.map((a) => (
          <span key={a} className="alias-chip">
            {a}
          </span>
        ))}
      </h2>
      {error && !version ? <LoadError error={error} /> : null}
      {!version ? (
        error ? null : <p className="muted">Loading version…</p>
      ) : (
        <>
          <p className="muted">
            Registered by {version.createdBy} on {formatDate(version.createdAt)}: {plural(version.files.length, 'file')}, {formatBytes(version.bytes)}. Fetch it with{' '}
            <CopyCommand command={`reprise models get ${shellQuote(`${model}@${number}`)} -o ${shellQuote(`${model}-v${number}`)}`} testId="model-get-command" />
          </p>
          {version.note ? <p className="version-note-full">{version.note}</p> : null}
          <div className="overview-columns">
            <div>
              <h3>Files</h3>
              <Files version={version} />
            </div>
            <div>
              <h3>Lineage</h3>
              <Lineage version={version} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
