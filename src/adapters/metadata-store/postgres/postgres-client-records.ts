/**
 * @module adapters/metadata-store/postgres/postgres-client-records
 * Projects as records (the MLflow API's experiments) and what MLflow clients record
 * beside metrics: the datasets and models a run took in or put out, and logged models.
 * Each write function takes the transaction it runs in.
 */
import { sql, type Kysely } from 'kysely';
import type { LoggedModelRecord, RunDataset, RunInputs, RunModelLink } from '../../../core/client-records.js';
import type { ProjectPatch, ProjectRecord } from '../../../core/project-record.js';
import { loggedModelRow, projectPatchColumns } from '../sql-rows.js';
import { projectExists, projectNotFound } from '../store-errors.js';
import { loggedModelFromRow, projectFromRow } from './postgres-rows.js';
import type { PostgresTables } from './postgres-schema.js';

type Db = Kysely<PostgresTables>;

/** Inside a transaction: a new project; REPRISE_ERR_PROJECT_EXISTS when the name is taken, a deleted project's included. */
export async function createProject(tx: Db, p: { readonly name: string; readonly at: number; readonly tags?: Readonly<Record<string, string>> }): Promise<ProjectRecord> {
  const made = await tx
    .insertInto('projects')
    .values({ name: p.name, created_at: p.at, updated_at: p.at, tags: JSON.stringify(p.tags ?? {}) })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (made) return projectFromRow(made);
  const taken = await tx.selectFrom('projects').select(['id', 'deleted_at']).where('name', '=', p.name).executeTakeFirst();
  throw projectExists(p.name, taken && { id: taken.id, deletedAt: taken.deleted_at });
}

export async function projectRecord(db: Db, ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord | undefined> {
  const q = db.selectFrom('projects').selectAll();
  const row = await ('id' in ref ? q.where('id', '=', ref.id) : q.where('name', '=', ref.name)).executeTakeFirst();
  return row ? projectFromRow(row) : undefined;
}

export async function projectRecords(db: Db): Promise<ProjectRecord[]> {
  return (await db.selectFrom('projects').selectAll().orderBy('id').execute()).map(projectFromRow);
}

/** Inside a transaction: the project changed (its row locked); deleting or restoring it does the same to its runs. */
export async function updateProject(tx: Db, name: string, patch: ProjectPatch): Promise<ProjectRecord> {
  const row = await tx.selectFrom('projects').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
  if (!row) throw projectNotFound(name);
  const set = projectPatchColumns(patch, { tags: row.tags, deletedAt: row.deleted_at });
  // Runs deleted with the project carry its time, so a restore brings back those alone.
  if (typeof set.deleted_at === 'number') await tx.updateTable('runs').set({ deleted_at: set.deleted_at }).where('project', '=', name).where('deleted_at', 'is', null).execute();
  else if (set.deleted_at === null && row.deleted_at !== null) await tx.updateTable('runs').set({ deleted_at: null }).where('project', '=', name).where('deleted_at', '=', row.deleted_at).execute();
  return projectFromRow(await tx.updateTable('projects').set(set).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow());
}

/** Inside a transaction: datasets recorded once per name and digest, model links with their highest step. */
export async function addRunInputs(tx: Db, runId: string, inputs: { readonly datasets?: readonly RunDataset[]; readonly models?: readonly RunModelLink[] }): Promise<void> {
  // One row per key in each statement (a statement cannot update a row twice): the last dataset, the highest step.
  const datasets = new Map((inputs.datasets ?? []).map((d) => [`${d.name}\u0000${d.digest}`, d]));
  const links = new Map<string, RunModelLink>();
  for (const m of inputs.models ?? []) {
    const k = `${m.modelId}\u0000${m.direction}`;
    if ((links.get(k)?.step ?? -Infinity) < m.step) links.set(k, m);
  }
  if (datasets.size > 0) {
    await tx
      .insertInto('run_datasets')
      .values([...datasets.values()].map((d) => ({ run_id: runId, name: d.name, digest: d.digest, body: JSON.stringify(d) })))
      .onConflict((oc) => oc.columns(['run_id', 'name', 'digest']).doUpdateSet((eb) => ({ body: eb.ref('excluded.body') })))
      .execute();
  }
  if (links.size > 0) {
    await tx
      .insertInto('run_models')
      .values([...links.values()].map((m) => ({ run_id: runId, model_id: m.modelId, direction: m.direction, step: m.step })))
      .onConflict((oc) => oc.columns(['run_id', 'model_id', 'direction']).doUpdateSet({ step: sql<number>`greatest(run_models.step, excluded.step)` }))
      .execute();
  }
}

/** The recorded inputs of runs, each in the order first recorded; runs without any are left out. */
export async function runInputs(db: Db, runIds: readonly string[]): Promise<Map<string, RunInputs>> {
  const out = new Map<string, { datasets: RunDataset[]; models: RunModelLink[] }>();
  if (runIds.length === 0) return out;
  const entry = (id: string) => {
    let e = out.get(id);
    if (!e) out.set(id, (e = { datasets: [], models: [] }));
    return e;
  };
  const ids = sql<string>`any(${[...runIds]}::text[])`;
  for (const r of await db.selectFrom('run_datasets').select(['run_id', 'body']).where('run_id', '=', ids).orderBy('seq').execute()) entry(r.run_id).datasets.push(r.body as RunDataset);
  for (const r of await db.selectFrom('run_models').select(['run_id', 'model_id', 'direction', 'step']).where('run_id', '=', ids).orderBy('seq').execute()) {
    entry(r.run_id).models.push({ modelId: r.model_id, direction: r.direction as RunModelLink['direction'], step: r.step });
  }
  return out;
}

/**
 * Inside a transaction: a logged model recorded, or its record replaced. A new model's
 * folder is its name unless another model of the run has that folder: then `models/<id>`.
 */
export async function saveLoggedModel(tx: Db, m: Omit<LoggedModelRecord, 'path'> & { readonly path?: string }): Promise<LoggedModelRecord> {
  const before = await tx.selectFrom('logged_models').select('path').where('id', '=', m.id).forUpdate().executeTakeFirst();
  let path = before?.path ?? m.path;
  if (path === undefined) {
    const taken = await tx.selectFrom('logged_models').select('id').where('run_id', '=', m.runId).where('path', '=', m.name).executeTakeFirst();
    path = taken ? `models/${m.id}` : m.name;
  }
  const record: LoggedModelRecord = { ...m, path };
  const row = loggedModelRow(record);
  await tx.insertInto('logged_models').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
  return record;
}

export async function loggedModel(db: Db, id: string): Promise<LoggedModelRecord | undefined> {
  const row = await db.selectFrom('logged_models').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? loggedModelFromRow(row) : undefined;
}

/** Logged models of these projects (all with none given), newest first. */
export async function loggedModels(db: Db, query: { readonly projects?: readonly string[]; readonly runId?: string }): Promise<LoggedModelRecord[]> {
  let q = db.selectFrom('logged_models').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (query.projects !== undefined) q = q.where('project', '=', sql<string>`any(${[...query.projects]}::text[])`);
  if (query.runId !== undefined) q = q.where('run_id', '=', query.runId);
  return (await q.execute()).map(loggedModelFromRow);
}
