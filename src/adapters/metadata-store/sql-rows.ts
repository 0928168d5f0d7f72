/**
 * @module adapters/metadata-store/sql-rows
 * Records as the rows of the SQL stores and back, written once for both: SQLite and
 * PostgreSQL keep the same tables and columns (`sqlite/sqlite-schema.ts`,
 * `postgres/postgres-schema.ts`). Where a column's type differs, a function here takes or
 * gives it in one portable form and each store converts that column alone: a boolean
 * is written as the store wants it (SQLite 0/1, PostgreSQL boolean) and read back as a
 * boolean; JSON is written as its text, and read back as the value the store has parsed
 * (SQLite keeps text, PostgreSQL reads jsonb as objects). The model store's rows are in
 * `sql-model-rows.ts`.
 */
import type { LoggedModelRecord, LoggedModelStatus } from '../../core/client-records.js';
import type { ProjectPatch, ProjectRecord, RegisterFrom } from '../../core/project-record.js';
import type { SweepRecord, SweepSummary, WorkerKind, WorkerRecord, WorkerRegistration } from '../../core/queue.js';
import type { HookDelivery, RepositoryLink } from '../../core/repository-link.js';
import type { RunPatch, RunRecord } from '../../core/run.js';
import type { RunManifest, RunStatus } from '../../core/run-manifest.js';
import { triggerOf } from '../../core/trigger.js';
import type { Verification } from '../../core/verification.js';
import type { DataRead, ImageRecord, ProjectSummary } from '../../ports/metadata-store.js';

/**
 * The columns a RunRecord is made of: a listing reads these alone. SQLite reads them as
 * arrays in this order (`sqlite/sqlite-rows.ts`).
 */
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
] as const satisfies readonly (keyof RunRow<unknown>)[];

/** The record's columns whose type is the same in both stores (all but `dev` and `manifest`), its status read as text. */
export type RecordColumns = Omit<Pick<RunRow<unknown>, (typeof RECORD_COLUMNS)[number]>, 'dev' | 'manifest' | 'status'> & { status: string };

/** A run's row; `Flag` is how the store keeps a boolean (the schemas declare each column). */
export type RunRow<Flag> = ReturnType<typeof runRow<Flag>>;

/** A new run's row: the listing columns, the queue's placement from the manifest, no worker yet; the manifest as JSON text. */
export function runRow<Flag>(run: RunRecord, dev: Flag) {
  const sub = run.manifest.submission;
  return {
    id: run.id,
    name: run.name,
    project: run.project,
    status: run.status,
    dev,
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
    worker: null as string | null,
    cancel_by: null as string | null,
    cancel_at: null as number | null,
    trigger_kind: triggerOf(run.manifest).kind,
    deleted_at: run.deletedAt ?? null,
    manifest: JSON.stringify(run.manifest),
  };
}

/**
 * The record of a run's row. A search page calls this for each of its rows, so it stays
 * cheap: the store passes `dev` and `manifest` already converted, and nothing else is
 * made on the way.
 */
export function runFromRow(row: RecordColumns, dev: boolean, manifest: RunManifest): RunRecord {
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    status: row.status as RunStatus,
    dev,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    host: row.host,
    pid: row.pid,
    pidStart: row.pid_start,
    heartbeatAt: row.heartbeat_at,
    envHash: row.env_hash,
    ...(row.deleted_at !== null ? { deletedAt: row.deleted_at } : {}),
    manifest,
  };
}

export type RunPatchColumns = Partial<Pick<RunRow<unknown>, 'status' | 'started_at' | 'ended_at' | 'heartbeat_at' | 'env_hash' | 'manifest' | 'gate'>>;

