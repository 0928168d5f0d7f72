import { describe, expect, it } from 'vitest';
import { gateOutcomes, makeRunRecord } from '../ports/metadata-store.fixtures.js';
import type { GateOutcome } from './gates.js';
import { DEFAULT_FAILED_RETENTION_MS, failedGraceMs, isDue, retentionOf, type RetentionMark } from './retention.js';
import type { RunRecord } from './run.js';
import type { RunStatus } from './run-manifest.js';

const ENDED = 1_700_000_100_000;
const DAY = 86_400_000;

const { passed: PASSED, none: NONE, failed: FAILED } = gateOutcomes(ENDED);

/** A finished run as the store holds it, with the gate outcome and grace period its manifest recorded. */
function finished(status: RunStatus, opts: { gate?: GateOutcome; failedMs?: number } = {}): RunRecord {
  const run = makeRunRecord({ status, endedAt: ENDED });
  const m = run.manifest;
  return {
    ...run,
    manifest: {
      ...m,
      pipeline: { ...m.pipeline, ...(opts.failedMs !== undefined ? { retention: { failed: `${opts.failedMs / DAY}d`, failedMs: opts.failedMs } } : {}) },
      outputs: { ...m.outputs, ...(opts.gate ? { gate: opts.gate } : {}) },
    },
  };
}

describe('retentionOf: derived from how the run ended', () => {
  it('is null while the run is still going', () => {
    for (const status of ['queued', 'preparing', 'running'] as const) expect(retentionOf(makeRunRecord({ status }), undefined)).toBeNull();
  });

  it('keeps a run that succeeded and passed its gates', () => {
    expect(retentionOf(finished('succeeded', { gate: PASSED }), undefined)).toEqual({ state: 'kept', until: null, reason: 'passed its gates', manual: false, by: null, at: ENDED });
  });

  it('keeps a run that succeeded without gates, or before gates were recorded', () => {
    expect(retentionOf(finished('succeeded', { gate: NONE }), undefined)).toMatchObject({ state: 'kept', until: null, reason: 'succeeded' });
    expect(retentionOf(finished('succeeded'), undefined)).toMatchObject({ state: 'kept', until: null, reason: 'succeeded' });
  });

  it('flags a run that failed its gates for the grace period its manifest recorded, naming the failed gates', () => {
    const r = retentionOf(finished('succeeded', { gate: FAILED, failedMs: 2 * DAY }), undefined);
    expect(r).toEqual({ state: 'flagged', until: ENDED + 2 * DAY, reason: 'failed its gates: val_loss (min) <= 0.4, f1 > 0.5', manual: false, by: null, at: ENDED });
  });

  it('flags for seven days when the manifest recorded no grace period', () => {
    expect(DEFAULT_FAILED_RETENTION_MS).toBe(7 * DAY);
    const run = finished('succeeded', { gate: FAILED });
    expect(run.manifest.pipeline.retention).toBeUndefined();
    expect(failedGraceMs(run)).toBe(7 * DAY);
    expect(retentionOf(run, undefined)).toMatchObject({ state: 'flagged', until: ENDED + 7 * DAY });
  });

  it('flags a run with a zero grace period from the moment it ended', () => {
    expect(retentionOf(finished('failed', { failedMs: 0 }), undefined)).toMatchObject({ state: 'flagged', until: ENDED });
  });

  it.each([
    ['failed', 'the run failed'],
    ['canceled', 'the run was canceled'],
    ['lost', 'the run was lost'],
  ] as const)('flags a run that %s', (status, reason) => {
    expect(retentionOf(finished(status, { failedMs: DAY }), undefined)).toEqual({ state: 'flagged', until: ENDED + DAY, reason, manual: false, by: null, at: ENDED });
  });

  it('counts from the last heartbeat of a run that never recorded its end', () => {
    const run = { ...makeRunRecord({ status: 'lost', heartbeatAt: 5_000 }), endedAt: null };
    expect(retentionOf(run, undefined)).toMatchObject({ state: 'flagged', until: 5_000 + 7 * DAY, at: 5_000 });
  });
});

describe('retentionOf: a mark', () => {
  const mark = (over: Partial<RetentionMark>): RetentionMark => ({ state: 'kept', until: null, reason: 'kept by alice', manual: true, by: 'alice', at: ENDED + 10, ...over });

  it('wins over what the ending implies', () => {
    expect(retentionOf(finished('failed'), mark({}))).toEqual(mark({}));
    const flag = mark({ state: 'flagged', until: ENDED + 100, reason: 'flagged by bob', by: 'bob' });
    expect(retentionOf(finished('succeeded', { gate: PASSED }), flag)).toEqual(flag);
    const pin = mark({ state: 'pinned', reason: 'promoted as iris v3', manual: false });
    expect(retentionOf(finished('succeeded', { gate: FAILED }), pin)).toEqual(pin);
  });

  it('is given back as a copy, so changing the answer leaves the mark alone', () => {
    const m = mark({ state: 'deleted', until: ENDED + 5, reason: 'artifacts deleted by gc', manual: false, by: null });
    const r = retentionOf(finished('failed'), m);
    expect(r).toEqual(m);
    expect(r).not.toBe(m);
  });
});

describe('isDue', () => {
  const flagged = (until: number | null): RetentionMark => ({ state: 'flagged', until, reason: 'the run failed', manual: false, by: null, at: 0 });

  it('is due once the flag date is reached, not before', () => {
    expect(isDue(flagged(1_000), 999)).toBe(false);
    expect(isDue(flagged(1_000), 1_000)).toBe(true);
    expect(isDue(flagged(1_000), 1_001)).toBe(true);
  });

  it('is never due for a run that is not flagged, has no flag date, or is still going', () => {
    expect(isDue(null, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(isDue(flagged(null), Number.MAX_SAFE_INTEGER)).toBe(false);
    for (const state of ['kept', 'pinned', 'deleted'] as const) expect(isDue({ ...flagged(0), state }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('follows a derived retention', () => {
    const r = retentionOf(finished('failed', { failedMs: DAY }), undefined);
    expect(isDue(r, ENDED + DAY - 1)).toBe(false);
    expect(isDue(r, ENDED + DAY)).toBe(true);
    expect(isDue(retentionOf(finished('succeeded', { gate: PASSED }), undefined), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
