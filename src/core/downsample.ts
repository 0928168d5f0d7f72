/**
 * @module core/downsample
 * A long metric history cut down to what a chart can draw, keeping its shape. A million
 * points become a thousand in a single forward sweep over the typed columns: no sort, no
 * per-point objects, and outputs sized to what was kept.
 *
 * 'minmax' is the default because it cannot lose a spike: every bucket keeps its lowest
 * and highest point. 'lttb' gives smoother curves with one point per bucket, chosen by
 * visual prominence, at the risk of dropping an extreme that sits next to a larger one.
 */
import type { MetricColumns } from './metric-series.js';

export type DownsampleMethod = 'minmax' | 'lttb';

/**
 * At most `maxPoints` points of `series` (sorted by step), keeping its shape:
 * - 'minmax' (default): the x range [first step, last step] is cut into buckets of equal step width
 *   (about maxPoints/2 buckets, so the output stays within maxPoints); each bucket keeps its minimum and
 *   its maximum point, in step order (one point when they coincide); the very first and very last points
 *   of the series are always kept. Every local extreme of the series survives in the sense that the
 *   global min and max of any bucket are in the output.
 * - 'lttb': Largest-Triangle-Three-Buckets (Steinarsson 2013), first and last points kept.
 * Series with at most maxPoints points come back unchanged (the same object).
 * NaN values: never chosen as min/max, but a bucket holding only NaN keeps one NaN point (so gaps stay visible).
 * ±Infinity are ordinary extremes.
 * maxPoints < 2 is treated as 2. Series whose points all share one step still work (one bucket, min/max, first/last).
 *
 * With room for only 2 or 3 points no min/max pair fits beside first and last, so 'minmax'
 * then gives what 'lttb' gives: first, last and (for 3) the single most prominent point.
 */
export function downsample(series: MetricColumns, maxPoints: number, method: DownsampleMethod = 'minmax'): MetricColumns {
  // `>= 2` is false for NaN too, so a nonsensical limit still yields a drawable line.
  const m = maxPoints >= 2 ? Math.floor(maxPoints) : 2;
  if (series.steps.length <= m) return series;
  return method === 'lttb' ? lttb(series, m) : minMax(series, m);
}

/** Kept points are written straight into output columns; `keep` skips an index already written. */
interface Sink {
  readonly steps: Float64Array;
  readonly ts: Float64Array;
  readonly values: Float64Array;
  count: number;
  lastIndex: number;
}

function sink(capacity: number): Sink {
  return {
    steps: new Float64Array(capacity),
    ts: new Float64Array(capacity),
    values: new Float64Array(capacity),
    count: 0,
    lastIndex: -1,
  };
}

/** Indices reach a sink in increasing order, so one comparison is enough to drop duplicates. */
function keep(out: Sink, src: MetricColumns, i: number): void {
  if (i <= out.lastIndex) return;
  const k = out.count++;
  out.steps[k] = src.steps[i]!;
  out.ts[k] = src.ts[i]!;
  out.values[k] = src.values[i]!;
  out.lastIndex = i;
}

function finish(out: Sink): MetricColumns {
  const k = out.count;
  // A copy rather than a subarray, so the result does not pin the larger buffer.
  const fit = (a: Float64Array): Float64Array => (k === a.length ? a : a.slice(0, k));
  return { steps: fit(out.steps), ts: fit(out.ts), values: fit(out.values) };
}

function minMax(series: MetricColumns, m: number): MetricColumns {
  const n = series.steps.length;
  const sampler = MinMaxSampler.create(series.steps[0]!, series.steps[n - 1]!, n, m);
  if (!sampler) return lttb(series, m);
  sampler.add(series);
  return sampler.finish();
}

/**
 * 'minmax' over a series that arrives in pieces (stored chunks, in step order), so a long
 * history is never copied into one set of arrays. Fed whole, it is `downsample`'s minmax.
 */
export class MinMaxSampler {
  readonly #out: Sink;
  readonly #s0: number;
  readonly #scale: number;
  readonly #lastBucket: number;
  readonly #total: number;
  /** Global index of the next point to arrive. */
  #at = 0;
  #bucket = 0;
  #edge: number;
  /** The bucket's first point, min and max, as copies (their piece may be gone when the bucket ends). */
  readonly #first = point();
  readonly #min = point();
  readonly #max = point();
  #minV = Infinity;
  #maxV = -Infinity;
  #lastPoint = point();

