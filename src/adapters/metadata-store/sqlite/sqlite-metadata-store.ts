/**
 * @module adapters/metadata-store/sqlite/sqlite-metadata-store
 * The embedded metadata store: one SQLite file in WAL mode, shared by every reprise
 * process on the machine. SQLite has one writer at a time, so every write transaction
 * starts with BEGIN IMMEDIATE (it waits for the lock up front, under busy_timeout,
 * instead of failing with "database is locked" when a read turns into a write).
 * Multi-statement writes run synchronously from BEGIN to COMMIT: kysely builds the SQL,
 * better-sqlite3 runs it. An await inside a transaction would let another connection of
 * the same process wait on the lock while blocking the only thread that could release it.
 * Records become rows and back in sqlite-rows.ts, over the mapping and errors the
 * PostgreSQL store shares (`../sql-rows.ts`, `../sql-model-rows.ts`, `../store-errors.ts`).
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Compilable, type RawBuilder } from 'kysely';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import { RepriseError, bug } from '../../../core/errors.js';
import { downsample, MinMaxSampler } from '../../../core/downsample.js';
import { emptyColumns, isSorted, sortColumns, type MetricBatch, type MetricColumns } from '../../../core/metric-series.js';
import { foldPoint, mergeSummaries, type SummaryState } from '../../../core/metric-summary.js';
import { flattenParams, type ParamValue, type Params } from '../../../core/params.js';
import { samplePoints, type HistogramBatch, type HistogramPoint, type HistogramSeriesInfo } from '../../../core/histogram.js';
import type { RunNote } from '../../../core/run-note.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import type { Artifact, MetricSummary, RunManifest, RunStatus } from '../../../core/run-manifest.js';
import type { Verification } from '../../../core/verification.js';
import { lineageOf, modelFilesOf, promotionRefusal, type ModelAuditEntry, type ModelVersion, type RegisteredModel, type RunModelVersion, type VersionRef } from '../../../core/model-store.js';
import type { RetentionMark } from '../../../core/retention.js';
import {
  CLAIM_POLL_MS,
  MAX_CLAIM_WAIT_MS,
  type CancelRequest,
  type QueueClaim,
  type RunBeat,
  type SweepRecord,
  type SweepSummary,
  type WorkerRegistration,
  type WorkerRecord,
} from '../../../core/queue.js';
import { ACTIVE_STATUSES } from '../../../core/run-manifest.js';
import type { HookDelivery, RepositoryLink } from '../../../core/repository-link.js';
import type { ProjectPatch, ProjectRecord } from '../../../core/project-record.js';
import type { LoggedModelRecord, RunDataset, RunInputs, RunModelLink } from '../../../core/client-records.js';
import type {
  AliasChange,
  AliasMove,
  DataRead,
  HistorySample,
  ImageRecord,
  ImportedRun,
  MetadataStore,
  MetricWriter,
  ModelPatch,
  NewModelVersion,
  ProjectSummary,
  RunKeys,
  RunPage,
  RunQuery,
  TimelineEntry,
} from '../../../ports/metadata-store.js';
import { decodeCursor, DEFAULT_ORDER, encodeCursor } from '../run-cursor.js';
import { likeLiteral } from '../sql-like.js';
import { auditFromRow, auditRow, promotionNote, promotionPin, registeredModelFromRow, versionRow } from '../sql-model-rows.js';
import {
  dataReadFromRow,
  dataReadRows,
  deliveryFromRow,
  deliveryRow,
  imageFromRow,
  imageRow,
  linkFromRow,
  linkRow,
  loggedModelRow,
  patchedTags,
  projectPatchColumns,
  projectSummaries,
  RECORD_COLUMNS,
  runPatchColumns,
  sweepFromRow,
  sweepRow,
  sweepTallies,
  verificationRow,
  workerFromRow,
  workerRow,
} from '../sql-rows.js';
import {
  alreadyAVersion,
  deliverySeen,
  missingRun,
  modelExists,
  paramImmutable,
  projectExists,
  projectNotFound,
  retentionRefusal,
  runNotFound,
  unknownModel,
  versionNotFound,
  workerNotFound,
} from '../store-errors.js';
import {
  bucketBytes,
  concatColumns,
  decodeChunks,
  decodeSummary,
  encodeChunk,
  histogramFromRow,
  nanAsNull,
  nullAsNaN,
  paramColumns,
  sliceColumns,
} from './sqlite-encoding.js';
import {
  fromRow,
  loggedModelFromRow,
  projectFromRow,
  recordRowOf,
  retentionFromRow,
  retentionRow,
  toRow,
  versionFromRow,
  type RecordArray,
  type RecordRow,
} from './sqlite-rows.js';
import type { AccessStore } from '../../../ports/access-store.js';
import { SqliteAccessStore } from './sqlite-access-store.js';
import type { MonitoringStore } from '../../../ports/monitoring-store.js';
import { SqliteMonitoringStore } from './sqlite-monitoring-store.js';
import { afterCursor, compileFilter, segmentOrder, segments, type FilterMode } from './sqlite-run-query.js';
import { METRIC_CHUNK_POINTS, SQLITE_MIGRATIONS, type HistogramsTable, type LoggedModelsTable, type RunsTable, type SqliteDatabaseSchema, type SweepsTable } from './sqlite-schema.js';

/** How long a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 30_000;
const OPTIMIZE_EVERY_MS = 60 * 60_000;
/** How many runs a search walks in the order's index before it reads the filter first instead. */
const WALK_BUDGET = 2_000;
/** SQLite's default limit on bound parameters is 32766; stay far below it. */
const MAX_PARAMS = 900;
/** Prepared statements kept per store, by their text. */
const STATEMENT_CACHE_SIZE = 256;

export interface SqliteMetadataStoreOptions {
  /** Path of the database file; created with its folder when missing. */
  readonly path: string;
}

/** The conditions of a query (project, statuses, dev, filter) as one SQL condition on `runs`. */
function queryConditions(query: RunQuery, mode: FilterMode): RawBuilder<unknown> {
  const c: RawBuilder<unknown>[] = [sql`1`];
  if (query.project !== undefined) c.push(sql`runs.project = ${query.project}`);
  if (query.projects !== undefined) c.push(query.projects.length === 0 ? sql`0` : sql`runs.project in (${sql.join([...query.projects])})`);
  const deleted = query.deleted ?? 'exclude';
  if (deleted !== 'include') c.push(deleted === 'only' ? sql`runs.deleted_at is not null` : sql`runs.deleted_at is null`);
  if (query.statuses && query.statuses.length > 0) c.push(sql`runs.status in (${sql.join([...query.statuses])})`);
  if (query.dev !== undefined) c.push(sql`runs.dev = ${query.dev ? 1 : 0}`);
  if (query.filter) c.push(compileFilter(query.filter, mode));
  return sql.join(c, sql` and `);
}

export class SqliteMetadataStore implements MetadataStore {
  readonly capabilities = { concurrentWriters: false } as const;
  readonly #path: string;
  #raw: Database.Database | undefined;
  #db: Kysely<SqliteDatabaseSchema> | undefined;
  #prepared: ReturnType<typeof prepareStatements> | undefined;
  readonly #statementCache = new Map<string, Database.Statement>();
  #optimizer: NodeJS.Timeout | undefined;

  /** What init's migration did, for `reprise db migrate`. */
  #migrated: { from: number; to: number } | undefined;

  constructor(options: SqliteMetadataStoreOptions) {
    this.#path = options.path;
  }

  /** Opens the store (init migrates it) and says from which schema version to which. */
  async migrate(): Promise<{ from: number; to: number }> {
    await this.init();
    return this.#migrated ?? { from: SQLITE_MIGRATIONS.length, to: SQLITE_MIGRATIONS.length };
  }

