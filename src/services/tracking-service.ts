/**
 * @module services/tracking-service
 * Recording what runs report, for everything that reports through the server: runners
 * started with REPRISE_SERVER, later agents, the SDKs and the MLflow-compatible API.
 * Each write goes to the store, then becomes an event for live views.
 */
import { RepriseError } from '../core/errors.js';
import type { HistogramBatch } from '../core/histogram.js';
import type { MetricBatch } from '../core/metric-series.js';
import type { RunNote } from '../core/run-note.js';
import type { ParamValue } from '../core/params.js';
import type { RunPatch, RunRecord } from '../core/run.js';
import { isActive, type Artifact, type RunStatus } from '../core/run-manifest.js';
import type { ImageRecord, MetadataStore, MetricWriter } from '../ports/metadata-store.js';
import type { LogAppend, LogFile, RunLogStore } from '../ports/run-log-store.js';
import type { RunEventBus } from './run-events.js';

/** Run ids known to exist, so hot appends skip the lookup. Runs are never renamed; deletion comes with gc. */
const KNOWN_RUNS_MAX = 10_000;

export class TrackingService {
  readonly #store: MetadataStore;
  readonly #logs: RunLogStore;
  readonly #events: RunEventBus;
  readonly #known = new Set<string>();
  /** Runs that reported through here: their live updates are published as they arrive. */
  readonly #reporting = new Set<string>();

  constructor(deps: { store: MetadataStore; logs: RunLogStore; events: RunEventBus }) {
    this.#store = deps.store;
    this.#logs = deps.logs;
    this.#events = deps.events;
  }

  /**
   * A report from a worker (an agent) is accepted only while that worker holds the run:
   * once its lease expired and the run was settled (lost, perhaps retried elsewhere),
   * what it still sends is refused, so a run is never completed twice.
   */
  async #mustHold(runId: string, worker: string | undefined): Promise<void> {
    if (worker === undefined) return this.#mustExist(runId);
    this.#noteReporting(runId);
    const holder = await this.#store.runHolder(runId);
    if (!holder) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(runId)}`, { details: { ref: runId } });
    if (holder.worker !== worker || !isActive(holder.status)) {
      throw new RepriseError(
        'REPRISE_ERR_LEASE_LOST',
        holder.worker !== worker
          ? `run ${runId} is not held by worker ${worker}${holder.worker ? ` but by ${holder.worker}` : ''}`
          : `run ${runId} is ${holder.status}: worker ${worker} no longer holds it (its lease expired)`,
        { details: { run: runId, worker, status: holder.status } },
      );
    }
  }

  async #mustExist(runId: string): Promise<void> {
    this.#noteReporting(runId);
    if (this.#known.has(runId)) return;
    if (!(await this.#store.getRun(runId))) {
      throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(runId)}`, { details: { ref: runId } });
    }
    if (this.#known.size >= KNOWN_RUNS_MAX) this.#known.clear();
    this.#known.add(runId);
  }

  /** Whether the run reports through this service (so watching its store rows would repeat events). */
  reports(runId: string): boolean {
    return this.#reporting.has(runId);
  }

  #noteReporting(runId: string): void {
    if (this.#reporting.size >= KNOWN_RUNS_MAX) this.#reporting.clear();
    this.#reporting.add(runId);
  }

  async createRun(run: RunRecord): Promise<void> {
    await this.#store.createRun(run);
    this.#noteReporting(run.id);
    this.#events.publish({ type: 'run', runId: run.id, project: run.project, status: run.status });
  }

  /** Applies the patch; with `onlyIf`, only while the run has one of those statuses. Says whether it applied. */
  async updateRun(runId: string, patch: RunPatch, onlyIf?: readonly RunStatus[], worker?: string): Promise<boolean> {
    await this.#mustHold(runId, worker);
    const done = await this.#store.updateRun(runId, patch, onlyIf);
    if (done && patch.status !== undefined) {
      const run = await this.#store.getRun(runId);
      if (run) {
        this.#events.publish({ type: 'run', runId, project: run.project, status: run.status });
        // Once every stage that ran has its logs stored as blobs, the live copies are spare.
        const stages = run.manifest.execution.stages.filter((s) => s.status !== 'pending' && s.status !== 'skipped');
        if (!isActive(run.status) && stages.every((s) => s.logs !== null)) await this.#logs.discard(runId);
      }
    }
    return done;
  }

  /** Stores the points; false when `writer` had already delivered this append. */
  async appendMetrics(runId: string, batches: readonly MetricBatch[], writer?: MetricWriter, worker?: string): Promise<boolean> {
    await this.#mustHold(runId, worker);
    const applied = await this.#store.appendMetrics(runId, batches, writer);
    if (applied && this.#events.listeners > 0) {
      const keys: Record<string, { count: number; step: number; value: number }> = {};
      for (const b of batches) {
        const n = b.steps.length;
        if (n > 0) keys[b.key] = { count: n, step: b.steps[n - 1]!, value: b.values[n - 1]! };
      }
      this.#events.publish({ type: 'metrics', runId, keys });
    }
    return applied;
  }

  /** Stores histogram points (not deduplicated: a resent append adds them again). */
  async appendHistograms(runId: string, batches: readonly HistogramBatch[], worker?: string): Promise<void> {
    await this.#mustHold(runId, worker);
    await this.#store.appendHistograms(runId, batches);
    const keys = [...new Set(batches.filter((b) => b.points.length > 0).map((b) => b.key))];
    if (keys.length > 0 && this.#events.listeners > 0) this.#events.publish({ type: 'histograms', runId, keys });
  }

  async appendNotes(runId: string, notes: readonly RunNote[], worker?: string): Promise<void> {
    await this.#mustHold(runId, worker);
    await this.#store.appendNotes(runId, notes);
    const keys = [...new Set(notes.map((n) => n.key))];
    if (keys.length > 0 && this.#events.listeners > 0) this.#events.publish({ type: 'notes', runId, keys });
  }

  async appendLog(runId: string, stage: string, file: LogFile, offset: number, data: Buffer, worker?: string): Promise<LogAppend> {
    await this.#mustHold(runId, worker);
    const res = await this.#logs.append(runId, stage, file, offset, data);
    if (res.appended > 0 && this.#events.listeners > 0) {
      const fresh = data.subarray(data.length - res.appended);
      this.#events.publish({ type: 'log', runId, stage, file, offset: res.size - res.appended, text: fresh.toString('utf8') });
    }
    return res;
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>, worker?: string): Promise<void> {
    await this.#mustHold(runId, worker);
    await this.#store.logParams(runId, params);
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.#mustExist(runId);
    await this.#store.setTags(runId, tags);
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    await this.#mustExist(runId);
    return this.#store.deleteTag(runId, key);
  }

  async setArtifacts(runId: string, artifacts: readonly Artifact[], worker?: string): Promise<void> {
    await this.#mustHold(runId, worker);
    await this.#store.setArtifacts(runId, artifacts);
  }

  async saveImage(image: ImageRecord): Promise<void> {
    await this.#store.saveImage(image);
  }
}
