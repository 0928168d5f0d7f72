/**
 * @module services/prediction-recorder
 * What the serving path writes, kept off it: every request is counted into its minute's
 * traffic (requests, errors, latency histogram), and a share of them (the model's sample
 * rate) is kept whole for drift scoring. Both are buffered and written in batches about
 * once a second, so a prediction never waits on the store; a failed write is retried
 * with the next batch.
 */
import { addCounts, latencyBucket, LATENCY_EDGES_MS, type PredictionSample, type TrafficBucket } from '../core/model-monitoring.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import type { MonitorSettingsSource } from './monitor-settings.js';

/** Samples held while the store is away, at most; the oldest are dropped beyond it. */
const MAX_BUFFERED_SAMPLES = 50_000;

export interface RecorderDeps {
  readonly monitoring: MonitoringStore;
  readonly settings: MonitorSettingsSource;
  /** Names this serving process in the traffic it counts. */
  readonly node: string;
  readonly flushMs?: number;
  readonly random?: () => number;
  readonly onError?: (message: string) => void;
}

export class PredictionRecorder {
  #samples: PredictionSample[] = [];
  #traffic = new Map<string, { model: string; version: number; start: number; requests: number; errors: number; latency: number[] }>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(private readonly d: RecorderDeps) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.d.flushMs ?? 1000);
    this.#timer.unref();
  }

  /** Counts one answered (or failed) request, and keeps it when it is sampled. */
  record(s: Omit<PredictionSample, 'feedback'>): void {
    const start = Math.floor(s.at / 60_000) * 60_000;
    const key = `${s.model}\0${s.version}\0${start}`;
    let b = this.#traffic.get(key);
    if (!b) {
      b = { model: s.model, version: s.version, start, requests: 0, errors: 0, latency: new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0) };
      this.#traffic.set(key, b);
    }
    b.requests++;
    if (s.error !== null) b.errors++;
    b.latency[latencyBucket(s.latencyMs)]!++;
    const rate = this.d.settings.cached(s.model).sampleRate;
    if (rate > 0 && (rate >= 1 || (this.d.random ?? Math.random)() < rate)) {
      this.#samples.push({ ...s, feedback: null });
      if (this.#samples.length > MAX_BUFFERED_SAMPLES) this.#samples.splice(0, this.#samples.length - MAX_BUFFERED_SAMPLES);
    }
  }

  /** Writes what is buffered; one flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const samples = this.#samples;
    const traffic = [...this.#traffic.values()];
    this.#samples = [];
    this.#traffic = new Map();
    if (samples.length > 0) {
      try {
        await this.d.monitoring.addSamples(samples);
      } catch (e) {
        this.#samples = [...samples, ...this.#samples];
        this.d.onError?.(`sampled requests not stored yet (${samples.length}), retried: ${(e as Error).message}`);
      }
    }
    if (traffic.length > 0) {
      const buckets: TrafficBucket[] = traffic.map((t) => ({ ...t, node: this.d.node }));
      try {
        await this.d.monitoring.addTraffic(buckets);
      } catch (e) {
        for (const t of traffic) {
          const key = `${t.model}\0${t.version}\0${t.start}`;
          const now = this.#traffic.get(key);
          if (!now) this.#traffic.set(key, t);
          else {
            now.requests += t.requests;
            now.errors += t.errors;
            now.latency = addCounts(now.latency, t.latency);
          }
        }
        this.d.onError?.(`traffic counts not stored yet, retried: ${(e as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    // What a flush running at close left behind.
    if (this.#samples.length > 0 || this.#traffic.size > 0) await this.flush();
  }
}
