/** A project's sweeps, newest first: what each varies, how its runs stand, and a button to cancel what is left of one. */
import { useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api.js';
import { CancelButton } from '../components/cancel-button.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { StatusCounts, anyActive } from '../components/status-counts.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';

/** While some sweep still has runs going, the counts are read again this often. */
const LIVE_REFRESH_MS = 3000;

export function SweepsPage() {
  const { project = '' } = useParams();
  const sweeps = useFetch((signal) => api.sweeps(project, signal), [project]);
  const live = sweeps.data?.some((s) => anyActive(s.byStatus)) ?? false;
  const { reload } = sweeps;
  // The server weighs a sweep's cancel by the server role alone, not a grant in its project.
  const mayCancel = useSession().may('run');
  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(reload, LIVE_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [live, reload]);

  if (!sweeps.data) return sweeps.error ? <LoadError error={sweeps.error} /> : <p className="muted">Loading sweeps…</p>;
  if (sweeps.data.length === 0) {
    return (
      <EmptyState title={`No sweeps in ${project} yet`}>
        <p>A sweep queues many runs of the project at once, a grid of params or a random search. From the project's folder:</p>
        <pre>{'reprise sweep --grid lr=0.1,0.01 --grid layers=2,4\nreprise sweep --random 20 -p lr=loguniform(1e-4,1e-1)'}</pre>
      </EmptyState>
    );
  }
  return (
    <div className="sweeps-page">
      <h1>Sweeps of {project}</h1>
      {sweeps.error ? <LoadError error={sweeps.error} /> : null}
      <table className="plain sweeps-table" data-testid="sweeps-table">
        <thead>
          <tr>
            <th>Sweep</th>
            <th>Created</th>
            <th>What it varies</th>
            <th className="num">Runs</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sweeps.data.map((s) => (
            <tr key={s.id} data-testid="sweep-row" data-sweep={s.name} data-sweep-id={s.id}>
              <td>
                <Link to={paths.sweep(project, s.id)} className="sweep-name" data-testid="sweep-link">
                  {s.name}
                </Link>
              </td>
              <td title={new Date(s.createdAt).toISOString()}>
                {formatDate(s.createdAt)} <span className="muted">({formatAgo(s.createdAt)}) by {s.createdBy}</span>
              </td>
              <td>{s.description}</td>
              <td className="num">{s.runs}</td>
              <td data-testid="sweep-counts">
                <StatusCounts byStatus={s.byStatus} />
              </td>
              <td className="actions">
                {anyActive(s.byStatus) && mayCancel ? (
                  <CancelButton
                    question="Cancel its remaining runs?"
                    label="Cancel all"
                    testId={`cancel-sweep-${s.id}`}
                    title="Cancel every run of this sweep that has not ended"
                    onConfirm={() => api.cancelSweep(s.id)}
                    onDone={reload}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