  async init(): Promise<void> {
    if (this.#db) return;
    mkdirSync(dirname(this.#path), { recursive: true });
    const raw = new Database(this.#path);
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    enableWal(raw);
    // FULL: a commit the caller was told about survives a crash of the machine too.
    raw.pragma('synchronous = FULL');
    // 64 MiB of pages kept in the process (SQLite's default is 2 MiB): a server's searches
    // read the same indexes again and again, and a page from the OS costs a system call.
    raw.pragma('cache_size = -65536');
    raw.pragma('foreign_keys = ON');
    try {
      this.#migrated = migrate(raw, this.#path);
      // Statistics let SQLite see which filter of a search is the selective one. Sampled
      // (analysis_limit), and redone only when tables grew a lot: about 0.2 s for 100,000
      // runs the first time, under a millisecond after.
      raw.pragma('analysis_limit = 1000');
      raw.pragma('optimize = 0x10002');
    } catch (e) {
      raw.close();
      throw e;
    }
    // A long-lived process (the server) refreshes them as the store grows.
    this.#optimizer = setInterval(() => {
      try {
        raw.pragma('optimize');
      } catch {
        // Busy or closing: the next round will do.
      }
    }, OPTIMIZE_EVERY_MS);
    this.#optimizer.unref();
    this.#raw = raw;
    this.#db = new Kysely<SqliteDatabaseSchema>({ dialect: new SqliteDialect({ database: raw }) });
  }

  get #k(): Kysely<SqliteDatabaseSchema> {
    if (!this.#db) throw bug('the metadata store was used before init() or after close()');
    return this.#db;
  }

  /** Users, grants, tokens, sessions and the audit log, in the same file and over the same connection. */
  accessStore(): AccessStore {
    return new SqliteAccessStore({
      db: () => {
        if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
        return this.#raw;
      },
      write: (fn) => this.#write(fn),
    });
  }

  /** What the monitor of production models keeps, in the same file and over the same connection. */
  monitoringStore(): MonitoringStore {
    return new SqliteMonitoringStore({
      db: () => {
        if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
        return this.#raw;
      },
      write: (fn) => this.#write(fn),
    });
  }

  /** The hot paths (metric appends and reads), prepared once: per-call SQL building costs more than the insert. */
  #statements(): ReturnType<typeof prepareStatements> {
    if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
    this.#prepared ??= prepareStatements(this.#raw);
    return this.#prepared;
  }

  /** Runs `fn` synchronously in a write transaction that holds the write lock from its start. */
  #write<T>(fn: () => T): T {
    if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
    return this.#raw.transaction(fn).immediate();
  }

  /**
   * A prepared statement for the text, kept for the next query of the same shape: a search
   * page builds the same few statements each time, and preparing them costs more than
   * running them on a small store.
   */
  #prepare(text: string, arrays = false): Database.Statement {
    if (!this.#raw) throw bug('the metadata store was used before init() or after close()');
    // A statement gives rows as objects or as arrays, never both: each mode is kept apart.
    const key = arrays ? `arrays:${text}` : text;
    let stmt = this.#statementCache.get(key);
    if (stmt) {
      // Most recently used last, so the oldest is the one dropped.
      this.#statementCache.delete(key);
    } else {
      stmt = this.#raw.prepare(text);
      if (arrays) stmt.raw(true);
      if (this.#statementCache.size >= STATEMENT_CACHE_SIZE) this.#statementCache.delete(this.#statementCache.keys().next().value!);
    }
    this.#statementCache.set(key, stmt);
    return stmt;
  }

  /** Runs a query built with kysely synchronously; rows for reads, [] for writes. */
  #exec<R>(query: Compilable<R>): R[] {
    const { sql: text, parameters } = query.compile();
    const stmt = this.#prepare(text);
    if (stmt.reader) return stmt.all(...(parameters as unknown[])) as R[];
    stmt.run(...(parameters as unknown[]));
    return [];
  }

  /**
   * The same, each row an array of its columns in order: several times quicker to read
   * than objects, for the hot reads of a search page (hundreds of rows each).
   */
  #execArrays<R extends unknown[]>(query: RawBuilder<unknown>): R[] {
    const { sql: text, parameters } = query.compile(this.#k);
    return this.#prepare(text, true).all(...(parameters as unknown[])) as R[];
  }

  /** Runs a query written as raw SQL (its values bound), for the shapes kysely's builder does not express. */
  #execRaw<R>(query: RawBuilder<unknown>): R[] {
    const { sql: text, parameters } = query.compile(this.#k);
    return this.#prepare(text).all(...(parameters as unknown[])) as R[];
  }

  async createRun(run: RunRecord): Promise<void> {
    this.#write(() => this.#insertRun(run));
  }

