/**
 * @module services/store-watcher
 * Live updates for runs that do not report through the server: runs started on the
 * server's own machine without REPRISE_SERVER write the store and their run folders
 * directly. While anyone listens, active runs are looked at a few times a second and
 * what changed (status, new points, new histogram points, new log lines) is published
 * like what the tracking service publishes. Runs that report through the server are left
 * to it. Notes are not watched (reading every note of every run twice a second would
 * cost more than they are worth live): a page shows them when it loads.
 */
import { ACTIVE_STATUSES, type RunStatus } from '../core/run-manifest.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { RunLogStore } from '../ports/run-log-store.js';
import type { RunEventBus } from './run-events.js';

export const WATCH_EVERY_MS = 500;

interface Seen {
  status: RunStatus;
  project: string;
  counts: Map<string, number>;
  histogramCounts: Map<string, number>;
  /** Bytes of each stage's combined log already published. */
  offsets: Map<string, number>;
}

export class StoreWatcher {
  readonly #store: MetadataStore;
  readonly #logs: RunLogStore;
  readonly #events: RunEventBus;
  readonly #reportedElsewhere: (runId: string) => boolean;
  readonly #seen = new Map<string, Seen>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(deps: { store: MetadataStore; logs: RunLogStore; events: RunEventBus; reportedElsewhere: (runId: string) => boolean }) {
    this.#store = deps.store;
    this.#logs = deps.logs;
    this.#events = deps.events;
    this.#reportedElsewhere = deps.reportedElsewhere;
  }

  start(everyMs = WATCH_EVERY_MS): void {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.#busy = false;
        });
    }, everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One look: publishes what changed since the last. */
  async tick(): Promise<void> {
    if (this.#events.listeners === 0) {
      this.#seen.clear();
      return;
    }
    const { runs } = await this.#store.listRuns({ statuses: ACTIVE_STATUSES, limit: 1000 });
    const active = runs.filter((r) => !this.#reportedElsewhere(r.id));
    const summaries = await this.#store.metricSummaries(active.map((r) => r.id));
    for (const run of active) {
      let seen = this.#seen.get(run.id);
      if (!seen || seen.status !== run.status) this.#events.publish({ type: 'run', runId: run.id, project: run.project, status: run.status });
      seen ??= { status: run.status, project: run.project, counts: new Map(), histogramCounts: new Map(), offsets: new Map() };
      seen.status = run.status;
      this.#seen.set(run.id, seen);
      const keys: Record<string, { count: number; step: number; value: number }> = {};
      for (const [key, s] of Object.entries(summaries.get(run.id) ?? {})) {
        const before = seen.counts.get(key) ?? 0;
        if (s.count > before) keys[key] = { count: s.count - before, step: s.lastStep, value: s.last };
        seen.counts.set(key, s.count);
      }
      if (Object.keys(keys).length > 0) this.#events.publish({ type: 'metrics', runId: run.id, keys });
      const grown: string[] = [];
      for (const h of await this.#store.histogramKeys(run.id)) {
        if (h.count > (seen.histogramCounts.get(h.key) ?? 0)) grown.push(h.key);
        seen.histogramCounts.set(h.key, h.count);
      }
      if (grown.length > 0) this.#events.publish({ type: 'histograms', runId: run.id, keys: grown });
      for (const stage of run.manifest.execution.stages) {
        if (stage.status === 'pending') continue;
        const offset = seen.offsets.get(stage.name) ?? 0;
        const data = await this.#logs.read(run.id, stage.name, 'combined', offset);
        // Whole lines only: the rest comes with the next look.
        const end = data.lastIndexOf(10) + 1;
        if (end === 0) continue;
        seen.offsets.set(stage.name, offset + end);
        this.#events.publish({ type: 'log', runId: run.id, stage: stage.name, file: 'combined', offset, text: data.subarray(0, end).toString('utf8') });
      }
    }
    // Runs that left the active set ended since the last look: their final status.
    const still = new Set(active.map((r) => r.id));
    for (const id of [...this.#seen.keys()]) {
      if (still.has(id)) continue;
      this.#seen.delete(id);
      const run = await this.#store.getRun(id);
      if (run) this.#events.publish({ type: 'run', runId: id, project: run.project, status: run.status });
    }
  }
}
