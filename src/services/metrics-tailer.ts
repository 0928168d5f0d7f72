/**
 * @module services/metrics-tailer
 * Reads a run's metrics file while its stages write it, and stores what it reads. The
 * file is polled (inotify is not reliable on every filesystem a run folder may be on);
 * only whole lines are taken until the end, when a last line without a newline counts
 * too. A bad line is counted and reported with its number, never fatal.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { parseMetricLine } from '../core/metric-line.js';
import type { HistogramPoint } from '../core/histogram.js';
import { batchesFromPoints, type MetricPoint } from '../core/metric-series.js';
import type { MetadataStore } from '../ports/metadata-store.js';

/** How often the file is read while stages run: the latency of live metrics. */
export const METRICS_POLL_MS = 250;
const MAX_EXAMPLES = 20;

export interface MetricProblem {
  readonly line: number;
  readonly problem: string;
}

export class MetricsTailer {
  readonly #path: string;
  readonly #store: MetadataStore;
  readonly #runId: string;
  readonly #onProblem: (p: MetricProblem) => void;
  #offset = 0;
  #partial = '';
  /** Keeps a character split across two reads whole. */
  readonly #decoder = new StringDecoder('utf8');
  #lineNo = 0;
  #problemCount = 0;
  readonly #examples: MetricProblem[] = [];
  /** The next step for a key whose lines give none: one past the last seen. */
  readonly #nextStep = new Map<string, number>();
  /** The same for histogram keys, a series apart from a metric of the same name. */
  readonly #nextHistogramStep = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #error: unknown;

  constructor(opts: { path: string; store: MetadataStore; runId: string; onProblem: (p: MetricProblem) => void }) {
    this.#path = opts.path;
    this.#store = opts.store;
    this.#runId = opts.runId;
    this.#onProblem = opts.onProblem;
  }

  start(): void {
    this.#timer = setInterval(() => this.#schedule(false), METRICS_POLL_MS);
  }

  /** Reads to the end, stores the rest, and stops. Throws if storing ever failed. */
  async stop(): Promise<{ count: number; examples: MetricProblem[] }> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#schedule(true);
    await this.#reading;
    if (this.#error) throw this.#error;
    return { count: this.#problemCount, examples: [...this.#examples] };
  }

  /** Reads are chained so two never overlap. */
  #schedule(final: boolean): void {
    this.#reading = this.#reading.then(() => this.#readOnce(final)).catch((e: unknown) => {
      this.#error ??= e;
    });
  }

  async #readOnce(final: boolean): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.#path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const points: MetricPoint[] = [];
    const histograms = new Map<string, HistogramPoint[]>();
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        const text = this.#partial + this.#decoder.write(buf.subarray(0, bytesRead));
        const lines = text.split('\n');
        this.#partial = lines.pop() ?? '';
        for (const line of lines) this.#take(line, points, histograms);
      }
    } finally {
      await fh.close();
    }
    if (final && this.#partial !== '') {
      this.#take(this.#partial, points, histograms);
      this.#partial = '';
    }
    if (points.length > 0) await this.#store.appendMetrics(this.#runId, batchesFromPoints(points));
    if (histograms.size > 0) await this.#store.appendHistograms(this.#runId, [...histograms].map(([key, list]) => ({ key, points: list })));
  }

  #take(line: string, into: MetricPoint[], histograms: Map<string, HistogramPoint[]>): void {
    this.#lineNo++;
    const parsed = parseMetricLine(line);
    const now = Date.now();
    const h = parsed.histogram;
    if (h) {
      const step = h.stepGiven ? h.point.step : (this.#nextHistogramStep.get(h.key) ?? 0);
      this.#nextHistogramStep.set(h.key, Math.max(this.#nextHistogramStep.get(h.key) ?? 0, step + 1));
      const list = histograms.get(h.key) ?? [];
      list.push({ ...h.point, step, ts: h.tsGiven ? h.point.ts : now });
      histograms.set(h.key, list);
    }
    for (const p of parsed.points) {
      const step = p.step ?? this.#nextStep.get(p.key) ?? 0;
      this.#nextStep.set(p.key, Math.max(this.#nextStep.get(p.key) ?? 0, step + 1));
      into.push({ key: p.key, step, ts: p.ts ?? now, value: p.value });
    }
    if (parsed.problems.length > 0) {
      this.#problemCount++;
      const entry = { line: this.#lineNo, problem: parsed.problems.join('; ') };
      if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(entry);
      this.#onProblem(entry);
    }
  }
}
