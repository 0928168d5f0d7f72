/**
 * A run at a glance: its stages (or, for a run the MLflow client logged, where it came
 * from), whether it was reproduced, its params (overrides marked), its final metrics, its
 * tags (the client's own `mlflow.*` tags folded away below the user's).
 */
import { memo, useMemo } from 'react';
import { Link } from 'react-router-dom';
import { isActiveStatus, type RunDetails, type RunManifest } from '../api.js';
import { formatDate, formatNumber, formatParam } from '../format.js';
import { CLIENT_TAG_PREFIX, splitClientTags } from '../mlflow.js';
import { shortCommit, type MlflowTrigger } from '../triggers.js';
import { RunGates } from './run-gates.js';
import { LiveDuration } from './run-live.js';
import { RunReproducibility } from './run-reproducibility.js';

type StageRecord = RunManifest['execution']['stages'][number];

/** The stages as run so far; before the run starts, the pipeline's stages as pending. */
export function stagesOf(manifest: RunManifest): StageRecord[] {
  const ran = manifest.execution.stages;
  const byName = new Map(ran.map((s) => [s.name, s]));
  const planned = manifest.pipeline.stages.map(
    (p): StageRecord => byName.get(p.name) ?? { name: p.name, cmd: p.cmd, status: 'pending', startedAt: null, endedAt: null, exitCode: null, signal: null, logs: null },
  );
  const extra = ran.filter((s) => !manifest.pipeline.stages.some((p) => p.name === s.name));
  return [...planned, ...extra];
}

/**
 * Said in place of stages for a run a script opened with the MLflow client: Reprise ran
 * no pipeline, so there were none to show, and everything on the page is what the client sent.
 */
function ClientOrigin({ t }: { t: MlflowTrigger }) {
  return (
    <p className="client-origin" data-testid="client-origin">
      Logged through the <strong>MLflow client</strong> by <span data-testid="client-origin-by">{t.by}</span>
      {t.source ? (
        <>
          {' '}
          from <code data-testid="client-origin-source">{t.source}</code>
        </>
      ) : null}
      {t.commit ? (
        <>
          {' '}
          at commit{' '}
          <code data-testid="client-origin-commit" title={t.commit}>
            {shortCommit(t.commit)}
          </code>
        </>
      ) : null}
      , with no pipeline: Reprise ran no stages. Its params, metrics, tags, artifacts and datasets are what the client logged.
    </p>
  );
}

