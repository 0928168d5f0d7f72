/**
 * @module adapters/metadata-store/postgres/postgres-encoding
 * Values as the PostgreSQL store lays them out beyond what it shares with SQLite (metric
 * chunks and params: `../sqlite/sqlite-encoding.ts`): a histogram point's buckets as one
 * bytea of float64 little-endian, column pieces cut and joined for chunking, and NaN as
 * NULL in the summary columns that searches compare.
 */
import type { MetricColumns } from '../../../core/metric-series.js';

/** Whether this machine lays a Float64Array out little-endian, as the stored bytes are. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bucket rows as stored: float64 little-endian, whatever this machine's order. */
export function bucketBytes(rows: Float64Array): Buffer {
  if (HOST_LITTLE_ENDIAN) return Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  const out = Buffer.allocUnsafe(rows.length * 8);
  for (let i = 0; i < rows.length; i++) out.writeDoubleLE(rows[i]!, i * 8);
  return out;
}

/** The bytes back as rows; copied, since the driver's buffers sit at any byte offset. */
export function bucketsOf(b: Buffer): Float64Array {
  const out = new Float64Array(Math.floor(b.length / 8));
  if (HOST_LITTLE_ENDIAN) new Uint8Array(out.buffer).set(b.subarray(0, out.length * 8));
  else for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(i * 8);
  return out;
}

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

/** A summary column's value: NULL stands for NaN, so that a NaN compares as no value, as in SQLite. */
export function nanAsNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

export function nullAsNaN(v: number | null): number {
  return v === null ? NaN : v;
}
