import { describe, expect, it } from 'vitest';
import { finiteOrGap, forLogAxis, smooth } from './chart-data.js';

describe('smooth', () => {
  it('leaves values as they are at weight 0', () => {
    expect(Array.from(smooth([1, 5, 2], 0))).toEqual([1, 5, 2]);
  });
  it('starts at the first value (debiased) and follows an exponential moving average', () => {
    const s = smooth([10, 0, 0], 0.5);
    expect(s[0]).toBeCloseTo(10);
    // (10*0.5*0.5 + 0) / (1 - 0.25) with the first two terms: 2.5 / 0.75
    expect(s[1]).toBeCloseTo(2.5 / 0.75);
    expect(s[2]).toBeLessThan(s[1]!);
  });
  it('passes NaN and infinities through without poisoning later points', () => {
    const s = smooth([1, Number.NaN, 1, Number.POSITIVE_INFINITY, 1], 0.9);
    expect(Number.isNaN(s[1]!)).toBe(true);
    expect(s[3]).toBe(Number.POSITIVE_INFINITY);
    expect(s[4]).toBeCloseTo(1);
  });
});

describe('axis values', () => {
  it('turns what a log axis cannot show into gaps', () => {
    expect(forLogAxis([1, 0, -2, Number.NaN, 3])).toEqual([1, null, null, null, 3]);
  });
  it('turns non-finite values into gaps on a linear axis', () => {
    expect(finiteOrGap([1, Number.NaN, Number.NEGATIVE_INFINITY, 0])).toEqual([1, null, null, 0]);
  });
});
