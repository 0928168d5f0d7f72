/**
 * One sweep: what it varies and how its runs stand, a picture of how the params bear on
 * a metric (parallel coordinates, or a scatter of one param), and its runs best first.
 * The metric, its aggregate, the picture and the sort live in the URL (metric, agg,
 * view, x, order).
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isSystemMetric } from '../../../core/metric-goal.js';
import { ApiError, api, isActiveStatus, type RunRow, type Sweep } from '../api.js';
import { CancelButton } from '../components/cancel-button.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { StatusCounts, anyActive } from '../components/status-counts.js';
import { ParallelCoordinates, Scatter } from '../components/sweep-charts.js';
import { SweepRuns } from '../components/sweep-runs.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import {
  AGGS,
  defaultMetric,
  goalOf,
  metricKeys,
  metricValue,
  numericAxis,
  paramAxis,
  sortByMetric,
  sweptParams,
  type Agg,
} from '../sweep-data.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

/** While runs of the sweep still go, it is read again this often. */
const LIVE_REFRESH_MS = 3000;

export function SweepPage() {
  const { project = '', id = '' } = useParams();
  // Another sweep starts from a clean slate: no rows or selection of this one.
  return <SweepView key={id} project={project} id={id} />;
}

function SweepView({ project, id }: { project: string; id: string }) {
  const sweep = useFetch((signal) => api.sweep(id, signal), [id]);
  const runs = useFetch((signal) => api.sweepRuns(id, signal), [id]);
  const live = (sweep.data !== undefined && anyActive(sweep.data.byStatus)) || (runs.data?.some((r) => isActiveStatus(r.status)) ?? false);
  const reloadSweep = sweep.reload;
  const reloadRuns = runs.reload;
  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(() => {
      reloadSweep();
      reloadRuns();
    }, LIVE_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [live, reloadSweep, reloadRuns]);

  if (sweep.error && !sweep.data) {
    if (sweep.error instanceof ApiError && (sweep.error.status === 404 || sweep.error.status === 400)) {
      return (
        <EmptyState title={`No sweep with id ${id}`}>
          <p>The link may be mistyped, or the sweep was recorded in another store.</p>
          <p>
            <Link to={paths.sweeps(project)}>See the sweeps of {project}</Link>
          </p>
        </EmptyState>
      );
    }
    return <LoadError error={sweep.error} />;
  }
  if (!sweep.data) return <p className="muted">Loading sweep…</p>;
  const reload = () => {
    reloadSweep();
    reloadRuns();
  };
  return (
    <div className="sweep-page">
      <SweepHeader sweep={sweep.data} onChanged={reload} />
      {runs.error ? <LoadError error={runs.error} /> : null}
      {runs.data ? <SweepBody sweep={sweep.data} rows={runs.data} /> : runs.error ? null : <p className="muted">Loading its runs…</p>}
    </div>
  );
}

function SweepHeader({ sweep, onChanged }: { sweep: Sweep; onChanged: () => void }) {
  // The server weighs a sweep's cancel by the server role alone, not a grant in its project.
  const mayCancel = useSession().may('run');
  return (
    <div className="sweep-header" data-testid="sweep-header">
      <div className="runs-title">
        <h1 data-testid="sweep-name">{sweep.name}</h1>
        <span className="muted">
          sweep of <Link to={paths.runs(sweep.project)}>{sweep.project}</Link> · <Link to={paths.sweeps(sweep.project)}>all sweeps</Link>
        </span>
        <span className="grow" />
        {anyActive(sweep.byStatus) && mayCancel ? (
          <CancelButton
            question="Cancel every run not ended yet?"
            label="Cancel remaining"
            testId="cancel-sweep"
            title="Cancel the queued runs of this sweep and stop its running ones"
            onConfirm={() => api.cancelSweep(sweep.id)}
            onDone={onChanged}
          />
        ) : null}
      </div>
      <p className="sweep-description" data-testid="sweep-description">
        {sweep.description}
      </p>
      <p className="muted sweep-created">
        Created by {sweep.createdBy} on <span title={new Date(sweep.createdAt).toISOString()}>{formatDate(sweep.createdAt)}</span> ({formatAgo(sweep.createdAt)}) ·{' '}
        <span className="mono">{sweep.id}</span>
      </p>
      <div className="counts" data-testid="sweep-status">
        <StatusCounts byStatus={sweep.byStatus} />
      </div>
    </div>
  );
}

