import type { RunStatus } from '../api.js';

/** A run's status in words and colour (the colour is never the only signal). */
export function StatusBadge({ status, dev }: { status: RunStatus; dev?: boolean }) {
  return (
    <span className="status-wrap">
      <span className={`status status-${status}`} data-testid="status">
        {status === 'running' ? <span className="pulse" aria-hidden /> : null}
        {status}
      </span>
      {dev ? (
        <span className="dev-badge" title="a dev run: a quick local try, not counted on dashboards">
          dev
        </span>
      ) : null}
    </span>
  );
}
