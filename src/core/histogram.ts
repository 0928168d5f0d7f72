/**
 * @module core/histogram
 * A histogram metric: at each step, how a tensor's values were spread. A point holds its
 * buckets as rows (left edge, right edge, count), the form TensorBoard's histogram
 * dashboards read, so what a writer bucketed is kept exactly, whatever its bucket scheme
 * (equal widths, TensorBoard's exponential edges, the caller's own edges).
 */
import { RepriseError } from './errors.js';
import { MAX_METRIC_KEY } from './metric-wire.js';

/** Summary statistics of the values bucketed, when the writer gave them. */
export interface HistogramStats {
  readonly min: number;
  readonly max: number;
  readonly count: number;
  readonly sum: number;
  readonly sumSquares: number;
}

export interface HistogramPoint {
  readonly step: number;
  /** UTC ms. */
  readonly ts: number;
  /** k buckets as flat rows: [left0, right0, count0, left1, right1, count1, ...]. */
  readonly buckets: Float64Array;
  readonly stats: HistogramStats | null;
}

/** One key's new points. */
export interface HistogramBatch {
  readonly key: string;
  readonly points: readonly HistogramPoint[];
}

/** What a run holds of one histogram key. */
export interface HistogramSeriesInfo {
  readonly key: string;
  readonly count: number;
  readonly firstStep: number;
  readonly lastStep: number;
  readonly lastTs: number;
}

/** Buckets TensorBoard's `tf.summary.histogram` makes by default. */
export const DEFAULT_BINS = 30;
/** Most buckets one point may have (TensorBoard's exponential scheme has 1,551). */
export const MAX_BUCKETS = 10_000;

export function bucketCount(p: HistogramPoint): number {
  return p.buckets.length / 3;
}

/**
 * Buckets values the way TensorBoard's TF2 writer does: `bins` equal widths from the least
 * to the greatest value, the last bucket closed; all values equal go to the last of `bins`
 * zero-width buckets. NaN and ±Infinity cannot be placed and are left out (of the stats too).
 */
export function histogramOfValues(values: ArrayLike<number>, bins: number = DEFAULT_BINS): { buckets: Float64Array; stats: HistogramStats } {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    count++;
    sum += v;
    sumSquares += v * v;
  }
  const buckets = new Float64Array(bins * 3);
  if (count === 0) return { buckets: new Float64Array(0), stats: { min: 0, max: 0, count: 0, sum: 0, sumSquares: 0 } };
  if (min === max) {
    for (let b = 0; b < bins; b++) {
      buckets[b * 3] = min;
      buckets[b * 3 + 1] = max;
    }
    buckets[bins * 3 - 1] = count;
  } else {
    const width = (max - min) / bins;
    for (let b = 0; b < bins; b++) {
      buckets[b * 3] = min + b * width;
      buckets[b * 3 + 1] = b === bins - 1 ? max : min + (b + 1) * width;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      // A width that underflows to 0 (subnormal spreads) leaves only the two ends apart.
      const b = width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : v === min ? 0 : bins - 1;
      buckets[b * 3 + 2]! += 1;
    }
  }
  return { buckets, stats: { min, max, count, sum, sumSquares } };
}

/** Rows from k+1 increasing edges and k counts. */
export function bucketsFromEdges(edges: ArrayLike<number>, counts: ArrayLike<number>): Float64Array {
  const k = counts.length;
  const rows = new Float64Array(k * 3);
  for (let b = 0; b < k; b++) {
    rows[b * 3] = edges[b]!;
    rows[b * 3 + 1] = edges[b + 1]!;
    rows[b * 3 + 2] = counts[b]!;
  }
  return rows;
}

/**
 * At most `max` of a series' points, spread evenly over it, the first and the last
 * always kept: what a chart of a long run shows.
 */
export function samplePoints<T>(points: readonly T[], max: number): T[] {
  const n = points.length;
  if (n <= max) return [...points];
  if (max <= 1) return [points[n - 1]!];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (n - 1)) / (max - 1))]!);
  return out;
}

/**
 * The value below which a fraction `q` of the counted values lie, read from the buckets
 * by linear interpolation inside a bucket: how a distribution chart draws its bands.
 * NaN for a point with no values.
 */
export function histogramQuantile(buckets: Float64Array, q: number): number {
  let total = 0;
  for (let i = 2; i < buckets.length; i += 3) total += buckets[i]!;
  if (total <= 0) return NaN;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i += 3) {
    const c = buckets[i + 2]!;
    if (c > 0 && seen + c >= target) {
      const left = buckets[i]!;
      const right = buckets[i + 1]!;
      return left + (right - left) * Math.min(1, Math.max(0, (target - seen) / c));
    }
    seen += c;
  }
  return buckets[buckets.length - 2]!;
}

// The JSON form: {"key", "step", "ts"?, and one of "buckets": [[l, r, c], ...],
// "edges" + "counts", or "values" (+ "bins")}, with "stats" optional beside buckets.

export interface HistogramJson {
  readonly step: number;
  readonly ts: number;
  readonly buckets: [number, number, number][];
  readonly stats: HistogramStats | null;
}

export function histogramToJson(p: HistogramPoint): HistogramJson {
  const rows: [number, number, number][] = [];
  for (let i = 0; i < p.buckets.length; i += 3) rows.push([p.buckets[i]!, p.buckets[i + 1]!, p.buckets[i + 2]!]);
  return { step: p.step, ts: p.ts, buckets: rows, stats: p.stats };
}

function invalid(field: string, problem: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', `${field}: ${problem}`, { details: { field } });
}

