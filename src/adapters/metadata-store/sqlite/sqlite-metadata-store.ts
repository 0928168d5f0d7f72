/**
 * The embedded metadata store: one SQLite file in WAL mode, shared by every reprise
 * process on the machine. SQLite has one writer at a time, so every write transaction
 * starts with BEGIN IMMEDIATE (it waits for the lock up front, under busy_timeout,
 * instead of failing with "database is locked" when a read turns into a write).
 * Multi-statement writes run synchronously from BEGIN to COMMIT: kysely builds the SQL,
 * better-sqlite3 runs it. An await inside a transaction would let another connection of
 * the same process wait on the lock while blocking the only thread that could release it.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Compilable } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RepriseError, bug } from '../../../core/errors.js';
import { foldPoint, mergeSummaries, type SummaryState } from '../../../core/metric-summary.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import type { Artifact, MetricSummary, RunManifest, RunStatus } from '../../../core/run-manifest.js';
import type { ImageRecord, MetadataStore, RunQuery, StoredMetricPoint } from '../../../ports/metadata-store.js';
import { SQLITE_MIGRATIONS, type RunsTable, type SqliteDatabaseSchema } from './sqlite-schema.js';

/** How long a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 30_000;
/** SQLite's default limit on bound parameters is 32766; stay far below it. */
const MAX_PARAMS = 900;

export interface SqliteMetadataStoreOptions {
  /** Path of the database file; created with its folder when missing. */
  readonly path: string;
}

export class SqliteMetadataStore implements MetadataStore {
  readonly capabilities = { concurrentWriters: false } as const;
  readonly #path: string;
  #raw: Database.Database | undefined;
  #db: Kysely<SqliteDatabaseSchema> | undefined;

  constructor(options: SqliteMetadataStoreOptions) {
    this.#path = options.path;
  }

