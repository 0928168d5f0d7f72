/**
 * The numbers behind the Distributions tab, apart from drawing: TensorBoard's distribution
 * view (percentiles of each step's histogram, drawn as bands over steps) and its offset
 * view (a few steps' histograms on one common set of bins, stacked one above the other).
 */
import { histogramQuantile, samplePoints } from '../../core/histogram.js';
import type { HistogramBucket, HistogramPointJson } from './api.js';

/**
 * TensorBoard's percentiles: the least and greatest values, the median, and where a normal
 * distribution puts ±0.5, ±1 and ±1.5 standard deviations.
 */
export const DISTRIBUTION_PERCENTILES = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100] as const;
export const MEDIAN_INDEX = 4;
/** The bands drawn, as indices into DISTRIBUTION_PERCENTILES (lower, upper), the widest first. */
export const BAND_PAIRS: readonly (readonly [number, number])[] = [
  [0, 8],
  [1, 7],
  [2, 6],
  [3, 5],
];

/** How a percentile reads on screen: `min`, `6.68%`, `median`, `max`. */
export function percentileLabel(p: number): string {
  if (p === 0) return 'min';
  if (p === 50) return 'median';
  if (p === 100) return 'max';
  return `${p}%`;
}

/** Buckets as core/histogram reads them: flat rows [left, right, count, ...]. */
export function flatBuckets(rows: readonly HistogramBucket[]): Float64Array {
  const flat = new Float64Array(rows.length * 3);
  rows.forEach(([l, r, c], i) => {
    flat[i * 3] = l;
    flat[i * 3 + 1] = r;
    flat[i * 3 + 2] = c;
  });
  return flat;
}

/**
 * One point per step, the last written at each (the series comes in order of step, then
 * time): a step written twice is shown as it was last written, and the x values of a
 * chart stay strictly increasing.
 */
export function lastPerStep(points: readonly HistogramPointJson[]): HistogramPointJson[] {
  const out: HistogramPointJson[] = [];
  for (const p of points) {
    if (out.length > 0 && out[out.length - 1]!.step === p.step) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

export interface DistributionData {
  readonly steps: Float64Array;
  /** One column per percentile of DISTRIBUTION_PERCENTILES, a value per step; NaN where a step's histogram holds no values. */
  readonly percentiles: readonly Float64Array[];
}

/** Each step's percentiles, read from its buckets by interpolation within a bucket. */
export function distributionOf(points: readonly HistogramPointJson[]): DistributionData {
  const shown = lastPerStep(points);
  const steps = Float64Array.from(shown, (p) => p.step);
  const percentiles = DISTRIBUTION_PERCENTILES.map(() => new Float64Array(shown.length));
  shown.forEach((p, j) => {
    const flat = flatBuckets(p.buckets);
    DISTRIBUTION_PERCENTILES.forEach((q, i) => {
      percentiles[i]![j] = histogramQuantile(flat, q / 100);
    });
  });
  return { steps, percentiles };
}

/** Bins of the offset view: each step's buckets are spread over this many equal bins, so steps bucketed differently compare. */
export const RIDGE_BINS = 40;
/** Steps the offset view draws at most; more would blur into one another. */
export const MAX_RIDGES = 30;

export interface Ridge {
  readonly step: number;
  readonly ts: number;
  /** The buckets as written: what hovering shows. */
  readonly buckets: readonly HistogramBucket[];
  /** Counts on the common bins. */
  readonly heights: Float64Array;
}

export interface RidgelineData {
  /** The value range every ridge is drawn over. */
  readonly lo: number;
  readonly hi: number;
  readonly bins: number;
  /** The highest bin of all ridges: the common height scale. */
  readonly peak: number;
  /** Oldest step first. */
  readonly ridges: readonly Ridge[];
  /** How many steps there were to choose from. */
  readonly steps: number;
}

/**
 * Counts on `bins` equal bins over [lo, hi]: a bucket's count is shared among the bins it
 * covers in proportion to the overlap (values are taken as even within a bucket); a
 * bucket of zero width goes whole to the bin holding it.
 */
export function rebin(rows: readonly HistogramBucket[], lo: number, hi: number, bins: number): Float64Array {
  const out = new Float64Array(bins);
  const width = (hi - lo) / bins;
  if (!(width > 0)) return out;
  const binOf = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  for (const [l, r, c] of rows) {
    if (!(c > 0)) continue;
    if (r <= l) {
      out[binOf(l)]! += c;
      continue;
    }
    const first = binOf(l);
    const last = binOf(r);
    for (let b = first; b <= last; b++) {
      const from = Math.max(l, lo + b * width);
      const to = Math.min(r, lo + (b + 1) * width);
      if (to > from) out[b]! += (c * (to - from)) / (r - l);
    }
  }
  return out;
}

/** The range holding every counted value of these points; widened around a single value so it has a width. */
export function valueRange(points: readonly { readonly buckets: readonly HistogramBucket[] }[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    for (const [l, r, c] of p.buckets) {
      if (!(c > 0)) continue;
      if (l < lo) lo = l;
      if (r > hi) hi = r;
    }
  }
  if (lo > hi) return { lo: 0, hi: 1 };
  if (lo === hi) {
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.1;
    return { lo: lo - pad, hi: hi + pad };
  }
  return { lo, hi };
}

/** At most `maxRidges` steps spread over the points (the first and the last kept), on common bins. */
export function ridgelineOf(points: readonly HistogramPointJson[], maxRidges = MAX_RIDGES, bins = RIDGE_BINS): RidgelineData {
  const all = lastPerStep(points);
  const chosen = samplePoints(all, maxRidges);
  const { lo, hi } = valueRange(chosen);
  let peak = 0;
  const ridges = chosen.map((p) => {
    const heights = rebin(p.buckets, lo, hi, bins);
    for (const h of heights) if (h > peak) peak = h;
    return { step: p.step, ts: p.ts, buckets: p.buckets, heights };
  });
  return { lo, hi, bins, peak, ridges, steps: all.length };
}

/** The bucket holding `value` (the first, where edges meet), else the nearest; undefined when there are none. */
export function bucketAt(rows: readonly HistogramBucket[], value: number): HistogramBucket | undefined {
  let best: HistogramBucket | undefined;
  let bestGap = Infinity;
  for (const row of rows) {
    const [l, r] = row;
    const gap = value < l ? l - value : value > r ? value - r : 0;
    if (gap === 0) return row;
    if (gap < bestGap) {
      best = row;
      bestGap = gap;
    }
  }
  return best;
}
