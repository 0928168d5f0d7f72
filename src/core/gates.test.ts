import { describe, expect, it } from 'vitest';
import { describeGate, evaluateGates, failedGates, gateSchema, type Gate, type GateOp, type FinalMetrics } from './gates.js';
import type { ManifestMetric, MetricSummary } from './run-manifest.js';

const AT = 1_700_000_000_000;

const gate = (metric: string, op: GateOp, value: number, agg: Gate['agg'] = 'last'): Gate => ({ metric, op, value, agg });

/** A series summary as the store folds it: last 0.5, min 0.2, max 0.9. */
const summary = (over: Partial<MetricSummary> = {}): MetricSummary => ({ last: 0.5, lastStep: 9, min: 0.2, max: 0.9, count: 10, ...over });

/** The single result of one gate against one metric's summary. */
function one(g: Gate, m: MetricSummary | ManifestMetric | undefined) {
  const metrics: FinalMetrics = m === undefined ? {} : { [g.metric]: m };
  const out = evaluateGates([g], metrics, AT);
  expect(out.results).toHaveLength(1);
  return out.results[0]!;
}

describe('evaluateGates: operators on their boundary', () => {
  it.each([
    ['>=', 0.5, true],
    ['>=', 0.5000001, false],
    ['>', 0.5, false],
    ['>', 0.4999999, true],
    ['<=', 0.5, true],
    ['<=', 0.4999999, false],
    ['<', 0.5, false],
    ['<', 0.5000001, true],
    ['==', 0.5, true],
    ['==', 0.5000001, false],
  ] as const)('last 0.5 %s %s passes: %s', (op, value, passes) => {
    const r = one(gate('acc', op, value), summary());
    expect(r).toMatchObject({ metric: 'acc', op, value, agg: 'last', actual: 0.5, passed: passes });
    if (passes) expect(r.reason).toBeNull();
    else expect(r.reason).toBe(`acc is 0.5, not ${op} ${value}`);
  });
});

describe('evaluateGates: aggregates', () => {
  it('reads the last value, the minimum or the maximum as the gate asks', () => {
    const m = summary({ last: 0.5, min: 0.2, max: 0.9 });
    expect(one(gate('acc', '>=', 0, 'last'), m).actual).toBe(0.5);
    expect(one(gate('acc', '>=', 0, 'min'), m).actual).toBe(0.2);
    expect(one(gate('acc', '>=', 0, 'max'), m).actual).toBe(0.9);
  });

  it('judges the aggregate it read, not the last value', () => {
    const m = summary({ last: 0.5, min: 0.2, max: 0.9 });
    // Only the maximum clears 0.8; only the minimum stays under 0.3.
    expect(one(gate('acc', '>=', 0.8, 'max'), m).passed).toBe(true);
    expect(one(gate('acc', '>=', 0.8, 'last'), m).passed).toBe(false);
    expect(one(gate('loss', '<=', 0.3, 'min'), m).passed).toBe(true);
    expect(one(gate('loss', '<=', 0.3, 'last'), m).passed).toBe(false);
  });

  it('rounds the value in the reason to six digits, unless that would read as the threshold', () => {
    expect(one(gate('acc', '>=', 0.9), summary({ last: 0.123456789 })).reason).toBe('acc is 0.123457, not >= 0.9');
    expect(one(gate('acc', '>=', 0.9), summary({ last: 0.89999999 })).reason).toBe('acc is 0.89999999, not >= 0.9');
    // The recorded value itself is never rounded.
    expect(one(gate('acc', '>=', 0.9), summary({ last: 0.123456789 })).actual).toBe(0.123456789);
  });

  it('names the aggregate in the reason unless it is last', () => {
    expect(one(gate('loss', '<=', 0.1, 'min'), summary()).reason).toBe('loss (min) is 0.2, not <= 0.1');
    expect(one(gate('loss', '<=', 0.1), summary()).reason).toBe('loss is 0.5, not <= 0.1');
  });
});

describe('evaluateGates: missing and odd values', () => {
  it('fails a gate on a metric never logged, naming the metric', () => {
    const r = one(gate('val_acc', '>=', 0.9), undefined);
    expect(r).toEqual({ metric: 'val_acc', op: '>=', value: 0.9, agg: 'last', actual: null, passed: false, reason: 'no metric "val_acc" was logged' });
  });

  it('treats a metric with no points like a missing one', () => {
    const r = one(gate('val_acc', '>=', 0.9), summary({ count: 0 }));
    expect(r).toMatchObject({ actual: null, passed: false, reason: 'no metric "val_acc" was logged' });
  });

  it('ignores other metrics when the gate names a missing one', () => {
    const out = evaluateGates([gate('val_acc', '>=', 0.9)], { acc: summary({ last: 1 }) }, AT);
    expect(out.status).toBe('failed');
    expect(out.results[0]?.reason).toContain('val_acc');
  });

  it('fails NaN under every operator', () => {
    for (const op of ['>=', '>', '<=', '<', '=='] as const) {
      const r = one(gate('loss', op, 0), summary({ last: NaN }));
      expect(r).toMatchObject({ actual: 'NaN', passed: false, reason: 'loss is NaN' });
    }
    expect(one(gate('loss', '<', 1, 'max'), summary({ max: NaN })).reason).toBe('loss (max) is NaN');
  });

  it('compares infinities as numbers and reports them as JSON strings', () => {
    expect(one(gate('loss', '<=', 1e308), summary({ last: Infinity }))).toMatchObject({ actual: 'Infinity', passed: false, reason: 'loss is Infinity, not <= 1e+308' });
    expect(one(gate('loss', '>', 1e308), summary({ last: Infinity }))).toMatchObject({ actual: 'Infinity', passed: true, reason: null });
    expect(one(gate('score', '<', -1e308), summary({ last: -Infinity }))).toMatchObject({ actual: '-Infinity', passed: true });
    expect(one(gate('score', '>=', -1e308), summary({ last: -Infinity }))).toMatchObject({ actual: '-Infinity', passed: false });
  });
});