/** The columns a patch changes (a new manifest brings its gate with it). */
export function runPatchColumns(patch: RunPatch): RunPatchColumns {
  const set: RunPatchColumns = {};
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

/** The `run_data_reads` rows of a run: one per table each data query of its manifest read. */
export function dataReadRows(runId: string, manifest: RunManifest) {
  return (manifest.data ?? []).flatMap((d) =>
    d.tables.map((table) => ({
      run_id: runId,
      name: d.name,
      source: d.source.name,
      table_name: table,
      as_of: d.asOf,
      rows: d.snapshot?.rows ?? null,
      content_hash: d.snapshot?.contentHash ?? null,
    })),
  );
}

/** A data read as listed: its row joined to its run's name, project, status and time. */
export function dataReadFromRow(r: { run_id: string; run_name: string; project: string; status: string; created_at: number; name: string; as_of: number; rows: number | null; content_hash: string | null }): DataRead {
  return {
    runId: r.run_id,
    runName: r.run_name,
    project: r.project,
    status: r.status as RunStatus,
    createdAt: r.created_at,
    name: r.name,
    asOf: r.as_of,
    rows: r.rows,
    contentHash: r.content_hash,
  };
}

/** Count rows grouped by (project, status, dev) folded into each project's summary, in the rows' order. */
export function projectSummaries(rows: readonly { project: string; status: RunStatus; dev: unknown; n: number; first: number; last: number }[]): ProjectSummary[] {
  const out = new Map<string, { name: string; runs: number; devRuns: number; byStatus: Partial<Record<RunStatus, number>>; firstRunAt: number; lastActivityAt: number }>();
  for (const r of rows) {
    const p = out.get(r.project) ?? { name: r.project, runs: 0, devRuns: 0, byStatus: {}, firstRunAt: r.first, lastActivityAt: r.last };
    p.runs += r.n;
    // 1 or true: the stores keep dev as they keep booleans.
    if (r.dev) p.devRuns += r.n;
    p.byStatus[r.status] = (p.byStatus[r.status] ?? 0) + r.n;
    p.firstRunAt = Math.min(p.firstRunAt, r.first);
    p.lastActivityAt = Math.max(p.lastActivityAt, r.last);
    out.set(r.project, p);
  }
  return [...out.values()];
}

export function sweepRow(s: SweepRecord) {
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

/** Per sweep, how many of its runs stand in each status, from counts grouped by (sweep_id, status). */
export function sweepTallies(tallies: readonly { sweep_id: string | null; status: string; n: number | string | bigint }[]): Map<string, Record<string, number>> {
  const counts = new Map<string, Record<string, number>>();
  for (const t of tallies) counts.set(t.sweep_id!, { ...(counts.get(t.sweep_id!) ?? {}), [t.status]: Number(t.n) });
  return counts;
}

export function sweepFromRow(
  r: { id: string; name: string; project: string; created_at: number; created_by: string; description: string; runs: number },
  spec: unknown,
  byStatus: Record<string, number> | undefined,
): SweepSummary {
  return {
    id: r.id,
    name: r.name,
    project: r.project,
    createdAt: r.created_at,
    createdBy: r.created_by,
    spec,
    description: r.description,
    runs: r.runs,
    byStatus: byStatus ?? {},
  };
}

/** A worker's row as it registers: seen as it starts, not stopped. */
export function workerRow(w: WorkerRegistration) {
  return {
    id: w.id,
    name: w.name,
    kind: w.kind,
    host: w.host,
    pid: w.pid,
    queues: JSON.stringify(w.queues),
    slots: w.slots,
    gpus: JSON.stringify(w.gpus),
    version: w.version,
    started_at: w.startedAt,
    seen_at: w.startedAt,
    stopped_at: null,
  };
}

export function workerFromRow(
  r: { id: string; name: string; kind: string; host: string; pid: number; slots: number; version: string; started_at: number; seen_at: number; stopped_at: number | null },
  queues: string[],
  gpus: string[],
  runs: readonly string[],
): WorkerRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as WorkerKind,
    host: r.host,
    pid: r.pid,
    queues,
    slots: r.slots,
    gpus,
    version: r.version,
    startedAt: r.started_at,
    seenAt: r.seen_at,
    stoppedAt: r.stopped_at,
    runs,
  };
}