  /** Inside a write transaction: the run and the params of its manifest. */
  #insertRun(run: RunRecord): void {
    const k = this.#k;
    const params = Object.entries(flattenParams(run.manifest.params.values as Params));
    this.#exec(k.insertInto('runs').values(toRow(run)));
    this.#ensureProject(run.project, run.createdAt);
    this.#indexDataReads(run.id, run.manifest);
    for (let i = 0; i < params.length; i += MAX_PARAMS / 5) {
      this.#exec(k.insertInto('run_params').values(params.slice(i, i + MAX_PARAMS / 5).map(([key, v]) => ({ run_id: run.id, key, ...paramColumns(v) }))));
    }
  }

  /** Inside a write transaction: the run's data reads, as its manifest has them now. */
  #indexDataReads(runId: string, manifest: RunManifest): void {
    const k = this.#k;
    this.#exec(k.deleteFrom('run_data_reads').where('run_id', '=', runId));
    const rows = dataReadRows(runId, manifest);
    if (rows.length > 0) this.#exec(k.insertInto('run_data_reads').values(rows));
  }

  async updateRun(id: string, patch: RunPatch, onlyIf?: readonly RunStatus[]): Promise<boolean> {
    const set = runPatchColumns(patch);
    const data = patch.manifest?.data;
    if (data !== undefined && data.length > 0) {
      // The reads change with the manifest (a snapshot materialized), in the same transaction.
      return this.#write(() => {
        let q = this.#k.updateTable('runs').set(set).where('id', '=', id);
        if (onlyIf) q = q.where('status', 'in', [...onlyIf]);
        const { sql: text, parameters } = q.compile();
        const changed = this.#raw!.prepare(text).run(...(parameters as unknown[])).changes > 0;
        if (changed) this.#indexDataReads(id, patch.manifest!);
        return changed;
      });
    }
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
    const prefix = likeLiteral(ref.toLowerCase());
    const rows = await this.#k
      .selectFrom('runs')
      .selectAll()
      .where((eb) => eb.or([eb('name', '=', ref), sql<boolean>`id like ${`${prefix}%`} escape '\\'`]))
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /**
   * A page of a search. Each segment of the order (see sqlite-run-query.ts) is read in one
   * of two ways. First by walking the order's index for up to WALK_BUDGET runs, checking
   * each against the filter: quick when many runs pass. If that leaves the page short
   * with runs still unwalked, the filter is few runs' and is read first instead, its
   * matches sorted (ids and sort values only). Full rows are read for the page alone.
   */
  async listRuns(query: RunQuery): Promise<RunPage> {
    const order = query.order ?? DEFAULT_ORDER;
    const limit = query.limit ?? 100;
    const conditions = (mode: FilterMode) => queryConditions(query, mode);
    const segs = segments(order);
    const cursor = query.cursor ? decodeCursor(query.cursor, order, segs.length) : undefined;
    const found: { id: string; sv: unknown; segment: number }[] = [];
    for (let i = cursor?.s ?? 0; i < segs.length && found.length <= limit; i++) {
      const seg = segs[i]!;
      const want = limit + 1 - found.length;
      const after = cursor && i === cursor.s ? afterCursor(seg, order.direction, cursor) : sql`1`;
      const value = seg.value ?? sql`null`;
      const from = seg.table ? sql`${seg.table} s` : sql`runs`;
      if (seg.having && this.#execRaw<{ n: number }>(seg.having)[0]!.n >= this.#execRaw<{ n: number }>(sql`select count(*) as n from runs`)[0]!.n) continue;
      // The walk: the order's index read in order (a co-routine, up to WALK_BUDGET entries),
      // each entry checked against the filter by primary-key lookups, stopping at the
      // page's end. Quick when many runs pass.
      const dir = order.direction === 'desc' ? sql`desc` : sql`asc`;
      let rows = this.#execArrays<[string, unknown]>(
        sql`select w.id as id, w.sv as sv from (select ${seg.id} as id, ${value} as sv from ${from} where ${seg.where} and ${after} order by ${segmentOrder(seg, order.direction)} limit ${WALK_BUDGET}) w
            join runs on runs.id = w.id where ${conditions('probe')} order by ${seg.value === null ? sql`w.id ${dir}` : sql`w.sv ${dir}, w.id ${dir}`} limit ${want}`,
      );
      // Short, with runs left beyond the walk: few runs pass, so the filter's matches are read first and sorted.
      if (rows.length < want && this.#execRaw<{ n: number }>(sql`select count(*) as n from (select 1 from ${from} where ${seg.where} and ${after} limit ${WALK_BUDGET + 1})`)[0]!.n > WALK_BUDGET) {
        const join = seg.table ? sql`${seg.table} s join runs on runs.id = s.run_id` : sql`runs`;
        rows = this.#execArrays<[string, unknown]>(
          sql`select ${seg.id} as id, ${value} as sv from ${join} where ${seg.where} and ${after} and ${conditions('select')} order by ${segmentOrder(seg, order.direction, 'select')} limit ${want}`,
        );
      }
      for (const [id, sv] of rows) found.push({ id, sv, segment: i });
    }
    const page = found.slice(0, limit);
    const byId = new Map<string, RecordRow>();
    for (let i = 0; i < page.length; i += MAX_PARAMS) {
      const ids = page.slice(i, i + MAX_PARAMS).map((f) => f.id);
      // The record's columns alone: a page of thousands of rows is read faster without the queue's.
      const list = JSON.stringify(ids);
      for (const r of this.#execArrays<RecordArray>(sql`select ${sql.join(RECORD_COLUMNS.map((c) => sql.ref(c)))} from runs where id in (select value from json_each(${list}))`)) {
        byId.set(r[0], recordRowOf(r));
      }
    }
    const last = page[page.length - 1];
    return {
      runs: page.map((f) => fromRow(byId.get(f.id)!)),
      nextCursor: found.length > limit && last ? encodeCursor(order, last.segment, last.sv, last.id) : null,
    };
  }

  async countRuns(query: RunQuery): Promise<number> {
    return this.#execRaw<{ n: number }>(sql`select count(*) as n from runs where ${queryConditions(query, 'select')}`)[0]!.n;
  }

  async listProjects(): Promise<ProjectSummary[]> {
    const rows = this.#execRaw<{ project: string; status: RunStatus; dev: number; n: number; first: number; last: number }>(
      sql`select project, status, dev, count(*) as n, min(created_at) as first,
            max(max(created_at, coalesce(ended_at, 0), heartbeat_at)) as last
          from runs group by project, status, dev order by project`,
    );
    return projectSummaries(rows);
  }

  async runKeys(project?: string): Promise<RunKeys> {
    // Each table's distinct keys come from its (key, value, run_id) index by skipping
    // from key to key; a project's are those with one of its runs, found by walking that
    // key's entries until the first: quick when runs share their keys, as runs of a project do.
    const keys = (table: 'run_params' | 'run_tags' | 'metric_summaries'): string[] =>
      this.#execRaw<{ key: string }>(
        project === undefined
          ? sql`select distinct key from ${sql.table(table)} order by key`
          : sql`select k.key as key from (select distinct key from ${sql.table(table)}) k
                where exists (select 1 from ${sql.table(table)} s join runs on runs.id = s.run_id where s.key = k.key and runs.project = ${project})
                order by k.key`,
      ).map((r) => r.key);
    return { params: keys('run_params'), metrics: keys('metric_summaries'), tags: keys('run_tags') };
  }

  async runTimeline(project: string): Promise<TimelineEntry[]> {
    const rows = this.#execRaw<{ id: string; name: string; status: RunStatus; dev: number; created_at: number; ended_at: number | null }>(
      sql`select id, name, status, dev, created_at, ended_at from runs where project = ${project} order by created_at, id`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, status: r.status, dev: r.dev === 1, createdAt: r.created_at, endedAt: r.ended_at }));
  }

  async appendMetrics(runId: string, batches: readonly MetricBatch[], writer?: MetricWriter): Promise<boolean> {
    const st = this.#statements();
    return this.#write(() => {
      if (writer) {
        const seen = st.writerSeq.get(runId, writer.id) as { seq: number } | undefined;
        if (seen && seen.seq >= writer.seq) return false;
        st.writerSet.run(runId, writer.id, writer.seq);
      }
      this.#appendBatches(runId, batches);
      return true;
    });
  }

  /** Appends points inside the caller's write transaction. */
  #appendBatches(runId: string, batches: readonly MetricBatch[]): void {
    const st = this.#statements();
    for (const b of batches) {
      if (b.steps.length === 0) continue;
      let series = st.seriesId.get(runId, b.key) as { id: number } | undefined;
      series ??= { id: Number(st.seriesInsert.run(runId, b.key).lastInsertRowid) };
      const tail = st.chunkTail.get(series.id) as { seq: number; n: number; steps: Buffer; ts: Buffer; vals: Buffer } | undefined;
      let from = 0;
      let seq = tail ? tail.seq + 1 : 0;
      if (tail && tail.n < METRIC_CHUNK_POINTS) {
        // Small live appends fill the last chunk instead of making many tiny ones.
        from = Math.min(METRIC_CHUNK_POINTS - tail.n, b.steps.length);
        const merged = concatColumns(decodeChunks([tail], tail.n), sliceColumns(b, 0, from));
        const enc = encodeChunk(merged);
        st.chunkUpdate.run(merged.steps.length, enc.minStep, enc.maxStep, enc.summary, enc.steps, enc.ts, enc.vals, series.id, tail.seq);
        seq = tail.seq + 1;
      }
      for (; from < b.steps.length; from += METRIC_CHUNK_POINTS, seq++) {
        const part = sliceColumns(b, from, Math.min(from + METRIC_CHUNK_POINTS, b.steps.length));
        const enc = encodeChunk(part);
        st.chunkInsert.run(series.id, seq, part.steps.length, enc.minStep, enc.maxStep, enc.summary, enc.steps, enc.ts, enc.vals);
      }
      let fold: SummaryState | undefined;
      for (let i = 0; i < b.steps.length; i++) fold = foldPoint(fold, { step: b.steps[i]!, ts: b.ts[i]!, value: b.values[i]! });
      const prev = st.summaryGet.get(runId, b.key) as SqliteDatabaseSchema['metric_summaries'] | undefined;
      const m = mergeSummaries(prev ? summaryFromRow(prev) : undefined, fold!);
      st.summaryUpsert.run(runId, b.key, nanAsNull(m.last), m.lastStep, m.lastTs, nanAsNull(m.min), nanAsNull(m.max), m.count);
    }
  }

  async metricSeries(runId: string, key: string): Promise<MetricColumns> {
    const st = this.#statements();
    const series = st.seriesId.get(runId, key) as { id: number } | undefined;
    if (!series) return emptyColumns();
    const chunks = st.chunksOf.all(series.id) as { n: number; steps: Buffer; ts: Buffer; vals: Buffer }[];
    return sortColumns(decodeChunks(chunks, chunks.reduce((t, c) => t + c.n, 0)));
  }

  async metricHistory(runId: string, key: string, sample: HistorySample): Promise<{ total: number; points: MetricColumns }> {
    const st = this.#statements();
    const series = st.seriesId.get(runId, key) as { id: number } | undefined;
    if (!series) return { total: 0, points: emptyColumns() };
    const chunks = st.chunkRanges.all(series.id) as { seq: number; n: number; min_step: number; max_step: number; summary: Buffer }[];
    const total = chunks.reduce((t, c) => t + c.n, 0);
    // Chunks in step order (the usual case: steps only grow) are sampled one by one, and a
    // chunk inside one bucket by its summary alone, its points never read. Otherwise the
    // series is read whole and sorted first.
    const ordered = chunks.every((c, i) => i === 0 || c.min_step > chunks[i - 1]!.max_step);
    const sampler = (sample.method ?? 'minmax') === 'minmax' && total > sample.maxPoints && ordered
      ? MinMaxSampler.create(chunks[0]!.min_step, chunks[chunks.length - 1]!.max_step, total, sample.maxPoints)
      : undefined;
    if (sampler) {
      let inOrder = true;
      for (const c of chunks) {
        if (sampler.fitsOneBucket(c.min_step, c.max_step)) {
          sampler.addSummary(c.n, decodeSummary(c.summary));
          continue;
        }
        const row = st.chunkPoints.get(series.id, c.seq) as { n: number; steps: Buffer; ts: Buffer; vals: Buffer };
        const piece = decodeChunks([row], row.n);
        if (!isSorted(piece)) {
          inOrder = false;
          break;
        }
        sampler.add(piece);
      }
      if (inOrder) return { total, points: sampler.finish() };
    }
    return { total, points: downsample(await this.metricSeries(runId, key), sample.maxPoints, sample.method) };
  }

  async appendHistograms(runId: string, batches: readonly HistogramBatch[]): Promise<void> {
    const st = this.#statements();
    this.#write(() => {
      if (!st.runExists.get(runId)) throw runNotFound(runId);
      this.#insertHistograms(runId, batches);
    });
  }

  /** Inserts histogram points inside the caller's write transaction. */
  #insertHistograms(runId: string, batches: readonly HistogramBatch[]): void {
    const st = this.#statements();
    for (const b of batches) {
      for (const p of b.points) {
        const s = p.stats;
        st.histogramInsert.run(
          runId,
          b.key,
          p.step,
          p.ts,
          s ? nanAsNull(s.min) : null,
          s ? nanAsNull(s.max) : null,
          s ? nanAsNull(s.count) : null,
          s ? nanAsNull(s.sum) : null,
          s ? nanAsNull(s.sumSquares) : null,
          bucketBytes(p.buckets),
        );
      }
    }
  }

  async histogramKeys(runId: string): Promise<HistogramSeriesInfo[]> {
    const rows = this.#statements().histogramKeys.all(runId, runId) as { key: string; n: number; first_step: number; last_step: number; last_ts: number }[];
    return rows.map((r) => ({ key: r.key, count: r.n, firstStep: r.first_step, lastStep: r.last_step, lastTs: r.last_ts }));
  }

  async histogramSeries(runId: string, key: string, opts?: { readonly maxPoints?: number }): Promise<{ total: number; points: HistogramPoint[] }> {
    const st = this.#statements();
    const max = opts?.maxPoints === undefined ? undefined : Math.max(0, Math.floor(opts.maxPoints));
    // One read transaction: the count and the rows read after it see the same series.
    return this.#raw!.transaction(() => {
      if (max === undefined) {
        const points = (st.histogramRows.all(runId, key) as HistogramRow[]).map(histogramFromRow);
        return { total: points.length, points };
      }
      // The series' order from the index alone (no row, no blob is read); then only the
      // chosen rows, by rowid: a sample of a long series of wide histograms reads a
      // sample's worth of blobs.
      const order = st.histogramOrder.all(runId, key) as number[];
      if (order.length <= max) return { total: order.length, points: (st.histogramRows.all(runId, key) as HistogramRow[]).map(histogramFromRow) };
      const chosen = samplePoints(order, max);
      const bySeq = new Map<number, HistogramRow>();
      for (let i = 0; i < chosen.length; i += MAX_PARAMS) {
        for (const r of st.histogramsBySeq.all(JSON.stringify(chosen.slice(i, i + MAX_PARAMS))) as (HistogramRow & { seq: number })[]) bySeq.set(r.seq, r);
      }
      return { total: order.length, points: chosen.map((seq) => histogramFromRow(bySeq.get(seq)!)) };
    }).deferred();
  }

  async appendNotes(runId: string, notes: readonly RunNote[]): Promise<void> {
    const st = this.#statements();
    this.#write(() => {
      if (!st.runExists.get(runId)) throw runNotFound(runId);
      this.#insertNotes(runId, notes);
    });
  }

  /** Inserts notes inside the caller's write transaction. */
  #insertNotes(runId: string, notes: readonly RunNote[]): void {
    const st = this.#statements();
    for (const n of notes) st.noteInsert.run(runId, n.key, n.step, n.ts, n.text);
  }

  async runNotes(runId: string, query?: { readonly key?: string }): Promise<RunNote[]> {
    const st = this.#statements();
    const rows = (query?.key === undefined ? st.notesOf.all(runId) : st.notesOfKey.all(runId, query.key)) as RunNote[];
    return rows.map((r) => ({ key: r.key, step: r.step, ts: r.ts, text: r.text }));
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    const st = this.#statements();
    this.#write(() => {
      for (const [key, v] of Object.entries(params)) {
        const c = paramColumns(v);
        const prev = st.paramGet.get(runId, key) as { json: string } | undefined;
        if (prev && prev.json !== c.json) throw paramImmutable(runId, key, prev.json, c.json, v);
        if (!prev) st.paramInsert.run(runId, key, c.num, c.text, c.json);
      }
    });
  }

  async runParams(runId: string): Promise<Record<string, ParamValue>> {
    return this.#paramsOfRun(runId);
  }

  async paramsOf(runIds: readonly string[]): Promise<Map<string, Record<string, ParamValue>>> {
    const out = new Map<string, Record<string, ParamValue>>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const ids = JSON.stringify(runIds.slice(i, i + MAX_PARAMS));
      const rows = this.#execArrays<[string, string, string]>(sql`select run_id, key, json from run_params where run_id in (select value from json_each(${ids})) order by key`);
      for (const [runId, key, json] of rows) {
        const rec = out.get(runId) ?? {};
        rec[key] = JSON.parse(json) as ParamValue;
        out.set(runId, rec);
      }
    }
    return out;
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const st = this.#statements();
    this.#write(() => {
      for (const [key, value] of Object.entries(tags)) st.tagUpsert.run(runId, key, value);
    });
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    const st = this.#statements();
    return this.#write(() => st.tagDelete.run(runId, key).changes > 0);
  }

  async tagsOf(runIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      // The ids as one JSON value: one statement text whatever their number, prepared once.
      const ids = JSON.stringify(runIds.slice(i, i + MAX_PARAMS));
      const rows = this.#execArrays<[string, string, string]>(sql`select run_id, key, value from run_tags where run_id in (select value from json_each(${ids})) order by key`);
      for (const [runId, key, value] of rows) {
        const rec = out.get(runId) ?? {};
        rec[key] = value;
        out.set(runId, rec);
      }
    }
    return out;
  }

  async metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>> {
    const out = new Map<string, Record<string, MetricSummary>>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const ids = JSON.stringify(runIds.slice(i, i + MAX_PARAMS));
      const rows = this.#execArrays<[string, string, number | null, number, number, number | null, number | null, number]>(
        sql`select run_id, key, last, last_step, last_ts, min, max, count from metric_summaries where run_id in (select value from json_each(${ids})) order by key`,
      );
      for (const [runId, key, last, lastStep, lastTs, min, max, count] of rows) {
        const rec = out.get(runId) ?? {};
        rec[key] = { last: nullAsNaN(last), lastStep, lastTs, min: nullAsNaN(min), max: nullAsNaN(max), count };
        out.set(runId, rec);
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
    const row = imageRow(image);
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
    return rows.map(imageFromRow);
  }

  async importRun(imported: ImportedRun): Promise<boolean> {
    const k = this.#k;
    const st = this.#statements();
    const { run } = imported;
    const params = { ...flattenParams(run.manifest.params.values as Params), ...imported.params };
    return this.#write(() => {
      if (st.runExists.get(run.id)) return false;
      this.#exec(k.insertInto('runs').values(toRow(run)));
      this.#ensureProject(run.project, run.createdAt);
      this.#indexDataReads(run.id, run.manifest);
      for (const [key, v] of Object.entries(params)) {
        const c = paramColumns(v);
        st.paramInsert.run(run.id, key, c.num, c.text, c.json);
      }
      for (const [key, value] of Object.entries(imported.tags)) st.tagUpsert.run(run.id, key, value);
      for (let i = 0; i < imported.artifacts.length; i += MAX_PARAMS / 4) {
        this.#exec(k.insertInto('artifacts').values(imported.artifacts.slice(i, i + MAX_PARAMS / 4).map((a) => ({ run_id: run.id, ...a }))));
      }
      this.#appendBatches(run.id, imported.metrics);
      this.#insertHistograms(run.id, imported.histograms ?? []);
      this.#insertNotes(run.id, imported.notes ?? []);
      return true;
    });
  }

  async saveVerification(v: Verification): Promise<void> {
    const row = verificationRow(v);
    await this.#k
      .insertInto('verifications')
      .values(row)
      .onConflict((oc) => oc.columns(['original', 'reproduction']).doUpdateSet({ verdict: row.verdict, checked_at: row.checked_at, report: row.report }))
      .execute();
  }

  async verificationsOf(runIds: readonly string[]): Promise<Map<string, Verification[]>> {
    const out = new Map<string, Verification[]>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS / 2) {
      const ids = runIds.slice(i, i + MAX_PARAMS / 2);
      const rows = this.#exec(
        this.#k
          .selectFrom('verifications')
          .select(['original', 'reproduction', 'report'])
          .where((eb) => eb.or([eb('original', 'in', ids), eb('reproduction', 'in', ids)]))
          .orderBy('checked_at', 'desc'),
      );
      const wanted = new Set(ids);
      for (const r of rows) {
        const v = JSON.parse(r.report) as Verification;
        for (const id of new Set([r.original, r.reproduction])) {
          if (!wanted.has(id)) continue;
          const list = out.get(id) ?? [];
          list.push(v);
          out.set(id, list);
        }
      }
    }
    return out;
  }

  async createModelVersion(v: NewModelVersion): Promise<{ version: ModelVersion; alias: AliasMove | null }> {
    const k = this.#k;
    const folder = v.path ?? 'model';
    return this.#write(() => {
      const row = this.#exec(k.selectFrom('runs').selectAll().where('id', '=', v.runId))[0];
      if (!row) throw missingRun(v.runId);
      const run = fromRow(row);
      const mark = this.#exec(k.selectFrom('run_retention').selectAll().where('run_id', '=', v.runId))[0];
      const stored = this.#exec(k.selectFrom('artifacts').select(['path', 'size', 'sha256']).where('run_id', '=', v.runId).orderBy('path'));
      const artifacts = stored.length > 0 ? stored : run.manifest.outputs.artifacts;
      const refusal = promotionRefusal(run, mark?.state === 'deleted' ? mark.at : null, { folder, artifacts, forced: v.forced ?? false });
      if (refusal) throw refusal;
      const already = this.#exec(k.selectFrom('model_versions').select('version').where('model', '=', v.model).where('run_id', '=', v.runId))[0];
      if (already) throw alreadyAVersion(run, v.model, already.version, v.alias);
      const files = modelFilesOf(artifacts, folder);
      this.#exec(k.insertInto('models').values({ name: v.model, created_at: v.at, updated_at: v.at }).onConflict((oc) => oc.column('name').doUpdateSet({ updated_at: v.at })));
      // A deleted version's number is never given again (the audit log remembers it): `NAME@3` means one version forever.
      const last = this.#execRaw<{ v: number | null }>(
        sql`select max(v) as v from (select max(version) as v from model_versions where model = ${v.model} union all select max(to_version) as v from model_audit where model = ${v.model})`,
      )[0]?.v ?? 0;
      const version = last + 1;
      // A client's run has no params file: its params are those it logged.
      const lineage = lineageOf(run, run.manifest.code === null ? this.#paramsOfRun(run.id) : undefined);
      this.#exec(k.insertInto('model_versions').values(versionRow(v, version, run.id, folder, files, lineage)));
      const alias = v.alias === null ? null : this.#pointAlias(v.model, v.alias, version, v.at);
      this.#audit({ at: v.at, by: v.by, action: 'promote', model: v.model, alias: v.alias ?? '', fromVersion: alias?.from ?? null, toVersion: version, runId: run.id, note: promotionNote(v) });
      this.#putRetention(run.id, promotionPin(v, version));
      const made = this.#versionsWhere({ model: v.model, version })[0];
      if (!made) throw bug(`version ${version} of ${v.model} vanished inside its own transaction`);
      return { version: made, alias };
    });
  }

  /** A run's params under their dotted keys (the manifest's and those logged later). */
  #paramsOfRun(runId: string): Record<string, ParamValue> {
    const rows = this.#statements().paramsOf.all(runId) as { key: string; json: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.json) as ParamValue]));
  }

  /** Inside a write transaction: the alias now points at `version`; where it pointed before. */
  #pointAlias(model: string, alias: string, version: number, at: number): AliasMove {
    const k = this.#k;
    const before = this.#exec(k.selectFrom('model_aliases').select('version').where('model', '=', model).where('alias', '=', alias))[0]?.version ?? null;
    this.#exec(
      k
        .insertInto('model_aliases')
        .values({ model, alias, version, updated_at: at })
        .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version, updated_at: at })),
    );
    this.#exec(k.updateTable('models').set({ updated_at: at }).where('name', '=', model));
    return { alias, from: before, to: version };
  }

  #audit(e: Omit<ModelAuditEntry, 'id'>): void {
    this.#exec(this.#k.insertInto('model_audit').values(auditRow(e)));
  }

  /** Versions with their run's name and project and their aliases, newest first. */
  #versionsWhere(w: { model?: string; version?: number; runIds?: readonly string[] }): ModelVersion[] {
    const k = this.#k;
    let q = k
      .selectFrom('model_versions')
      .innerJoin('runs', 'runs.id', 'model_versions.run_id')
      .selectAll('model_versions')
      .select(['runs.name as run_name', 'runs.project as run_project'])
      .orderBy('model_versions.model')
      .orderBy('model_versions.version', 'desc');
    if (w.model !== undefined) q = q.where('model_versions.model', '=', w.model);
    if (w.version !== undefined) q = q.where('model_versions.version', '=', w.version);
    if (w.runIds !== undefined) q = q.where('model_versions.run_id', 'in', [...w.runIds]);
    const rows = this.#exec(q);
    if (rows.length === 0) return [];
    const models = [...new Set(rows.map((r) => r.model))];
    const aliases = this.#exec(k.selectFrom('model_aliases').select(['model', 'alias', 'version']).where('model', 'in', models).orderBy('alias'));
    return rows.map((r) => versionFromRow(r, aliases));
  }

  async listModels(): Promise<RegisteredModel[]> {
    return this.#models();
  }

  #models(name?: string): RegisteredModel[] {
    const k = this.#k;
    let q = k
      .selectFrom('models')
      .leftJoin('model_versions', 'model_versions.model', 'models.name')
      .select(['models.name', 'models.created_at', 'models.updated_at', 'models.description', 'models.tags'])
      .select((eb) => [eb.fn.count<number>('model_versions.version').as('versions'), eb.fn.max<number | null>('model_versions.version').as('latest')])
      .groupBy('models.name')
      .orderBy('models.name');
    if (name !== undefined) q = q.where('models.name', '=', name);
    const rows = this.#exec(q);
    if (rows.length === 0) return [];
    const aliases = this.#exec(k.selectFrom('model_aliases').select(['model', 'alias', 'version']).where('model', 'in', rows.map((r) => r.name)).orderBy('alias'));
    return rows.map((r) => registeredModelFromRow(r, JSON.parse(r.tags) as Record<string, string>, aliases));
  }

  async modelVersions(model: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined> {
    const found = this.#models(model)[0];
    if (!found) return undefined;
    return { model: found, versions: this.#versionsWhere({ model }) };
  }

  async getModelVersion(model: string, ref: VersionRef): Promise<ModelVersion | undefined> {
    const version = 'version' in ref ? ref.version : this.#exec(this.#k.selectFrom('model_aliases').select('version').where('model', '=', model).where('alias', '=', ref.alias))[0]?.version;
    if (version === undefined) return undefined;
    return this.#versionsWhere({ model, version })[0];
  }

  async moveAlias(change: AliasChange): Promise<AliasMove> {
    const k = this.#k;
    return this.#write(() => {
      const exists = this.#exec(k.selectFrom('model_versions').select('run_id').where('model', '=', change.model).where('version', '=', change.version))[0];
      if (!exists) throw this.#unknownVersion(change.model, change.version);
      const move = this.#pointAlias(change.model, change.alias, change.version, change.at);
      this.#audit({ at: change.at, by: change.by, action: 'alias', model: change.model, alias: change.alias, fromVersion: move.from, toVersion: change.version, runId: exists.run_id, note: change.note });
      return move;
    });
  }

  async modelAudit(query: { model?: string; limit?: number }): Promise<ModelAuditEntry[]> {
    let q = this.#k.selectFrom('model_audit').selectAll().orderBy('id', 'desc').limit(query.limit ?? 200);
    if (query.model !== undefined) q = q.where('model', '=', query.model);
    return this.#exec(q).map(auditFromRow);
  }

  async modelVersionsOfRuns(runIds: readonly string[]): Promise<Map<string, RunModelVersion[]>> {
    const out = new Map<string, RunModelVersion[]>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const ids = runIds.slice(i, i + MAX_PARAMS);
      for (const v of this.#versionsWhere({ runIds: ids })) {
        const list = out.get(v.runId) ?? [];
        list.push({ model: v.model, version: v.version, aliases: v.aliases });
        out.set(v.runId, list);
      }
    }
    return out;
  }

  async setRetention(runId: string, mark: RetentionMark): Promise<void> {
    const k = this.#k;
    this.#write(() => {
      if (!this.#exec(k.selectFrom('runs').select('id').where('id', '=', runId))[0]) throw missingRun(runId);
      const refusal = retentionRefusal(runId, this.#exec(k.selectFrom('run_retention').selectAll().where('run_id', '=', runId))[0], mark);
      if (refusal) throw refusal;
      this.#putRetention(runId, mark);
    });
  }

  /** Inside a write transaction: the run's mark, replacing any earlier one. */
  #putRetention(runId: string, mark: RetentionMark): void {
    const row = retentionRow(runId, mark);
    this.#exec(this.#k.insertInto('run_retention').values(row).onConflict((oc) => oc.column('run_id').doUpdateSet(row)));
  }

  async retentionMarks(runIds: readonly string[]): Promise<Map<string, RetentionMark>> {
    const out = new Map<string, RetentionMark>();
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const rows = this.#exec(this.#k.selectFrom('run_retention').selectAll().where('run_id', 'in', runIds.slice(i, i + MAX_PARAMS)));
      for (const r of rows) out.set(r.run_id, retentionFromRow(r));
    }
    return out;
  }

  async submitRuns(runs: readonly RunRecord[], sweep?: SweepRecord, delivery?: HookDelivery): Promise<void> {
    this.#write(() => {
      if (delivery) {
        // Remembered first, under the write lock: a second delivery of the same push waits, then finds it.
        const seen = this.#exec(this.#k.insertInto('hook_deliveries').values(deliveryRow(delivery)).onConflict((oc) => oc.doNothing()).returning('delivery')).length === 0;
        if (seen) throw deliverySeen(delivery);
      }
      if (sweep) this.#exec(this.#k.insertInto('sweeps').values(sweepRow(sweep)));
      for (const run of runs) this.#insertRun(run);
    });
  }

  async saveRepositoryLink(link: RepositoryLink, secret: string): Promise<void> {
    const { row, changed } = linkRow(link, secret);
    await this.#k.insertInto('repository_links').values(row).onConflict((oc) => oc.column('project').doUpdateSet(changed)).execute();
  }

  async repositoryLinks(project?: string): Promise<RepositoryLink[]> {
    let q = this.#k.selectFrom('repository_links').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    const rows = await q.orderBy('project').execute();
    return rows.map(linkFromRow);
  }

  async repositoryLinkSecret(project: string): Promise<string | undefined> {
    return (await this.#k.selectFrom('repository_links').select('secret').where('project', '=', project).executeTakeFirst())?.secret;
  }

  async deleteRepositoryLink(project: string): Promise<boolean> {
    const res = await this.#k.deleteFrom('repository_links').where('project', '=', project).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async hookDelivery(provider: string, id: string, project: string): Promise<HookDelivery | undefined> {
    const r = await this.#k
      .selectFrom('hook_deliveries')
      .selectAll()
      .where('provider', '=', provider)
      .where('delivery', '=', id)
      .where('project', '=', project)
      .executeTakeFirst();
    return r ? deliveryFromRow(r, JSON.parse(r.run_ids) as string[]) : undefined;
  }

  async claimRun(claim: QueueClaim): Promise<RunRecord | undefined> {
    if (claim.queues.length === 0) return undefined;
    const t0 = Date.now();
    const deadline = t0 + Math.min(claim.waitMs ?? 0, MAX_CLAIM_WAIT_MS);
    for (;;) {
      const now = Date.now();
      // A claim that waited is dated when it took the run.
      const run = this.#claimNow({ ...claim, now: claim.now + (now - t0) });
      if (run || now >= deadline || !this.#raw) return run;
      await sleep(Math.min(CLAIM_POLL_MS, deadline - now));
    }
  }

  #claimNow(claim: QueueClaim): RunRecord | undefined {
    // One statement: the pick and the take cannot be split by another claim.
    const rows = this.#write(() =>
      this.#execRaw<RunsTable>(sql`
        update runs set status = 'preparing', worker = ${claim.worker}, host = ${claim.host}, pid = ${claim.pid},
          pid_start = ${claim.pidStart}, heartbeat_at = ${claim.now}, manifest = json_set(manifest, '$.status', 'preparing')
        where id = (
          select id from runs
          where status = 'queued' and queue in (${sql.join([...claim.queues])})
            and coalesce(gpus, ${claim.hasGpus ? 1 : 0}) <= ${claim.freeGpus}
          order by priority desc, id
          limit 1
        ) and status = 'queued'
        returning *`),
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async heartbeat(beat: { readonly at: number; readonly runIds: readonly string[]; readonly worker?: string }): Promise<Record<string, RunBeat>> {
    const k = this.#k;
    return this.#write(() => {
      if (beat.worker !== undefined) {
        const seen = this.#exec(k.updateTable('workers').set({ seen_at: beat.at }).where('id', '=', beat.worker).returning('id'));
        if (seen.length === 0) throw workerNotFound(beat.worker);
      }
      const out: Record<string, RunBeat> = {};
      for (const id of beat.runIds) {
        const row = this.#exec(k.selectFrom('runs').select(['status', 'worker', 'cancel_at']).where('id', '=', id))[0];
        if (!row || !ACTIVE_STATUSES.includes(row.status as RunStatus) || row.status === 'queued' || (beat.worker !== undefined && row.worker !== beat.worker)) {
          out[id] = 'gone';
          continue;
        }
        this.#exec(k.updateTable('runs').set({ heartbeat_at: beat.at }).where('id', '=', id));
        out[id] = row.cancel_at !== null ? 'cancel' : 'running';
      }
      return out;
    });
  }

  async requestCancel(runId: string, request: CancelRequest): Promise<boolean> {
    const res = this.#write(() =>
      this.#exec(
        this.#k
          .updateTable('runs')
          .set({ cancel_by: request.by, cancel_at: request.at })
          .where('id', '=', runId)
          .where('status', 'in', [...ACTIVE_STATUSES])
          .returning('id'),
      ),
    );
    return res.length > 0;
  }

  async runHolder(runId: string): Promise<{ readonly status: RunStatus; readonly worker: string | null } | undefined> {
    const row = this.#statements().runHolder.get(runId) as { status: string; worker: string | null } | undefined;
    return row ? { status: row.status as RunStatus, worker: row.worker } : undefined;
  }

  async settleLostRun(id: string, patch: RunPatch, retry: RunRecord | null): Promise<boolean> {
    return this.#write(() => {
      const set = runPatchColumns(patch);
      const done = this.#exec(this.#k.updateTable('runs').set(set).where('id', '=', id).where('status', 'in', [...ACTIVE_STATUSES]).returning('id'));
      if (done.length === 0) return false;
      if (retry) this.#insertRun(retry);
      return true;
    });
  }

  async registerWorker(w: WorkerRegistration): Promise<void> {
    const row = workerRow(w);
    this.#write(() => this.#exec(this.#k.insertInto('workers').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row))));
  }

  async stopWorker(id: string, at: number): Promise<void> {
    this.#write(() => this.#exec(this.#k.updateTable('workers').set({ stopped_at: at, seen_at: at }).where('id', '=', id)));
  }

  async listWorkers(since: number): Promise<WorkerRecord[]> {
    const k = this.#k;
    const rows = this.#exec(k.selectFrom('workers').selectAll().where('seen_at', '>=', since).orderBy('started_at', 'desc').limit(1000));
    const held = new Map<string, string[]>();
    if (rows.length > 0) {
      const active = this.#exec(
        k.selectFrom('runs').select(['id', 'worker']).where('worker', 'in', rows.map((r) => r.id)).where('status', 'in', [...ACTIVE_STATUSES]).orderBy('id'),
      );
      for (const r of active) held.set(r.worker!, [...(held.get(r.worker!) ?? []), r.id]);
    }
    return rows.map((r) => workerFromRow(r, JSON.parse(r.queues) as string[], JSON.parse(r.gpus) as string[], held.get(r.id) ?? []));
  }

  async listSweeps(query: { readonly project?: string; readonly limit?: number }): Promise<SweepSummary[]> {
    let q = this.#k.selectFrom('sweeps').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 100);
    if (query.project !== undefined) q = q.where('project', '=', query.project);
    return this.#summariseSweeps(this.#exec(q));
  }

  async listDataReads(query: { readonly source: string; readonly table: string; readonly limit?: number }): Promise<DataRead[]> {
    const rows = await this.#k
      .selectFrom('run_data_reads as d')
      .innerJoin('runs as r', 'r.id', 'd.run_id')
      .select(['d.run_id', 'r.name as run_name', 'r.project', 'r.status', 'r.created_at', 'd.name', 'd.as_of', 'd.rows', 'd.content_hash'])
      .where('d.source', '=', query.source)
      .where('d.table_name', '=', query.table)
      .orderBy('r.created_at', 'desc')
      .orderBy('d.run_id', 'desc')
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map(dataReadFromRow);
  }

  async findSweeps(ref: string, limit: number): Promise<SweepSummary[]> {
    const prefix = likeLiteral(ref.toLowerCase());
    const rows = this.#exec(
      this.#k
        .selectFrom('sweeps')
        .selectAll()
        .where((eb) => eb.or([eb('name', '=', ref), sql<boolean>`id like ${`${prefix}%`} escape '\\'`]))
        .orderBy('created_at', 'desc')
        .limit(limit),
    );
    return this.#summariseSweeps(rows);
  }

  #summariseSweeps(rows: SweepsTable[]): SweepSummary[] {
    if (rows.length === 0) return [];
    const counts = sweepTallies(
      this.#exec(
        this.#k
          .selectFrom('runs')
          .select(['sweep_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
          .where('sweep_id', 'in', rows.map((r) => r.id))
          .groupBy(['sweep_id', 'status']),
      ),
    );
    return rows.map((r) => sweepFromRow(r, JSON.parse(r.spec) as unknown, counts.get(r.id)));
  }

  // Projects as records.

  /** Inside a write transaction: the project's record, made when it has none. */
  #ensureProject(name: string, at: number): void {
    this.#raw!.prepare('INSERT OR IGNORE INTO projects (name, created_at, updated_at) VALUES (?, ?, ?)').run(name, at, at);
  }

  async createProject(p: { readonly name: string; readonly at: number; readonly tags?: Readonly<Record<string, string>> }): Promise<ProjectRecord> {
    const k = this.#k;
    return this.#write(() => {
      const taken = this.#exec(k.selectFrom('projects').selectAll().where('name', '=', p.name))[0];
      if (taken) throw projectExists(p.name, { id: taken.id, deletedAt: taken.deleted_at });
      this.#exec(k.insertInto('projects').values({ name: p.name, created_at: p.at, updated_at: p.at, tags: JSON.stringify(p.tags ?? {}) }));
      return projectFromRow(this.#exec(k.selectFrom('projects').selectAll().where('name', '=', p.name))[0]!);
    });
  }

  async projectRecord(ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord | undefined> {
    const q = this.#k.selectFrom('projects').selectAll();
    const row = 'id' in ref ? this.#exec(q.where('id', '=', ref.id))[0] : this.#exec(q.where('name', '=', ref.name))[0];
    return row ? projectFromRow(row) : undefined;
  }

  async projectRecords(): Promise<ProjectRecord[]> {
    return this.#exec(this.#k.selectFrom('projects').selectAll().orderBy('id')).map(projectFromRow);
  }

  async updateProject(name: string, patch: ProjectPatch): Promise<ProjectRecord> {
    const k = this.#k;
    return this.#write(() => {
      const row = this.#exec(k.selectFrom('projects').selectAll().where('name', '=', name))[0];
      if (!row) throw projectNotFound(name);
      const set = projectPatchColumns(patch, { tags: JSON.parse(row.tags) as Record<string, string>, deletedAt: row.deleted_at });
      // Runs deleted with the project carry its time, so a restore brings back those alone.
      if (typeof set.deleted_at === 'number') this.#exec(k.updateTable('runs').set({ deleted_at: set.deleted_at }).where('project', '=', name).where('deleted_at', 'is', null));
      else if (set.deleted_at === null && row.deleted_at !== null) this.#exec(k.updateTable('runs').set({ deleted_at: null }).where('project', '=', name).where('deleted_at', '=', row.deleted_at));
      this.#exec(k.updateTable('projects').set(set).where('id', '=', row.id));
      return projectFromRow(this.#exec(k.selectFrom('projects').selectAll().where('id', '=', row.id))[0]!);
    });
  }

  async setRunDeleted(runId: string, at: number | null): Promise<boolean> {
    return this.#write(() => this.#raw!.prepare('UPDATE runs SET deleted_at = ? WHERE id = ?').run(at, runId).changes > 0);
  }

  async renameRun(runId: string, name: string): Promise<boolean> {
    return this.#write(
      () => this.#raw!.prepare(`UPDATE runs SET name = ?, manifest = json_set(manifest, '$.run.name', ?) WHERE id = ?`).run(name, name, runId).changes > 0,
    );
  }

  async addArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void> {
    const put = this.#raw!.prepare(
      'INSERT INTO artifacts (run_id, path, size, sha256) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256',
    );
    this.#write(() => {
      for (const a of artifacts) put.run(runId, a.path, a.size, a.sha256);
    });
  }

  async removeArtifacts(runId: string, path: string): Promise<number> {
    const under = likeLiteral(`${path.replace(/\/+$/, '')}/`);
    return this.#write(
      () => this.#raw!.prepare(`DELETE FROM artifacts WHERE run_id = ? AND (path = ? OR path LIKE ? ESCAPE '\\')`).run(runId, path, `${under}%`).changes,
    );
  }

  async addRunInputs(runId: string, inputs: { readonly datasets?: readonly RunDataset[]; readonly models?: readonly RunModelLink[] }): Promise<void> {
    const dataset = this.#raw!.prepare('INSERT INTO run_datasets (run_id, name, digest, body) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, name, digest) DO UPDATE SET body = excluded.body');
    const model = this.#raw!.prepare(
      'INSERT INTO run_models (run_id, model_id, direction, step) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, model_id, direction) DO UPDATE SET step = max(step, excluded.step)',
    );
    this.#write(() => {
      for (const d of inputs.datasets ?? []) dataset.run(runId, d.name, d.digest, JSON.stringify(d));
      for (const m of inputs.models ?? []) model.run(runId, m.modelId, m.direction, m.step);
    });
  }

  async runInputs(runIds: readonly string[]): Promise<Map<string, RunInputs>> {
    const out = new Map<string, { datasets: RunDataset[]; models: RunModelLink[] }>();
    const entry = (id: string) => {
      let e = out.get(id);
      if (!e) out.set(id, (e = { datasets: [], models: [] }));
      return e;
    };
    for (let i = 0; i < runIds.length; i += MAX_PARAMS) {
      const ids = runIds.slice(i, i + MAX_PARAMS);
      for (const r of this.#execRaw<{ run_id: string; body: string }>(sql`select run_id, body from run_datasets where run_id in (${sql.join(ids)}) order by rowid`)) entry(r.run_id).datasets.push(JSON.parse(r.body) as RunDataset);
      for (const r of this.#execRaw<{ run_id: string; model_id: string; direction: string; step: number }>(sql`select run_id, model_id, direction, step from run_models where run_id in (${sql.join(ids)}) order by rowid`)) {
        entry(r.run_id).models.push({ modelId: r.model_id, direction: r.direction as RunModelLink['direction'], step: r.step });
      }
    }
    return out;
  }

  async saveLoggedModel(m: Omit<LoggedModelRecord, 'path'> & { readonly path?: string }): Promise<LoggedModelRecord> {
    const k = this.#k;
    return this.#write(() => {
      const before = this.#exec(k.selectFrom('logged_models').select('path').where('id', '=', m.id))[0];
      let path = before?.path ?? m.path;
      if (path === undefined) {
        const taken = this.#exec(k.selectFrom('logged_models').select('id').where('run_id', '=', m.runId).where('path', '=', m.name))[0];
        path = taken ? `models/${m.id}` : m.name;
      }
      const row: LoggedModelsTable = loggedModelRow({ ...m, path });
      this.#exec(k.insertInto('logged_models').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ ...row })));
      return loggedModelFromRow(row);
    });
  }

  async loggedModel(id: string): Promise<LoggedModelRecord | undefined> {
    const row = this.#exec(this.#k.selectFrom('logged_models').selectAll().where('id', '=', id))[0];
    return row ? loggedModelFromRow(row) : undefined;
  }

  async loggedModels(query: { readonly projects?: readonly string[]; readonly runId?: string }): Promise<LoggedModelRecord[]> {
    let q = this.#k.selectFrom('logged_models').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (query.projects !== undefined) q = q.where('project', 'in', query.projects.length > 0 ? [...query.projects] : ['']);
    if (query.runId !== undefined) q = q.where('run_id', '=', query.runId);
    return this.#exec(q).map(loggedModelFromRow);
  }

  async deleteLoggedModel(id: string): Promise<boolean> {
    return this.#write(() => this.#raw!.prepare('DELETE FROM logged_models WHERE id = ?').run(id).changes > 0);
  }

  // The registry beyond promotion.

  async createModel(m: { readonly name: string; readonly by: string; readonly description: string | null; readonly tags: Readonly<Record<string, string>>; readonly at: number }): Promise<RegisteredModel> {
    const k = this.#k;
    return this.#write(() => {
      if (this.#exec(k.selectFrom('models').select('name').where('name', '=', m.name))[0]) {
        throw modelExists(m.name);
      }
      this.#exec(k.insertInto('models').values({ name: m.name, created_at: m.at, updated_at: m.at, description: m.description, tags: JSON.stringify(m.tags) }));
      return this.#models(m.name)[0]!;
    });
  }

  async updateModel(name: string, patch: ModelPatch): Promise<RegisteredModel> {
    const k = this.#k;
    return this.#write(() => {
      const row = this.#exec(k.selectFrom('models').select(['tags']).where('name', '=', name))[0];
      if (!row) throw unknownModel(name);
      const set: { updated_at: number; tags: string; description?: string | null } = { updated_at: patch.at, tags: JSON.stringify(patchedTags(JSON.parse(row.tags) as Record<string, string>, patch)) };
      if (patch.description !== undefined) set.description = patch.description;
      this.#exec(k.updateTable('models').set(set).where('name', '=', name));
      return this.#models(name)[0]!;
    });
  }

  async updateModelVersion(name: string, version: number, patch: ModelPatch): Promise<ModelVersion> {
    const k = this.#k;
    return this.#write(() => {
      const row = this.#exec(k.selectFrom('model_versions').select(['tags']).where('model', '=', name).where('version', '=', version))[0];
      if (!row) throw this.#unknownVersion(name, version);
      const set: { tags: string; description?: string | null } = { tags: JSON.stringify(patchedTags(JSON.parse(row.tags) as Record<string, string>, patch)) };
      if (patch.description !== undefined) set.description = patch.description;
      this.#exec(k.updateTable('model_versions').set(set).where('model', '=', name).where('version', '=', version));
      this.#exec(k.updateTable('models').set({ updated_at: patch.at }).where('name', '=', name));
      return this.#versionsWhere({ model: name, version })[0]!;
    });
  }

  #unknownVersion(name: string, version: number): RepriseError {
    return versionNotFound(name, version, this.#exec(this.#k.selectFrom('models').select('name').where('name', '=', name))[0] !== undefined);
  }

  async removeAlias(change: { readonly model: string; readonly alias: string; readonly by: string; readonly at: number }): Promise<boolean> {
    const k = this.#k;
    return this.#write(() => {
      const row = this.#exec(k.selectFrom('model_aliases').select('version').where('model', '=', change.model).where('alias', '=', change.alias))[0];
      if (!row) return false;
      this.#exec(k.deleteFrom('model_aliases').where('model', '=', change.model).where('alias', '=', change.alias));
      this.#exec(k.updateTable('models').set({ updated_at: change.at }).where('name', '=', change.model));
      this.#audit({ at: change.at, by: change.by, action: 'unalias', model: change.model, alias: change.alias, fromVersion: row.version, toVersion: 0, runId: null, note: null });
      return true;
    });
  }

  async deleteModel(change: { readonly model: string; readonly version?: number; readonly by: string; readonly at: number }): Promise<void> {
    const k = this.#k;
    this.#write(() => {
      if (!this.#exec(k.selectFrom('models').select('name').where('name', '=', change.model))[0]) throw unknownModel(change.model);
      const v = change.version;
      if (v !== undefined) {
        const row = this.#exec(k.selectFrom('model_versions').select('run_id').where('model', '=', change.model).where('version', '=', v))[0];
        if (!row) throw this.#unknownVersion(change.model, v);
        this.#exec(k.deleteFrom('model_aliases').where('model', '=', change.model).where('version', '=', v));
        this.#exec(k.deleteFrom('model_versions').where('model', '=', change.model).where('version', '=', v));
        this.#exec(k.updateTable('models').set({ updated_at: change.at }).where('name', '=', change.model));
        this.#audit({ at: change.at, by: change.by, action: 'delete', model: change.model, alias: '', fromVersion: v, toVersion: v, runId: row.run_id, note: null });
        return;
      }
      this.#exec(k.deleteFrom('model_aliases').where('model', '=', change.model));
      this.#exec(k.deleteFrom('model_versions').where('model', '=', change.model));
      this.#exec(k.deleteFrom('models').where('name', '=', change.model));
      this.#audit({ at: change.at, by: change.by, action: 'delete', model: change.model, alias: '', fromVersion: null, toVersion: 0, runId: null, note: null });
    });
  }

  async allModelVersions(model?: string): Promise<ModelVersion[]> {
    return this.#versionsWhere(model !== undefined ? { model } : {});
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
    this.#prepared = undefined;
    this.#statementCache.clear();
    clearInterval(this.#optimizer);
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

function migrate(raw: Database.Database, path: string): { from: number; to: number } {
  const latest = SQLITE_MIGRATIONS.length;
  const current = (): number => raw.pragma('user_version', { simple: true }) as number;
  const from = current();
  if (current() > latest) {
    throw new RepriseError('REPRISE_ERR_STORE_SCHEMA_NEWER', `the metadata store ${path} was written by a newer Reprise (schema ${current()}, this one knows ${latest})`, {
      hint: 'upgrade Reprise',
    });
  }
  if (current() === latest) return { from, to: latest };
  // Another process may be migrating at this moment: take the write lock, then look again.
  raw.exec('BEGIN IMMEDIATE');
  try {
    for (let v = current(); v < latest; v++) {
      const m = SQLITE_MIGRATIONS[v]!;
      if (typeof m === 'string') raw.exec(m);
      else m(raw);
    }
    raw.pragma(`user_version = ${latest}`);
    raw.exec('COMMIT');
    return { from, to: latest };
  } catch (e) {
    raw.exec('ROLLBACK');
    throw e;
  }
}

function prepareStatements(db: Database.Database) {
  return {
    writerSeq: db.prepare('SELECT seq FROM metric_writers WHERE run_id = ? AND writer = ?'),
    writerSet: db.prepare('INSERT INTO metric_writers (run_id, writer, seq) VALUES (?, ?, ?) ON CONFLICT (run_id, writer) DO UPDATE SET seq = excluded.seq'),
    seriesId: db.prepare('SELECT id FROM metric_series WHERE run_id = ? AND key = ?'),
    seriesInsert: db.prepare('INSERT INTO metric_series (run_id, key) VALUES (?, ?)'),
    chunkTail: db.prepare('SELECT seq, n, steps, ts, vals FROM metric_chunks WHERE series_id = ? ORDER BY seq DESC LIMIT 1'),
    chunkInsert: db.prepare('INSERT INTO metric_chunks (series_id, seq, n, min_step, max_step, summary, steps, ts, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    chunkUpdate: db.prepare('UPDATE metric_chunks SET n = ?, min_step = ?, max_step = ?, summary = ?, steps = ?, ts = ?, vals = ? WHERE series_id = ? AND seq = ?'),
    chunksOf: db.prepare('SELECT n, steps, ts, vals FROM metric_chunks WHERE series_id = ? ORDER BY seq'),
    chunkRanges: db.prepare('SELECT seq, n, min_step, max_step, summary FROM metric_chunks WHERE series_id = ? ORDER BY seq'),
    chunkPoints: db.prepare('SELECT n, steps, ts, vals FROM metric_chunks WHERE series_id = ? AND seq = ?'),
    summaryGet: db.prepare('SELECT * FROM metric_summaries WHERE run_id = ? AND key = ?'),
    summaryUpsert: db.prepare(
      `INSERT INTO metric_summaries (run_id, key, last, last_step, last_ts, min, max, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET last = excluded.last, last_step = excluded.last_step, last_ts = excluded.last_ts,
         min = excluded.min, max = excluded.max, count = excluded.count`,
    ),
    paramGet: db.prepare('SELECT json FROM run_params WHERE run_id = ? AND key = ?'),
    runExists: db.prepare('SELECT 1 FROM runs WHERE id = ?'),
    runHolder: db.prepare('SELECT status, worker FROM runs WHERE id = ?'),
    paramInsert: db.prepare('INSERT INTO run_params (run_id, key, num, text, json) VALUES (?, ?, ?, ?, ?)'),
    paramsOf: db.prepare('SELECT key, json FROM run_params WHERE run_id = ? ORDER BY key'),
    tagUpsert: db.prepare('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value'),
    tagDelete: db.prepare('DELETE FROM run_tags WHERE run_id = ? AND key = ?'),
    histogramInsert: db.prepare('INSERT INTO histograms (run_id, key, step, ts, min, max, count, sum, sum_squares, buckets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    // Per key from the index; the last point's time by one descent of it.
    histogramKeys: db.prepare(
      `SELECT h.key AS key, count(*) AS n, min(h.step) AS first_step, max(h.step) AS last_step,
         (SELECT l.ts FROM histograms l WHERE l.run_id = ? AND l.key = h.key ORDER BY l.step DESC, l.ts DESC, l.seq DESC LIMIT 1) AS last_ts
       FROM histograms h WHERE h.run_id = ? GROUP BY h.key ORDER BY h.key`,
    ),
    histogramOrder: db.prepare('SELECT seq FROM histograms WHERE run_id = ? AND key = ? ORDER BY step, ts, seq').pluck(),
    histogramRows: db.prepare('SELECT step, ts, min, max, count, sum, sum_squares, buckets FROM histograms WHERE run_id = ? AND key = ? ORDER BY step, ts, seq'),
    histogramsBySeq: db.prepare('SELECT seq, step, ts, min, max, count, sum, sum_squares, buckets FROM histograms WHERE seq IN (SELECT value FROM json_each(?))'),
    noteInsert: db.prepare('INSERT INTO run_notes (run_id, key, step, ts, text) VALUES (?, ?, ?, ?, ?)'),
    notesOf: db.prepare('SELECT key, step, ts, text FROM run_notes WHERE run_id = ? ORDER BY key, step, seq'),
    notesOfKey: db.prepare('SELECT key, step, ts, text FROM run_notes WHERE run_id = ? AND key = ? ORDER BY step, seq'),
  };
}

type HistogramRow = Pick<HistogramsTable, 'step' | 'ts' | 'min' | 'max' | 'count' | 'sum' | 'sum_squares' | 'buckets'>;

function summaryFromRow(r: SqliteDatabaseSchema['metric_summaries']): SummaryState {
  return { last: nullAsNaN(r.last), lastStep: r.last_step, lastTs: r.last_ts, min: nullAsNaN(r.min), max: nullAsNaN(r.max), count: r.count };
}
