import { describe, expect, it } from 'vitest';
import type { HistogramBucket, HistogramPointJson } from './api.js';
import {
  BAND_PAIRS,
  DISTRIBUTION_PERCENTILES,
  MEDIAN_INDEX,
  bucketAt,
  distributionOf,
  flatBuckets,
  lastPerStep,
  percentileLabel,
  rebin,
  ridgelineOf,
  valueRange,
} from './distribution-data.js';

function point(step: number, buckets: HistogramBucket[], ts = 1_700_000_000_000 + step): HistogramPointJson {
  return { step, ts, buckets, stats: null };
}

/** 10 values in [s, s+1), 30 in [s+1, s+2), 10 in [s+2, s+3]. */
const shifted = (s: number): HistogramBucket[] => [
  [s, s + 1, 10],
  [s + 1, s + 2, 30],
  [s + 2, s + 3, 10],
];

describe('the percentiles', () => {
  it("are TensorBoard's, symmetric about the median", () => {
    expect([...DISTRIBUTION_PERCENTILES]).toEqual([0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100]);
    expect(DISTRIBUTION_PERCENTILES[MEDIAN_INDEX]).toBe(50);
    for (const [lo, hi] of BAND_PAIRS) expect(DISTRIBUTION_PERCENTILES[lo]! + DISTRIBUTION_PERCENTILES[hi]!).toBeCloseTo(100, 9);
  });

  it('read as words at the ends and the middle', () => {
    expect(DISTRIBUTION_PERCENTILES.map(percentileLabel)).toEqual(['min', '6.68%', '15.87%', '30.85%', 'median', '69.15%', '84.13%', '93.32%', 'max']);
  });
});

describe('flatBuckets', () => {
  it('lays rows out as core/histogram reads them', () => {
    expect([...flatBuckets([[0, 1, 2], [1, 3, 4]])]).toEqual([0, 1, 2, 1, 3, 4]);
    expect(flatBuckets([]).length).toBe(0);
  });
});

describe('distributionOf', () => {
  it('gives each step its percentiles, interpolated within buckets', () => {
    const d = distributionOf([0, 1, 2].map((s) => point(s * 10, shifted(s))));
    expect([...d.steps]).toEqual([0, 10, 20]);
    expect(d.percentiles).toHaveLength(9);
    // Median: 25 of 50 values, 15 of them into the middle bucket's 30.
    expect([...d.percentiles[MEDIAN_INDEX]!]).toEqual([1.5, 2.5, 3.5]);
    // The least and greatest: the outer edges of the counted buckets.
    expect([...d.percentiles[0]!]).toEqual([0, 1, 2]);
    expect([...d.percentiles[8]!]).toEqual([3, 4, 5]);
    // 6.68% of 50 = 3.34 values, in the first bucket of 10.
    expect(d.percentiles[1]![0]).toBeCloseTo(0.334, 12);
    // 93.32% = 46.66 values: 6.66 into the last bucket of 10.
    expect(d.percentiles[7]![0]).toBeCloseTo(2.666, 12);
  });

  it('leaves out empty buckets at the ends, and gives NaN for a step without values', () => {
    const d = distributionOf([
      point(0, [
        [-5, -1, 0],
        [-1, 1, 4],
        [1, 5, 0],
      ]),
      point(1, [[0, 1, 0]]),
      point(2, []),
    ]);
    expect(d.percentiles[0]![0]).toBe(-1);
    expect(d.percentiles[8]![0]).toBe(1);
    expect(d.percentiles[MEDIAN_INDEX]![0]).toBe(0);
    for (const col of d.percentiles) {
      expect(col[1]).toBeNaN();
      expect(col[2]).toBeNaN();
    }
  });

  it('takes the last point written at a step', () => {
    const d = distributionOf([point(1, shifted(0), 1), point(1, shifted(100), 2), point(2, shifted(1))]);
    expect([...d.steps]).toEqual([1, 2]);
    expect(d.percentiles[MEDIAN_INDEX]![0]).toBe(101.5);
  });

  it('is empty for no points', () => {
    const d = distributionOf([]);
    expect(d.steps.length).toBe(0);
    expect(d.percentiles.every((c) => c.length === 0)).toBe(true);
  });
});