  /**
   * A sampler for `total` points whose steps run from `firstStep` to `lastStep`, kept to at
   * most `maxPoints`; undefined when only 2 or 3 fit (then 'lttb' gives the answer).
   */
  static create(firstStep: number, lastStep: number, total: number, maxPoints: number): MinMaxSampler | undefined {
    const m = maxPoints >= 2 ? Math.floor(maxPoints) : 2;
    // Each bucket adds at most 2 points and first/last at most 2 more: 2 * buckets + 2 <= m.
    const buckets = Math.floor((m - 2) / 2);
    return buckets < 1 ? undefined : new MinMaxSampler(firstStep, lastStep, total, buckets);
  }

  private constructor(firstStep: number, lastStep: number, total: number, buckets: number) {
    const span = lastStep - firstStep;
    this.#s0 = firstStep;
    // A zero, infinite or NaN span (one step, or absurd steps) leaves a single bucket.
    this.#scale = span > 0 && Number.isFinite(span) ? buckets / span : 0;
    this.#lastBucket = buckets - 1;
    this.#total = total;
    this.#out = sink(2 * buckets + 2);
    this.#edge = buckets > 1 && this.#scale > 0 ? firstStep + 1 / this.#scale : Infinity;
  }

  /** The next points, in step order after those already added. */
  add(piece: MetricColumns): void {
    const { steps, values } = piece;
    const n = steps.length;
    const base = this.#at;
    if (base === 0 && n > 0) {
      take(this.#first, piece, 0, 0);
      keepPoint(this.#out, this.#first);
    }
    const s0 = this.#s0;
    const scale = this.#scale;
    const lastBucket = this.#lastBucket;
    let bucket = this.#bucket;
    let edge = this.#edge;
    let minV = this.#minV;
    let maxV = this.#maxV;
    // Within this piece, the bucket's first, min and max are indices; -1: held from an earlier piece.
    let firstI = -1;
    let minI = -1;
    let maxI = -1;
    for (let i = 0; i < n; i++) {
      const x = steps[i]!;
      // Points are compared against the next bucket's left edge rather than mapped to a
      // bucket index, which keeps the per-point work to three comparisons. A NaN step
      // fails the test and stays in the current bucket, so buckets stay contiguous.
      if (x >= edge) {
        this.#hold(piece, base, firstI, minI, maxI);
        this.#flush();
        let b = Math.floor((x - s0) * scale);
        // Rounding may put x a hair either side of an edge; buckets only ever move forward.
        if (!(b > bucket)) b = bucket + 1;
        if (b > lastBucket) b = lastBucket;
        bucket = b;
        edge = b < lastBucket && scale > 0 ? s0 + (b + 1) / scale : Infinity;
        firstI = i;
        minI = maxI = -1;
        this.#min.index = this.#max.index = -1;
        minV = Infinity;
        maxV = -Infinity;
      }
      const v = values[i]!;
      // NaN fails both; +Infinity only ever becomes a max, -Infinity only a min.
      if (v < minV) {
        minV = v;
        minI = i;
      }
      if (v > maxV) {
        maxV = v;
        maxI = i;
      }
    }
    this.#hold(piece, base, firstI, minI, maxI);
    this.#bucket = bucket;
    this.#edge = edge;
    this.#minV = minV;
    this.#maxV = maxV;
    if (n > 0) take(this.#lastPoint, piece, n - 1, base + n - 1);
    this.#at = base + n;
  }

  /** Whether points from `minStep` to `maxStep`, next in order, fall inside the current bucket (and are not the first). */
  fitsOneBucket(minStep: number, maxStep: number): boolean {
    return this.#at > 0 && minStep < this.#edge && maxStep < this.#edge;
  }

  /**
   * The next `n` points given by their lowest and highest value and their last point
   * (indices within the piece), when they all fall inside the current bucket: within a
   * bucket only those can be kept, so the result is what adding the points would give.
   */
  addSummary(n: number, s: ChunkSummary): void {
    const base = this.#at;
    if (s.min.index >= 0 && s.min.value < this.#minV) {
      this.#minV = s.min.value;
      setPoint(this.#min, s.min, base);
    }
    if (s.max.index >= 0 && s.max.value > this.#maxV) {
      this.#maxV = s.max.value;
      setPoint(this.#max, s.max, base);
    }
    setPoint(this.#lastPoint, s.last, base);
    this.#at = base + n;
  }

  /** Copies what the piece holds of the current bucket, before the piece is gone. */
  #hold(piece: MetricColumns, base: number, firstI: number, minI: number, maxI: number): void {
    if (firstI >= 0) take(this.#first, piece, firstI, base + firstI);
    if (minI >= 0) take(this.#min, piece, minI, base + minI);
    if (maxI >= 0) take(this.#max, piece, maxI, base + maxI);
  }

  /**
   * A bucket's min and max in step order. When one side is missing, every value is that
   * infinity or NaN, so the other side stands for both; when both are, the bucket is all
   * NaN and keeps its first point.
   */
  #flush(): void {
    const out = this.#out;
    const lo = this.#min;
    const hi = this.#max;
    if (lo.index < 0 && hi.index < 0) keepPoint(out, this.#first);
    else if (lo.index < 0 || hi.index < 0) keepPoint(out, lo.index < 0 ? hi : lo);
    else {
      keepPoint(out, lo.index < hi.index ? lo : hi);
      keepPoint(out, lo.index < hi.index ? hi : lo);
    }
  }

  finish(): MetricColumns {
    if (this.#at !== this.#total) throw new Error(`the sampler was promised ${this.#total} points and got ${this.#at}`);
    this.#flush();
    keepPoint(this.#out, this.#lastPoint);
    return finish(this.#out);
  }
}

interface Point {
  index: number;
  step: number;
  ts: number;
  value: number;
}

/** A run of points in brief: its first lowest and first highest value (index -1: all NaN) and its last point; indices within the run. */
export interface ChunkSummary {
  readonly min: Readonly<Point>;
  readonly max: Readonly<Point>;
  readonly last: Readonly<Point>;
}

function setPoint(p: Point, from: Readonly<Point>, base: number): void {
  p.index = base + from.index;
  p.step = from.step;
  p.ts = from.ts;
  p.value = from.value;
}

function point(): Point {
  return { index: -1, step: 0, ts: 0, value: 0 };
}

function take(p: Point, piece: MetricColumns, i: number, index: number): void {
  p.index = index;
  p.step = piece.steps[i]!;
  p.ts = piece.ts[i]!;
  p.value = piece.values[i]!;
}

/** Points reach a sink in increasing index order, so one comparison drops duplicates. */
function keepPoint(out: Sink, p: Point): void {
  if (p.index <= out.lastIndex) return;
  const k = out.count++;
  out.steps[k] = p.step;
  out.ts[k] = p.ts;
  out.values[k] = p.value;
  out.lastIndex = p.index;
}

/**
 * LTTB: first and last points, and from each of m - 2 equal-count buckets in between the point
 * forming the largest triangle with the previously kept point and the next bucket's average.
 *
 * Non-finite values would turn the areas into NaN or Infinity, so they are dealt with first:
 * a bucket with a ±Infinity point keeps it (no finite triangle is larger), one holding only
 * NaN keeps its first point, and the averages and the previous point's height use finite
 * values only.
 */
function lttb(series: MetricColumns, m: number): MetricColumns {
  const { steps, values } = series;
  const n = steps.length;
  const out = sink(m);
  keep(out, series, 0);

  const inner = m - 2;
  // Integer numerator, so bucket bounds are exact and the last one ends at n - 1.
  const bound = (k: number): number => 1 + Math.floor((k * (n - 2)) / inner);

  let a = 0;
  // Height of the previously kept point, carried over while kept points are not finite.
  let ay = Number.isFinite(values[0]!) ? values[0]! : NaN;

  for (let k = 0; k < inner; k++) {
    const start = bound(k);
    const end = bound(k + 1);
    const nextEnd = k + 1 < inner ? bound(k + 2) : n;

    // Average of the next bucket (the last point, for the final bucket).
    let sx = 0;
    let sy = 0;
    let finiteCount = 0;
    for (let j = end; j < nextEnd; j++) {
      sx += steps[j]!;
      const v = values[j]!;
      if (Number.isFinite(v)) {
        sy += v;
        finiteCount++;
      }
    }
    const cx = sx / (nextEnd - end);
    let cy = finiteCount > 0 ? sy / finiteCount : NaN;
    let refY = ay;
    if (refY !== refY) refY = cy === cy ? cy : 0;
    if (cy !== cy) cy = refY;

    const ax = steps[a]!;
    let chosen = -1;
    let best = -1;
    let infinite = -1;
    for (let j = start; j < end; j++) {
      const v = values[j]!;
      if (!Number.isFinite(v)) {
        if (infinite < 0 && v === v) infinite = j;
        continue;
      }
      const area = Math.abs((ax - cx) * (v - refY) - (ax - steps[j]!) * (cy - refY));
      if (area > best) {
        best = area;
        chosen = j;
      }
    }
    if (infinite >= 0) chosen = infinite;
    else if (chosen < 0) chosen = start; // only NaN here

    keep(out, series, chosen);
    a = chosen;
    const v = values[chosen]!;
    if (Number.isFinite(v)) ay = v;
  }

  keep(out, series, n - 1);
  return finish(out);
}
