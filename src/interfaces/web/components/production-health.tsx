/**
 * A production model's health as a badge (the word always shown, the colour beside it),
 * and what it serves: each alias with the version answering, and a version starting or
 * that failed to start.
 */
import type { ModelHealth, ServedAlias } from '../api.js';
import { formatAgo } from '../format.js';
import { healthBadge, pendingText } from '../production-words.js';

export function HealthBadge({ health }: { health: ModelHealth }) {
  const badge = healthBadge(health);
  return (
    <span className={badge.className} data-testid="health" data-health={health} title={badge.title}>
      {badge.text}
    </span>
  );
}

/** Each served alias → version; `long` adds the runtime and since when. */
export function ServedAliases({ served, long }: { served: readonly ServedAlias[]; long?: boolean }) {
  if (served.length === 0) return <span className="muted">not served now</span>;
  return (
    <ul className="served-list" data-testid="served">
      {served.map((s) => (
        <li key={s.alias} data-testid="served-alias" data-alias={s.alias} data-version={s.version}>
          <span className="alias-chip">{s.alias}</span> → v{s.version}
          {long ? (
            <span className="muted">
              {' '}
              on {s.runtime}, since <span title={new Date(s.since).toISOString()}>{formatAgo(s.since)}</span>
            </span>
          ) : null}
          {s.pending ? (
            <span className={s.pending.error === null ? 'served-pending' : 'served-failed'} data-testid="served-pending" title={s.pending.error === null ? `v${s.version} answers until v${s.pending.version} has started` : `v${s.version} keeps answering`}>
              {' '}
              {pendingText(s.pending)}
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
