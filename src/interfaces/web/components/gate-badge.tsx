/** A run's gate outcome and retention as short marks (words and colour; the colour is never the only signal). */
import type { GateOutcome, Retention, RunModelVersion } from '../api.js';
import { gateTitle, retentionShort, retentionText, retentionTitle } from '../lifecycle.js';

/** passed / failed / none; nothing for a run without an outcome (still going, or did not succeed). */
export function GateBadge({ gate }: { gate: GateOutcome | null | undefined }) {
  if (!gate) return null;
  return (
    <span className={`gate gate-${gate.status}`} data-testid="gate" data-gate={gate.status} title={gateTitle(gate)}>
      {gate.status}
    </span>
  );
}

/**
 * The retention state: short in a table cell ("flagged · 3 Dec 2026"), a sentence
 * elsewhere ("flagged: artifacts deleted after 3 Dec 2026"); the reason in its title.
 */
export function RetentionMark({ retention, models, long }: { retention: Retention | null | undefined; models?: readonly RunModelVersion[]; long?: boolean }) {
  if (!retention) return null;
  return (
    <span className={`retention retention-${retention.state}`} data-testid="retention" data-state={retention.state} title={retentionTitle(retention)}>
      {long ? retentionText(retention, models) : retentionShort(retention)}
    </span>
  );
}