describe('evaluateGates: outcome', () => {
  it('is none without gates, whatever was logged', () => {
    expect(evaluateGates([], {}, AT)).toEqual({ status: 'none', evaluatedAt: AT, results: [] });
    expect(evaluateGates([], { acc: summary() }, AT).status).toBe('none');
  });

  it('passes when every gate passes', () => {
    const out = evaluateGates([gate('acc', '>=', 0.5), gate('loss', '<', 0.3, 'min')], { acc: summary(), loss: summary() }, AT);
    expect(out.status).toBe('passed');
    expect(out.evaluatedAt).toBe(AT);
    expect(out.results.map((r) => r.passed)).toEqual([true, true]);
  });

  it('fails when one gate fails, keeping every result in the order declared', () => {
    const out = evaluateGates([gate('acc', '>=', 0.5), gate('loss', '<', 0.1), gate('f1', '>', 0)], { acc: summary(), loss: summary(), f1: summary() }, AT);
    expect(out.status).toBe('failed');
    expect(out.results.map((r) => [r.metric, r.passed])).toEqual([
      ['acc', true],
      ['loss', false],
      ['f1', true],
    ]);
  });

  it('reads the manifest form, where NaN and infinities are strings', () => {
    const manifest: Record<string, ManifestMetric> = {
      acc: { last: 0.95, lastStep: 4, min: 0.5, max: 'Infinity', count: 5 },
      loss: { last: 'NaN', lastStep: 4, min: 0.1, max: 2, count: 5 },
      gap: { last: '-Infinity', lastStep: 4, min: '-Infinity', max: 0, count: 5 },
    };
    const out = evaluateGates(
      [gate('acc', '>=', 0.9), gate('acc', '>', 1e6, 'max'), gate('loss', '<=', 0.2, 'min'), gate('loss', '<', 1), gate('gap', '<', 0)],
      manifest,
      AT,
    );
    expect(out.results.map((r) => [r.actual, r.passed])).toEqual([
      [0.95, true],
      ['Infinity', true],
      [0.1, true],
      ['NaN', false],
      ['-Infinity', true],
    ]);
    expect(out.status).toBe('failed');
  });

  it('gives the same outcome for the store and the manifest form of the same series', () => {
    const gates = [gate('acc', '>=', 0.5), gate('acc', '<', 1, 'max'), gate('acc', '>', 0.3, 'min')];
    const fromStore = evaluateGates(gates, { acc: { last: 0.7, lastStep: 2, min: 0.4, max: Infinity, count: 3 } }, AT);
    const fromManifest = evaluateGates(gates, { acc: { last: 0.7, lastStep: 2, min: 0.4, max: 'Infinity', count: 3 } }, AT);
    expect(fromManifest).toEqual(fromStore);
  });
});

describe('describeGate and failedGates', () => {
  it('writes a gate as it reads, with the aggregate only when it is not last', () => {
    expect(describeGate(gate('val_acc', '>=', 0.9))).toBe('val_acc >= 0.9');
    expect(describeGate(gate('val_loss', '<=', 0.4, 'min'))).toBe('val_loss (min) <= 0.4');
    expect(describeGate(gate('x', '==', -3, 'max'))).toBe('x (max) == -3');
  });

  it('lists only the failed gates, each with its reason', () => {
    const out = evaluateGates([gate('acc', '>=', 0.5), gate('loss', '<=', 0.1, 'min'), gate('val_acc', '>', 0.9)], { acc: summary(), loss: summary() }, AT);
    expect(failedGates(out)).toEqual(['loss (min) <= 0.1: loss (min) is 0.2, not <= 0.1', 'val_acc > 0.9: no metric "val_acc" was logged']);
  });

  it('lists nothing for an outcome that passed or had no gates', () => {
    expect(failedGates(evaluateGates([gate('acc', '>=', 0.5)], { acc: summary() }, AT))).toEqual([]);
    expect(failedGates(evaluateGates([], {}, AT))).toEqual([]);
  });

  it('says failed for a result recorded without a reason', () => {
    expect(failedGates({ status: 'failed', evaluatedAt: AT, results: [{ ...gate('acc', '>', 1), actual: 0.5, passed: false, reason: null }] })).toEqual(['acc > 1: failed']);
  });
});

describe('gateSchema', () => {
  it('defaults the aggregate to last', () => {
    expect(gateSchema.parse({ metric: 'acc', op: '>=', value: 0.9 })).toEqual({ metric: 'acc', op: '>=', value: 0.9, agg: 'last' });
  });
});
