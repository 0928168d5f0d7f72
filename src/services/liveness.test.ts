import { describe, expect, it } from 'vitest';
import { makeQueuedRun, makeRunRecord } from '../ports/metadata-store.fixtures.js';
import { isRunOrphaned, LOST_AFTER_MS, retryOf } from './liveness.js';

describe('isRunOrphaned', () => {
  const now = 10_000_000;
  it('never judges a queued run, which nothing drives yet', () => {
    expect(isRunOrphaned(makeQueuedRun({ heartbeatAt: 0, host: 'elsewhere' }), now, 'here')).toBe(false);
  });
  it('judges a run on another machine by its heartbeat, counting silence only since the judge could listen', () => {
    const run = makeRunRecord({ status: 'running', host: 'elsewhere', heartbeatAt: now - LOST_AFTER_MS - 1 });
    expect(isRunOrphaned(run, now, 'here')).toBe(true);
    expect(isRunOrphaned({ ...run, heartbeatAt: now - 1_000 }, now, 'here')).toBe(false);
    // A server that just started heard nothing while it was down.
    expect(isRunOrphaned(run, now, 'here', now - 5_000)).toBe(false);
    expect(isRunOrphaned(run, now, 'here', now - LOST_AFTER_MS - 1)).toBe(true);
  });
  it('never judges a run the MLflow client opened: nothing of Reprise drives it and the client sends no heartbeats', () => {
    const run = makeRunRecord({ status: 'running', host: 'elsewhere', heartbeatAt: now - 10 * LOST_AFTER_MS });
    const client = { ...run, manifest: { ...run.manifest, trigger: { kind: 'mlflow' as const, by: 'alice', source: null, commit: null }, code: null, environment: null } };
    expect(isRunOrphaned(client, now, 'here')).toBe(false);
  });
});

describe('retryOf', () => {
  it('queues the same code, params and seed again as the next attempt, while retries are left', () => {
    const lost = { ...makeQueuedRun({ retries: 2, attempt: 1, name: 'calm-heron-3' }), status: 'lost' as const };
    const retry = retryOf(lost, 5_000)!;
    expect(retry).toMatchObject({ name: 'calm-heron-3-retry1', status: 'queued', createdAt: 5_000, startedAt: null, endedAt: null });
    expect(retry.id).not.toBe(lost.id);
    expect(retry.manifest.submission).toMatchObject({ via: 'retry', attempt: 2, retries: 2, retryOf: lost.id, retriedAs: null });
    expect(retry.manifest.code).toEqual(lost.manifest.code);
    expect(retry.manifest.params).toEqual(lost.manifest.params);
    expect(retry.manifest.pipeline.seed).toBe(lost.manifest.pipeline.seed);
    expect(retry.manifest.execution.stages.every((s) => s.status === 'pending')).toBe(true);
    // The second retry is named after the run, not after the first retry.
    const again = retryOf({ ...retry, status: 'lost' }, 6_000)!;
    expect(again.name).toBe('calm-heron-3-retry2');
    expect(again.manifest.submission).toMatchObject({ attempt: 3, retryOf: retry.id });
    expect(retryOf({ ...again, status: 'lost' }, 7_000)).toBeNull();
  });
  it('gives nothing for a run started in the foreground or with no retries', () => {
    expect(retryOf(makeRunRecord({ status: 'lost' }), 1)).toBeNull();
    expect(retryOf({ ...makeQueuedRun({ retries: 0 }), status: 'lost' }, 1)).toBeNull();
    // Nothing to run again without recorded code and environment.
    const queued = { ...makeQueuedRun({ retries: 2 }), status: 'lost' as const };
    expect(retryOf({ ...queued, manifest: { ...queued.manifest, code: null, environment: null } }, 1)).toBeNull();
  });
});
