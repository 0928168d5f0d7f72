/**
 * @module adapters/metadata-store/sqlite/sqlite-encoding
 * How values are laid out in the SQL stores' columns, SQLite's first and PostgreSQL's
 * the same (`../postgres/` imports this): metric chunks as little-endian float64 blobs
 * (NaN and ±Infinity included, which REAL columns cannot keep apart), cut and joined as
 * appends fill them; a histogram point's buckets as one float64 blob; params as a number
 * and a text column beside their JSON; and NaN as NULL in the summary columns that
 * searches compare.
 */
import type { ChunkSummary } from '../../../core/downsample.js';
import type { HistogramPoint, HistogramStats } from '../../../core/histogram.js';
import type { MetricColumns } from '../../../core/metric-series.js';
import type { ParamValue } from '../../../core/params.js';
import type { HistogramsTable } from './sqlite-schema.js';

export interface EncodedChunk {
  readonly steps: Buffer;
  readonly ts: Buffer;
  readonly vals: Buffer;
  readonly minStep: number;
  readonly maxStep: number;
  /** The chunk's lowest and highest value and its last point (see `ChunkSummary`), 96 bytes. */
  readonly summary: Buffer;
}

function bytes(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeChunk(c: MetricColumns): EncodedChunk {
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (const s of c.steps) {
    if (s < minStep) minStep = s;
    if (s > maxStep) maxStep = s;
  }
  const { values, steps, ts } = c;
  let lo = -1;
  let hi = -1;
  // First occurrences, NaN skipped: what a scan in order picks.
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v && (lo < 0 || v < values[lo]!)) lo = i;
    if (v === v && (hi < 0 || v > values[hi]!)) hi = i;
  }
  const n = values.length;
  const at = (i: number): number[] => (i < 0 ? [-1, 0, 0, 0] : [i, steps[i]!, ts[i]!, values[i]!]);
  const summary = Float64Array.from([...at(lo), ...at(hi), ...at(n - 1)]);
  return { steps: bytes(steps), ts: bytes(ts), vals: bytes(values), minStep, maxStep, summary: bytes(summary) };
}

/** A stored chunk in brief: enough to sample it without reading its points when it falls inside one bucket. */
export function decodeSummary(b: Buffer): ChunkSummary {
  const f = new Float64Array(12);
  new Uint8Array(f.buffer).set(b.subarray(0, 96));
  const pt = (o: number) => ({ index: f[o]!, step: f[o + 1]!, ts: f[o + 2]!, value: f[o + 3]! });
  return { min: pt(0), max: pt(4), last: pt(8) };
}

/**
 * Copies the chunks' columns into one set of arrays of `total` points. Blobs come back
 * from SQLite at any byte offset, so they are copied, never viewed in place.
 */
export function decodeChunks(chunks: readonly { n: number; steps: Buffer; ts: Buffer; vals: Buffer }[], total: number): MetricColumns {
  const steps = new Float64Array(total);
  const ts = new Float64Array(total);
  const values = new Float64Array(total);
  const s8 = new Uint8Array(steps.buffer);
  const t8 = new Uint8Array(ts.buffer);
  const v8 = new Uint8Array(values.buffer);
  let at = 0;
  for (const c of chunks) {
    s8.set(c.steps, at * 8);
    t8.set(c.ts, at * 8);
    v8.set(c.vals, at * 8);
    at += c.n;
  }
  return { steps, ts, values };
}

export function paramColumns(v: ParamValue): { num: number | null; text: string | null; json: string } {
  if (typeof v === 'number') return { num: v, text: String(v), json: JSON.stringify(v) };
  if (typeof v === 'boolean') return { num: v ? 1 : 0, text: String(v), json: JSON.stringify(v) };
  if (v === null) return { num: null, text: null, json: 'null' };
  return { num: null, text: v, json: JSON.stringify(v) };
}

/** Whether this machine lays a Float64Array out little-endian, as the stored blobs are. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bucket rows as the stored blob: float64 little-endian, whatever this machine's order. */
export function bucketBytes(rows: Float64Array): Buffer {
  if (HOST_LITTLE_ENDIAN) return Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const out = Buffer.allocUnsafe(rows.length * 8);
  for (let i = 0; i < rows.length; i++) out.writeDoubleLE(rows[i]!, i * 8);
  return out;
}

/** The blob back as rows; copied, never viewed in place (the drivers' buffers sit at any byte offset). */
export function bucketsOf(b: Buffer): Float64Array {
  const out = new Float64Array(Math.floor(b.length / 8));
  if (HOST_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b.subarray(0, out.length * 8));
  else for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(i * 8);
  return out;
}

/** A histogram point's row back as the point. */
export function histogramFromRow(r: Pick<HistogramsTable, 'step' | 'ts' | 'min' | 'max' | 'count' | 'sum' | 'sum_squares' | 'buckets'>): HistogramPoint {
  // All NULL: the writer gave no stats. One NULL among values was a NaN.
  const stats: HistogramStats | null =
    r.min === null && r.max === null && r.count === null && r.sum === null && r.sum_squares === null
      ? null
      : { min: nullAsNaN(r.min), max: nullAsNaN(r.max), count: nullAsNaN(r.count), sum: nullAsNaN(r.sum), sumSquares: nullAsNaN(r.sum_squares) };
  return { step: r.step, ts: r.ts, buckets: bucketsOf(r.buckets), stats };
}

/** Points `from` to `to` of the columns, viewed in place. */
export function sliceColumns(c: MetricColumns, from: number, to: number): MetricColumns {
  return { steps: c.steps.subarray(from, to), ts: c.ts.subarray(from, to), values: c.values.subarray(from, to) };
}

export function concatColumns(a: MetricColumns, b: MetricColumns): MetricColumns {
  const join = (x: Float64Array, y: Float64Array): Float64Array => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return { steps: join(a.steps, b.steps), ts: join(a.ts, b.ts), values: join(a.values, b.values) };
}

/** A summary column's value: NULL stands for NaN (SQLite cannot hold NaN), so that a NaN compares as no value in either store. */
export function nanAsNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

/** NULL read back as NaN (no summary column is otherwise nullable). */
export function nullAsNaN(v: number | null): number {
  return v === null ? NaN : v;
}
