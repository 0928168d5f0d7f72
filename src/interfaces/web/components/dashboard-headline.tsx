/** The dashboard's top: how many runs, how many succeed, what runs now, the latest run in a sentence. */
import { Link } from 'react-router-dom';
import type { Dashboard, RunStatus } from '../api.js';
import { paths } from '../paths.js';
import { formatAgo, plural } from '../format.js';

/** A share as a whole percentage that never rounds a few failures away (99.6% shows as 99%). */
export function percent(share: number): string {
  const p = Math.round(share * 100);
  if (share < 1 && p === 100) return '99%';
  if (share > 0 && p === 0) return '1%';
  return `${p}%`;
}

/** What became of the latest run, in words around when it started. */
const LAST_RUN_WORDS: Record<RunStatus, [before: string, after: string]> = {
  succeeded: ['succeeded', ''],
  failed: ['failed', ''],
  lost: ['was lost', ' (it stopped reporting)'],
  canceled: ['was canceled', ''],
  running: ['started', ' and is still running'],
  preparing: ['started', ' and is getting ready to run'],
  queued: ['was queued', ' and is waiting to start'],
};

function LastRun({ run }: { run: Dashboard['lastRun'] }) {
  if (!run) return <p data-testid="dash-last-run">No run has started yet.</p>;
  const [before, after] = LAST_RUN_WORDS[run.status];
  return (
    <p data-testid="dash-last-run" className="dash-sentence">
      The latest run, <Link to={paths.run(run.id)}>{run.name}</Link>, {before} <span title={new Date(run.createdAt).toLocaleString('en-GB')}>{formatAgo(run.createdAt)}</span>
      {after}.
    </p>
  );
}

export function DashboardHeadline({ data }: { data: Dashboard }) {
  const t = data.totals;
  const finished = t.succeeded + t.failed;
  return (
    <div className="dash-figures">
      <div className="card dash-card">
        <p data-testid="dash-total-runs" className="dash-sentence">
          <span className="dash-big">{t.runs.toLocaleString('en-US')}</span> {t.runs === 1 ? 'run' : 'runs'} so far
        </p>
        <p className="muted">
          {t.succeeded.toLocaleString('en-US')} succeeded, {t.failed.toLocaleString('en-US')} failed, {t.canceled.toLocaleString('en-US')} canceled
          {t.devRuns > 0 ? <span data-testid="dash-dev-runs">; not counting {plural(t.devRuns, 'quick dev run')}</span> : null}.
        </p>
      </div>
      <div className="card dash-card">
        {t.successRate === null ? (
          <p data-testid="dash-success-rate" className="dash-sentence">
            No run has finished yet, so there is no success rate.
          </p>
        ) : (
          <p data-testid="dash-success-rate" className="dash-sentence">
            <span className="dash-big">{percent(t.successRate)}</span> of finished runs succeeded
          </p>
        )}
        <p className="muted">{finished > 0 ? `${t.succeeded} of ${finished}; canceled runs count neither way.` : 'Runs that finish count here; canceled runs count neither way.'}</p>
      </div>
      <div className="card dash-card">
        <p data-testid="dash-active" className="dash-sentence">
          <span className="dash-big">{t.active.toLocaleString('en-US')}</span> {t.active === 1 ? 'run' : 'runs'} in progress now
        </p>
        <p className="muted">{t.active === 0 ? 'Nothing is running or waiting to start.' : 'Running, or waiting to start.'}</p>
      </div>
      <div className="card dash-card dash-last">
        <LastRun run={data.lastRun} />
      </div>
    </div>
  );
}
