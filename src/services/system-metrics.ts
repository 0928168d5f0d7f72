/**
 * @module services/system-metrics
 * Samples the machine and a run's processes while the run executes (ports/system-monitor)
 * and stores each sample as metric points under `system/`: one point per key per sample,
 * its step the sample's number (0, 1, 2, ...). Samples never overlap: the next is timed
 * from the end of the last, so a slow one delays it rather than pile up. A failed store
 * loses that sample only; sampling goes on, since the run matters more than its metrics.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../core/duration.js';
import { RepriseError } from '../core/errors.js';
import type { MetricBatch } from '../core/metric-series.js';
import type { MetadataStore, MetricWriter } from '../ports/metadata-store.js';
import type { SampleScope, SystemProbe } from '../ports/system-monitor.js';

export const SYSTEM_METRICS_INTERVAL_VAR = 'REPRISE_SYSTEM_METRICS_INTERVAL';
export const DEFAULT_SYSTEM_METRICS_INTERVAL_MS = 5_000;
/** Below this, scanning every process of the machine would itself be the load measured. */
export const MIN_SYSTEM_METRICS_INTERVAL_MS = 100;

export interface SystemMetricsOptions {
  readonly probe: SystemProbe;
  readonly store: Pick<MetadataStore, 'appendMetrics'>;
  readonly runId: string;
  /** 0 = off. */
  readonly intervalMs: number;
  /** Asked at each tick. */
  readonly scope: () => SampleScope;
  /** A failed append (or a failed sample), said once. */
  readonly onProblem?: (message: string) => void;
}

export class SystemMetrics {
  readonly #o: SystemMetricsOptions;
  /** Random per instance, so the store skips a resent append and never confuses two runners. */
  readonly #writerId = randomBytes(8).toString('hex');
  #seq = 0;
  #step = 0;
  #started = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** The sample under way, if any: stop() waits for it before its last one. */
  #ticking: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #saidStoreProblem = false;
  #saidSampleProblem = false;

  constructor(o: SystemMetricsOptions) {
    this.#o = o;
  }

  /** Takes a first sample now (it primes the rates), then one every interval. */
  start(): void {
    if (this.#started || this.#stopped || !(this.#o.intervalMs > 0)) return;
    this.#started = true;
    this.#run();
  }

  /** Takes a last sample, stores it, and stops. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      if (!this.#started) return;
      await this.#ticking;
      await this.#tick();
    })();
    return this.#stopping;
  }

  #run(): void {
    this.#ticking = this.#tick().then(() => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#run();
      }, this.#o.intervalMs);
      this.#timer.unref();
    });
  }

  /** Never rejects. */
  async #tick(): Promise<void> {
    const step = this.#step++;
    let sample: Record<string, number>;
    try {
      sample = await this.#o.probe.sample(this.#o.scope());
    } catch (e) {
      if (!this.#saidSampleProblem) {
        this.#saidSampleProblem = true;
        this.#o.onProblem?.(`system metrics: a sample failed: ${message(e)}`);
      }
      return;
    }
    const ts = Date.now();
    const batches: MetricBatch[] = Object.keys(sample)
      .filter((key) => Number.isFinite(sample[key]))
      .sort()
      .map((key) => ({ key, steps: Float64Array.of(step), ts: Float64Array.of(ts), values: Float64Array.of(sample[key]!) }));
    if (batches.length === 0) return;
    const writer: MetricWriter = { id: this.#writerId, seq: ++this.#seq };
    try {
      await this.#o.store.appendMetrics(this.#o.runId, batches, writer);
    } catch (e) {
      if (!this.#saidStoreProblem) {
        this.#saidStoreProblem = true;
        this.#o.onProblem?.(`system metrics: storing a sample failed: ${message(e)}`);
      }
    }
  }
}

/**
 * The sampling interval from REPRISE_SYSTEM_METRICS_INTERVAL, in ms; 5 s when unset or
 * empty. Accepted: `0` or `off` (disabled), or a duration as core/duration reads it, a
 * number with one of `s`, `m`, `h`, `d`, `w`, decimals allowed (`5s`, `0.5s`, `1m`);
 * `ms` is not a unit there, so half a second is `0.5s`. At least 100 ms unless disabled.
 * Anything else: REPRISE_ERR_ARG_INVALID naming the variable.
 */
export function systemMetricsInterval(env: NodeJS.ProcessEnv): number {
  const raw = env[SYSTEM_METRICS_INTERVAL_VAR];
  if (raw === undefined || raw.trim() === '') return DEFAULT_SYSTEM_METRICS_INTERVAL_MS;
  const text = raw.trim();
  if (text.toLowerCase() === 'off') return 0;
  const hint = `set ${SYSTEM_METRICS_INTERVAL_VAR} to a duration like 5s, 0.5s or 1m, or to 0 or off to stop sampling system metrics`;
  let ms: number;
  try {
    ms = parseDuration(text, SYSTEM_METRICS_INTERVAL_VAR);
  } catch (e) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${SYSTEM_METRICS_INTERVAL_VAR} ${JSON.stringify(raw)}: expected a duration like 5s, 0.5s or 1m, or 0 or off`, {
      hint,
      details: { variable: SYSTEM_METRICS_INTERVAL_VAR, value: raw },
      cause: e,
    });
  }
  if (ms > 0 && ms < MIN_SYSTEM_METRICS_INTERVAL_MS) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${SYSTEM_METRICS_INTERVAL_VAR} ${JSON.stringify(raw)}: under the shortest interval, ${MIN_SYSTEM_METRICS_INTERVAL_MS} ms (0.1s)`, {
      hint,
      details: { variable: SYSTEM_METRICS_INTERVAL_VAR, value: raw },
    });
  }
  return ms;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
