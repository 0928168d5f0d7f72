/**
 * @module adapters/metadata-store/postgres/postgres-model-store
 * The model store and retention marks over PostgreSQL. Whatever changes a model's
 * versions or aliases first locks the model's row (inserting it on a first promotion),
 * so concurrent promotions and alias moves of one model take turns: version numbers are
 * given once, and an alias move reports where the alias pointed just before it. A
 * promotion locks its run too, so the promotion rule is checked on the run as it is when
 * the version is made. Each write function takes the transaction it runs in.
 */
import { sql, type Kysely } from 'kysely';
import { bug, type RepriseError } from '../../../core/errors.js';
import {
  lineageOf,
  modelFilesOf,
  promotionRefusal,
  type ModelAuditEntry,
  type ModelVersion,
  type RegisteredModel,
  type RunModelVersion,
  type VersionRef,
} from '../../../core/model-store.js';
import type { ParamValue } from '../../../core/params.js';
import type { RetentionMark } from '../../../core/retention.js';
import type { AliasChange, AliasMove, ModelPatch, NewModelVersion } from '../../../ports/metadata-store.js';
import { auditFromRow, auditRow, promotionNote, promotionPin, registeredModelFromRow, versionRow } from '../sql-model-rows.js';
import { RECORD_COLUMNS } from '../sql-rows.js';
import { alreadyAVersion, missingRun, modelExists, retentionRefusal, unknownModel, versionNotFound } from '../store-errors.js';
import { fromRow, retentionFromRow, retentionRow, versionFromRow, type RecordRow } from './postgres-rows.js';
import type { PostgresTables } from './postgres-schema.js';

type Db = Kysely<PostgresTables>;

/** Inside a transaction: the version made of the run's model output, the alias moved, the run pinned, the audit written. */
export async function createModelVersion(tx: Db, v: NewModelVersion): Promise<{ version: ModelVersion; alias: AliasMove | null }> {
  const folder = v.path ?? 'model';
  const row = (await tx.selectFrom('runs').select([...RECORD_COLUMNS]).where('id', '=', v.runId).forUpdate().executeTakeFirst()) as RecordRow | undefined;
  if (!row) throw missingRun(v.runId);
  const run = fromRow(row);
  const mark = await tx.selectFrom('run_retention').select(['state', 'at']).where('run_id', '=', v.runId).executeTakeFirst();
  const stored = await tx.selectFrom('artifacts').select(['path', 'size', 'sha256']).where('run_id', '=', v.runId).orderBy('path').execute();
  const artifacts = stored.length > 0 ? stored : run.manifest.outputs.artifacts;
  const refusal = promotionRefusal(run, mark?.state === 'deleted' ? mark.at : null, { folder, artifacts, forced: v.forced ?? false });
  if (refusal) throw refusal;
  // Made on first use, and locked to the end either way: the model's promotions take turns.
  await tx
    .insertInto('models')
    .values({ name: v.model, created_at: v.at, updated_at: v.at })
    .onConflict((oc) => oc.column('name').doUpdateSet({ updated_at: v.at }))
    .execute();
  const already = await tx.selectFrom('model_versions').select('version').where('model', '=', v.model).where('run_id', '=', v.runId).executeTakeFirst();
  if (already) throw alreadyAVersion(run, v.model, already.version, v.alias);
  const files = modelFilesOf(artifacts, folder);
  // A deleted version's number is never given again (the audit log remembers it): `NAME@3` means one version forever.
  const { rows } = await sql<{ v: number | null }>`
    select greatest((select max(version) from model_versions where model = ${v.model}), (select max(to_version) from model_audit where model = ${v.model})) as v`.execute(tx);
  const version = (rows[0]?.v ?? 0) + 1;
  // A client's run has no params file: its params are those it logged.
  const lineage = lineageOf(run, run.manifest.code === null ? await paramsOfRun(tx, run.id) : undefined);
  await tx.insertInto('model_versions').values(versionRow(v, version, run.id, folder, files, lineage)).execute();
  const alias = v.alias === null ? null : await pointAlias(tx, v.model, v.alias, version, v.at);
  await audit(tx, { at: v.at, by: v.by, action: 'promote', model: v.model, alias: v.alias ?? '', fromVersion: alias?.from ?? null, toVersion: version, runId: run.id, note: promotionNote(v) });
  await putRetention(tx, run.id, promotionPin(v, version));
  const made = (await versionsWhere(tx, { model: v.model, version }))[0];
  if (!made) throw bug(`version ${version} of ${v.model} vanished inside its own transaction`);
  return { version: made, alias };
}

