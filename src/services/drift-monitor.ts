/**
 * @module services/drift-monitor
 * Production windows scored and judged. Time is cut into windows of the model's length
 * (aligned to the epoch, so every process cuts the same ones); each window that has
 * closed is scored once: its sampled inputs and outputs against the reference profile of
 * the version that answered most of them, its feedback as live accuracy or error, its
 * traffic as error rate and p99 latency. What crosses a threshold raises an alert.
 * Several processes scoring the same window store the same result, and an alert already
 * open is seen again rather than raised twice.
 */
import { scoreWindow } from '../core/drift.js';
import { outputColumn, parseReferenceProfile, type ReferenceProfile } from '../core/feature-profile.js';
import { latencyPercentile, mergedLatency, shareText, type DriftWindow, type MonitorSettings, type NewAlert, type PredictionSample } from '../core/model-monitoring.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import type { AlertService } from './alert-service.js';
import type { MonitorSettingsSource } from './monitor-settings.js';
import type { ReferenceProfiles } from './reference-profiles.js';

/** Windows scored per model in one pass, at most (a long-stopped monitor catches up over several). */
const MAX_WINDOWS_PER_PASS = 48;
/** How long after a window closes its last samples may still be on their way to the store (the recorder writes every second). */
const SETTLE_MS = 3_000;
/** Labelled rows a window needs before its accuracy is judged. */
const MIN_LABELLED = 10;

export interface DriftMonitorDeps {
  readonly monitoring: MonitoringStore;
  readonly settings: MonitorSettingsSource;
  readonly profiles: ReferenceProfiles;
  readonly alerts: AlertService;
  readonly now?: () => number;
  readonly say?: (message: string) => void;
}

