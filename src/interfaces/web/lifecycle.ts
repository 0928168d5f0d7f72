/**
 * What happens to a run once it ends, in words: how it met its gates, whether its
 * artifacts are kept, and whether it can be promoted to a model version. Shared by the
 * run page, the runs table and the model pages, so each says it the same way.
 */
import type { GateOutcome, GateResult, Retention, RunDetails, RunModelVersion, RunStatus } from './api.js';
import { formatDay, formatNumber } from './format.js';

/** `val_accuracy >= 0.9`, `val_loss (min) <= 0.4`: as the CLI names a gate (the last value goes unsaid). */
export function gateRule(r: Pick<GateResult, 'metric' | 'op' | 'value' | 'agg'>): string {
  return `${r.metric}${r.agg === 'last' ? '' : ` (${r.agg})`} ${r.op} ${formatNumber(r.value, 8)}`;
}

/** The value a gate was checked against; "missing" when the metric was never logged. */
export function gateActual(r: Pick<GateResult, 'actual'>): string {
  return r.actual === null ? 'missing' : formatNumber(r.actual, 8);
}

/** `val_accuracy >= 0.99: val_accuracy is 0.9333, not >= 0.99` (the server's reason), or the value it was. */
export function gateFailure(r: GateResult): string {
  return `${gateRule(r)}: ${r.reason ?? `was ${gateActual(r)}`}`;
}

/** The gates a run failed, one line each. */
export function failedGates(outcome: GateOutcome): string[] {
  return outcome.results.filter((r) => !r.passed).map(gateFailure);
}

/** A gate outcome's hover text: which gates failed, or how many passed. */
export function gateTitle(outcome: GateOutcome): string {
  if (outcome.status === 'none') return 'no gates declared in reprise.yaml';
  if (outcome.status === 'passed') return outcome.results.length === 1 ? 'passed its gate' : `passed all ${outcome.results.length} gates`;
  return `failed: ${failedGates(outcome).join('; ')}`;
}

function versionList(models: readonly RunModelVersion[]): string {
  return models.map((m) => `${m.model} v${m.version}`).join(', ');
}

/** Retention in a few words for a table cell: the state, and the date that goes with it. */
export function retentionShort(r: Retention): string {
  if ((r.state === 'flagged' || r.state === 'deleted') && r.until !== null) return `${r.state} · ${formatDay(r.until)}`;
  return r.state;
}

/**
 * Retention in a sentence: "flagged: artifacts deleted after 3 Dec 2026",
 * "pinned: promoted as iris-classifier v2", "kept by alice".
 */
export function retentionText(r: Retention, models: readonly RunModelVersion[] = []): string {
  switch (r.state) {
    case 'flagged':
      return r.until === null ? 'flagged: its artifacts may be deleted' : `flagged: artifacts deleted after ${formatDay(r.until)}`;
    case 'deleted':
      return r.until === null ? 'deleted: gc is deleting its artifacts' : `deleted: artifacts deleted on ${formatDay(r.until)}`;
    case 'pinned':
      return models.length > 0 ? `pinned: promoted as ${versionList(models)}` : `pinned: ${r.reason}`;
    case 'kept':
      return r.manual && r.by ? `kept by ${r.by}` : 'kept';
  }
}

/** Why a run's artifacts are in that state, with who and when for a hand-made choice. */
export function retentionTitle(r: Retention): string {
  return r.manual && r.at !== null ? `${r.reason} (set by hand on ${formatDay(r.at)})` : r.reason;
}

const NOT_SUCCEEDED: Partial<Record<RunStatus, string>> = { failed: 'failed', canceled: 'was canceled', lost: 'was lost' };

export type Promotability = { ok: true } | { ok: false; why: string };

/**
 * Whether a run can become a model version: it succeeded, did not fail its gates, and its
 * artifacts are still there. The server checks the same and has the last word.
 */
export function promotability(details: Pick<RunDetails, 'run' | 'gate' | 'retention'>): Promotability {
  const { status } = details.run;
  if (status !== 'succeeded') return { ok: false, why: `the run ${NOT_SUCCEEDED[status] ?? 'has not finished'}` };
  if (details.gate?.status === 'failed') return { ok: false, why: 'it failed its gates' };
  if (details.retention?.state === 'deleted') return { ok: false, why: 'its artifacts were deleted' };
  return { ok: true };
}

/** The model name a promotion starts from: reprise.yaml's `model.name`, else the project's. */
export function defaultModelName(details: Pick<RunDetails, 'run'>): string {
  return details.run.manifest.outputs.model?.name ?? details.run.project;
}
