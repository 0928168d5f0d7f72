/**
 * @module services/client-runs
 * Runs as an outside client drives them (the MLflow-compatible API): opened without a
 * pipeline, ended by the client, renamed, deleted softly and restored, their artifacts
 * uploaded file by file and read back by folder, the datasets they read recorded. A run
 * that `reprise run` drives (the client got its id from MLFLOW_RUN_ID) takes the client's
 * metrics, params, tags and files, but its status stays the runner's.
 */
import type { RecordAudit } from './audit-trail.js';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { checkArtifactPath, folderEntries, type FolderEntry } from '../core/artifact-path.js';
import type { RunDataset, RunModelLink } from '../core/client-records.js';
import { RepriseError } from '../core/errors.js';
import { newRunId, newRunName } from '../core/ids.js';
import type { MetricBatch } from '../core/metric-series.js';
import type { RunRecord } from '../core/run.js';
import type { Trigger } from '../core/trigger.js';
import { isActive, type Artifact, type RunStatus } from '../core/run-manifest.js';
import { contentHash } from '../core/canonical-json.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { GateService } from './gate-service.js';
import { freshManifest } from './run-manifest-draft.js';
import type { TrackingService } from './tracking-service.js';

/** The statuses a client may set: MLflow's RUNNING, FINISHED, FAILED, KILLED. */
export type ClientStatus = Extract<RunStatus, 'running' | 'succeeded' | 'failed' | 'canceled'>;

export interface OpenRun {
  readonly project: string;
  readonly name?: string;
  /** The client's user (MLflow's `mlflow.user`), else `unknown`. */
  readonly by: string;
  readonly startedAt: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly source: string | null;
  readonly commit: string | null;
}

/**
 * A running run with no pipeline, code or environment: what an outside writer's values
 * (an MLflow client's, imported TensorBoard files') are recorded in.
 */
export function pipelinelessRun(r: { readonly project: string; readonly name: string; readonly trigger: Extract<Trigger, { kind: 'mlflow' | 'tensorboard' }>; readonly startedAt: number }): RunRecord {
  const now = Date.now();
  const id = newRunId(now);
  const manifest = {
    ...freshManifest({
      run: { id, name: r.name, project: r.project, dev: false, createdAt: r.startedAt },
      trigger: r.trigger,
      code: null,
      params: { file: null, values: {}, overrides: [], hash: contentHash({}) },
      environment: null,
      pipeline: { configFile: '', stages: [], seed: 0, seedSource: 'generated' as const, executor: 'client', host: hostname(), gates: [] },
    }),
    execution: { startedAt: r.startedAt, endedAt: null, stages: [] },
    status: 'running' as const,
  };
  return {
    id,
    name: r.name,
    project: r.project,
    status: 'running',
    dev: false,
    createdAt: r.startedAt,
    startedAt: r.startedAt,
    endedAt: null,
    host: hostname(),
    pid: 0,
    pidStart: '',
    heartbeatAt: now,
    envHash: null,
    manifest,
  };
}

export class ClientRunService {
  constructor(
    private readonly d: {
      readonly store: MetadataStore;
      readonly blobs: BlobStore;
      readonly tracking: TrackingService;
      readonly gates: GateService;
      /** Deletions and restorations are audited. */
      readonly audit?: RecordAudit;
    },
  ) {}

