/**
 * @module interfaces/cli/gate-report
 * A gate outcome and a run's retention in words and tables: shared by `gate`, `show`
 * and the refusals of `promote`.
 */
import { describeGate, type GateOutcome } from '../../core/gates.js';
import type { Retention } from '../../core/retention.js';
import { formatTime, table } from './format.js';

export function gateLine(outcome: GateOutcome | null | undefined): string {
  if (!outcome) return 'not evaluated';
  if (outcome.status === 'none') return 'none (the project declares no gates)';
  const failed = outcome.results.filter((r) => !r.passed).length;
  return outcome.status === 'passed' ? `passed (${outcome.results.length} of ${outcome.results.length})` : `failed (${failed} of ${outcome.results.length})`;
}

export function gateTable(outcome: GateOutcome): string {
  return table(
    ['GATE', 'ACTUAL', 'OUTCOME'],
    outcome.results.map((r) => [describeGate(r), r.actual === null ? '—' : typeof r.actual === 'number' ? String(Number(r.actual.toPrecision(6))) : r.actual, r.passed ? 'passed' : `FAILED: ${r.reason ?? ''}`]),
  );
}

/** The short form a table column has room for: `passed`, `failed (val_loss, acc)`, `none`. */
export function gateCell(outcome: GateOutcome | null | undefined): string {
  if (!outcome) return '—';
  if (outcome.status !== 'failed') return outcome.status;
  return `failed (${[...new Set(outcome.results.filter((r) => !r.passed).map((r) => r.metric))].join(', ')})`;
}

/** `kept`, `flagged until 2026-12-03 10:00`, `pinned (promoted as churn v2)`. */
export function retentionLine(r: Retention | null): string {
  if (!r) return '— (decided when the run ends)';
  switch (r.state) {
    case 'flagged':
      return `flagged: artifacts deleted by gc from ${formatTime(r.until)} (${r.reason})`;
    case 'deleted':
      return r.until === null ? 'deleted: gc is deleting its artifacts (the next gc finishes if this one stopped)' : `deleted: artifacts removed by gc on ${formatTime(r.until)}`;
    case 'pinned':
      return `pinned: ${r.reason}`;
    case 'kept':
      return `kept (${r.reason})`;
  }
}

/** The short form a table column has room for. */
export function retentionCell(r: Retention | null): string {
  if (!r) return '—';
  return r.state === 'flagged' && r.until !== null ? `flagged ${formatTime(r.until).slice(0, 10)}` : r.state;
}
