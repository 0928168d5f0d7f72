import { isActiveStatus, type RunStatus } from '../api.js';

/** The order statuses are counted in: what still goes first, then how runs ended. */
const ORDER: readonly RunStatus[] = ['running', 'preparing', 'queued', 'succeeded', 'failed', 'lost', 'canceled'];

/** Runs counted by status ("3 succeeded", "1 queued"), each in its status's colour. */
export function StatusCounts({ byStatus }: { byStatus: Partial<Record<RunStatus, number>> }) {
  const known = new Set<string>(ORDER);
  const statuses = [...ORDER, ...(Object.keys(byStatus) as RunStatus[]).filter((s) => !known.has(s)).sort()];
  const shown = statuses.filter((s) => (byStatus[s] ?? 0) > 0);
  if (shown.length === 0) return <span className="muted">no runs</span>;
  return (
    <span className="status-counts" data-testid="status-counts">
      {shown.map((s) => (
        <span key={s} className={`status-count status-${s}`} data-status={s}>
          {byStatus[s]} {s}
        </span>
      ))}
    </span>
  );
}

/** Whether some run of the counts has not ended yet. */
export function anyActive(byStatus: Partial<Record<RunStatus, number>>): boolean {
  return (Object.entries(byStatus) as [RunStatus, number][]).some(([s, n]) => n > 0 && isActiveStatus(s));
}
