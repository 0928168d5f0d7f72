/**
 * How values are laid out in SQLite columns: metric chunks as little-endian float64
 * blobs (NaN and ±Infinity included, which REAL columns cannot keep apart), params as a
 * number and a text column beside their JSON.
 */
import type { ChunkSummary } from '../../../core/downsample.js';
import type { MetricColumns } from '../../../core/metric-series.js';
import type { ParamValue } from '../../../core/params.js';

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
