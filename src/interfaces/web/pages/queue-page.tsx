/**
 * The queue: runs waiting for a worker (in the order workers will take them) and runs
 * going now, each with a Cancel button; below, the workers, how full they are and what
 * they run. Read again every 2 s, so the page can stay open on a screen.
 */
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { api, type QueuedRun, type QueueView, type Worker } from '../api.js';
import { CancelButton } from '../components/cancel-button.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatAgo, formatDuration } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';

const REFRESH_MS = 2000;

export function QueuePage() {
  const queue = useFetch((signal) => api.queue(signal), []);
  const { reload } = queue;
  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  if (!queue.data) return queue.error ? <LoadError error={queue.error} /> : <p className="muted">Loading the queue…</p>;
  const { queues, runs, workers } = queue.data;
  const names = new Map(runs.map((r) => [r.id, r.name]));
  return (
    <div className="queue-page">
      <h1>Queue</h1>
      {/* A failed refresh keeps the last answer on screen, with the error above it. */}
      {queue.error ? <LoadError error={queue.error} /> : null}
      <QueueCounts queues={queues} />
      {runs.length === 0 ? (
        <EmptyState title="Nothing queued or running">
          <p>Queue a run of a project for a worker to take, or a sweep of many, from the project's folder:</p>
          <pre>{'reprise submit -p lr=0.01\nreprise sweep --grid lr=0.1,0.01 --grid layers=2,4'}</pre>
        </EmptyState>
      ) : (
        <QueuedRuns runs={runs} onChanged={reload} />
      )}
      <h2>Workers</h2>
      {workers.length === 0 ? (
        <EmptyState title="No workers">
          <p>Nothing takes queued runs yet. Start workers in the server, or an agent on a machine that should run them:</p>
          <pre>{'reprise server --workers 2\nreprise agent --server URL --slots 2'}</pre>
        </EmptyState>
      ) : (
        <Workers workers={workers} names={names} />
      )}
    </div>
  );
}

function QueueCounts({ queues }: { queues: QueueView['queues'] }) {
  if (queues.length === 0) return null;
  return (
    <p className="queue-counts" data-testid="queue-counts">
      {queues.map((q) => (
        <span key={q.name} className="queue-count" data-queue={q.name}>
          <strong>{q.name}</strong> {q.queued} waiting · {q.active} active
        </span>
      ))}
    </p>
  );
}

function QueuedRuns({ runs, onChanged }: { runs: readonly QueuedRun[]; onChanged: () => void }) {
  const now = Date.now();
  const { may } = useSession();
  return (
    <div className="table-scroll">
      <table className="plain queue-table" data-testid="queue-table">
        <thead>
          <tr>
            <th>Run</th>
            <th>Status</th>
            <th>Queue</th>
            <th className="num">Priority</th>
            <th>Worker</th>
            <th className="num">Attempt</th>
            <th>Sweep</th>
            <th>For</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const s = r.submission;
            return (
              <tr key={r.id} data-testid={`queue-run-${r.id}`} data-status={r.status}>
                <td>
                  <Link to={paths.run(r.id)} className="run-link">
                    {r.name}
                  </Link>{' '}
                  <span className="muted">{r.project}</span>
                </td>
                <td>
                  <StatusBadge status={r.status} dev={r.dev} />
                </td>
                <td data-testid="queue-name">{s?.queue ?? ''}</td>
                <td className="num">{s?.priority ?? ''}</td>
                <td data-testid="queue-worker">{s?.worker ? <WorkerName name={s.worker.name} gpus={s.worker.gpus} /> : <span className="muted">—</span>}</td>
                <td className="num">{s && s.attempt > 1 ? <span title={s.retryOf ? `retries ${s.retryOf}` : undefined}>{s.attempt}</span> : ''}</td>
                <td>
                  {s?.sweep ? (
                    <Link to={paths.sweep(r.project, s.sweep.id)}>
                      {s.sweep.name} #{s.sweep.index + 1}
                    </Link>
                  ) : null}
                </td>
                <td className="nowrap" data-testid="queue-for">
                  {waitingText(r, now)}
                </td>
                <td className="actions">
                  {may('run', r.project) ? (
                    <CancelButton question="Cancel run?" testId={`cancel-${r.id}`} onConfirm={() => api.cancelRun(r.id)} onDone={onChanged} title={`Cancel ${r.name}`} />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** "waiting 2 min", "running 14 s": how long a queued run has waited, or an active one has run. */
function waitingText(r: QueuedRun, now: number): string {
  if (r.status === 'queued') return `waiting ${formatDuration(now - r.createdAt)}`;
  return `${r.status} ${formatDuration(now - (r.startedAt ?? r.createdAt))}`;
}

function WorkerName({ name, gpus }: { name: string; gpus: readonly string[] }) {
  return (
    <span>
      {name}
      {gpus.length > 0 ? <span className="muted"> (GPU {gpus.join(', ')})</span> : null}
    </span>
  );
}

function Workers({ workers, names }: { workers: readonly Worker[]; names: ReadonlyMap<string, string> }) {
  return (
    <div className="table-scroll">
      <table className="plain workers-table" data-testid="workers-table">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Kind</th>
            <th>State</th>
            <th>Host</th>
            <th>Queues</th>
            <th className="num">Slots</th>
            <th>GPUs</th>
            <th>Runs</th>
            <th>Seen</th>
          </tr>
        </thead>
        <tbody>
          {workers.map((w) => (
            <tr key={w.id} data-testid={`worker-${w.id}`} data-state={w.state} className={w.state === 'online' ? undefined : 'worker-gone'}>
              <td className="worker-name" title={`${w.id} · reprise ${w.version} · pid ${w.pid}`}>
                {w.name}
              </td>
              <td>{w.kind}</td>
              <td>
                <span className={`worker-state worker-${w.state}`} data-testid="worker-state">
                  {w.state}
                </span>
              </td>
              <td>{w.host}</td>
              <td>{w.queues.join(', ')}</td>
              <td className="num" data-testid="worker-slots" title={`${w.runs.length} of ${w.slots} slots in use`}>
                {w.runs.length}/{w.slots}
              </td>
              <td>{w.gpus.length > 0 ? w.gpus.join(', ') : <span className="muted">none</span>}</td>
              <td data-testid="worker-runs">
                {w.runs.map((id) => (
                  <Link key={id} to={paths.run(id)} className="worker-run">
                    {names.get(id) ?? id.slice(0, 10)}
                  </Link>
                ))}
              </td>
              <td title={new Date(w.seenAt).toISOString()}>{w.stoppedAt !== null ? `stopped ${formatAgo(w.stoppedAt)}` : formatAgo(w.seenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
