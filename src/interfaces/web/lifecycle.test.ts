import { describe, expect, it } from 'vitest';
import type { GateOutcome, Retention, RunDetails } from './api.js';
import { defaultModelName, gateTitle, promotability, retentionShort, retentionText } from './lifecycle.js';

const DAY = Date.UTC(2026, 11, 3, 12);
const retention = (over: Partial<Retention>): Retention => ({ state: 'kept', until: null, reason: 'the run succeeded', manual: false, by: null, at: DAY, ...over });
const outcome = (status: GateOutcome['status'], results: GateOutcome['results'] = []): GateOutcome => ({ status, evaluatedAt: DAY, results });

describe('a run after it ends, in words', () => {
  it('names the failing gates with their values or reasons', () => {
    const failed = outcome('failed', [
      { metric: 'val_accuracy', op: '>=', value: 0.9, agg: 'last', actual: 0.5, passed: false, reason: null },
      { metric: 'val_loss', op: '<', value: 1, agg: 'min', actual: 0.3, passed: true, reason: null },
      { metric: 'test_f1', op: '>=', value: 0.8, agg: 'max', actual: null, passed: false, reason: 'no metric test_f1 was logged' },
    ]);
    expect(gateTitle(failed)).toBe('failed: val_accuracy >= 0.9: was 0.5; test_f1 (max) >= 0.8: no metric test_f1 was logged');
    expect(gateTitle(outcome('passed', failed.results.slice(1, 2)))).toBe('passed its gate');
    expect(gateTitle(outcome('none'))).toBe('no gates declared in reprise.yaml');
  });

  it('says what retention means for the artifacts, with its date', () => {
    expect(retentionText(retention({ state: 'flagged', until: DAY }))).toBe('flagged: artifacts deleted after 3 Dec 2026');
    expect(retentionShort(retention({ state: 'flagged', until: DAY }))).toBe('flagged · 3 Dec 2026');
    expect(retentionText(retention({ state: 'pinned', reason: 'promoted: iris-classifier v2' }), [{ model: 'iris-classifier', version: 2, aliases: [] }])).toBe(
      'pinned: promoted as iris-classifier v2',
    );
    expect(retentionText(retention({ state: 'pinned', reason: 'promoted: iris-classifier v3' }))).toBe('pinned: promoted: iris-classifier v3');
    expect(retentionText(retention({ state: 'kept', manual: true, by: 'alice', at: DAY }))).toBe('kept by alice');
    expect(retentionShort(retention({ state: 'kept' }))).toBe('kept');
  });

  it('offers promotion only to a succeeded run that did not fail its gates and still has its artifacts', () => {
    const details = (status: RunDetails['run']['status'], gate: GateOutcome | null, r: Retention | null) =>
      ({ run: { status, project: 'iris', manifest: { outputs: { model: null } } }, gate, retention: r }) as unknown as RunDetails;
    expect(promotability(details('succeeded', outcome('passed'), retention({})))).toEqual({ ok: true });
    expect(promotability(details('succeeded', outcome('none'), retention({})))).toEqual({ ok: true });
    expect(promotability(details('succeeded', outcome('failed'), retention({ state: 'flagged' })))).toEqual({ ok: false, why: 'it failed its gates' });
    expect(promotability(details('succeeded', outcome('passed'), retention({ state: 'deleted' })))).toEqual({ ok: false, why: 'its artifacts were deleted' });
    expect(promotability(details('failed', null, retention({ state: 'flagged' })))).toEqual({ ok: false, why: 'the run failed' });
    expect(promotability(details('running', null, null))).toEqual({ ok: false, why: 'the run has not finished' });
    expect(defaultModelName(details('succeeded', null, null))).toBe('iris');
  });
});