function StagesTable({ details }: { details: RunDetails }) {
  const stages = useMemo(() => stagesOf(details.run.manifest), [details]);
  const going = isActiveStatus(details.run.status);
  if (stages.length === 0) return <p className="muted">This run has no stages.</p>;
  return (
    <table className="plain" data-testid="stages-table">
      <thead>
        <tr>
          <th>Stage</th>
          <th>Command</th>
          <th>Status</th>
          <th>Started</th>
          <th className="num">Duration</th>
          <th className="num">Exit code</th>
        </tr>
      </thead>
      <tbody>
        {stages.map((s) => (
          <tr key={s.name} data-testid="stage-row" data-stage={s.name} data-status={s.status}>
            <td className="mono">{s.name}</td>
            <td className="mono">{s.cmd}</td>
            <td>
              <span className={`stage-status stage-${s.status}`}>{s.status}</span>
            </td>
            <td>{formatDate(s.startedAt)}</td>
            <td className="num">
              <LiveDuration start={s.startedAt} end={s.endedAt} going={going && s.status === 'running'} />
            </td>
            <td className="num">
              {s.exitCode ?? ''}
              {s.signal ? <span className="muted"> {s.signal}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ParamsTable({ details }: { details: RunDetails }) {
  const overrides = useMemo(() => new Set(details.run.manifest.params.overrides.map((o) => o.key)), [details]);
  const keys = useMemo(() => Object.keys(details.params).sort(), [details]);
  const file = details.run.manifest.params.file;
  if (keys.length === 0) {
    if (details.run.manifest.trigger?.kind === 'mlflow') {
      return (
        <p className="muted">
          No params. The client logs them with <code>mlflow.log_param(key, value)</code>.
        </p>
      );
    }
    return <p className="muted">No params. Declare a params file in reprise.yaml (for example <code>params: input.json</code>) and set values with <code>reprise run -p key=value</code>.</p>;
  }
  return (
    <>
      <p className="muted">
        {file ? (
          <>
            From <span className="mono">{file}</span>
          </>
        ) : (
          'Logged by the run'
        )}
        {overrides.size > 0 ? <>; values set with <code>-p</code> are marked.</> : null}
      </p>
      <table className="plain" data-testid="params-table">
        <thead>
          <tr>
            <th>Param</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const overridden = overrides.has(k);
            return (
              <tr key={k} data-testid="param-row" data-key={k} data-override={overridden ? 'true' : undefined} className={overridden ? 'override' : undefined}>
                <td className="mono">{k}</td>
                <td className="mono">
                  {formatParam(details.params[k])}
                  {overridden ? (
                    <span className="override-badge" title="set on the command line with -p, over the params file">
                      override
                    </span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function MetricsSummary({ details }: { details: RunDetails }) {
  const metrics = details.run.metrics;
  const keys = useMemo(() => Object.keys(metrics).sort(), [metrics]);
  if (keys.length === 0) {
    return (
      <p className="muted">
        No metrics yet.{' '}
        {details.run.manifest.trigger?.kind === 'mlflow' ? (
          <>
            The client logs them with <code>mlflow.log_metric(key, value, step=epoch)</code>.
          </>
        ) : (
          <>
            A stage logs them with the SDK, e.g. <code>reprise.log(step=epoch, loss=loss)</code>.
          </>
        )}
      </p>
    );
  }
  return (
    <table className="plain" data-testid="metrics-summary">
      <thead>
        <tr>
          <th>Metric</th>
          <th className="num">Last</th>
          <th className="num">Min</th>
          <th className="num">Max</th>
          <th className="num">Steps</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const m = metrics[k]!;
          return (
            <tr key={k} data-testid="metric-row" data-key={k}>
              <td className="mono">
                <Link to={`?tab=metrics&keys=${encodeURIComponent(k)}`} title="See its chart">
                  {k}
                </Link>
              </td>
              <td className="num" title={`at step ${m.lastStep}`}>
                {formatNumber(m.last)}
              </td>
              <td className="num">{formatNumber(m.min)}</td>
              <td className="num">{formatNumber(m.max)}</td>
              <td className="num" title={`last step ${m.lastStep}`}>
                {m.count.toLocaleString('en-US')}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Tags({ tags, client }: { tags: Record<string, string>; client: boolean }) {
  const { own, client: clientTags } = useMemo(() => splitClientTags(tags), [tags]);
  return (
    <>
      {own.length > 0 ? (
        <ul className="tag-list" data-testid="tags">
          {own.map(([k, v]) => (
            <li key={k} data-testid="tag" data-key={k}>
              <span className="mono">{k}</span>
              {v ? <span className="mono">= {v}</span> : null}
            </li>
          ))}
        </ul>
      ) : client ? (
        <p className="muted">
          No tags of your own. The client sets them with <code>mlflow.set_tag(key, value)</code>.
        </p>
      ) : clientTags.length === 0 ? (
        <p className="muted">
          No tags. Tags are set through the API: <code>PUT /api/v1/runs/&lt;id&gt;/tags</code>.
        </p>
      ) : null}
      {clientTags.length > 0 ? <ClientTags tags={clientTags} /> : null}
    </>
  );
}

/** The tags the MLflow client set for itself: folded, since they are many and some are long (a model's history as JSON). */
function ClientTags({ tags }: { tags: [string, string][] }) {
  return (
    <details className="client-tags" data-testid="client-tags">
      <summary>
        {tags.length} MLflow {tags.length === 1 ? 'tag' : 'tags'} (<code>{CLIENT_TAG_PREFIX}*</code>, set by the client)
      </summary>
      <table className="plain">
        <tbody>
          {tags.map(([k, v]) => (
            <tr key={k} data-testid="client-tag" data-key={k}>
              <td className="mono">{k}</td>
              <td className="mono">
                <div className="client-tag-value">{v}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export const RunOverview = memo(function RunOverview({ details }: { details: RunDetails }) {
  const trigger = details.run.manifest.trigger;
  // A client's run never has stages; should one ever record some, they are shown as usual.
  const clientOnly = trigger?.kind === 'mlflow' && stagesOf(details.run.manifest).length === 0;
  return (
    <div className="run-overview">
      {clientOnly ? (
        <section>
          <h2>Origin</h2>
          <ClientOrigin t={trigger} />
        </section>
      ) : (
        <section>
          <h2>Stages</h2>
          <StagesTable details={details} />
        </section>
      )}
      <RunGates details={details} />
      <RunReproducibility details={details} />
      <div className="overview-columns">
        <section>
          <h2>Params</h2>
          <ParamsTable details={details} />
        </section>
        <section>
          <h2>Final metrics</h2>
          <MetricsSummary details={details} />
          <h2>Tags</h2>
          <Tags tags={details.run.tags} client={trigger?.kind === 'mlflow'} />
        </section>
      </div>
    </div>
  );
});
