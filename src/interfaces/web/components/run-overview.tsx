/** A run at a glance: its stages, whether it was reproduced, its params (overrides marked), its final metrics, its tags. */
import { memo, useMemo } from 'react';
import { Link } from 'react-router-dom';
import { isActiveStatus, type RunDetails, type RunManifest } from '../api.js';
import { formatDate, formatNumber, formatParam } from '../format.js';
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
        No metrics yet. A stage logs them with the SDK, e.g. <code>reprise.log(step=epoch, loss=loss)</code>.
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

function Tags({ tags }: { tags: Record<string, string> }) {
  const keys = Object.keys(tags).sort();
  if (keys.length === 0) return <p className="muted">No tags. Tags are set through the API: <code>PUT /api/v1/runs/&lt;id&gt;/tags</code>.</p>;
  return (
    <ul className="tag-list" data-testid="tags">
      {keys.map((k) => (
        <li key={k} data-testid="tag" data-key={k}>
          <span className="mono">{k}</span>
          {tags[k] ? <span className="mono">= {tags[k]}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export const RunOverview = memo(function RunOverview({ details }: { details: RunDetails }) {
  return (
    <div className="run-overview">
      <section>
        <h2>Stages</h2>
        <StagesTable details={details} />
      </section>
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
          <Tags tags={details.run.tags} />
        </section>
      </div>
    </div>
  );
});
