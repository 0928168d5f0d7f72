/** The code a run ran: a git commit and its uncommitted changes, or a snapshot of a folder. */
import { api, type RunDetails, type RunManifest } from '../api.js';
import { formatBytes } from '../format.js';
import type { MlflowTrigger } from '../triggers.js';
import { useFetch } from '../use-fetch.js';
import { DiffView } from './diff-view.js';
import { LoadError } from './empty-state.js';
import { NotRecorded } from './run-trigger.js';

type GitCode = Extract<RunManifest['code'], { kind: 'git' }>;
type FolderCode = Extract<RunManifest['code'], { kind: 'folder' }>;

function Patch({ sha256, size }: { sha256: string; size: number }) {
  const { data, error } = useFetch((signal) => api.blobText(sha256, signal), [sha256]);
  return (
    <section>
      <h2>
        Uncommitted changes <span className="muted">({formatBytes(size)})</span>
      </h2>
      <p>
        <a href={api.blobUrl(sha256)} download={`changes-${sha256.slice(0, 8)}.patch`} data-testid="patch-download">
          Download the patch
        </a>{' '}
        <span className="muted">
          (apply it on the commit with <code>git apply</code>)
        </span>
      </p>
      {error ? <LoadError error={error} /> : data === undefined ? <p className="muted">Loading the patch…</p> : <DiffView text={data} />}
    </section>
  );
}

function GitCodeView({ code }: { code: GitCode }) {
  return (
    <>
      <dl className="kv" data-testid="code-facts">
        <dt>Commit</dt>
        <dd className="mono" data-testid="code-commit">
          {code.commit}
        </dd>
        <dt>Branch</dt>
        <dd>{code.branch !== null ? <span className="mono">{code.branch}</span> : <span className="muted">none (detached head)</span>}</dd>
        <dt>Remote</dt>
        <dd>{code.remoteUrl !== null ? <span className="mono">{code.remoteUrl}</span> : <span className="muted">none</span>}</dd>
        <dt>Project folder</dt>
        <dd>{code.subdir === '' ? <span className="muted">the repository root</span> : <span className="mono">{code.subdir}</span>}</dd>
        <dt>Uncommitted changes</dt>
        <dd data-testid="code-dirty">{code.dirty ? <strong className="dirty">yes</strong> : 'no'}</dd>
      </dl>
      {code.changedFiles.length > 0 ? (
        <section>
          <h2>Changed files ({code.changedFiles.length})</h2>
          <ul className="file-list" data-testid="changed-files">
            {code.changedFiles.map((f) => (
              <li key={f} className="mono">
                {f}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {code.patch ? (
        <Patch sha256={code.patch.sha256} size={code.patch.size} />
      ) : (
        <p className="muted" data-testid="no-patch">
          No uncommitted changes: the run used the commit as it is.
        </p>
      )}
    </>
  );
}

function FolderCodeView({ code }: { code: FolderCode }) {
  return (
    <>
      <p>This project is not in a git repository, so the run saved a copy of its folder.</p>
      <dl className="kv" data-testid="code-facts">
        <dt>Files</dt>
        <dd data-testid="code-files">{code.files.toLocaleString('en-US')}</dd>
        <dt>Size</dt>
        <dd data-testid="code-bytes">{formatBytes(code.bytes)}</dd>
        <dt>Project folder</dt>
        <dd>{code.subdir === '' ? <span className="muted">the folder itself</span> : <span className="mono">{code.subdir}</span>}</dd>
        <dt>File list</dt>
        <dd>
          <a href={api.blobUrl(code.snapshot.sha256)} download="code-snapshot.json">
            Download (JSON: path, mode, sha256, size of each file)
          </a>
        </dd>
      </dl>
    </>
  );
}

/** A run that recorded no code: said plainly, with what the MLflow client reported of its script. */
function NoCodeView({ manifest }: { manifest: RunManifest }) {
  const t: MlflowTrigger | null = manifest.trigger?.kind === 'mlflow' ? manifest.trigger : null;
  return (
    <>
      <p data-testid="code-not-recorded">
        Code <NotRecorded manifest={manifest} />.{' '}
        <span className="muted">Reprise holds no copy of it, so this run cannot be reproduced; a run started with <code>reprise run</code> records its code.</span>
      </p>
      {t && (t.source || t.commit) ? (
        <dl className="kv" data-testid="code-facts">
          <dt>Source, as the client said</dt>
          <dd className="mono" data-testid="code-client-source">
            {t.source ?? <span className="muted">not given</span>}
          </dd>
          <dt>Commit, as the client said</dt>
          <dd className="mono" data-testid="code-client-commit">
            {t.commit ?? <span className="muted">not given</span>}
          </dd>
        </dl>
      ) : null}
    </>
  );
}

export function RunCode({ details }: { details: RunDetails }) {
  const code = details.run.manifest.code;
  return (
    <div className="run-code">
      {!code ? <NoCodeView manifest={details.run.manifest} /> : code.kind === 'git' ? <GitCodeView code={code} /> : <FolderCodeView code={code} />}
    </div>
  );
}
