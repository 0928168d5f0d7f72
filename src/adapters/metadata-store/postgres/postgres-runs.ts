/**
 * @module adapters/metadata-store/postgres/postgres-runs
 * A run as it is written, whichever way it arrives (created, submitted, imported, a
 * retry): its row, the params of its manifest, its project's record when it is the
 * project's first run, and the data tables it read. Many rows go in as one statement
 * over `unnest` of arrays, whatever their number. Each function takes its transaction.
 */
import { sql, type Kysely } from 'kysely';
import { flattenParams, type ParamValue, type Params } from '../../../core/params.js';
import type { RunRecord } from '../../../core/run.js';
import type { Artifact, RunManifest } from '../../../core/run-manifest.js';
import { paramColumns } from '../sqlite/sqlite-encoding.js';
import { dataReadRows } from '../sql-rows.js';
import { toRow } from './postgres-rows.js';
import type { PostgresTables } from './postgres-schema.js';

type Db = Kysely<PostgresTables>;

/**
 * Inside a transaction: the run, the params of its manifest (and `moreParams`), its
 * project's record and its data reads. A run whose id is taken fails the transaction, or
 * with `ifAbsent` writes nothing and gives false.
 */
export async function insertRun(tx: Db, run: RunRecord, opts: { moreParams?: Readonly<Record<string, ParamValue>>; ifAbsent?: boolean } = {}): Promise<boolean> {
  let q = tx.insertInto('runs').values(toRow(run));
  if (opts.ifAbsent) q = q.onConflict((oc) => oc.column('id').doNothing());
  if ((await q.returning('id').execute()).length === 0) return false;
  await ensureProject(tx, run.project, run.createdAt);
  if ((run.manifest.data ?? []).length > 0) await indexDataReads(tx, run.id, run.manifest);
  await insertParams(tx, run.id, { ...flattenParams(run.manifest.params.values as Params), ...(opts.moreParams ?? {}) });
  return true;
}

/** Inside a transaction: inserts params (none set yet, or those set are skipped); the keys inserted. */
export async function insertParams(tx: Db, runId: string, params: Readonly<Record<string, ParamValue>>): Promise<Set<string>> {
  const entries = Object.entries(params);
  if (entries.length === 0) return new Set();
  const cols = entries.map(([key, v]) => ({ key, ...paramColumns(v) }));
  const { rows } = await sql<{ key: string }>`
    insert into run_params (run_id, key, num, text, json)
    select ${runId}, p.key, p.num, p.text, p.json
    from unnest(${cols.map((c) => c.key)}::text[], ${cols.map((c) => c.num)}::float8[], ${cols.map((c) => c.text)}::text[], ${cols.map((c) => c.json)}::text[]) as p(key, num, text, json)
    on conflict (run_id, key) do nothing
    returning key`.execute(tx);
  return new Set(rows.map((r) => r.key));
}

/** Inside a transaction: sets tags, replacing the values of keys already set. */
export async function upsertTags(tx: Db, runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
  const entries = Object.entries(tags);
  if (entries.length === 0) return;
  await sql`
    insert into run_tags (run_id, key, value)
    select ${runId}, t.key, t.value from unnest(${entries.map(([k]) => k)}::text[], ${entries.map(([, v]) => v)}::text[]) as t(key, value)
    on conflict (run_id, key) do update set value = excluded.value`.execute(tx);
}

/** Inside a transaction: adds artifacts, replacing those of the same path. */
export async function upsertArtifacts(tx: Db, runId: string, artifacts: readonly Artifact[]): Promise<void> {
  if (artifacts.length === 0) return;
  await sql`
    insert into artifacts (run_id, path, size, sha256)
    select ${runId}, a.path, a.size, a.sha256
    from unnest(${artifacts.map((a) => a.path)}::text[], ${artifacts.map((a) => a.size)}::bigint[], ${artifacts.map((a) => a.sha256)}::text[]) as a(path, size, sha256)
    on conflict (run_id, path) do update set size = excluded.size, sha256 = excluded.sha256`.execute(tx);
}

/**
 * Inside a transaction: the project's record, made when it has none. The name is looked
 * up first so that a project's later runs take no number from the sequence.
 */
export async function ensureProject(tx: Db, name: string, at: number): Promise<void> {
  await sql`
    insert into projects (name, created_at, updated_at) select ${name}::text, ${at}::bigint, ${at}::bigint
    where not exists (select 1 from projects where name = ${name})
    on conflict (name) do nothing`.execute(tx);
}

/** Inside a transaction: the run's data reads, as its manifest has them now. */
export async function indexDataReads(tx: Db, runId: string, manifest: RunManifest): Promise<void> {
  await tx.deleteFrom('run_data_reads').where('run_id', '=', runId).execute();
  const rows = dataReadRows(runId, manifest);
  if (rows.length > 0) await tx.insertInto('run_data_reads').values(rows).onConflict((oc) => oc.doNothing()).execute();
}