/** A run's params under their dotted keys. */
export async function paramsOfRun(db: Db, runId: string): Promise<Record<string, ParamValue>> {
  const rows = await db.selectFrom('run_params').select(['key', 'json']).where('run_id', '=', runId).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.json) as ParamValue]));
}

/** Inside a transaction that holds the model's row: the alias now points at `version`; where it pointed before. */
async function pointAlias(tx: Db, model: string, alias: string, version: number, at: number): Promise<AliasMove> {
  const before = (await tx.selectFrom('model_aliases').select('version').where('model', '=', model).where('alias', '=', alias).executeTakeFirst())?.version ?? null;
  await tx
    .insertInto('model_aliases')
    .values({ model, alias, version, updated_at: at })
    .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version, updated_at: at }))
    .execute();
  await tx.updateTable('models').set({ updated_at: at }).where('name', '=', model).execute();
  return { alias, from: before, to: version };
}

async function audit(tx: Db, e: Omit<ModelAuditEntry, 'id'>): Promise<void> {
  await tx.insertInto('model_audit').values(auditRow(e)).execute();
}

/** Inside a transaction: whether the model exists, its row locked until the transaction ends. */
async function lockModel(tx: Db, name: string): Promise<boolean> {
  return (await tx.selectFrom('models').select('name').where('name', '=', name).forUpdate().executeTakeFirst()) !== undefined;
}

/** Versions with their run's name and project and their aliases, by model, newest first. */
export async function versionsWhere(db: Db, w: { model?: string; version?: number; runIds?: readonly string[] }): Promise<ModelVersion[]> {
  let q = db
    .selectFrom('model_versions')
    .innerJoin('runs', 'runs.id', 'model_versions.run_id')
    .selectAll('model_versions')
    .select(['runs.name as run_name', 'runs.project as run_project'])
    .orderBy('model_versions.model')
    .orderBy('model_versions.version', 'desc');
  if (w.model !== undefined) q = q.where('model_versions.model', '=', w.model);
  if (w.version !== undefined) q = q.where('model_versions.version', '=', w.version);
  if (w.runIds !== undefined) q = q.where('model_versions.run_id', '=', sql<string>`any(${[...w.runIds]}::text[])`);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['model', 'alias', 'version'])
    .where('model', '=', sql<string>`any(${[...new Set(rows.map((r) => r.model))]}::text[])`)
    .orderBy('alias')
    .execute();
  return rows.map((r) => versionFromRow(r, aliases));
}

/** Registered models (one with `name`), by name, with their version counts and aliases. */
export async function models(db: Db, name?: string): Promise<RegisteredModel[]> {
  let q = db
    .selectFrom('models')
    .leftJoin('model_versions', 'model_versions.model', 'models.name')
    .select(['models.name', 'models.created_at', 'models.updated_at', 'models.description', 'models.tags'])
    .select((eb) => [eb.fn.count<number>('model_versions.version').as('versions'), eb.fn.max<number | null>('model_versions.version').as('latest')])
    .groupBy('models.name')
    .orderBy('models.name');
  if (name !== undefined) q = q.where('models.name', '=', name);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const aliases = await db
    .selectFrom('model_aliases')
    .select(['model', 'alias', 'version'])
    .where('model', '=', sql<string>`any(${rows.map((r) => r.name)}::text[])`)
    .orderBy('alias')
    .execute();
  return rows.map((r) => registeredModelFromRow(r, r.tags, aliases));
}