export class DriftMonitor {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly d: DriftMonitorDeps) {}

  /** Scores the closed windows of the models `watched` names every `tickMs`; windows before `since` are left alone. */
  start(watched: () => string[], since: number, tickMs = 5_000): void {
    this.#timer ??= setInterval(() => {
      this.#running ??= this.pass(watched(), since)
        .then(() => undefined)
        .catch((e: unknown) => this.d.say?.(`drift scoring failed, tried again: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => (this.#running = undefined));
    }, tickMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over the models: their closed windows not yet scored, and sampled requests past retention removed. */
  async pass(models: readonly string[], since: number): Promise<DriftWindow[]> {
    const out: DriftWindow[] = [];
    for (const model of models) out.push(...(await this.scoreClosed(model, since)));
    return out;
  }

  async scoreClosed(model: string, since: number): Promise<DriftWindow[]> {
    const settings = await this.d.settings.get(model);
    const now = this.#now();
    await this.d.monitoring.pruneSamples(model, now - settings.retentionMs);
    const w = settings.windowMs;
    const last = await this.d.monitoring.lastDriftWindow(model);
    let start = last !== undefined ? last + w : Math.floor(since / w) * w;
    // A window is scored once, so only after the samples of its last moments can have been written (they are batched).
    const closedEnd = Math.floor((now - SETTLE_MS) / w) * w;
    const out: DriftWindow[] = [];
    while (start + w <= closedEnd && out.length < MAX_WINDOWS_PER_PASS) {
      // Windows nobody asked anything in are skipped, not stored: after a quiet week the next busy one is found at once.
      const next = await this.#firstActivity(model, start, closedEnd);
      if (next === undefined) break;
      start = Math.max(start, Math.floor(next / w) * w);
      out.push(await this.scoreWindow(model, start, start + w, settings));
      start += w;
    }
    return out;
  }

  /** When the first sampled request or counted minute at or after `from` (and before `to`) is; undefined when none. */
  async #firstActivity(model: string, from: number, to: number): Promise<number | undefined> {
    const [sample] = await this.d.monitoring.samples({ model, from, to, limit: 1 });
    const traffic = await this.d.monitoring.traffic({ model, from: Math.floor(from / 60_000) * 60_000, to: sample ? sample.at + 1 : to });
    const minute = traffic.find((t) => t.start + 60_000 > from)?.start;
    const times = [sample?.at, minute !== undefined ? Math.max(minute, from) : undefined].filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Scores one window, stores it, and raises what it breaches. */
  async scoreWindow(model: string, start: number, end: number, settings: MonitorSettings): Promise<DriftWindow> {
    const samples = await this.d.monitoring.samples({ model, from: start, to: end });
    const traffic = await this.d.monitoring.traffic({ model, from: start, to: end });
    const version = majorityVersion(samples) ?? traffic[0]?.version ?? null;
    const mine = samples.filter((s) => s.version === version);
    const rows = mine.flatMap((s) => s.inputs);
    let window: DriftWindow = { model, version: version ?? 0, start, end, rows: rows.length, features: [], prediction: null, live: { labelled: 0, accuracy: null, meanAbsoluteError: null }, skipped: null, computedAt: this.#now() };
    if (version === null) window = { ...window, skipped: 'no requests in the window' };
    else {
      const stored = await this.d.profiles.ensure({ model, version }).catch((e: unknown) => ({ profile: null, error: e instanceof Error ? e.message : String(e) }));
      const reference = stored.profile ? parseReferenceProfile(stored.profile) : null;
      if (!reference) window = { ...window, skipped: `no reference profile for version ${version}: ${stored.error ?? 'none was made'}` };
      else if (rows.length < settings.minRows) window = { ...window, skipped: `${rows.length} sampled rows, fewer than the ${settings.minRows} a window needs` };
      else {
        // The predictions of the requests answered (a failed one has none); the inputs of all.
        const answered = mine.flatMap((s) => s.outputs ?? []);
        const outputs = answered.length > 0 ? answered : null;
        const scores = scoreWindow(reference, rows, outputs, settings.thresholds);
        window = { ...window, features: scores.features, prediction: scores.prediction, live: liveMetrics(mine, reference) };
      }
    }
    await this.d.monitoring.putDriftWindow(window);
    await this.#judge(window, traffic, settings);
    return window;
  }

  async #judge(w: DriftWindow, traffic: Awaited<ReturnType<MonitoringStore['traffic']>>, s: MonitorSettings): Promise<void> {
    const when = `in the window ${iso(w.start)} to ${iso(w.end)}`;
    const base = { model: w.model, version: w.version || null, windowStart: w.start, raisedAt: this.#now() };
    const raise = (a: Omit<NewAlert, keyof typeof base>) => this.d.alerts.raise({ ...base, ...a });
    for (const f of w.features.filter((x) => x.drifted)) {
      await raise({ kind: 'drift', subject: f.feature, message: `feature ${f.feature} drifted ${when} (${f.reasons.join(', ')}; ${f.rows} rows)`, value: f.psi, threshold: s.thresholds.psi });
    }
    if (w.prediction?.drifted) {
      await raise({ kind: 'prediction-drift', subject: null, message: `the predictions drifted from the training target ${when} (${w.prediction.reasons.join(', ')})`, value: w.prediction.psi, threshold: s.thresholds.psi });
    }
    const requests = traffic.reduce((a, t) => a + t.requests, 0);
    const errors = traffic.reduce((a, t) => a + t.errors, 0);
    if (requests >= s.minRows && errors / requests > s.thresholds.errorRate) {
      const rate = errors / requests;
      await raise({ kind: 'errors', subject: null, message: `${shareText(rate)} of requests failed ${when} (${errors} of ${requests}; threshold ${shareText(s.thresholds.errorRate)})`, value: rate, threshold: s.thresholds.errorRate });
    }
    if (s.thresholds.latencyP99Ms !== null && requests >= s.minRows) {
      const p99 = latencyPercentile(mergedLatency(traffic), 99);
      if (p99 !== null && p99 > s.thresholds.latencyP99Ms) {
        await raise({ kind: 'latency', subject: null, message: `p99 latency was ${p99} ms ${when} (threshold ${s.thresholds.latencyP99Ms} ms)`, value: p99, threshold: s.thresholds.latencyP99Ms });
      }
    }
    if (s.thresholds.accuracy !== null && w.live.accuracy !== null && w.live.labelled >= MIN_LABELLED && w.live.accuracy < s.thresholds.accuracy) {
      await raise({ kind: 'accuracy', subject: null, message: `accuracy on feedback was ${shareText(w.live.accuracy)} ${when} (${w.live.labelled} labelled rows; threshold ${shareText(s.thresholds.accuracy)})`, value: w.live.accuracy, threshold: s.thresholds.accuracy });
    }
  }

  #now(): number {
    return (this.d.now ?? Date.now)();
  }
}

function majorityVersion(samples: readonly PredictionSample[]): number | null {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s.version, (counts.get(s.version) ?? 0) + s.inputs.length);
  let best: number | null = null;
  for (const [v, c] of counts) if (best === null || c > counts.get(best)!) best = v;
  return best;
}

/** Accuracy (a category target) or mean absolute error (a numeric one) over the rows that got feedback. */
function liveMetrics(samples: readonly PredictionSample[], reference: ReferenceProfile): DriftWindow['live'] {
  const target = reference.target;
  const pairs: { predicted: unknown; truth: unknown }[] = [];
  for (const s of samples) {
    if (!s.feedback || !s.outputs) continue;
    s.feedback.forEach((truth, i) => {
      if (truth !== null && truth !== undefined && i < s.outputs!.length) pairs.push({ predicted: s.outputs![i], truth });
    });
  }
  if (pairs.length === 0) return { labelled: 0, accuracy: null, meanAbsoluteError: null };
  if (target?.kind === 'number' || (target === null && pairs.every((p) => typeof p.truth === 'number'))) {
    const predicted = target ? outputColumn(pairs.map((p) => p.predicted), target).values : Float64Array.from(pairs.map((p) => Number(p.predicted)));
    let sum = 0;
    let right = 0;
    let n = 0;
    pairs.forEach((p, i) => {
      const a = Number(predicted[i]);
      const b = Number(p.truth);
      if (Number.isFinite(a) && Number.isFinite(b)) {
        sum += Math.abs(a - b);
        if (a === b) right++;
        n++;
      }
    });
    // Whole-number truths are class labels as often as quantities: both measures then.
    const labels = n > 0 && pairs.every((p) => Number.isInteger(Number(p.truth)));
    return { labelled: pairs.length, accuracy: labels ? right / n : null, meanAbsoluteError: n > 0 ? sum / n : null };
  }
  const predicted = target ? outputColumn(pairs.map((p) => p.predicted), target).values : pairs.map((p) => String(p.predicted));
  let right = 0;
  pairs.forEach((p, i) => {
    if (String(predicted[i]) === String(p.truth)) right++;
  });
  return { labelled: pairs.length, accuracy: right / pairs.length, meanAbsoluteError: null };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

