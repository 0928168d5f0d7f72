/**
 * @module core/tfevents/event-decoder
 * Turns event-file records into what Reprise keeps: scalars, histograms, text and hparams,
 * whichever library wrote them (PyTorch and tensorboardX's simple values and legacy
 * histograms, TF2's tensors with plugin metadata). TensorBoard applies the first metadata a
 * tag carries to all its later values (TF1 writes it only once), so one decoder serves one
 * TensorBoard run and remembers each tag's plugin.
 */
import protobuf from 'protobufjs/light.js';
import type { HistogramPoint } from '../histogram.js';
import type { ParamValue } from '../params.js';
import { DT, eventTypes, SESSION_STATUS } from './event-schema.js';

export type SessionStatus = (typeof SESSION_STATUS)[number];

/** Where decoded values go. Times are UTC ms. */
export interface EventSink {
  scalar(tag: string, step: number, ts: number, value: number): void;
  histogram(tag: string, point: HistogramPoint): void;
  text(tag: string, step: number, ts: number, text: string): void;
  hparams(params: Record<string, ParamValue>, ts: number): void;
  sessionEnd(status: SessionStatus, ts: number): void;
  /** A value Reprise does not keep (images, audio, other plugins), or one it could not read. */
  skipped(tag: string, why: string): void;
}

/** Tags remembered per decoder; a writer making new tags without end only costs a decode each. */
const MAX_REMEMBERED_TAGS = 10_000;

/** Limits beyond this are TensorFlow's ±DBL_MAX catch-all edges, not data. */
const EDGE_OF_DOUBLES = 1e300;

interface Tensor {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: number[];
  bool_val?: boolean[];
  half_val?: number[];
  string_val?: Uint8Array[];
}

interface Histo {
  min?: number;
  max?: number;
  num?: number;
  sum?: number;
  sum_squares?: number;
  bucket_limit?: number[];
  bucket?: number[];
}

