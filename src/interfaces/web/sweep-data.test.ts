import { describe, expect, it } from 'vitest';
import type { RunRow, SweepSpec } from './api.js';
import {
  axisPosition,
  defaultMetric,
  goalOf,
  metricKeys,
  metricValue,
  niceTicks,
  paramAxis,
  paramOf,
  quality,
  qualityColour,
  sortByMetric,
  sweptParams,
} from './sweep-data.js';

function row(id: string, params: RunRow['params'], metrics: Record<string, number | 'NaN'> = {}, extra: Partial<RunRow> = {}): RunRow {
  return {
    id,
    name: `run-${id}`,
    project: 'p',
    status: 'succeeded',
    dev: false,
    createdAt: 0,
    startedAt: 0,
    endedAt: 1,
    tags: {},
    code: null,
    params,
    reproduces: null,
    verification: null,
    relatedNames: {},
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { last: v, min: v, max: v, lastStep: 0, count: 1 }])),
    ...extra,
  };
}

describe('sweptParams', () => {
  it("takes a grid's axes in order", () => {
    const spec: SweepSpec = { kind: 'grid', axes: [{ key: 'lr', values: [0.1, 0.01] }, { key: 'layers', values: [[32], [64]] }] };
    expect(sweptParams(spec, [])).toEqual(['lr', 'layers']);
  });
  it("takes a random search's drawn params, not its fixed ones", () => {
    const spec: SweepSpec = {
      kind: 'random',
      count: 4,
      seed: 1,
      params: [
        { key: 'lr', text: 'loguniform(1e-4,1e-1)', dist: { kind: 'loguniform', low: 1e-4, high: 1e-1 } },
        { key: 'epochs', text: '3', dist: { kind: 'fixed', value: 3 } },
      ],
    };
    expect(sweptParams(spec, [])).toEqual(['lr']);
  });
  it('falls back to the params that differ between runs', () => {
    expect(sweptParams(undefined, [row('a', { x: 1, y: 'same' }), row('b', { x: 2, y: 'same' })])).toEqual(['x']);
  });
});

describe('axes', () => {
  it('scales a numeric param from its min to its max', () => {
    const axis = paramAxis('x', [row('a', { x: 1 }), row('b', { x: 3 }), row('c', { x: 2 })]);
    expect(axis.kind).toBe('numeric');
    expect([1, 2, 3].map((v) => axisPosition(axis, v))).toEqual([0, 0.5, 1]);
    expect(axis.values).toEqual([1, 2, 3]);
  });
  it('labels a numeric axis with its values only when they are few', () => {
    const many = Array.from({ length: 9 }, (_, i) => row(String(i), { x: i }));
    expect(paramAxis('x', many).values).toBeUndefined();
  });
  it('puts a param that took one value mid-axis', () => {
    expect(axisPosition(paramAxis('x', [row('a', { x: 5 })]), 5)).toBe(0.5);
  });
  it("spaces categories evenly, in the grid's order, arrays as JSON text", () => {
    const spec: SweepSpec = { kind: 'grid', axes: [{ key: 'layers', values: [[64], [32, 32], [16]] }] };
    const rows = [row('a', { layers: '[16]' }), row('b', { layers: '[64]' }), row('c', { layers: '[32,32]' })];
    const axis = paramAxis('layers', rows, spec);
    expect(axis.kind).toBe('category');
    expect(axis.categories).toEqual(['[64]', '[32,32]', '[16]']);
    expect(axisPosition(axis, '[32,32]')).toBe(0.5);
    expect(axisPosition(axis, 'other')).toBeUndefined();
  });
  it('treats mixed values and booleans as categories', () => {
    expect(paramAxis('b', [row('a', { b: true }), row('b', { b: false })]).categories).toEqual(['false', 'true']);
    expect(paramAxis('m', [row('a', { m: 1 }), row('b', { m: 'x' })]).kind).toBe('category');
  });
  it('puts a swept object back together from its dotted keys', () => {
    expect(paramOf(row('a', { 'optim.lr': 0.1, 'optim.name': 'adam', other: 1 }), 'optim')).toBe('{"lr":0.1,"name":"adam"}');
    expect(paramOf(row('a', { x: 1 }), 'y')).toBeUndefined();
  });
});

describe('metrics', () => {
  const rows = [
    row('a', {}, { loss: 0.5, 'system/cpu_percent': 80 }),
    row('b', {}, { loss: 0.2, acc: 0.9 }),
    row('c', {}, { loss: 'NaN' }),
    row('d', {}, {}),
  ];
  it('lists keys by name with the machine samples last', () => {
    expect(metricKeys(rows)).toEqual(['acc', 'loss', 'system/cpu_percent']);
  });
  it('defaults to a gated metric, else the first that is not a machine sample', () => {
    expect(defaultMetric([row('s', {}, { 'system/cpu_percent': 1, zeta: 1 })], ['zeta', 'system/cpu_percent'])).toBe('zeta');
    const gated = row('g', {}, { loss: 1, acc: 1 }, { gate: { status: 'passed', evaluatedAt: 0, results: [{ metric: 'loss', op: '<=', value: 1, agg: 'last', actual: 1, passed: true, reason: null }] } });
    expect(defaultMetric([gated], ['acc', 'loss'])).toBe('loss');
  });
  it('reads the goal from a gate, else from the name', () => {
    expect(goalOf('loss', rows)).toBe('min');
    expect(goalOf('acc', rows)).toBe('max');
    const gated = row('g', {}, {}, { gate: { status: 'passed', evaluatedAt: 0, results: [{ metric: 'loss', op: '>=', value: 1, agg: 'last', actual: 1, passed: true, reason: null }] } });
    expect(goalOf('loss', [gated])).toBe('max');
  });
  it('gives no value for a missing or NaN metric', () => {
    expect(metricValue(rows[0]!, 'loss', 'last')).toBe(0.5);
    expect(metricValue(rows[2]!, 'loss', 'last')).toBeUndefined();
    expect(metricValue(rows[3]!, 'loss', 'last')).toBeUndefined();
  });
  it('sorts best first by the goal, runs without a value last in their order', () => {
    expect(sortByMetric(rows, 'loss', 'last', 'min').map((r) => r.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(sortByMetric(rows, 'loss', 'last', 'min', false).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(sortByMetric(rows, 'loss', 'last', 'max').map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });
  it('colours from worst to best whichever way is better', () => {
    expect(quality(1, 1, 3, 'max')).toBe(0);
    expect(quality(1, 1, 3, 'min')).toBe(1);
    expect(qualityColour(0)).not.toBe(qualityColour(1));
    expect(qualityColour(-1)).toBe(qualityColour(0));
  });
});

describe('niceTicks', () => {
  it('gives round values within the range', () => {
    expect(niceTicks(11, 32, 4)).toEqual([15, 20, 25, 30]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.003, 0.0021, 3)).toEqual([-0.002, 0, 0.002]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });
});