export function deliveryRow(d: HookDelivery) {
  return { provider: d.provider, delivery: d.id, project: d.project, received_at: d.receivedAt, commit_sha: d.commit, run_ids: JSON.stringify(d.runIds) };
}

export function deliveryFromRow(r: { provider: string; delivery: string; project: string; received_at: number; commit_sha: string }, runIds: string[]): HookDelivery {
  return { provider: r.provider as HookDelivery['provider'], id: r.delivery, project: r.project, receivedAt: r.received_at, commit: r.commit_sha, runIds };
}

/** A repository link's row, and the columns saving it again changes (its creation stays). */
export function linkRow(link: RepositoryLink, secret: string) {
  const row = {
    project: link.project,
    url: link.url,
    branch: link.branch,
    queue: link.queue,
    path: link.path,
    secret,
    created_at: link.createdAt,
    created_by: link.createdBy,
    updated_at: link.updatedAt,
  };
  const { created_at: _createdAt, created_by: _createdBy, ...changed } = row;
  return { row, changed };
}

/** A link as the store gives it out: without its secret. */
export function linkFromRow(r: { project: string; url: string; branch: string; queue: string | null; path: string; created_at: number; created_by: string; updated_at: number }): RepositoryLink {
  return { project: r.project, url: r.url, branch: r.branch, queue: r.queue, path: r.path, createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at };
}

export function imageRow(image: ImageRecord) {
  return { ref: image.ref, digest: image.digest, project: image.project, commit_sha: image.commit, env_hash: image.envHash, engine: image.engine, created_at: image.createdAt };
}

export function imageFromRow(r: { ref: string; digest: string; project: string; commit_sha: string; env_hash: string | null; engine: string; created_at: number }): ImageRecord {
  return { ref: r.ref, digest: r.digest, project: r.project, commit: r.commit_sha, envHash: r.env_hash, engine: r.engine, createdAt: r.created_at };
}

export function verificationRow(v: Verification) {
  return { original: v.original, reproduction: v.reproduction, verdict: v.verdict, checked_at: v.checkedAt, report: JSON.stringify(v) };
}

export function projectFromRow(
  r: { id: number; name: string; created_at: number; updated_at: number; deleted_at: number | null; register_from: string },
  tags: Record<string, string>,
): ProjectRecord {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    tags,
    registerFrom: r.register_from as RegisterFrom,
  };
}

/** Tags as stored with a patch's tags set and removed. */
export function patchedTags(stored: Readonly<Record<string, string>>, patch: { readonly setTags?: Readonly<Record<string, string>>; readonly deleteTags?: readonly string[] }): Record<string, string> {
  const tags = { ...stored, ...(patch.setTags ?? {}) };
  for (const key of patch.deleteTags ?? []) delete tags[key];
  return tags;
}

/**
 * The columns a project's patch changes, given its stored tags and deletion. `deleted_at`
 * is set only when the patch deletes or restores the project: its runs go with it (the
 * store marks them in the same transaction).
 */
export function projectPatchColumns(
  patch: ProjectPatch,
  stored: { readonly tags: Readonly<Record<string, string>>; readonly deletedAt: number | null },
): { updated_at: number; tags: string; register_from?: string; deleted_at?: number | null } {
  const set: { updated_at: number; tags: string; register_from?: string; deleted_at?: number | null } = { updated_at: patch.at, tags: JSON.stringify(patchedTags(stored.tags, patch)) };
  if (patch.registerFrom !== undefined) set.register_from = patch.registerFrom;
  if (patch.deletedAt !== undefined && (patch.deletedAt === null) !== (stored.deletedAt === null)) set.deleted_at = patch.deletedAt;
  return set;
}

export function loggedModelRow(m: LoggedModelRecord) {
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

export function loggedModelFromRow(
  r: { id: string; project: string; name: string; run_id: string; path: string; status: string; status_message: string | null; model_type: string | null; created_at: number; updated_at: number },
  params: Record<string, string>,
  tags: Record<string, string>,
): LoggedModelRecord {
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
    params,
    tags,
  };
}