interface Value {
  tag?: string;
  node_name?: string;
  metadata?: { plugin_data?: { plugin_name?: string; content?: Uint8Array } };
  simple_value?: number;
  histo?: Histo;
  tensor?: Tensor;
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export class EventDecoder {
  /** The plugin each tag's first metadata named. */
  readonly #plugins = new Map<string, string>();
  readonly #utf8 = new TextDecoder();
  /**
   * Tags seen, by a hash of their bytes: a file repeats a few tags a million times, and
   * the same string each time spares decoding it and lets maps keyed by it find it fast.
   */
  readonly #tags = new Map<number, { readonly bytes: Uint8Array; readonly text: string }>();
  /** One reader, pointed at each payload in turn: a reader per record is garbage per record. */
  readonly #reader = new protobuf.Reader(new Uint8Array(0));

  /**
   * Decodes one record's payload into `sink`; throws only for a payload that is not an Event.
   * The Event and Summary wrappers are walked field by field with protobufjs's reader, and a
   * value that is a bare scalar (what PyTorch and tensorboardX write for every add_scalar)
   * is read in place: building message objects for those would cost more than the rest of
   * ingestion together. Any other value is decoded whole by the schema.
   */
  decode(payload: Uint8Array, sink: EventSink): void {
    eventTypes(); // the reader's int64 setting comes with the schema
    const r = this.#reader;
    r.buf = payload;
    r.pos = 0;
    r.len = payload.length;
    let wall = 0;
    let step = 0;
    let summaryStart = -1;
    let summaryEnd = -1;
    while (r.pos < r.len) {
      const key = r.uint32();
      switch (key) {
        case 0x09: // 1 wall_time, double
          wall = r.double();
          break;
        case 0x10: // 2 step, int64
          step = longToNumber(r.int64());
          break;
        case 0x2a: {
          // 5 summary, a message: remembered, read once the step and time are known
          const len = r.uint32();
          summaryStart = r.pos;
          summaryEnd = r.pos + len;
          r.skip(len);
          break;
        }
        default:
          r.skipType(key & 7);
      }
    }
    if (summaryStart < 0) return;
    // Reprise keeps times in whole ms. The Rust loader gives up on a NaN time; a value is still worth keeping.
    const ts = Number.isFinite(wall) ? Math.round(wall * 1000) : Date.now();
    r.pos = summaryStart;
    while (r.pos < summaryEnd) {
      const key = r.uint32();
      if (key !== 0x0a) {
        r.skipType(key & 7);
        continue;
      }
      const len = r.uint32();
      const end = r.pos + len;
      if (!this.#bareScalar(r, end, step, ts, sink)) {
        this.#value(eventTypes().SummaryValue.decode(payload.subarray(end - len, end)) as Value, step, ts, sink);
      }
      r.pos = end;
    }
  }

  /** Reads a Value of only a tag and a simple value; false (nothing read) for any other Value. */
  #bareScalar(r: protobuf.Reader, end: number, step: number, ts: number, sink: EventSink): boolean {
    let tag: string | undefined;
    let value: number | undefined;
    while (r.pos < end) {
      const key = r.uint32();
      if (key === 0x0a) {
        const len = r.uint32();
        const start = r.pos;
        r.skip(len);
        tag = this.#tagAt(r.buf, start, len);
      } else if (key === 0x15) value = r.float();
      else return false;
    }
    // A tag whose first metadata named a plugin is read with that plugin's rules.
    if (tag === undefined || value === undefined || this.#plugins.has(tag)) return false;
    sink.scalar(tag, step, ts, value);
    return true;
  }

  #value(v: Value, step: number, ts: number, sink: EventSink): void {
    const tag = v.tag || v.node_name || '';
    const meta = v.metadata?.plugin_data;
    if (meta?.plugin_name && !this.#plugins.has(tag)) this.#plugins.set(tag, meta.plugin_name);
    const plugin = this.#plugins.get(tag) ?? '';
    if (plugin === 'hparams') {
      // Each hparams value carries its own content; its payload, if any, means nothing.
      if (meta?.content) this.#hparams(meta.content, ts, sink);
      return;
    }
    if (has(v, 'simple_value')) return sink.scalar(tag, step, ts, v.simple_value!);
    if (has(v, 'histo')) return sink.histogram(tag, legacyHistogram(v.histo!, step, ts));
    if (!has(v, 'tensor')) return sink.skipped(tag, plugin ? `plugin ${plugin} without data` : 'an image, audio or empty value');
    const t = v.tensor!;
    switch (plugin) {
      case 'scalars': {
        const values = numbersOf(t);
        if (values.length !== 1) return sink.skipped(tag, `a scalar tensor with ${values.length} elements`);
        return sink.scalar(tag, step, ts, values[0]!);
      }
      case 'histograms': {
        const values = numbersOf(t);
        if (values.length % 3 !== 0) return sink.skipped(tag, `a histogram tensor of ${values.length} elements, not rows of 3`);
        return sink.histogram(tag, { step, ts, buckets: Float64Array.from(values), stats: null });
      }
      case 'text':
        if (t.dtype !== DT.STRING) return sink.skipped(tag, 'a text tensor that holds no strings');
        return sink.text(tag, step, ts, (t.string_val ?? []).map((b) => this.#utf8.decode(b)).join('\n'));
      default:
        return sink.skipped(tag, plugin ? `plugin ${plugin}` : 'a tensor without plugin metadata');
    }
  }

  #tagAt(buf: Uint8Array, start: number, len: number): string {
    let h = len;
    for (let i = 0; i < len; i++) h = (Math.imul(h, 31) + buf[start + i]!) | 0;
    const seen = this.#tags.get(h);
    if (seen && seen.bytes.length === len) {
      let same = true;
      for (let i = 0; i < len && same; i++) same = seen.bytes[i] === buf[start + i];
      if (same) return seen.text;
    }
    const bytes = buf.slice(start, start + len);
    const text = this.#utf8.decode(bytes);
    if (this.#tags.size >= MAX_REMEMBERED_TAGS) this.#tags.clear();
    this.#tags.set(h, { bytes, text });
    return text;
  }

  #hparams(content: Uint8Array, ts: number, sink: EventSink): void {
    const data = eventTypes().HParamsPluginData.decode(content) as unknown as {
      session_start_info?: { hparams?: Record<string, ProtoValue>; start_time_secs?: number };
      session_end_info?: { status?: number; end_time_secs?: number };
    };
    if (data.session_start_info) {
      const params: Record<string, ParamValue> = {};
      for (const [name, value] of Object.entries(data.session_start_info.hparams ?? {})) params[name] = paramOf(value);
      const start = data.session_start_info.start_time_secs;
      sink.hparams(params, start ? Math.round(start * 1000) : ts);
    }
    if (data.session_end_info) {
      const end = data.session_end_info.end_time_secs;
      sink.sessionEnd(SESSION_STATUS[data.session_end_info.status ?? 0] ?? 'unknown', end ? Math.round(end * 1000) : ts);
    }
  }
}

/** protobufjs gives int64 as a Long (its high half signed) when the long package is there, else as a number. */
function longToNumber(v: number | protobuf.Long): number {
  return typeof v === 'number' ? v : v.high * 4294967296 + (v.low >>> 0);
}

interface ProtoValue {
  null_value?: number;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  list_value?: { values?: ProtoValue[] };
}

function plainOf(v: ProtoValue): unknown {
  if (has(v, 'number_value')) return v.number_value;
  if (has(v, 'string_value')) return v.string_value;
  if (has(v, 'bool_value')) return v.bool_value;
  if (has(v, 'list_value')) return (v.list_value?.values ?? []).map(plainOf);
  return null;
}

function paramOf(v: ProtoValue): ParamValue {
  const plain = plainOf(v);
  return Array.isArray(plain) ? JSON.stringify(plain) : (plain as ParamValue);
}

/**
 * A legacy HistogramProto as rows. Writers pad with empty buckets at both ends (PyTorch
 * and tensorboardX start with one, TF1 ends with ±DBL_MAX), so those are dropped; a row's
 * left edge is the previous limit, or the minimum for the first bucket.
 */
export function legacyHistogram(h: Histo, step: number, ts: number): HistogramPoint {
  const limits = h.bucket_limit ?? [];
  const counts = h.bucket ?? [];
  const min = h.min ?? 0;
  const max = h.max ?? 0;
  let first = 0;
  let last = Math.min(limits.length, counts.length) - 1;
  while (first <= last && counts[first] === 0) first++;
  while (last >= first && counts[last] === 0) last--;
  const rows = new Float64Array(Math.max(0, last - first + 1) * 3);
  for (let i = first, r = 0; i <= last; i++, r += 3) {
    const left = i > 0 ? limits[i - 1]! : min;
    const right = limits[i]!;
    rows[r] = left <= -EDGE_OF_DOUBLES ? min : left;
    rows[r + 1] = right >= EDGE_OF_DOUBLES ? max : right;
    rows[r + 2] = counts[i]!;
  }
  return { step, ts, buckets: rows, stats: { min, max, count: h.num ?? 0, sum: h.sum ?? 0, sumSquares: h.sum_squares ?? 0 } };
}

/** A numeric tensor's elements, from its raw content or its typed value list. */
export function numbersOf(t: Tensor): number[] {
  const raw = t.tensor_content;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const read = (width: number, get: (off: number) => number): number[] => {
      const out: number[] = new Array(Math.floor(raw.length / width));
      for (let i = 0; i < out.length; i++) out[i] = get(i * width);
      return out;
    };
    switch (t.dtype) {
      case DT.FLOAT:
        return read(4, (o) => view.getFloat32(o, true));
      case DT.DOUBLE:
        return read(8, (o) => view.getFloat64(o, true));
      case DT.INT32:
        return read(4, (o) => view.getInt32(o, true));
      case DT.INT64:
        return read(8, (o) => Number(view.getBigInt64(o, true)));
      case DT.INT16:
        return read(2, (o) => view.getInt16(o, true));
      case DT.UINT16:
        return read(2, (o) => view.getUint16(o, true));
      case DT.INT8:
        return read(1, (o) => view.getInt8(o));
      case DT.UINT8:
      case DT.BOOL:
        return read(1, (o) => view.getUint8(o));
      case DT.HALF:
        return read(2, (o) => halfToNumber(view.getUint16(o, true)));
      default:
        return [];
    }
  }
  if (t.float_val?.length) return t.float_val;
  if (t.double_val?.length) return t.double_val;
  if (t.int_val?.length) return t.int_val;
  if (t.int64_val?.length) return t.int64_val.map(Number);
  if (t.half_val?.length) return t.half_val.map(halfToNumber);
  if (t.bool_val?.length) return t.bool_val.map(Number);
  return [];
}

/** IEEE half precision from its 16 bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