function SweepBody({ sweep, rows }: { sweep: Sweep; rows: readonly RunRow[] }) {
  const url = useUrlState();
  const navigate = useNavigate();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());

  const keys = useMemo(() => metricKeys(rows), [rows]);
  const fallbackMetric = defaultMetric(rows, keys) ?? '';
  const requestedMetric = url.get('metric');
  const metric = requestedMetric || fallbackMetric;
  const requestedAgg = url.get('agg');
  const agg: Agg = (AGGS as readonly string[]).includes(requestedAgg) ? (requestedAgg as Agg) : 'last';
  const view = url.get('view') === 'scatter' ? 'scatter' : 'parallel';
  const bestFirst = url.get('order') !== 'worst';

  const swept = useMemo(() => sweptParams(sweep.spec, rows), [sweep.spec, rows]);
  const axes = useMemo(() => swept.map((k) => paramAxis(k, rows, sweep.spec)), [swept, rows, sweep.spec]);
  const requestedX = url.get('x');
  const x = axes.find((a) => a.key === requestedX) ?? axes[0];
  const goal = goalOf(metric, rows);
  const values = useMemo(() => rows.flatMap((r) => metricValue(r, metric, agg) ?? []), [rows, metric, agg]);
  const metricAxis = useMemo(() => numericAxis(metric, values), [metric, values]);
  const sorted = useMemo(() => (metric ? sortByMetric(rows, metric, agg, goal, bestFirst) : [...rows]), [rows, metric, agg, goal, bestFirst]);
  const bestId = metric ? sortByMetric(rows, metric, agg, goal, true).find((r) => metricValue(r, metric, agg) !== undefined)?.id : undefined;

  if (rows.length === 0) {
    return (
      <EmptyState title="This sweep has no runs">
        <p>Its runs may have been deleted.</p>
      </EmptyState>
    );
  }
  const chartProps = { rows, axes, metricAxis, metric, agg, goal };
  const chosen = [...selected].filter((id) => rows.some((r) => r.id === id));
  const userKeys = keys.filter((k) => !isSystemMetric(k));
  const systemKeys = keys.filter(isSystemMetric);
  return (
    <>
      <div className="toolbar sweep-toolbar">
        <label>
          Metric
          <select data-testid="metric-picker" value={metric} onChange={(e) => url.set({ metric: e.target.value === fallbackMetric ? null : e.target.value })}>
            {keys.length === 0 ? <option value="">no metrics yet</option> : null}
            {/* A metric no run logged yet, kept from the address. */}
            {metric && !keys.includes(metric) ? <option value={metric}>{metric}</option> : null}
            {userKeys.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
            {systemKeys.length > 0 ? (
              <optgroup label="Machine (system/)">
                {systemKeys.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </optgroup>
            ) : null}
          </select>
        </label>
        <label>
          Value
          <select data-testid="agg-picker" value={agg} onChange={(e) => url.set({ agg: e.target.value === 'last' ? null : e.target.value })}>
            {AGGS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <span className="segmented" role="group" aria-label="Chart">
          <button type="button" data-testid="view-parallel" aria-pressed={view === 'parallel'} onClick={() => url.set({ view: null })}>
            Parallel coordinates
          </button>
          <button type="button" data-testid="view-scatter" aria-pressed={view === 'scatter'} onClick={() => url.set({ view: 'scatter' })}>
            Scatter
          </button>
        </span>
        {view === 'scatter' && axes.length > 0 ? (
          <label>
            against
            <select data-testid="x-picker" value={x?.key ?? ''} onChange={(e) => url.set({ x: e.target.value === axes[0]?.key ? null : e.target.value })}>
              {axes.map((a) => (
                <option key={a.key} value={a.key}>
                  {a.key}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      {view === 'scatter' ? <Scatter {...chartProps} x={x} /> : <ParallelCoordinates {...chartProps} />}
      <div className="section-head">
        <h2>Runs</h2>
        <span className="toggle">
          <button type="button" className="primary" data-testid="compare-selected" disabled={chosen.length < 2} onClick={() => navigate(paths.compare(chosen))}>
            Compare {chosen.length} {chosen.length === 1 ? 'run' : 'runs'}
          </button>
        </span>
      </div>
      <SweepRuns
        rows={sorted}
        swept={swept}
        metric={metric}
        agg={agg}
        bestFirst={bestFirst}
        onSortMetric={() => url.set({ order: bestFirst ? 'worst' : null })}
        bestId={bestId}
        selected={selected}
        onSelect={(id, on) =>
          setSelected((prev) => {
            const next = new Set(prev);
            if (on) next.add(id);
            else next.delete(id);
            return next;
          })
        }
      />
    </>
  );
}