export async function getModelVersion(db: Db, model: string, ref: VersionRef): Promise<ModelVersion | undefined> {
  const version =
    'version' in ref
      ? ref.version
      : (await db.selectFrom('model_aliases').select('version').where('model', '=', model).where('alias', '=', ref.alias).executeTakeFirst())?.version;
  if (version === undefined) return undefined;
  return (await versionsWhere(db, { model, version }))[0];
}

/** Inside a transaction: points an alias at an existing version, with an audit entry. */
export async function moveAlias(tx: Db, change: AliasChange): Promise<AliasMove> {
  const known = await lockModel(tx, change.model);
  const exists = known
    ? await tx.selectFrom('model_versions').select('run_id').where('model', '=', change.model).where('version', '=', change.version).executeTakeFirst()
    : undefined;
  if (!exists) throw versionNotFound(change.model, change.version, known);
  const move = await pointAlias(tx, change.model, change.alias, change.version, change.at);
  await audit(tx, { at: change.at, by: change.by, action: 'alias', model: change.model, alias: change.alias, fromVersion: move.from, toVersion: change.version, runId: exists.run_id, note: change.note });
  return move;
}

export async function modelAudit(db: Db, query: { model?: string; limit?: number }): Promise<ModelAuditEntry[]> {
  let q = db.selectFrom('model_audit').selectAll().orderBy('id', 'desc').limit(query.limit ?? 200);
  if (query.model !== undefined) q = q.where('model', '=', query.model);
  return (await q.execute()).map(auditFromRow);
}

export async function modelVersionsOfRuns(db: Db, runIds: readonly string[]): Promise<Map<string, RunModelVersion[]>> {
  const out = new Map<string, RunModelVersion[]>();
  if (runIds.length === 0) return out;
  for (const v of await versionsWhere(db, { runIds })) {
    const list = out.get(v.runId) ?? [];
    list.push({ model: v.model, version: v.version, aliases: v.aliases });
    out.set(v.runId, list);
  }
  return out;
}

/** Inside a transaction: a registered model without versions; REPRISE_ERR_MODEL_EXISTS when the name is taken. */
export async function createModel(
  tx: Db,
  m: { readonly name: string; readonly description: string | null; readonly tags: Readonly<Record<string, string>>; readonly at: number },
): Promise<RegisteredModel> {
  const made = await tx
    .insertInto('models')
    .values({ name: m.name, created_at: m.at, updated_at: m.at, description: m.description, tags: JSON.stringify(m.tags) })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('name')
    .execute();
  if (made.length === 0) throw modelExists(m.name);
  return (await models(tx, m.name))[0]!;
}

/** Tags set and removed in one expression over the stored jsonb, so concurrent patches of other keys are not lost. */
function patchedTags(patch: ModelPatch) {
  return sql<string>`(tags || ${JSON.stringify(patch.setTags ?? {})}::jsonb) - ${[...(patch.deleteTags ?? [])]}::text[]`;
}

export async function updateModel(tx: Db, name: string, patch: ModelPatch): Promise<RegisteredModel> {
  const set: { updated_at: number; tags: ReturnType<typeof patchedTags>; description?: string | null } = { updated_at: patch.at, tags: patchedTags(patch) };
  if (patch.description !== undefined) set.description = patch.description;
  const done = await tx.updateTable('models').set(set).where('name', '=', name).returning('name').execute();
  if (done.length === 0) throw unknownModel(name);
  return (await models(tx, name))[0]!;
}

export async function updateModelVersion(tx: Db, name: string, version: number, patch: ModelPatch): Promise<ModelVersion> {
  const set: { tags: ReturnType<typeof patchedTags>; description?: string | null } = { tags: patchedTags(patch) };
  if (patch.description !== undefined) set.description = patch.description;
  const done = await tx.updateTable('model_versions').set(set).where('model', '=', name).where('version', '=', version).returning('version').execute();
  if (done.length === 0) throw await unknownVersion(tx, name, version);
  await tx.updateTable('models').set({ updated_at: patch.at }).where('name', '=', name).execute();
  return (await versionsWhere(tx, { model: name, version }))[0]!;
}