describe('lastPerStep', () => {
  it('keeps one point per step, in order', () => {
    const kept = lastPerStep([point(0, [], 1), point(0, [], 2), point(3, [], 3), point(5, [], 4), point(5, [], 5)]);
    expect(kept.map((p) => [p.step, p.ts])).toEqual([
      [0, 2],
      [3, 3],
      [5, 5],
    ]);
  });
});

describe('rebin', () => {
  it('shares a bucket among the bins it covers, by overlap', () => {
    expect([...rebin([[0, 2, 8]], 0, 4, 4)]).toEqual([4, 4, 0, 0]);
    expect([...rebin([[0.5, 1.5, 10]], 0, 2, 2)]).toEqual([5, 5]);
  });

  it('keeps the total', () => {
    const rows: HistogramBucket[] = [
      [-3, -1.3, 7],
      [-1.3, 0.2, 11],
      [0.2, 2.9, 5],
    ];
    const bins = rebin(rows, -3, 2.9, 17);
    expect(bins.reduce((a, b) => a + b, 0)).toBeCloseTo(23, 9);
  });

  it('puts a zero-width bucket whole in the bin holding it, the last bin holding the top edge', () => {
    expect([...rebin([[1, 1, 6]], 0, 4, 4)]).toEqual([0, 6, 0, 0]);
    expect([...rebin([[4, 4, 3]], 0, 4, 4)]).toEqual([0, 0, 0, 3]);
  });

  it('ignores empty buckets and gives zeros for an empty range', () => {
    expect([...rebin([[0, 1, 0]], 0, 1, 2)]).toEqual([0, 0]);
    expect([...rebin([[0, 1, 5]], 1, 1, 2)]).toEqual([0, 0]);
  });
});

describe('valueRange', () => {
  it('spans the counted buckets of every point', () => {
    expect(valueRange([{ buckets: shifted(0) }, { buckets: [[-9, -8, 0], [-2, -1, 1]] }])).toEqual({ lo: -2, hi: 3 });
  });

  it('widens a single value, and falls back to [0, 1] without values', () => {
    expect(valueRange([{ buckets: [[2, 2, 5]] }])).toEqual({ lo: 1.8, hi: 2.2 });
    expect(valueRange([{ buckets: [[0, 0, 5]] }])).toEqual({ lo: -0.5, hi: 0.5 });
    expect(valueRange([])).toEqual({ lo: 0, hi: 1 });
  });
});

describe('ridgelineOf', () => {
  it('draws every step of a short series over their common range', () => {
    const r = ridgelineOf([0, 1, 2, 3].map((s) => point(s, shifted(s))), 30, 6);
    expect(r.ridges.map((x) => x.step)).toEqual([0, 1, 2, 3]);
    expect([r.lo, r.hi]).toEqual([0, 6]);
    expect([...r.ridges[0]!.heights]).toEqual([10, 30, 10, 0, 0, 0]);
    expect([...r.ridges[3]!.heights]).toEqual([0, 0, 0, 10, 30, 10]);
    expect(r.peak).toBe(30);
    expect(r.ridges[2]!.buckets).toEqual(shifted(2));
  });

  it('keeps at most the steps asked for, the first and the last among them', () => {
    const r = ridgelineOf(Array.from({ length: 100 }, (_, s) => point(s, shifted(0))), 30);
    expect(r.ridges).toHaveLength(30);
    expect(r.steps).toBe(100);
    expect(r.ridges[0]!.step).toBe(0);
    expect(r.ridges[29]!.step).toBe(99);
  });

  it('is empty for no points', () => {
    const r = ridgelineOf([]);
    expect(r.ridges).toEqual([]);
    expect(r.peak).toBe(0);
  });
});

describe('bucketAt', () => {
  const rows = shifted(0);
  it('finds the bucket holding a value, the first where edges meet', () => {
    expect(bucketAt(rows, 1.5)).toEqual([1, 2, 30]);
    expect(bucketAt(rows, 1)).toEqual([0, 1, 10]);
  });

  it('gives the nearest bucket outside them, none without buckets', () => {
    expect(bucketAt(rows, -4)).toEqual([0, 1, 10]);
    expect(bucketAt(rows, 9)).toEqual([2, 3, 10]);
    expect(bucketAt([], 0)).toBeUndefined();
  });
});
