/**
 * @module core/tfevents/event-harvest
 * Gathers what an EventDecoder reads into the records Reprise stores: metric columns per
 * key, histogram batches, notes, hparams as params, a session's end. A TensorBoard run
 * in a subdirectory of the run's log folder (PyTorch's add_scalars and add_hparams make
 * them) keeps its path as a key prefix, so `sub/tag` never collides with `tag`.
 */
import type { HistogramBatch, HistogramPoint } from '../histogram.js';
import type { MetricBatch } from '../metric-series.js';
import type { ParamValue } from '../params.js';
import { MAX_NOTE_TEXT, type RunNote } from '../run-note.js';
import type { EventSink, SessionStatus } from './event-decoder.js';

interface Columns {
  steps: number[];
  ts: number[];
  values: number[];
}

export interface Harvest {
  readonly metrics: MetricBatch[];
  readonly histograms: HistogramBatch[];
  readonly notes: RunNote[];
  /** Hparams of sessions, by name; a later session's value of a name wins. */
  readonly params: Record<string, ParamValue>;
  readonly sessionEnd: { readonly status: SessionStatus; readonly ts: number } | null;
  /** Time of the earliest and latest value seen (ms), null when none. */
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Values not kept, counted by what they were. */
  readonly skipped: Record<string, number>;
  readonly points: number;
}

export class EventHarvest implements EventSink {
  #prefix = '';
  readonly #keys = new Map<string, string>();
  #scalars = new Map<string, Columns>();
  #histograms = new Map<string, HistogramPoint[]>();
  #notes: RunNote[] = [];
  #params: Record<string, ParamValue> = {};
  #sessionEnd: Harvest['sessionEnd'] = null;
  #skipped: Record<string, number> = {};
  #first: number | null = null;
  #last: number | null = null;
  #points = 0;

  /** The TensorBoard run (a directory relative to the log folder, '' for its top) whose values follow. */
  setRun(dir: string): void {
    const prefix = dir === '' || dir === '.' ? '' : `${dir}/`;
    if (prefix !== this.#prefix) this.#keys.clear();
    this.#prefix = prefix;
  }

  /** The key of a tag: its prefixed string made once, not once per point. */
  #key(tag: string): string {
    if (this.#prefix === '') return tag;
    let key = this.#keys.get(tag);
    if (key === undefined) this.#keys.set(tag, (key = this.#prefix + tag));
    return key;
  }

  #seen(ts: number): void {
    if (this.#first === null || ts < this.#first) this.#first = ts;
    if (this.#last === null || ts > this.#last) this.#last = ts;
    this.#points++;
  }

  scalar(tag: string, step: number, ts: number, value: number): void {
    const key = this.#key(tag);
    let c = this.#scalars.get(key);
    if (!c) this.#scalars.set(key, (c = { steps: [], ts: [], values: [] }));
    c.steps.push(step);
    c.ts.push(ts);
    c.values.push(value);
    this.#seen(ts);
  }

  histogram(tag: string, point: HistogramPoint): void {
    const key = this.#key(tag);
    const list = this.#histograms.get(key);
    if (list) list.push(point);
    else this.#histograms.set(key, [point]);
    this.#seen(point.ts);
  }

  text(tag: string, step: number, ts: number, text: string): void {
    this.#notes.push({ key: this.#key(tag), step, ts, text: text.length > MAX_NOTE_TEXT ? text.slice(0, MAX_NOTE_TEXT) : text });
    this.#seen(ts);
  }

  hparams(params: Record<string, ParamValue>, ts: number): void {
    Object.assign(this.#params, params);
    this.#seen(ts);
  }

  sessionEnd(status: SessionStatus, ts: number): void {
    this.#sessionEnd = { status, ts };
  }

  skipped(_tag: string, why: string): void {
    this.#skipped[why] = (this.#skipped[why] ?? 0) + 1;
  }

  /** Whether anything waits to be stored. */
  get pending(): boolean {
    return this.#scalars.size > 0 || this.#histograms.size > 0 || this.#notes.length > 0 || Object.keys(this.#params).length > 0;
  }

  /** What was gathered since the last take; starts afresh (times and skip counts go on adding up). */
  take(): Harvest {
    const metrics: MetricBatch[] = [...this.#scalars].map(([key, c]) => ({
      key,
      steps: Float64Array.from(c.steps),
      ts: Float64Array.from(c.ts),
      values: Float64Array.from(c.values),
    }));
    const out: Harvest = {
      metrics,
      histograms: [...this.#histograms].map(([key, points]) => ({ key, points })),
      notes: this.#notes,
      params: this.#params,
      sessionEnd: this.#sessionEnd,
      firstTs: this.#first,
      lastTs: this.#last,
      skipped: { ...this.#skipped },
      points: this.#points,
    };
    this.#scalars = new Map();
    this.#histograms = new Map();
    this.#notes = [];
    this.#params = {};
    this.#points = 0;
    return out;
  }
}
