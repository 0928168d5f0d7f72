/** A reproduction check's verdict in words and colour (the colour is never the only signal). */
import type { RunRow, Verdict } from '../api.js';
import { PENDING_LABEL, rowReproduction, VERDICT_LABELS } from '../verdicts.js';

export function VerdictBadge({ verdict }: { verdict: Verdict | 'pending' }) {
  return (
    <span className={`verdict verdict-${verdict}`} data-testid="verdict" data-verdict={verdict}>
      {verdict === 'pending' ? PENDING_LABEL : VERDICT_LABELS[verdict]}
    </span>
  );
}

/** The mark beside a run's name in the runs table when it reproduces a run or was reproduced; its title says which and how it went. */
export function ReproductionMark({ row }: { row: RunRow }) {
  const r = rowReproduction(row);
  if (!r) return null;
  return (
    <span className={`repro-mark verdict-${r.verdict}`} data-testid="repro-mark" data-role={r.role} data-verdict={r.verdict} title={r.title} role="img" aria-label={r.title}>
      ↺
    </span>
  );
}
