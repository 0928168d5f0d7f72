/**
 * @module core/retention
 * Whether a run's artifacts are kept. A finished run's state follows from how it ended
 * (succeeded and passed: kept; failed or failed its gates: flagged for deletion after the
 * project's grace period), unless a mark says otherwise: a promotion pins it, `reprise
 * keep` and `reprise flag` override by hand, and gc records that it deleted them.
 */
import { z } from 'zod';
import { describeGate } from './gates.js';
import { isActive } from './run-manifest.js';
import type { RunRecord } from './run.js';

export const RETENTION_STATES = ['kept', 'flagged', 'deleted', 'pinned'] as const;
export type RetentionState = (typeof RETENTION_STATES)[number];

/** `retention.failed` when a project sets none. */
export const DEFAULT_FAILED_RETENTION = '7d';
export const DEFAULT_FAILED_RETENTION_MS = 7 * 86_400_000;

/** What the store keeps when a run's retention was decided rather than derived. */
export const retentionMarkSchema = z.object({
  state: z.enum(RETENTION_STATES),
  /** flagged: from when gc may delete; deleted: when gc finished (null while under way). */
  until: z.number().nullable(),
  reason: z.string(),
  /** Set by a person (keep, flag), not by promotion or gc. */
  manual: z.boolean(),
  by: z.string().nullable(),
  at: z.number(),
});
export type RetentionMark = z.infer<typeof retentionMarkSchema>;

/** A run's retention as shown: its mark, or the one its ending implies (same shape). */
export type Retention = RetentionMark;

/** The grace period a run was recorded with (its reprise.yaml's `retention.failed`), else the default. */
export function failedGraceMs(run: Pick<RunRecord, 'manifest'>): number {
  return run.manifest.pipeline.retention?.failedMs ?? DEFAULT_FAILED_RETENTION_MS;
}

/** Null while the run is still going: nothing is decided before it ends. */
export function retentionOf(run: RunRecord, mark: RetentionMark | undefined): Retention | null {
  if (mark) return { ...mark };
  if (isActive(run.status)) return null;
  const ended = run.endedAt ?? run.heartbeatAt;
  const flagged = (reason: string): Retention => ({ state: 'flagged', until: ended + failedGraceMs(run), reason, manual: false, by: null, at: ended });
  if (run.status !== 'succeeded') return flagged(`the run ${run.status === 'lost' ? 'was lost' : run.status === 'canceled' ? 'was canceled' : 'failed'}`);
  const gate = run.manifest.outputs.gate;
  if (gate?.status === 'failed') {
    const failed = gate.results.filter((r) => !r.passed).map((r) => describeGate(r));
    return flagged(`failed its gates: ${failed.join(', ')}`);
  }
  return { state: 'kept', until: null, reason: gate?.status === 'passed' ? 'passed its gates' : 'succeeded', manual: false, by: null, at: ended };
}

/** Whether gc may take the run's artifacts now. */
export function isDue(r: Retention | null, now: number): boolean {
  return r !== null && r.state === 'flagged' && r.until !== null && r.until <= now;
}
