/**
 * @module adapters/metadata-store/postgres/postgres-metadata-store
 * The metadata store in PostgreSQL, for a server (or several) sharing one database.
 * Tables live in one schema (`public` unless told), migrated at init under an advisory
 * lock. Unlike SQLite, PostgreSQL runs writers at once: each write method is one
 * transaction (run again when it loses to a concurrent one), and where a write reads
 * before it writes, rows or advisory locks make it correct under concurrency (see the
 * parts: postgres-metrics.ts, postgres-model-store.ts, postgres-queue.ts,
 * postgres-access-store.ts). A connection lost or refused surfaces as
 * REPRISE_ERR_STORE_UNAVAILABLE (postgres-connection.ts).
 */
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { bug } from '../../../core/errors.js';
import type { HistogramBatch, HistogramPoint, HistogramSeriesInfo } from '../../../core/histogram.js';
import type { MetricBatch, MetricColumns } from '../../../core/metric-series.js';
import type { ModelAuditEntry, ModelVersion, RegisteredModel, RunModelVersion, VersionRef } from '../../../core/model-store.js';
import type { ParamValue } from '../../../core/params.js';
import type { ProjectPatch, ProjectRecord } from '../../../core/project-record.js';
import { CLAIM_POLL_MS, MAX_CLAIM_WAIT_MS, type CancelRequest, type QueueClaim, type RunBeat, type SweepRecord, type SweepSummary, type WorkerRegistration, type WorkerRecord } from '../../../core/queue.js';
import type { HookDelivery, RepositoryLink } from '../../../core/repository-link.js';
import type { RetentionMark } from '../../../core/retention.js';
import type { RunNote } from '../../../core/run-note.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import type { Artifact, MetricSummary, RunStatus } from '../../../core/run-manifest.js';
import type { Verification } from '../../../core/verification.js';
import type { LoggedModelRecord, RunDataset, RunInputs, RunModelLink } from '../../../core/client-records.js';
import type { AccessStore } from '../../../ports/access-store.js';
import type { MonitoringStore } from '../../../ports/monitoring-store.js';
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
  StoreTableSink,
  TimelineEntry,
} from '../../../ports/metadata-store.js';
import { likeLiteral } from '../sql-like.js';
import { dataReadFromRow, imageFromRow, imageRow, linkFromRow, linkRow, projectSummaries, RECORD_COLUMNS, runPatchColumns, verificationRow } from '../sql-rows.js';
import { paramImmutable } from '../store-errors.js';
import { paramColumns } from '../sqlite/sqlite-encoding.js';
import { PostgresAccessStore } from './postgres-access-store.js';
import { PostgresMonitoringStore } from './postgres-monitoring-store.js';
import { openPool, retryConflicts, type StoreConnection } from './postgres-connection.js';
import * as clients from './postgres-client-records.js';
import * as metrics from './postgres-metrics.js';
import { migrate } from './postgres-migrate.js';
import * as registry from './postgres-model-store.js';
import * as queue from './postgres-queue.js';
import { fromRow, type RecordRow } from './postgres-rows.js';
import { countRuns, searchRuns } from './postgres-run-query.js';
import { indexDataReads, insertParams, insertRun, upsertArtifacts, upsertTags } from './postgres-runs.js';
import type { PostgresTables } from './postgres-schema.js';
import { PostgresTableSink } from './postgres-table-sink.js';

export { checkStoreUrl, parsePostgresUrl } from './postgres-url.js';

export interface PostgresMetadataStoreOptions {
  /** `postgres://` or `postgresql://`; anything else is REPRISE_ERR_STORE_URL_INVALID. */
  readonly url: string;
  /** The PostgreSQL schema the tables live in, made when missing; default `public`. */
  readonly schema?: string;
  /** Connections at most, per store; default 10. */
  readonly poolSize?: number;
}

type Db = Kysely<PostgresTables>;

export class PostgresMetadataStore implements MetadataStore {
  readonly capabilities = { concurrentWriters: true } as const;
  readonly #url: string;
  readonly #schema: string;
  readonly #poolSize: number | undefined;
  #conn: StoreConnection | undefined;
  #db: Db | undefined;
  #migrated = false;

  constructor(options: PostgresMetadataStoreOptions) {
    this.#url = options.url;
    this.#schema = options.schema ?? 'public';
    this.#poolSize = options.poolSize;
  }

