import { describe, expect, it } from 'vitest';
import { downsample, type DownsampleMethod } from './downsample.js';
import type { MetricColumns } from './metric-series.js';

/** Points at steps 0..n-1 (or the given steps), ts derived from the step. */
function series(values: ArrayLike<number>, steps?: ArrayLike<number>): MetricColumns {
  const n = values.length;
  const s = new Float64Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s[i] = steps ? steps[i]! : i;
    ts[i] = 1_700_000_000_000 + s[i]! * 10 + i;
  }
  return { steps: s, ts, values: Float64Array.from(values) };
}

const flat = (n: number, at?: number, spike?: number): MetricColumns => {
  const v = new Float64Array(n).fill(1);
  if (at !== undefined && spike !== undefined) v[at] = spike;
  return series(v);
};

const len = (c: MetricColumns): number => c.steps.length;

/** Math.min/max over a spread would overflow the stack for long arrays. */
const extremes = (v: Float64Array): { min: number; max: number } => {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
};

/** Deterministic pseudo-random values in [-1, 1). */
function noise(n: number, seed = 1): Float64Array {
  const v = new Float64Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = ((x >>> 0) / 2 ** 32) * 2 - 1;
  }
  return v;
}

/** The output is a subsequence of the input: each kept point is an input point, in input order. */
function expectSubsequence(out: MetricColumns, input: MetricColumns): void {
  let j = 0;
  for (let i = 0; i < len(out); i++) {
    while (j < len(input) && !(input.ts[j] === out.ts[i] && input.steps[j] === out.steps[i])) j++;
    expect(j, `output point ${i} not found in order`).toBeLessThan(len(input));
    expect(Object.is(input.values[j], out.values[i])).toBe(true);
    j++;
  }
}

function expectNonDecreasingSteps(out: MetricColumns): void {
  for (let i = 1; i < len(out); i++) expect(out.steps[i]!).toBeGreaterThanOrEqual(out.steps[i - 1]!);
}

const methods: readonly DownsampleMethod[] = ['minmax', 'lttb'];

describe('downsample (minmax)', () => {
  it('keeps a single positive spike among 1,000,000 flat points', () => {
    const s = flat(1_000_000, 654_321, 50);
    const out = downsample(s, 1000);
    expect(len(out)).toBeLessThanOrEqual(1000);
    expect(Array.from(out.values)).toContain(50);
    const i = Array.from(out.values).indexOf(50);
    expect(out.steps[i]).toBe(654_321);
  });

  it('keeps a single negative spike among 1,000,000 flat points', () => {
    const s = flat(1_000_000, 123_457, -50);
    const out = downsample(s, 1000, 'minmax');
    expect(len(out)).toBeLessThanOrEqual(1000);
    expect(Array.from(out.values)).toContain(-50);
  });

  it('keeps the global min and max and reduces a long noisy series to about maxPoints', () => {
    const v = noise(200_000, 7);
    const s = series(v);
    const out = downsample(s, 1000);
    expect(len(out)).toBeLessThanOrEqual(1000);
    expect(len(out)).toBeGreaterThan(900);
    const kept = Array.from(out.values);
    expect(kept).toContain(extremes(v).min);
    expect(kept).toContain(extremes(v).max);
    expectSubsequence(out, s);
  });

  it('keeps the min and max of every bucket', () => {
    // 100 points, maxPoints 10: 4 buckets of step width 99 / 4.
    const v = noise(100, 3);
    const s = series(v);
    const out = downsample(s, 10);
    const kept = new Set(Array.from(out.steps));
    const width = 99 / 4;
    for (let b = 0; b < 4; b++) {
      let lo = -1;
      let hi = -1;
      for (let i = 0; i < 100; i++) {
        if (Math.min(Math.floor(i / width), 3) !== b) continue;
        if (lo < 0 || v[i]! < v[lo]!) lo = i;
        if (hi < 0 || v[i]! > v[hi]!) hi = i;
      }
      expect(kept.has(lo)).toBe(true);
      expect(kept.has(hi)).toBe(true);
    }
  });

  it('keeps NaN for a bucket holding only NaN, and never picks NaN as an extreme otherwise', () => {
    const v = new Float64Array(1000).map((_, i) => Math.sin(i / 30));
    v.fill(NaN, 400, 600);
    v[100] = NaN;
    const s = series(v);
    const out = downsample(s, 20);
    expect(len(out)).toBeLessThanOrEqual(20);
    const nanSteps = Array.from(out.steps).filter((_, i) => Number.isNaN(out.values[i]));
    expect(nanSteps.length).toBeGreaterThan(0);
    for (const st of nanSteps) {
      expect(st).toBeGreaterThanOrEqual(400);
      expect(st).toBeLessThan(600);
    }
    expectSubsequence(out, s);
  });

  it('treats ±Infinity as ordinary extremes', () => {
    const v = noise(10_000, 5);
    v[2500] = Infinity;
    v[7000] = -Infinity;
    const out = downsample(series(v), 50);
    const kept = Array.from(out.values);
    expect(kept).toContain(Infinity);
    expect(kept).toContain(-Infinity);
    expect(len(out)).toBeLessThanOrEqual(50);
  });

  it('handles a series whose first value is +Infinity', () => {
    const v = new Float64Array(100).fill(Infinity);
    v[50] = 3;
    const out = downsample(series(v), 4);
    expect(Array.from(out.values)).toEqual([Infinity, 3, Infinity]);
  });

  it('handles all points on one step', () => {
    const v = noise(500, 9);
    const steps = new Float64Array(500).fill(42);
    const s = series(v, steps);
    const out = downsample(s, 10);
    expect(len(out)).toBeLessThanOrEqual(4);
    expect(Array.from(out.steps).every((x) => x === 42)).toBe(true);
    const kept = Array.from(out.values);
    expect(kept[0]).toBe(v[0]);
    expect(kept.at(-1)).toBe(v[499]);
    expect(kept).toContain(Math.min(...v));
    expect(kept).toContain(Math.max(...v));
    expectSubsequence(out, s);
  });

  it('handles uneven step spacing (0..100, then a jump to 1e6)', () => {
    const steps = [...Array.from({ length: 101 }, (_, i) => i), 1e6];
    const v = steps.map((_, i) => (i === 60 ? 9 : i === 30 ? -9 : 0));
    const s = series(v, steps);
    const out = downsample(s, 10);
    expect(len(out)).toBeLessThanOrEqual(10);
    expect(out.steps[0]).toBe(0);
    expect(out.steps.at(-1)).toBe(1e6);
    expect(Array.from(out.values)).toContain(9);
    expect(Array.from(out.values)).toContain(-9);
    expectNonDecreasingSteps(out);
    expectSubsequence(out, s);
  });

  it('handles several points per step', () => {
    const steps = Array.from({ length: 3000 }, (_, i) => Math.floor(i / 3));
    const v = noise(3000, 11);
    const s = series(v, steps);
    const out = downsample(s, 100);
    expect(len(out)).toBeLessThanOrEqual(100);
    expectNonDecreasingSteps(out);
    expectSubsequence(out, s);
    expect(Array.from(out.values)).toContain(Math.max(...v));
  });

  it('returns exactly sized, fresh arrays', () => {
    const s = flat(10_000, 5000, 2);
    const out = downsample(s, 100);
    expect(out.steps.length).toBe(out.ts.length);
    expect(out.values.length).toBe(out.ts.length);
    expect(out.steps.buffer.byteLength).toBe(out.steps.length * 8);
    expect(out.steps.buffer).not.toBe(s.steps.buffer);
  });
});