function finite(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw invalid(field, `expected a finite number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function numberList(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw invalid(field, 'expected a list');
  if (v.length > max) throw invalid(field, `has ${v.length} entries; at most ${max}`);
  return v;
}

function statsOf(v: unknown, field: string): HistogramStats {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, 'expected {"min", "max", "count", "sum", "sumSquares"}');
  const s = v as Record<string, unknown>;
  return {
    min: finite(s.min, `${field}.min`),
    max: finite(s.max, `${field}.max`),
    count: finite(s.count, `${field}.count`),
    sum: finite(s.sum, `${field}.sum`),
    sumSquares: finite(s.sumSquares, `${field}.sumSquares`),
  };
}

/** Checks rows: finite edges, left <= right, in order, counts >= 0. */
function checkRows(rows: Float64Array, field: string): void {
  for (let i = 0; i < rows.length; i += 3) {
    const b = i / 3;
    const [l, r, c] = [rows[i]!, rows[i + 1]!, rows[i + 2]!];
    if (!(l <= r)) throw invalid(`${field}[${b}]`, `left edge ${l} is above right edge ${r}`);
    if (!(c >= 0) || !Number.isFinite(c)) throw invalid(`${field}[${b}]`, `count must be a finite number >= 0, got ${c}`);
    if (b > 0 && l < rows[i - 2]!) throw invalid(`${field}[${b}]`, `starts at ${l}, before the previous bucket ends (${rows[i - 2]})`);
  }
}

/**
 * One histogram point from its JSON form, every problem named by its path under `field`.
 * `key` is checked here too; a point without a step is refused (a histogram is a series).
 */
export function histogramFromJson(v: unknown, field: string, now: number): { key: string; point: HistogramPoint } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, 'expected {"key", "step", "buckets" | "edges" and "counts" | "values"}');
  const o = v as Record<string, unknown>;
  const key = o.key;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_METRIC_KEY || /[\u0000-\u001f]/.test(key)) {
    throw invalid(`${field}.key`, `expected a name of 1 to ${MAX_METRIC_KEY} characters without control characters`);
  }
  if (typeof o.step !== 'number' || !Number.isSafeInteger(o.step) || o.step < 0) throw invalid(`${field}.step`, `expected a whole number >= 0, got ${JSON.stringify(o.step)?.slice(0, 40)}`);
  let ts = now;
  if (o.ts !== undefined) {
    if (typeof o.ts !== 'number' || !Number.isFinite(o.ts) || o.ts < 0) throw invalid(`${field}.ts`, 'expected a time in UTC milliseconds');
    ts = o.ts;
  }
  const forms = ['buckets', 'edges', 'values'].filter((f) => o[f] !== undefined);
  if (forms.length !== 1) throw invalid(field, `give exactly one of "buckets", "edges" (with "counts") or "values"; got ${forms.length === 0 ? 'none' : forms.join(' and ')}`);
  let buckets: Float64Array;
  let stats: HistogramStats | null = o.stats === undefined || o.stats === null ? null : statsOf(o.stats, `${field}.stats`);
  if (o.buckets !== undefined) {
    const rows = numberList(o.buckets, `${field}.buckets`, MAX_BUCKETS);
    buckets = new Float64Array(rows.length * 3);
    rows.forEach((row, b) => {
      if (!Array.isArray(row) || row.length !== 3) throw invalid(`${field}.buckets[${b}]`, 'expected [left, right, count]');
      for (let j = 0; j < 3; j++) buckets[b * 3 + j] = finite(row[j], `${field}.buckets[${b}][${j}]`);
    });
    checkRows(buckets, `${field}.buckets`);
  } else if (o.edges !== undefined) {
    const edges = numberList(o.edges, `${field}.edges`, MAX_BUCKETS + 1).map((e, i) => finite(e, `${field}.edges[${i}]`));
    const counts = numberList(o.counts, `${field}.counts`, MAX_BUCKETS).map((c, i) => finite(c, `${field}.counts[${i}]`));
    if (edges.length !== counts.length + 1) throw invalid(`${field}.edges`, `has ${edges.length} entries; expected one more than counts (${counts.length})`);
    buckets = bucketsFromEdges(edges, counts);
    checkRows(buckets, `${field}.edges`);
  } else {
    const values = numberList(o.values, `${field}.values`, 10_000_000).map((x, i) => {
      if (typeof x === 'number') return x;
      if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return Number(x);
      throw invalid(`${field}.values[${i}]`, `expected a number, got ${JSON.stringify(x)?.slice(0, 40)}`);
    });
    let bins = DEFAULT_BINS;
    if (o.bins !== undefined) {
      if (typeof o.bins !== 'number' || !Number.isSafeInteger(o.bins) || o.bins < 1 || o.bins > MAX_BUCKETS) throw invalid(`${field}.bins`, `expected a whole number from 1 to ${MAX_BUCKETS}`);
      bins = o.bins;
    }
    const h = histogramOfValues(values, bins);
    buckets = h.buckets;
    stats ??= h.stats;
  }
  return { key, point: { step: o.step, ts, buckets, stats } };
}

/** The batches a request body `{"histograms": [...]}` carries, grouped by key in arrival order. */
export function decodeHistogramsBody(body: unknown, now: number): HistogramBatch[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { histograms?: unknown }).histograms)) {
    throw invalid('histograms', 'expected {"histograms": [{"key", "step", "buckets"}, ...]}');
  }
  const byKey = new Map<string, HistogramPoint[]>();
  (body as { histograms: unknown[] }).histograms.forEach((h, i) => {
    const { key, point } = histogramFromJson(h, `histograms[${i}]`, now);
    const list = byKey.get(key);
    if (list) list.push(point);
    else byKey.set(key, [point]);
  });
  return [...byKey].map(([key, points]) => ({ key, points }));
}
