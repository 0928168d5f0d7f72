/**
 * @module services/liveness
 * A run whose driving process is gone becomes `lost`, never `running` forever. On the
 * machine that drove it, the process is checked directly (pid and start time); from
 * elsewhere, a heartbeat older than LOST_AFTER_MS decides.
 */
import { hostname } from 'node:os';
import { ACTIVE_STATUSES } from '../core/run-manifest.js';
import type { RunRecord } from '../core/run.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { isProcessAlive } from '../platform/process-identity.js';
import { HEARTBEAT_MS } from './run-service.js';

/** Six missed heartbeats. */
export const LOST_AFTER_MS = HEARTBEAT_MS * 6;

export function isRunOrphaned(run: RunRecord, now: number, thisHost: string = hostname()): boolean {
  if (!ACTIVE_STATUSES.includes(run.status)) return false;
  if (run.host === thisHost) return !isProcessAlive(run.pid, run.pidStart);
  return now - run.heartbeatAt > LOST_AFTER_MS;
}

/** Marks every orphaned active run lost, with the reason in its manifest; returns how many. */
export async function reconcileLostRuns(store: MetadataStore, now: number = Date.now()): Promise<number> {
  const { runs: active } = await store.listRuns({ statuses: ACTIVE_STATUSES, limit: 10_000 });
  let marked = 0;
  for (const run of active) {
    if (!isRunOrphaned(run, now)) continue;
    const message = `the reprise process that drove this run (pid ${run.pid} on ${run.host}) ended without finishing it; last heartbeat ${new Date(run.heartbeatAt).toISOString()}`;
    const running = run.manifest.execution.stages.find((s) => s.status === 'running');
    const manifest = {
      ...run.manifest,
      status: 'lost' as const,
      failure: { stage: running?.name ?? null, exitCode: null, message, stderrTail: [] },
      execution: { ...run.manifest.execution, endedAt: run.heartbeatAt },
    };
    if (await store.updateRun(run.id, { status: 'lost', endedAt: run.heartbeatAt, manifest }, ACTIVE_STATUSES)) marked++;
  }
  return marked;
}
