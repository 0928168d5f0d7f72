import { describe, expect, it } from 'vitest';
import { foldPoint, mergeSummaries, type SummaryPoint, type SummaryState } from './metric-summary.js';

const fold = (points: readonly SummaryPoint[]): SummaryState | undefined =>
  points.reduce<SummaryState | undefined>((acc, p) => foldPoint(acc, p), undefined);

const pt = (step: number, ts: number, value: number): SummaryPoint => ({ step, ts, value });

describe('foldPoint', () => {
  it('starts from a single point', () => {
    expect(foldPoint(undefined, pt(3, 100, 0.5))).toEqual({ last: 0.5, lastStep: 3, lastTs: 100, min: 0.5, max: 0.5, count: 1 });
  });

  it('takes as last the point with the highest step, whatever the order points come in', () => {
    const s = fold([pt(5, 100, 1), pt(9, 50, 2), pt(2, 300, 3)]);
    expect(s).toMatchObject({ last: 2, lastStep: 9, lastTs: 50, min: 1, max: 3, count: 3 });
  });

  it('breaks a tie on step by the later ts', () => {
    expect(fold([pt(4, 200, 1), pt(4, 100, 2)])).toMatchObject({ last: 1, lastTs: 200 });
    expect(fold([pt(4, 100, 1), pt(4, 200, 2)])).toMatchObject({ last: 2, lastTs: 200 });
  });

  it('lets the later point win a tie on both step and ts', () => {
    expect(fold([pt(4, 100, 1), pt(4, 100, 2)])).toMatchObject({ last: 2 });
  });

  it('skips NaN in min and max but still counts it and can end on it', () => {
    const s = fold([pt(0, 1, NaN), pt(1, 2, 3), pt(2, 3, NaN), pt(3, 4, -1), pt(4, 5, NaN)]);
    expect(s).toEqual({ last: NaN, lastStep: 4, lastTs: 5, min: -1, max: 3, count: 5 });
  });

  it('gives NaN min and max when every value is NaN', () => {
    const s = fold([pt(0, 1, NaN), pt(1, 2, NaN)]);
    expect(Number.isNaN(s?.min)).toBe(true);
    expect(Number.isNaN(s?.max)).toBe(true);
    expect(s?.count).toBe(2);
  });

  it('keeps infinities as min and max', () => {
    expect(fold([pt(0, 1, 1), pt(1, 2, Infinity), pt(2, 3, -Infinity)])).toMatchObject({ min: -Infinity, max: Infinity, last: -Infinity });
  });
});

describe('mergeSummaries', () => {
  it('returns the batch itself when there is nothing before it', () => {
    const b = fold([pt(1, 1, 1)])!;
    expect(mergeSummaries(undefined, b)).toBe(b);
  });

  // Each case is a series split into two batches at every possible point; merging the
  // folds of the batches must equal folding the whole series in order.
  const series: Record<string, SummaryPoint[]> = {
    increasing: [pt(0, 10, 5), pt(1, 11, 4), pt(2, 12, 3), pt(3, 13, 6)],
    'out of order': [pt(7, 10, 1), pt(2, 11, 9), pt(9, 5, -2), pt(9, 4, 8), pt(1, 20, 0)],
    'ties on step and ts': [pt(1, 10, 1), pt(1, 10, 2), pt(1, 10, 3), pt(0, 10, 4)],
    'NaN and infinities': [pt(0, 1, NaN), pt(1, 2, Infinity), pt(2, 3, NaN), pt(3, 4, -Infinity), pt(4, 5, NaN)],
    'all NaN': [pt(0, 1, NaN), pt(1, 1, NaN), pt(2, 1, NaN)],
  };

  for (const [name, points] of Object.entries(series)) {
    it(`equals folding all points (${name})`, () => {
      const whole = fold(points);
      for (let cut = 1; cut < points.length; cut++) {
        const merged = mergeSummaries(fold(points.slice(0, cut)), fold(points.slice(cut))!);
        expect(merged, `cut at ${cut}`).toEqual(whole);
      }
    });
  }

  it('equals folding all points over many batches of a long random series', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const points = Array.from({ length: 500 }, () => {
      const r = rand();
      const value = r < 0.05 ? NaN : r < 0.07 ? Infinity : r < 0.09 ? -Infinity : rand() * 100 - 50;
      return pt(Math.floor(rand() * 50), Math.floor(rand() * 20), value);
    });
    let acc: SummaryState | undefined;
    for (let i = 0; i < points.length; i += 37) acc = mergeSummaries(acc, fold(points.slice(i, i + 37))!);
    expect(acc).toEqual(fold(points));
  });
});
