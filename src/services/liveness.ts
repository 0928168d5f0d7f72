/**
 * @module services/liveness
 * A run whose driving process is gone becomes `lost`, never `running` forever. On the
 * machine that drove it, the process is checked directly (pid and start time); from
 * elsewhere, a heartbeat older than LOST_AFTER_MS decides: a worker's lease is its
 * heartbeat, so a run whose worker died is settled here too, and retried if it may be.
 */
import { hostname } from 'node:os';
import { newRunId } from '../core/ids.js';
import { ACTIVE_STATUSES, type RunManifest } from '../core/run-manifest.js';
import type { RunRecord } from '../core/run.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { isProcessAlive } from '../platform/process-identity.js';
import { freshManifest } from './run-manifest-draft.js';
import { triggerOf } from '../core/trigger.js';
import { HEARTBEAT_MS } from './run-service.js';

/** Six missed heartbeats. */
export const LOST_AFTER_MS = HEARTBEAT_MS * 6;

/**
 * `listeningSince`: when the judge could first hear heartbeats (a server that was down
 * heard none meanwhile, so silence before it started counts for nothing).
 */
export function isRunOrphaned(run: RunRecord, now: number, thisHost: string = hostname(), listeningSince = 0): boolean {
  // A queued run waits for a worker; nothing drives it yet.
  if (!ACTIVE_STATUSES.includes(run.status) || run.status === 'queued') return false;
  // A run the MLflow client opened has no Reprise process and sends no heartbeats: as in
  // MLflow, it stays running until the client (or someone) ends it.
  if (run.manifest.trigger?.kind === 'mlflow') return false;
  if (run.host === thisHost) return !isProcessAlive(run.pid, run.pidStart);
  return now - Math.max(run.heartbeatAt, listeningSince) > LOST_AFTER_MS;
}

/**
 * Marks every orphaned active run lost, with the reason in its manifest; a queued run
 * with retries left is queued again as a new run in the same step. Returns how many
 * were marked.
 */
export async function reconcileLostRuns(store: MetadataStore, now: number = Date.now(), listeningSince = 0): Promise<number> {
  const { runs: active } = await store.listRuns({ statuses: ACTIVE_STATUSES, limit: 10_000 });
  let marked = 0;
  for (const run of active) {
    if (!isRunOrphaned(run, now, hostname(), listeningSince)) continue;
    const worker = run.manifest.execution.worker;
    const driver = worker ? `the worker ${worker.name} that ran it (pid ${run.pid} on ${run.host})` : `the reprise process that drove this run (pid ${run.pid} on ${run.host})`;
    const retry = retryOf(run, now);
    const retried = retry ? `; queued again as ${retry.name} (${retry.id})` : '';
    const message = `${driver} ended without finishing it; last heartbeat ${new Date(run.heartbeatAt).toISOString()}${retried}`;
    const running = run.manifest.execution.stages.find((s) => s.status === 'running');
    const manifest = {
      ...run.manifest,
      status: 'lost' as const,
      failure: { stage: running?.name ?? null, exitCode: null, message, stderrTail: [] },
      execution: { ...run.manifest.execution, endedAt: run.heartbeatAt },
      ...(run.manifest.submission && retry ? { submission: { ...run.manifest.submission, retriedAs: retry.id } } : {}),
    };
    if (await store.settleLostRun(run.id, { status: 'lost', endedAt: run.heartbeatAt, manifest }, retry)) marked++;
  }
  return marked;
}

/**
 * The run that retries a lost queued run, while it has retries left: the same code,
 * params, seed and stages as submitted, queued afresh with the next attempt number.
 */
export function retryOf(run: RunRecord, now: number): RunRecord | null {
  const sub = run.manifest.submission;
  const m = run.manifest;
  // Without recorded code and environment there is nothing to run again.
  if (!sub || sub.attempt > sub.retries || !m.code || !m.environment) return null;
  const id = newRunId(now);
  const base = run.manifest.submission?.retryOf ? run.name.replace(/-retry\d+$/, '') : run.name;
  const name = `${base}-retry${sub.attempt}`;
  const manifest: RunManifest = {
    ...freshManifest({
      run: { ...m.run, id, name, createdAt: now },
      // A retry goes on for whatever started the run.
      trigger: triggerOf(m),
      code: m.code,
      params: m.params,
      environment: { ...m.environment, python: null, requirements: [], image: null, resolved: null },
      pipeline: m.pipeline,
    }),
    // The same queries as of the same times; their rows are read again by the retry.
    ...(m.data ? { data: m.data.map((d) => ({ ...d, snapshot: null })) } : {}),
    status: 'queued',
    submission: { ...sub, via: 'retry', at: now, attempt: sub.attempt + 1, retryOf: run.id, retriedAs: null },
  };
  return { ...run, id, name, status: 'queued', createdAt: now, startedAt: null, endedAt: null, heartbeatAt: now, envHash: null, manifest };
}
