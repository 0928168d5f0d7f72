/**
 * @module adapters/metadata-store/postgres/postgres-rows
 * Records as PostgreSQL rows and back: runs (the listing columns, the queue's placement
 * and the manifest as jsonb), projects, sweeps, retention marks, model versions, logged
 * models; and the errors the store's parts share.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { RepriseError } from '../../../core/errors.js';
import type { LoggedModelRecord, LoggedModelStatus } from '../../../core/client-records.js';
import type { ModelFile, ModelLineage, ModelVersion } from '../../../core/model-store.js';
import type { ProjectRecord, RegisterFrom } from '../../../core/project-record.js';
import type { SweepRecord } from '../../../core/queue.js';
import type { RetentionMark, RetentionState } from '../../../core/retention.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import type { RunStatus } from '../../../core/run-manifest.js';
import { triggerOf } from '../../../core/trigger.js';
import type { LoggedModelsTable, ModelVersionsTable, ProjectsTable, RunRetentionTable, RunsTable, SweepsTable } from './postgres-schema.js';

/** The columns a RunRecord is made of: a listing reads these alone. */
export const RECORD_COLUMNS = [
  'id',
  'name',
  'project',
  'status',
  'dev',
  'created_at',
  'started_at',
  'ended_at',
  'host',
  'pid',
  'pid_start',
  'heartbeat_at',
  'env_hash',
  'deleted_at',
  'manifest',
] as const satisfies readonly (keyof RunsTable)[];

export type RecordRow = Pick<Selectable<RunsTable>, (typeof RECORD_COLUMNS)[number]>;

export function toRow(run: RunRecord): Insertable<RunsTable> {
  const sub = run.manifest.submission;
  return {
    id: run.id,
    name: run.name,
    project: run.project,
    status: run.status,
    dev: run.dev,
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    host: run.host,
    pid: run.pid,
    pid_start: run.pidStart,
    heartbeat_at: run.heartbeatAt,
    env_hash: run.envHash,
    commit_sha: run.manifest.code?.kind === 'git' ? run.manifest.code.commit : null,
    gate: run.manifest.outputs.gate?.status ?? null,
    queue: sub?.queue ?? null,
    priority: sub?.priority ?? null,
    gpus: sub?.gpus ?? null,
    sweep_id: sub?.sweep?.id ?? null,
    worker: null,
    cancel_by: null,
    cancel_at: null,
    trigger_kind: triggerOf(run.manifest).kind,
    deleted_at: run.deletedAt ?? null,
    manifest: JSON.stringify(run.manifest),
  };
}

export function fromRow(row: RecordRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    status: row.status as RunStatus,
    dev: row.dev,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    host: row.host,
    pid: row.pid,
    pidStart: row.pid_start,
    heartbeatAt: row.heartbeat_at,
    envHash: row.env_hash,
    ...(row.deleted_at !== null ? { deletedAt: row.deleted_at } : {}),
    manifest: row.manifest,
  };
}

/** The columns a patch changes. */
export function patchColumns(patch: RunPatch): Updateable<RunsTable> {
  const set: Updateable<RunsTable> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
  if (patch.endedAt !== undefined) set.ended_at = patch.endedAt;
  if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
  if (patch.envHash !== undefined) set.env_hash = patch.envHash;
  if (patch.manifest !== undefined) {
    set.manifest = JSON.stringify(patch.manifest);
    set.gate = patch.manifest.outputs.gate?.status ?? null;
  }
  return set;
}

export function sweepRow(s: SweepRecord): Insertable<SweepsTable> {
  return {
    id: s.id,
    name: s.name,
    project: s.project,
    created_at: s.createdAt,
    created_by: s.createdBy,
    spec: JSON.stringify(s.spec),
    description: s.description,
    runs: s.runs,
  };
}

export function projectFromRow(r: Selectable<ProjectsTable>): ProjectRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    tags: r.tags,
    registerFrom: r.register_from as RegisterFrom,
  };
}

export function loggedModelRow(m: LoggedModelRecord): Insertable<LoggedModelsTable> {
  return {
    id: m.id,
    project: m.project,
    name: m.name,
    run_id: m.runId,
    path: m.path,
    status: m.status,
    status_message: m.statusMessage,
    model_type: m.modelType,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    params: JSON.stringify(m.params),
    tags: JSON.stringify(m.tags),
  };
}

export function loggedModelFromRow(r: Selectable<LoggedModelsTable>): LoggedModelRecord {
  return {
    id: r.id,
    project: r.project,
    name: r.name,
    runId: r.run_id,
    path: r.path,
    status: r.status as LoggedModelStatus,
    statusMessage: r.status_message,
    modelType: r.model_type,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    params: r.params,
    tags: r.tags,
  };
}

export function retentionRow(runId: string, m: RetentionMark): Insertable<RunRetentionTable> {
  return { run_id: runId, state: m.state, until: m.until, reason: m.reason, manual: m.manual, by: m.by, at: m.at };
}

export function retentionFromRow(r: Selectable<RunRetentionTable>): RetentionMark {
  return { state: r.state as RetentionState, until: r.until, reason: r.reason, manual: r.manual, by: r.by, at: r.at };
}

export type VersionRow = Selectable<ModelVersionsTable> & { run_name: string; run_project: string };

export function versionFromRow(r: VersionRow, aliases: string[]): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    runId: r.run_id,
    runName: r.run_name,
    project: r.run_project,
    createdAt: r.created_at,
    createdBy: r.created_by,
    note: r.note,
    description: r.description,
    tags: r.tags,
    path: r.path,
    files: r.files as ModelFile[],
    bytes: r.bytes,
    aliases,
    lineage: r.lineage as ModelLineage,
  };
}

export function runNotFound(runId: string): RepriseError {
  return new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(runId)}`, { details: { ref: runId } });
}

export function unknownModel(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `no registered model ${JSON.stringify(name)}`, { details: { model: name } });
}

/** `%`, `_` and `\` of a LIKE pattern taken literally (with `escape '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[%_\\]/g, (c) => `\\${c}`);
}