async function unknownVersion(db: Db, name: string, version: number): Promise<RepriseError> {
  return versionNotFound(name, version, (await db.selectFrom('models').select('name').where('name', '=', name).executeTakeFirst()) !== undefined);
}

export async function removeAlias(tx: Db, change: { readonly model: string; readonly alias: string; readonly by: string; readonly at: number }): Promise<boolean> {
  if (!(await lockModel(tx, change.model))) return false;
  const gone = await tx.deleteFrom('model_aliases').where('model', '=', change.model).where('alias', '=', change.alias).returning('version').execute();
  if (gone.length === 0) return false;
  await tx.updateTable('models').set({ updated_at: change.at }).where('name', '=', change.model).execute();
  await audit(tx, { at: change.at, by: change.by, action: 'unalias', model: change.model, alias: change.alias, fromVersion: gone[0]!.version, toVersion: 0, runId: null, note: null });
  return true;
}

export async function deleteModel(tx: Db, change: { readonly model: string; readonly version?: number; readonly by: string; readonly at: number }): Promise<void> {
  if (!(await lockModel(tx, change.model))) throw unknownModel(change.model);
  const v = change.version;
  if (v !== undefined) {
    const row = await tx.selectFrom('model_versions').select('run_id').where('model', '=', change.model).where('version', '=', v).executeTakeFirst();
    if (!row) throw await unknownVersion(tx, change.model, v);
    await tx.deleteFrom('model_aliases').where('model', '=', change.model).where('version', '=', v).execute();
    await tx.deleteFrom('model_versions').where('model', '=', change.model).where('version', '=', v).execute();
    await tx.updateTable('models').set({ updated_at: change.at }).where('name', '=', change.model).execute();
    await audit(tx, { at: change.at, by: change.by, action: 'delete', model: change.model, alias: '', fromVersion: v, toVersion: v, runId: row.run_id, note: null });
    return;
  }
  await tx.deleteFrom('model_aliases').where('model', '=', change.model).execute();
  await tx.deleteFrom('model_versions').where('model', '=', change.model).execute();
  await tx.deleteFrom('models').where('name', '=', change.model).execute();
  await audit(tx, { at: change.at, by: change.by, action: 'delete', model: change.model, alias: '', fromVersion: null, toVersion: 0, runId: null, note: null });
}

/** Inside a transaction: records a decided retention, refusing what a pinned or deleted run cannot take. */
export async function setRetention(tx: Db, runId: string, mark: RetentionMark): Promise<void> {
  // The run's row, locked: a promotion pinning it waits, or is waited for.
  if (!(await tx.selectFrom('runs').select('id').where('id', '=', runId).forUpdate().executeTakeFirst())) throw missingRun(runId);
  const refusal = retentionRefusal(runId, await tx.selectFrom('run_retention').selectAll().where('run_id', '=', runId).executeTakeFirst(), mark);
  if (refusal) throw refusal;
  await putRetention(tx, runId, mark);
}

/** Inside a transaction: the run's mark, replacing any earlier one. */
async function putRetention(tx: Db, runId: string, mark: RetentionMark): Promise<void> {
  const row = retentionRow(runId, mark);
  await tx.insertInto('run_retention').values(row).onConflict((oc) => oc.column('run_id').doUpdateSet(row)).execute();
}

export async function retentionMarks(db: Db, runIds: readonly string[]): Promise<Map<string, RetentionMark>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.selectFrom('run_retention').selectAll().where('run_id', '=', sql<string>`any(${[...runIds]}::text[])`).execute();
  return new Map(rows.map((r) => [r.run_id, retentionFromRow(r)]));
}