  /** Connects (the URL checked first) and brings the schema up to date. Idempotent. */
  async init(): Promise<void> {
    if (this.#migrated) return;
    await this.migrate();
  }

  /** Applies the migrations this build knows that the database lacks; the versions before and after. */
  async migrate(): Promise<{ from: number; to: number }> {
    const opened = this.#open();
    try {
      const done = await migrate(opened.db, opened.conn);
      this.#migrated = true;
      return done;
    } catch (e) {
      if (!this.#migrated) await this.close();
      throw e;
    }
  }

  #open(): { db: Db; conn: StoreConnection } {
    if (!this.#db || !this.#conn) {
      const conn = openPool(this.#url, this.#schema, this.#poolSize);
      this.#conn = conn;
      this.#db = new Kysely<PostgresTables>({ dialect: new PostgresDialect({ pool: conn.guarded }) });
    }
    return { db: this.#db, conn: this.#conn };
  }

  get #k(): Db {
    if (!this.#db || !this.#migrated) throw bug('the metadata store was used before init() or after close()');
    return this.#db;
  }

  /** Runs `fn` in a transaction, again when it lost to a concurrent one. */
  #write<T>(fn: (tx: Transaction<PostgresTables>) => Promise<T>): Promise<T> {
    const db = this.#k;
    return retryConflicts(() => db.transaction().execute(fn));
  }

  /** Users, grants, tokens, sessions and the audit log, in the same schema and over the same pool. */
  accessStore(): AccessStore {
    return new PostgresAccessStore({ db: () => this.#k, write: (fn) => this.#write(fn), schema: this.#schema });
  }

  /** What the monitor of production models keeps, in the same schema and over the same pool. */
  monitoringStore(): MonitoringStore {
    return new PostgresMonitoringStore({ db: () => this.#k, write: (fn) => this.#write(fn), schema: this.#schema });
  }

  async createRun(run: RunRecord): Promise<void> {
    await this.#write((tx) => insertRun(tx, run));
  }

  async updateRun(id: string, patch: RunPatch, onlyIf?: readonly RunStatus[]): Promise<boolean> {
    const set = runPatchColumns(patch);
    const only = onlyIf ? [...onlyIf] : undefined;
    if (Object.keys(set).length === 0) {
      let probe = this.#k.selectFrom('runs').select('id').where('id', '=', id);
      if (only) probe = probe.where('status', '=', sql<string>`any(${only}::text[])`);
      return (await probe.executeTakeFirst()) !== undefined;
    }
    const data = patch.manifest?.data;
    return this.#write(async (tx) => {
      let q = tx.updateTable('runs').set(set).where('id', '=', id);
      if (only) q = q.where('status', '=', sql<string>`any(${only}::text[])`);
      const changed = (await q.returning('id').execute()).length > 0;
      // The reads change with the manifest (a snapshot materialized), in the same transaction.
      if (changed && data !== undefined && data.length > 0) await indexDataReads(tx, id, patch.manifest!);
      return changed;
    });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = (await this.#k.selectFrom('runs').select([...RECORD_COLUMNS]).where('id', '=', id).executeTakeFirst()) as RecordRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  async findRuns(ref: string, limit: number): Promise<RunRecord[]> {
    const prefix = `${likeLiteral(ref.toLowerCase())}%`;
    const rows = (await this.#k
      .selectFrom('runs')
      .select([...RECORD_COLUMNS])
      .where((eb) => eb.or([eb('name', '=', ref), sql<boolean>`lower(id) like ${prefix} escape '\\'`]))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()) as RecordRow[];
    return rows.map(fromRow);
  }

  async listRuns(query: RunQuery): Promise<RunPage> {
    return searchRuns(this.#k, query);
  }

  async countRuns(query: RunQuery): Promise<number> {
    return countRuns(this.#k, query);
  }

  async listProjects(): Promise<ProjectSummary[]> {
    const { rows } = await sql<{ project: string; status: RunStatus; dev: boolean; n: number; first: number; last: number }>`
      select project, status, dev, count(*) as n, min(created_at) as first,
        max(greatest(created_at, coalesce(ended_at, 0), heartbeat_at)) as last
      from runs group by project, status, dev order by project`.execute(this.#k);
    return projectSummaries(rows);
  }

  async runKeys(project?: string): Promise<RunKeys> {
    // Each table's distinct keys by skipping from key to key down its (key, ...) index,
    // rather than reading every row. A project's are those with one of its runs, found by
    // walking the key's entries until the first: quick when runs share their keys, as
    // runs of a project do.
    const keys = async (table: 'run_params' | 'run_tags' | 'metric_summaries'): Promise<string[]> => {
      const t = sql.table(table);
      const ofProject =
        project === undefined
          ? sql`true`
          : sql`exists (select 1 from ${t} s where s.key = k.key and exists (select 1 from runs where runs.id = s.run_id and runs.project = ${project} offset 0) offset 0)`;
      const { rows } = await sql<{ key: string }>`
        with recursive k(key) as (
          (select key from ${t} order by key limit 1)
          union all
          select (select t.key from ${t} t where t.key > k.key order by t.key limit 1) from k where k.key is not null
        )
        select key from k where key is not null and ${ofProject} order by key`.execute(this.#k);
      return rows.map((r) => r.key);
    };
    const [params, metricKeys, tags] = await Promise.all([keys('run_params'), keys('metric_summaries'), keys('run_tags')]);
    return { params, metrics: metricKeys, tags };
  }

  async runTimeline(project: string): Promise<TimelineEntry[]> {
    const rows = await this.#k
      .selectFrom('runs')
      .select(['id', 'name', 'status', 'dev', 'created_at', 'ended_at'])
      .where('project', '=', project)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, status: r.status as RunStatus, dev: r.dev, createdAt: r.created_at, endedAt: r.ended_at }));
  }

  async appendMetrics(runId: string, batches: readonly MetricBatch[], writer?: MetricWriter): Promise<boolean> {
    if (!writer && batches.every((b) => b.steps.length === 0)) {
      void this.#k;
      return true;
    }
    return this.#write(async (tx) => {
      if (writer) {
        if (!(await metrics.lockRunForWriter(tx, runId, writer))) return false;
      } else await metrics.lockRun(tx, runId);
      await metrics.appendBatches(tx, runId, batches);
      return true;
    });
  }

  async metricSeries(runId: string, key: string): Promise<MetricColumns> {
    return metrics.metricSeries(this.#k, runId, key);
  }

  async metricHistory(runId: string, key: string, sample: HistorySample): Promise<{ total: number; points: MetricColumns }> {
    // One snapshot: the chunks listed and the points read after them are the same series, whatever is appended meanwhile.
    return this.#k
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((tx) => metrics.metricHistory(tx, runId, key, sample));
  }

  async appendHistograms(runId: string, batches: readonly HistogramBatch[]): Promise<void> {
    await this.#write(async (tx) => {
      await metrics.requireRun(tx, runId);
      await metrics.insertHistograms(tx, runId, batches);
    });
  }

  async histogramKeys(runId: string): Promise<HistogramSeriesInfo[]> {
    return metrics.histogramKeys(this.#k, runId);
  }

  async histogramSeries(runId: string, key: string, opts?: { readonly maxPoints?: number }): Promise<{ total: number; points: HistogramPoint[] }> {
    const max = opts?.maxPoints === undefined ? undefined : Math.max(0, Math.floor(opts.maxPoints));
    // One snapshot: the count and the rows read after it see the same series.
    return this.#k
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((tx) => metrics.histogramSeries(tx, runId, key, max));
  }

  async appendNotes(runId: string, notes: readonly RunNote[]): Promise<void> {
    await this.#write(async (tx) => {
      await metrics.requireRun(tx, runId);
      await metrics.insertNotes(tx, runId, notes);
    });
  }

  async runNotes(runId: string, query?: { readonly key?: string }): Promise<RunNote[]> {
    return metrics.runNotes(this.#k, runId, query?.key);
  }

  async logParams(runId: string, params: Readonly<Record<string, ParamValue>>): Promise<void> {
    if (Object.keys(params).length === 0) return;
    await this.#write(async (tx) => {
      // Inserted where unset; those already set (here or by a concurrent call) must hold the same value.
      const inserted = await insertParams(tx, runId, params);
      const rest = Object.keys(params).filter((k) => !inserted.has(k));
      if (rest.length === 0) return;
      const stored = await tx.selectFrom('run_params').select(['key', 'json']).where('run_id', '=', runId).where('key', '=', sql<string>`any(${rest}::text[])`).execute();
      const before = new Map(stored.map((r) => [r.key, r.json]));
      for (const key of rest) {
        const v = params[key]!;
        const json = paramColumns(v).json;
        const prev = before.get(key);
        if (prev !== undefined && prev !== json) throw paramImmutable(runId, key, prev, json, v);
      }
    });
  }

  async runParams(runId: string): Promise<Record<string, ParamValue>> {
    return registry.paramsOfRun(this.#k, runId);
  }

  async paramsOf(runIds: readonly string[]): Promise<Map<string, Record<string, ParamValue>>> {
    const out = new Map<string, Record<string, ParamValue>>();
    if (runIds.length === 0) return out;
    const rows = await this.#k.selectFrom('run_params').select(['run_id', 'key', 'json']).where('run_id', '=', sql<string>`any(${[...runIds]}::text[])`).orderBy('key').execute();
    for (const r of rows) {
      const rec = out.get(r.run_id) ?? {};
      rec[r.key] = JSON.parse(r.json) as ParamValue;
      out.set(r.run_id, rec);
    }
    return out;
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await upsertTags(this.#k, runId, tags);
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    return (await this.#k.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).returning('key').execute()).length > 0;
  }

  async tagsOf(runIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    if (runIds.length === 0) return out;
    const rows = await this.#k.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', '=', sql<string>`any(${[...runIds]}::text[])`).orderBy('key').execute();
    for (const r of rows) {
      const rec = out.get(r.run_id) ?? {};
      rec[r.key] = r.value;
      out.set(r.run_id, rec);
    }
    return out;
  }

  async metricSummaries(runIds: readonly string[]): Promise<Map<string, Record<string, MetricSummary>>> {
    return metrics.metricSummaries(this.#k, runIds);
  }

  async setArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void> {
    await this.#write(async (tx) => {
      await tx.deleteFrom('artifacts').where('run_id', '=', runId).execute();
      await upsertArtifacts(tx, runId, artifacts);
    });
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    return this.#k.selectFrom('artifacts').select(['path', 'size', 'sha256']).where('run_id', '=', runId).orderBy('path').execute();
  }

  async saveImage(image: ImageRecord): Promise<void> {
    const row = imageRow(image);
    await this.#k.insertInto('images').values(row).onConflict((oc) => oc.column('ref').doUpdateSet(row)).execute();
  }

  async listImages(project?: string): Promise<ImageRecord[]> {
    let q = this.#k.selectFrom('images').selectAll();
    if (project !== undefined) q = q.where('project', '=', project);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map(imageFromRow);
  }

  async importRun(imported: ImportedRun): Promise<boolean> {
    const { run } = imported;
    return this.#write(async (tx) => {
      if (!(await insertRun(tx, run, { moreParams: imported.params, ifAbsent: true }))) return false;
      await upsertTags(tx, run.id, imported.tags);
      await upsertArtifacts(tx, run.id, imported.artifacts);
      await metrics.appendBatches(tx, run.id, imported.metrics);
      await metrics.insertHistograms(tx, run.id, imported.histograms ?? []);
      await metrics.insertNotes(tx, run.id, imported.notes ?? []);
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
    if (runIds.length === 0) return out;
    const ids = [...runIds];
    const rows = await this.#k
      .selectFrom('verifications')
      .select(['original', 'reproduction', 'report'])
      .where((eb) => eb.or([eb('original', '=', sql<string>`any(${ids}::text[])`), eb('reproduction', '=', sql<string>`any(${ids}::text[])`)]))
      .orderBy('checked_at', 'desc')
      .execute();
    const wanted = new Set(ids);
    for (const r of rows) {
      for (const id of new Set([r.original, r.reproduction])) {
        if (!wanted.has(id)) continue;
        out.set(id, [...(out.get(id) ?? []), r.report as Verification]);
      }
    }
    return out;
  }

  // The model store and retention (postgres-model-store.ts).

  async createModelVersion(v: NewModelVersion): Promise<{ version: ModelVersion; alias: AliasMove | null }> {
    return this.#write((tx) => registry.createModelVersion(tx, v));
  }

  async listModels(): Promise<RegisteredModel[]> {
    return registry.models(this.#k);
  }

  async modelVersions(model: string): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined> {
    // One snapshot, so the model and its versions agree.
    return this.#k
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const found = (await registry.models(tx, model))[0];
        return found ? { model: found, versions: await registry.versionsWhere(tx, { model }) } : undefined;
      });
  }

  async getModelVersion(model: string, ref: VersionRef): Promise<ModelVersion | undefined> {
    return registry.getModelVersion(this.#k, model, ref);
  }

  async moveAlias(change: AliasChange): Promise<AliasMove> {
    return this.#write((tx) => registry.moveAlias(tx, change));
  }

  async modelAudit(query: { model?: string; limit?: number }): Promise<ModelAuditEntry[]> {
    return registry.modelAudit(this.#k, query);
  }

  async modelVersionsOfRuns(runIds: readonly string[]): Promise<Map<string, RunModelVersion[]>> {
    return registry.modelVersionsOfRuns(this.#k, runIds);
  }

  async setRetention(runId: string, mark: RetentionMark): Promise<void> {
    await this.#write((tx) => registry.setRetention(tx, runId, mark));
  }

  async retentionMarks(runIds: readonly string[]): Promise<Map<string, RetentionMark>> {
    return registry.retentionMarks(this.#k, runIds);
  }

  async createModel(m: { readonly name: string; readonly by: string; readonly description: string | null; readonly tags: Readonly<Record<string, string>>; readonly at: number }): Promise<RegisteredModel> {
    return this.#write((tx) => registry.createModel(tx, m));
  }

  async updateModel(name: string, patch: ModelPatch): Promise<RegisteredModel> {
    return this.#write((tx) => registry.updateModel(tx, name, patch));
  }

  async updateModelVersion(name: string, version: number, patch: ModelPatch): Promise<ModelVersion> {
    return this.#write((tx) => registry.updateModelVersion(tx, name, version, patch));
  }

  async removeAlias(change: { readonly model: string; readonly alias: string; readonly by: string; readonly at: number }): Promise<boolean> {
    return this.#write((tx) => registry.removeAlias(tx, change));
  }

  async deleteModel(change: { readonly model: string; readonly version?: number; readonly by: string; readonly at: number }): Promise<void> {
    await this.#write((tx) => registry.deleteModel(tx, change));
  }

  async allModelVersions(model?: string): Promise<ModelVersion[]> {
    return registry.versionsWhere(this.#k, model !== undefined ? { model } : {});
  }

  // The queue (postgres-queue.ts).

  async submitRuns(runs: readonly RunRecord[], sweep?: SweepRecord, delivery?: HookDelivery): Promise<void> {
    await this.#write((tx) => queue.submitRuns(tx, runs, sweep, delivery));
  }

  /** Claims now, or polls every CLAIM_POLL_MS until a run is queued or the claim's wait is over. */
  async claimRun(claim: QueueClaim): Promise<RunRecord | undefined> {
    if (claim.queues.length === 0) return undefined;
    const t0 = Date.now();
    const deadline = t0 + Math.min(claim.waitMs ?? 0, MAX_CLAIM_WAIT_MS);
    for (let first = true; ; first = false) {
      // A store closed while the claim waited ends the wait.
      if (!first && !this.#db) return undefined;
      const now = Date.now();
      // A claim that waited is dated when it took the run.
      const run = await queue.claimNow(this.#k, { ...claim, now: claim.now + (now - t0) });
      if (run || now >= deadline) return run;
      await sleep(Math.min(CLAIM_POLL_MS, deadline - now));
    }
  }

  async heartbeat(beat: { readonly at: number; readonly runIds: readonly string[]; readonly worker?: string }): Promise<Record<string, RunBeat>> {
    return this.#write((tx) => queue.heartbeat(tx, beat));
  }

  async requestCancel(runId: string, request: CancelRequest): Promise<boolean> {
    return queue.requestCancel(this.#k, runId, request);
  }

  async runHolder(runId: string): Promise<{ readonly status: RunStatus; readonly worker: string | null } | undefined> {
    const row = await this.#k.selectFrom('runs').select(['status', 'worker']).where('id', '=', runId).executeTakeFirst();
    return row ? { status: row.status as RunStatus, worker: row.worker } : undefined;
  }

  async settleLostRun(id: string, patch: RunPatch, retry: RunRecord | null): Promise<boolean> {
    return this.#write((tx) => queue.settleLostRun(tx, id, patch, retry));
  }

  async registerWorker(worker: WorkerRegistration): Promise<void> {
    await queue.registerWorker(this.#k, worker);
  }

  async stopWorker(id: string, at: number): Promise<void> {
    await queue.stopWorker(this.#k, id, at);
  }

  async listWorkers(since: number): Promise<WorkerRecord[]> {
    return queue.listWorkers(this.#k, since);
  }

  async listSweeps(query: { readonly project?: string; readonly limit?: number }): Promise<SweepSummary[]> {
    return queue.listSweeps(this.#k, query);
  }

  async findSweeps(ref: string, limit: number): Promise<SweepSummary[]> {
    return queue.findSweeps(this.#k, ref, limit, `${likeLiteral(ref.toLowerCase())}%`);
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

  async hookDelivery(provider: string, id: string, project: string): Promise<HookDelivery | undefined> {
    return queue.hookDelivery(this.#k, provider, id, project);
  }

  // Repositories linked to projects.

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
    return (await this.#k.deleteFrom('repository_links').where('project', '=', project).returning('project').execute()).length > 0;
  }

  // Projects as records, and what MLflow clients record (postgres-client-records.ts).

  async createProject(p: { readonly name: string; readonly at: number; readonly tags?: Readonly<Record<string, string>> }): Promise<ProjectRecord> {
    return this.#write((tx) => clients.createProject(tx, p));
  }

  async projectRecord(ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord | undefined> {
    return clients.projectRecord(this.#k, ref);
  }

  async projectRecords(): Promise<ProjectRecord[]> {
    return clients.projectRecords(this.#k);
  }

  async updateProject(name: string, patch: ProjectPatch): Promise<ProjectRecord> {
    return this.#write((tx) => clients.updateProject(tx, name, patch));
  }

  async setRunDeleted(runId: string, at: number | null): Promise<boolean> {
    return (await this.#k.updateTable('runs').set({ deleted_at: at }).where('id', '=', runId).returning('id').execute()).length > 0;
  }

  async renameRun(runId: string, name: string): Promise<boolean> {
    const done = await this.#k
      .updateTable('runs')
      .set({ name, manifest: sql<string>`jsonb_set(manifest, '{run,name}', to_jsonb(${name}::text))` })
      .where('id', '=', runId)
      .returning('id')
      .execute();
    return done.length > 0;
  }

  async addArtifacts(runId: string, artifacts: readonly Artifact[]): Promise<void> {
    await upsertArtifacts(this.#k, runId, artifacts);
  }

  async removeArtifacts(runId: string, path: string): Promise<number> {
    const under = `${likeLiteral(`${path.replace(/\/+$/, '')}/`)}%`;
    const gone = await this.#k
      .deleteFrom('artifacts')
      .where('run_id', '=', runId)
      .where((eb) => eb.or([eb('path', '=', path), sql<boolean>`path like ${under} escape '\\'`]))
      .returning('path')
      .execute();
    return gone.length;
  }

  async addRunInputs(runId: string, inputs: { readonly datasets?: readonly RunDataset[]; readonly models?: readonly RunModelLink[] }): Promise<void> {
    if ((inputs.datasets ?? []).length === 0 && (inputs.models ?? []).length === 0) return;
    await this.#write((tx) => clients.addRunInputs(tx, runId, inputs));
  }

  async runInputs(runIds: readonly string[]): Promise<Map<string, RunInputs>> {
    return clients.runInputs(this.#k, runIds);
  }

  async saveLoggedModel(m: Omit<LoggedModelRecord, 'path'> & { readonly path?: string }): Promise<LoggedModelRecord> {
    return this.#write((tx) => clients.saveLoggedModel(tx, m));
  }

  async loggedModel(id: string): Promise<LoggedModelRecord | undefined> {
    return clients.loggedModel(this.#k, id);
  }

  async loggedModels(query: { readonly projects?: readonly string[]; readonly runId?: string }): Promise<LoggedModelRecord[]> {
    return clients.loggedModels(this.#k, query);
  }

  async deleteLoggedModel(id: string): Promise<boolean> {
    return (await this.#k.deleteFrom('logged_models').where('id', '=', id).returning('id').execute()).length > 0;
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

  /** The store as `reprise migrate` fills it, table by table (postgres-table-sink.ts). */
  tableSink(): StoreTableSink {
    void this.#k;
    return new PostgresTableSink(this.#conn!);
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#conn = undefined;
    this.#migrated = false;
    await db?.destroy();
  }
}