describe('downsample (lttb)', () => {
  it('keeps first and last and returns exactly maxPoints', () => {
    const s = series(noise(10_000, 13));
    const out = downsample(s, 100, 'lttb');
    expect(len(out)).toBe(100);
    expect(out.steps[0]).toBe(0);
    expect(out.steps[99]).toBe(9999);
    expectNonDecreasingSteps(out);
    expectSubsequence(out, s);
  });

  it('picks the obvious peak and dip in a hand-checked example', () => {
    // 9 points, 3 inner buckets: [1,3), [3,5), [5,8).
    // Bucket 1: areas 2.5 (step 1) and 5 (step 2).  Bucket 2: 1 (step 3) and 22 (step 4, the peak).
    // Bucket 3, against (4, 5) and the last point (8, 0): 15, 22 (step 6, the dip), 5.
    const s = series([0, 0, 0, 0, 5, 0, -3, 0, 0]);
    const out = downsample(s, 5, 'lttb');
    expect(Array.from(out.steps)).toEqual([0, 2, 4, 6, 8]);
    expect(Array.from(out.values)).toEqual([0, 0, 5, -3, 0]);
  });

  it('keeps a NaN for a bucket holding only NaN and an infinite point where there is one', () => {
    // Buckets [1,3) (only NaN), [3,5), [5,8) (holds +Infinity).
    const v = [0, NaN, NaN, 1, 2, Infinity, 3, 4, 0];
    const out = downsample(series(v), 5, 'lttb');
    expect(len(out)).toBe(5);
    expect(out.steps[1]).toBe(1);
    expect(Number.isNaN(out.values[1])).toBe(true);
    expect(out.steps[3]).toBe(5);
    expect(out.values[3]).toBe(Infinity);
  });
});

describe('downsample (both methods)', () => {
  it('returns short series as the same object', () => {
    for (const method of methods) {
      const s = series([1, 2, 3]);
      expect(downsample(s, 3, method)).toBe(s);
      expect(downsample(s, 1000, method)).toBe(s);
      const empty = series([]);
      expect(downsample(empty, 2, method)).toBe(empty);
    }
  });

  it('treats maxPoints below 2 (and NaN) as 2: first and last', () => {
    const s = series([5, 1, 9, 3]);
    for (const method of methods) {
      for (const m of [1, 0, -5, NaN]) {
        const out = downsample(s, m, method);
        expect(Array.from(out.steps)).toEqual([0, 3]);
        expect(Array.from(out.values)).toEqual([5, 3]);
      }
    }
  });

  it('stays within maxPoints, keeps first and last, and keeps steps in order', () => {
    for (const method of methods) {
      for (const n of [3, 10, 999, 1000, 1001, 5000]) {
        const s = series(noise(n, n));
        for (const m of [2, 3, 7, 1000]) {
          const out = downsample(s, m, method);
          const label = `${method} n=${n} m=${m}`;
          expect(len(out), label).toBeLessThanOrEqual(Math.max(m, 2));
          if (n > m) expect(len(out), label).toBeLessThanOrEqual(m);
          else expect(out, label).toBe(s);
          expect(out.steps[0], label).toBe(0);
          expect(out.steps.at(-1), label).toBe(n - 1);
          expect(out.ts.length, label).toBe(len(out));
          expect(out.values.length, label).toBe(len(out));
          expectNonDecreasingSteps(out);
          expectSubsequence(out, s);
        }
      }
    }
  });

  it('accepts a fractional maxPoints by rounding down', () => {
    const s = series(noise(100, 2));
    for (const method of methods) expect(len(downsample(s, 7.9, method))).toBeLessThanOrEqual(7);
  });
});