  /** A new run with no pipeline, code or environment, running from `startedAt`. */
  async open(req: OpenRun): Promise<RunRecord> {
    const project = await this.d.store.projectRecord({ name: req.project });
    if (!project) throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project named ${JSON.stringify(req.project)}`, { details: { project: req.project } });
    if (project.deletedAt !== null) {
      throw new RepriseError('REPRISE_ERR_RUN_STATE_CONFLICT', `project ${JSON.stringify(project.name)} is deleted: restore it before starting runs in it`, { details: { project: project.name } });
    }
    const run = pipelinelessRun({
      project: project.name,
      name: req.name ?? newRunName(),
      trigger: { kind: 'mlflow', by: req.by, source: req.source, commit: req.commit },
      startedAt: req.startedAt,
    });
    await this.d.tracking.createRun(run);
    if (Object.keys(req.tags).length > 0) await this.d.tracking.setTags(run.id, req.tags);
    return run;
  }

  async get(runId: string): Promise<RunRecord> {
    const run = await this.d.store.getRun(runId.toLowerCase());
    if (!run) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(runId)}`, { details: { ref: runId } });
    return run;
  }

  /** A run that takes writes: any run that is not deleted. */
  async writable(runId: string): Promise<RunRecord> {
    const run = await this.get(runId);
    if (run.deletedAt != null) {
      throw new RepriseError('REPRISE_ERR_RUN_STATE_CONFLICT', `run ${run.name} (${run.id}) is deleted: restore it before logging to it`, { details: { run: run.id } });
    }
    return run;
  }

  /**
   * Sets a client run's status (and end time): ending it as succeeded judges its gates
   * (it has none of its own, so `none`) and records its final metrics, like a run that
   * `reprise run` finished; setting it running again reopens it. A run Reprise drives
   * keeps its own status: the client's is ignored.
   */
  async setStatus(runId: string, status: ClientStatus | undefined, endedAt: number | undefined): Promise<RunRecord> {
    const run = await this.writable(runId);
    if (run.manifest.trigger?.kind !== 'mlflow' || status === undefined) return run;
    const ending = !isActive(status);
    const end = ending ? (endedAt ?? Date.now()) : null;
    const manifest = {
      ...run.manifest,
      status,
      execution: { ...run.manifest.execution, endedAt: end },
      failure: status === 'failed' ? { stage: null, exitCode: null, message: 'the MLflow client ended the run as FAILED', stderrTail: [] } : null,
    };
    await this.d.tracking.updateRun(run.id, { status, endedAt: end, heartbeatAt: Date.now(), manifest });
    let now = await this.get(run.id);
    if (status === 'succeeded') now = (await this.d.gates.evaluate(now, process.cwd())).run;
    return now;
  }

  async rename(runId: string, name: string): Promise<void> {
    const run = await this.writable(runId);
    if (name.trim() === '' || name.length > 100) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `run_name ${JSON.stringify(name.slice(0, 120))}: a run name is 1 to 100 characters`, { details: { field: 'run_name' } });
    }
    if (name !== run.name) await this.d.store.renameRun(run.id, name);
  }

  async delete(runId: string, by: string): Promise<void> {
    const run = await this.get(runId);
    if (run.deletedAt != null) return;
    await this.d.store.setRunDeleted(run.id, Date.now());
    await this.d.audit?.(by, 'run.delete', run.id, { name: run.name, project: run.project });
  }

  async restore(runId: string, by: string): Promise<void> {
    const run = await this.get(runId);
    if (run.deletedAt == null) return;
    await this.d.store.setRunDeleted(run.id, null);
    await this.d.audit?.(by, 'run.restore', run.id, { name: run.name, project: run.project });
  }

  /** Params (immutable), tags and metric points of one request, written through the same path as every report. */
  async log(runId: string, batch: { readonly params?: Readonly<Record<string, string>>; readonly tags?: Readonly<Record<string, string>>; readonly metrics?: readonly MetricBatch[] }): Promise<void> {
    const run = await this.writable(runId);
    if (batch.params && Object.keys(batch.params).length > 0) await this.d.tracking.logParams(run.id, batch.params);
    if (batch.tags && Object.keys(batch.tags).length > 0) await this.d.tracking.setTags(run.id, batch.tags);
    if (batch.metrics && batch.metrics.length > 0) await this.d.tracking.appendMetrics(run.id, batch.metrics);
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    const run = await this.writable(runId);
    return this.d.tracking.deleteTag(run.id, key);
  }

  async logInputs(runId: string, inputs: { readonly datasets?: readonly RunDataset[]; readonly models?: readonly RunModelLink[] }): Promise<void> {
    const run = await this.writable(runId);
    await this.d.store.addRunInputs(run.id, inputs);
  }

  /** Stores one file of a run under `path`, replacing what that path held; the bytes go straight into the blob store. */
  async putArtifact(runId: string, rawPath: string, body: Readable): Promise<Artifact> {
    const path = checkArtifactPath(rawPath);
    const run = await this.writable(runId);
    const ref = await this.d.blobs.putStream(body);
    const artifact = { path, size: ref.size, sha256: ref.sha256 };
    await this.d.store.addArtifacts(run.id, [artifact]);
    return artifact;
  }

  /** One artifact by path; undefined when the run has none there. */
  async artifact(runId: string, rawPath: string): Promise<Artifact | undefined> {
    const path = checkArtifactPath(rawPath);
    return (await this.d.store.listArtifacts(runId.toLowerCase())).find((a) => a.path === path);
  }

  async openArtifact(a: Artifact): Promise<Readable> {
    return this.d.blobs.stream(a.sha256);
  }

  /** The entries directly inside a folder of a run's artifacts (`''`: the top). */
  async listFolder(runId: string, folder: string): Promise<FolderEntry[]> {
    const dir = folder.replace(/\/+$/, '');
    if (dir !== '') checkArtifactPath(dir);
    return folderEntries(await this.d.store.listArtifacts(runId.toLowerCase()), dir);
  }

  async deleteArtifacts(runId: string, rawPath: string): Promise<number> {
    const path = checkArtifactPath(rawPath.replace(/\/+$/, ''));
    const run = await this.writable(runId);
    return this.d.store.removeArtifacts(run.id, path);
  }
}
