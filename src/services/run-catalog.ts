/**
 * @module services/run-catalog
 * Reading runs back: finding one by id, id prefix or name; listings with final metrics;
 * a run's logs (live from its folder while it runs, from blobs after); its metrics.
 * Every read first settles runs whose process is gone, so none shows `running` forever.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RepriseError } from '../core/errors.js';
import type { RunRecord } from '../core/run.js';
import { isActive, type Artifact, type MetricSummary, type RunStatus } from '../core/run-manifest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore, StoredMetricPoint } from '../ports/metadata-store.js';
import { reconcileLostRuns } from './liveness.js';
import { stageLogPaths } from './stage-logs.js';

export interface RunListing {
  readonly run: RunRecord;
  readonly metrics: Record<string, MetricSummary>;
}

export type LogStream = 'combined' | 'stdout' | 'stderr';

export interface LogChunk {
  readonly stage: string;
  readonly text: string;
}

export class RunCatalog {
  readonly #store: MetadataStore;
  readonly #blobs: BlobStore;
  readonly #runsDir: string;

  constructor(deps: { store: MetadataStore; blobs: BlobStore; runsDir: string }) {
    this.#store = deps.store;
    this.#blobs = deps.blobs;
    this.#runsDir = deps.runsDir;
  }

  async reconcile(): Promise<void> {
    await reconcileLostRuns(this.#store);
  }

  /** The run named by a full id, a unique id prefix, or a name. */
  async resolve(ref: string): Promise<RunRecord> {
    await this.reconcile();
    const needle = ref.trim();
    if (needle === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'a run must be named by its id, an id prefix or its name');
    const found = await this.#store.findRuns(needle, 20);
    const exactId = found.find((r) => r.id === needle.toLowerCase());
    if (exactId) return exactId;
    const byName = found.filter((r) => r.name === needle);
    if (byName.length === 1) return byName[0]!;
    const candidates = byName.length > 1 ? byName : found;
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id, id prefix or name ${JSON.stringify(needle)}`, {
        hint: 'list runs with `reprise ls`',
        details: { ref: needle },
      });
    }
    const list = candidates.slice(0, 10).map((r) => `${r.id} (${r.name})`).join(', ');
    throw new RepriseError('REPRISE_ERR_RUN_AMBIGUOUS', `${JSON.stringify(needle)} matches ${candidates.length >= 20 ? '20 or more' : candidates.length} runs: ${list}`, {
      hint: 'give more characters of the id',
      details: { ref: needle, matches: candidates.map((r) => r.id) },
    });
  }

  async list(query: { project?: string; statuses?: RunStatus[]; dev?: boolean; limit?: number }): Promise<RunListing[]> {
    await this.reconcile();
    const runs = await this.#store.listRuns(query);
    const metrics = await this.#store.metricSummaries(runs.map((r) => r.id));
    return runs.map((run) => ({ run, metrics: metrics.get(run.id) ?? {} }));
  }

  async details(ref: string): Promise<{ run: RunRecord; metrics: Record<string, MetricSummary>; artifacts: Artifact[] }> {
    const run = await this.resolve(ref);
    const [metrics, artifacts] = await Promise.all([this.#store.metricSummaries([run.id]), this.#store.listArtifacts(run.id)]);
    return { run, metrics: metrics.get(run.id) ?? {}, artifacts };
  }

  async metricSeries(run: RunRecord, key: string): Promise<StoredMetricPoint[]> {
    const points = await this.#store.metricSeries(run.id, key);
    if (points.length === 0) {
      const known = Object.keys((await this.#store.metricSummaries([run.id])).get(run.id) ?? {});
      throw new RepriseError('REPRISE_ERR_METRIC_NOT_FOUND', `run ${run.name} has no metric ${JSON.stringify(key)}${known.length ? `; it has: ${known.join(', ')}` : '; it has no metrics'}`, {
        details: { run: run.id, key, known },
      });
    }
    return points;
  }

  /** The stages whose logs are asked for; an unknown stage is an error naming the real ones. */
  stagesOf(run: RunRecord, stage?: string): string[] {
    const names = run.manifest.pipeline.stages.map((s) => s.name);
    if (stage === undefined) return names;
    if (!names.includes(stage)) {
      throw new RepriseError('REPRISE_ERR_STAGE_NOT_FOUND', `run ${run.name} has no stage ${JSON.stringify(stage)}; its stages are: ${names.join(', ')}`, {
        details: { run: run.id, stage, stages: names },
      });
    }
    return [stage];
  }

  /**
   * A stage's log from byte `offset` on, and whether it is complete (the stage ended and
   * its log was stored). While the stage runs, the log is read from the run's folder.
   */
  async readLog(run: RunRecord, stage: string, stream: LogStream, offset: number): Promise<{ data: Buffer; complete: boolean }> {
    const rec = run.manifest.execution.stages.find((s) => s.name === stage);
    if (rec?.logs) {
      const all = await this.#blobs.read(rec.logs[stream].sha256);
      return { data: all.subarray(offset), complete: true };
    }
    const paths = stageLogPaths(join(this.#runsDir, run.id, 'logs'), stage);
    const data = await readFrom(paths[stream], offset);
    const ended = !isActive(run.status);
    return { data, complete: ended && rec?.status !== 'running' };
  }

  async refresh(run: RunRecord): Promise<RunRecord> {
    await this.reconcile();
    return (await this.#store.getRun(run.id)) ?? run;
  }
}

async function readFrom(path: string, offset: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    return buf;
  } finally {
    await fh.close();
  }
}