  async init(): Promise<void> {
    if (this.#db) return;
    mkdirSync(dirname(this.#path), { recursive: true });
    const raw = new Database(this.#path);
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    enableWal(raw);
    // FULL: a commit the caller was told about survives a crash of the machine too.
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    migrate(raw, this.#path);
    this.#raw = raw;
    this.#db = new Kysely<SqliteDatabaseSchema>({ dialect: new SqliteDialect({ database: raw }) });
  }

  get #k(): Kysely<SqliteDatabaseSchema> {
    if (!this.#db) throw bug('the metadata store was used before init() or after close()');
    return this.#db;
  }

  /** Runs `fn` synchronously in a write transaction that holds the write lock from its start. */
  #write<T>(fn: () => T): T {
    if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
    return this.#raw.transaction(fn).immediate();
  }

  /** Runs a query built with kysely synchronously; rows for reads, [] for writes. */
  #exec<R>(query: Compilable<R>): R[] {
    if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
    const { sql: text, parameters } = query.compile();
    const stmt = this.#raw.prepare(text);
    if (stmt.reader) return stmt.all(...(parameters as unknown[])) as R[];
    stmt.run(...(parameters as unknown[]));
    return [];
  }

  async createRun(run: RunRecord): Promise<void> {
    await this.#k.insertInto('runs').values(toRow(run)).execute();
  }

  async updateRun(id: string, patch: RunPatch, onlyIf?: readonly RunStatus[]): Promise<boolean> {
    const set: Partial<RunsTable> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.endedAt !== undefined) set.ended_at = patch.endedAt;
    if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
    if (patch.manifest !== undefined) set.manifest = JSON.stringify(patch.manifest);
    if (Object.keys(set).length === 0) {
      let probe = this.#k.selectFrom('runs').select('id').where('id', '=', id);
      if (onlyIf) probe = probe.where('status', 'in', [...onlyIf]);
      return (await probe.executeTakeFirst()) !== undefined;
    }
    let q = this.#k.updateTable('runs').set(set).where('id', '=', id);
    if (onlyIf) q = q.where('status', 'in', [...onlyIf]);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = await this.#k.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async findRuns(ref: string, limit: number): Promise<RunRecord[]> {
    const prefix = ref.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`);
    const rows = await this.#k
      .selectFrom('runs')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', ref), sql<boolean>`id like ${`${prefix}%`} escape '\\'`]))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    let q = this.#k.selectFrom('runs').selectAll();
    if (query.project !== undefined) q = q.where('project', '=', query.project);
    if (query.statuses && query.statuses.length > 0) q = q.where('status', 'in', [...query.statuses]);
    if (query.dev !== undefined) q = q.where('dev', '=', query.dev ? 1 : 0);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 100).execute();
    return rows.map(fromRow);
  }

  async appendMetrics(runId: string, points: readonly StoredMetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const batch = new Map<string, SummaryState>();
    for (const p of points) batch.set(p.key, foldPoint(batch.get(p.key), p));
    const k = this.#k;
    this.#write(() => {
      for (let i = 0; i < points.length; i += MAX_PARAMS / 5) {
        const chunk = points.slice(i, i + MAX_PARAMS / 5);
        this.#exec(
          k.insertInto('metrics').values(chunk.map((p) => ({ run_id: runId, key: p.key, step: p.step, ts: p.ts, value: fromNumber(p.value) }))),
        );
      }
      const keys = [...batch.keys()];
      const existing = new Map<string, SummaryState>();
      for (let i = 0; i < keys.length; i += MAX_PARAMS) {
        const rows = this.#exec(
          k.selectFrom('metric_summaries').selectAll().where('run_id', '=', runId).where('key', 'in', keys.slice(i, i + MAX_PARAMS)),
        );
        for (const r of rows) existing.set(r.key, summaryFromRow(r));
      }
      for (const [key, s] of batch) {
        const merged = mergeSummaries(existing.get(key), s);
        const row = {
          run_id: runId,
          key,
          last: fromNumber(merged.last),
          last_step: merged.lastStep,
          last_ts: merged.lastTs,
          min: fromNumber(merged.min),
          max: fromNumber(merged.max),
          count: merged.count,
        };
        this.#exec(
          k
            .insertInto('metric_summaries')
            .values(row)
            .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({
              last: row.last, last_step: row.last_step, last_ts: row.last_ts, min: row.min, max: row.max, count: row.count,
            })),
        );
      }
    });
  }

  async metricSeries(runId: string, key: string): Promise<StoredMetricPoint[]> {
    const rows = await this.#k
      .selectFrom('metrics')
      .select(['key', 'step', 'ts', 'value'])
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .orderBy('step')
      .orderBy('ts')
      .orderBy(sql`rowid`)
      .execute();
    return rows.map((r) => ({ key: r.key, step: r.step, ts: r.ts, value: toNumber(r.value) }));
  }

  async metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>> {
    const out = new Map<string, Record<string, MetricSummary>>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const rows = await this.#k
        .selectFrom('metric_summaries')
        .selectAll()
        .where('run_id', 'in', runIds.slice(i, i + MAX_PARAMS))
        .orderBy('key')
        .execute();
      for (const r of rows) {
        const rec = out.get(r.run_id) ?? {};
        const s = summaryFromRow(r);
        rec[r.key] = { last: s.last, lastStep: s.lastStep, min: s.min, max: s.max, count: s.count };
        out.set(r.run_id, rec);
      }
    }
    return out;
  }

  async setArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void> {
    const k = this.#k;
    this.#write(() => {
      this.#exec(k.deleteFrom('artifacts').where('run_id', '=', runId));
      for (let i = 0; i < artifacts.length; i += MAX_PARAMS / 4) {
        const chunk = artifacts.slice(i, i + MAX_PARAMS / 4);
        this.#exec(k.insertInto('artifacts').values(chunk.map((a) => ({ run_id: runId, ...a }))));
      }
    });
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    return this.#k.selectFrom('artifacts').select(['path', 'size', 'sha256']).where('run_id', '=', runId).orderBy('path').execute();
  }

  async saveImage(image: ImageRecord): Promise<void> {
    const row = {
      ref: image.ref,
      digest: image.digest,
      project: image.project,
      commit_sha: image.commit,
      env_hash: image.envHash,
      engine: image.engine,
      created_at: image.createdAt,
    };
    await this.#k
      .insertInto('images')
      .values(row)
      .onConflict((oc) => oc.column('ref').doUpdateSet({ ...row }))
      .execute();
  }

  async listImages(project?: string): Promise<ImageRecord[]> {
    let q = this.#k.selectFrom('images').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({ ref: r.ref, digest: r.digest, project: r.project, commit: r.commit_sha, envHash: r.env_hash, engine: r.engine, createdAt: r.created_at }));
  }

  async countRunsByEnvironment(): Promise<Map<string, number>> {
    const rows = await this.#k
      .selectFrom('runs')
      .select(['env_hash', (eb) => eb.fn.countAll<number>().as('n')])
      .where('env_hash', 'is not', null)
      .groupBy('env_hash')
      .execute();
    return new Map(rows.map((r) => [r.env_hash as string, Number(r.n)]));
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#raw = undefined;
    await db?.destroy();
  }
}

/**
 * WAL is a property of the file, set once. Switching to it needs a lock that SQLite does
 * not wait for under busy_timeout, so processes opening a new file at the same moment
 * retry here until one of them has switched it.
 */
function enableWal(raw: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      if (raw.pragma('journal_mode', { simple: true }) !== 'wal') raw.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
      Atomics.wait(pause, 0, 0, 10 + Math.random() * 40);
    }
  }
}

function migrate(raw: Database.Database, path: string): void {
  const latest = SQLITE_MIGRATIONS.length;
  const current = (): number => raw.pragma('user_version', { simple: true }) as number;
  if (current() > latest) {
    throw new RepriseError('REPRISE_ERR_STORE_SCHEMA_NEWER', `the metadata store ${path} was written by a newer Reprise (schema ${current()}, this one knows ${latest})`, {
      hint: 'upgrade Reprise',
    });
  }
  if (current() === latest) return;
  // Another process may be migrating at this moment: take the write lock, then look again.
  raw.exec('BEGIN IMMEDIATE');
  try {
    for (let v = current(); v < latest; v++) raw.exec(SQLITE_MIGRATIONS[v]!);
    raw.pragma(`user_version = ${latest}`);
    raw.exec('COMMIT');
  } catch (e) {
    raw.exec('ROLLBACK');
    throw e;
  }
}

function toRow(run: RunRecord): RunsTable {
  return {
    id: run.id,
    name: run.name,
    project: run.project,
    status: run.status,
    dev: run.dev ? 1 : 0,
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    host: run.host,
    pid: run.pid,
    pid_start: run.pidStart,
    heartbeat_at: run.heartbeatAt,
    env_hash: run.envHash,
    manifest: JSON.stringify(run.manifest),
  };
}

function fromRow(row: RunsTable): RunRecord {
  const manifest = JSON.parse(row.manifest) as RunManifest;
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    status: row.status as RunStatus,
    dev: row.dev === 1,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    host: row.host,
    pid: row.pid,
    pidStart: row.pid_start,
    heartbeatAt: row.heartbeat_at,
    envHash: row.env_hash,
    manifest,
  };
}

function summaryFromRow(r: SqliteDatabaseSchema['metric_summaries']): SummaryState {
  return { last: toNumber(r.last), lastStep: r.last_step, lastTs: r.last_ts, min: toNumber(r.min), max: toNumber(r.max), count: r.count };
}

/** SQLite stores NaN as NULL; NULL is read back as NaN (no column here is otherwise nullable). */
function fromNumber(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

function toNumber(v: number | null): number {
  return v === null ? NaN : v;
}
