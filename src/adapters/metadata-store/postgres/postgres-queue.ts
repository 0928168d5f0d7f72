/**
 * @module adapters/metadata-store/postgres/postgres-queue
 * The queue over PostgreSQL: submissions (with their sweep and hook delivery, in the
 * caller's transaction), claims, heartbeats, cancel requests, lost runs settled with
 * their retry, workers and sweeps. A claim picks its run with `FOR UPDATE SKIP LOCKED`:
 * claims running at once, from any number of servers, neither wait on the same row nor
 * take the same run, and each takes it in the statement that picks it.
 */
import { sql, type Kysely } from 'kysely';
import type { HookDelivery } from '../../../core/repository-link.js';
import type { RunPatch, RunRecord } from '../../../core/run.js';
import { ACTIVE_STATUSES, type RunStatus } from '../../../core/run-manifest.js';
import type { QueueClaim, RunBeat, SweepRecord, SweepSummary, WorkerRecord, WorkerRegistration } from '../../../core/queue.js';
import { deliveryFromRow, deliveryRow, RECORD_COLUMNS, runPatchColumns, sweepFromRow, sweepRow, sweepTallies, workerFromRow, workerRow } from '../sql-rows.js';
import { deliverySeen, workerNotFound } from '../store-errors.js';
import { fromRow, type RecordRow } from './postgres-rows.js';
import { insertRun } from './postgres-runs.js';
import type { PostgresTables, SweepsTable } from './postgres-schema.js';
import type { Selectable } from 'kysely';

type Db = Kysely<PostgresTables>;

/** Inside a transaction: the delivery remembered (or REPRISE_ERR_HOOK_DELIVERY_SEEN), the sweep and its runs inserted. */
export async function submitRuns(tx: Db, runs: readonly RunRecord[], sweep?: SweepRecord, delivery?: HookDelivery): Promise<void> {
  if (delivery) {
    // Remembered first: a second delivery of the same push waits on this one's row, then finds it.
    const fresh = await tx.insertInto('hook_deliveries').values(deliveryRow(delivery)).onConflict((oc) => oc.doNothing()).returning('delivery').execute();
    if (fresh.length === 0) throw deliverySeen(delivery);
  }
  if (sweep) await tx.insertInto('sweeps').values(sweepRow(sweep)).execute();
  for (const run of runs) await insertRun(tx, run);
}

export async function hookDelivery(db: Db, provider: string, id: string, project: string): Promise<HookDelivery | undefined> {
  const r = await db.selectFrom('hook_deliveries').selectAll().where('provider', '=', provider).where('delivery', '=', id).where('project', '=', project).executeTakeFirst();
  return r ? deliveryFromRow(r, r.run_ids) : undefined;
}

/** Takes the next queued run that fits the claim, if one waits, in one statement. */
export async function claimNow(db: Db, claim: QueueClaim): Promise<RunRecord | undefined> {
  const { rows } = await sql<RecordRow>`
    update runs set status = 'preparing', worker = ${claim.worker}, host = ${claim.host}, pid = ${claim.pid},
      pid_start = ${claim.pidStart}, heartbeat_at = ${claim.now}, manifest = jsonb_set(manifest, '{status}', '"preparing"')
    where id = (
      select id from runs
      where status = 'queued' and queue = any(${[...claim.queues]}::text[])
        and coalesce(gpus, ${claim.hasGpus ? 1 : 0}) <= ${claim.freeGpus}
      order by priority desc nulls last, id
      limit 1
      for update skip locked
    ) and status = 'queued'
    returning ${sql.join(RECORD_COLUMNS.map((c) => sql.ref(c)))}`.execute(db);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Inside a transaction: renews the runs still active (a worker's own with `worker`), saying of each whether it goes on. */
export async function heartbeat(tx: Db, beat: { readonly at: number; readonly runIds: readonly string[]; readonly worker?: string }): Promise<Record<string, RunBeat>> {
  if (beat.worker !== undefined) {
    const seen = await tx.updateTable('workers').set({ seen_at: beat.at }).where('id', '=', beat.worker).returning('id').execute();
    if (seen.length === 0) throw workerNotFound(beat.worker);
  }
  const out: Record<string, RunBeat> = {};
  if (beat.runIds.length === 0) return out;
  const rows = await tx
    .selectFrom('runs')
    .select(['id', 'status', 'worker', 'cancel_at'])
    .where('id', '=', sql<string>`any(${[...beat.runIds]}::text[])`)
    // Locked in one order, so heartbeats naming the same runs cannot deadlock.
    .orderBy('id')
    .forUpdate()
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const alive: string[] = [];
  for (const id of beat.runIds) {
    const row = byId.get(id);
    if (!row || !ACTIVE_STATUSES.includes(row.status as RunStatus) || row.status === 'queued' || (beat.worker !== undefined && row.worker !== beat.worker)) {
      out[id] = 'gone';
      continue;
    }
    alive.push(id);
    out[id] = row.cancel_at !== null ? 'cancel' : 'running';
  }
  if (alive.length > 0) await tx.updateTable('runs').set({ heartbeat_at: beat.at }).where('id', '=', sql<string>`any(${alive}::text[])`).execute();
  return out;
}

export async function requestCancel(db: Db, runId: string, request: { readonly by: string; readonly at: number }): Promise<boolean> {
  const res = await db
    .updateTable('runs')
    .set({ cancel_by: request.by, cancel_at: request.at })
    .where('id', '=', runId)
    .where('status', '=', sql<string>`any(${[...ACTIVE_STATUSES]}::text[])`)
    .returning('id')
    .execute();
  return res.length > 0;
}

/** Inside a transaction: the patch applied while the run is active, and its retry inserted with it. */
export async function settleLostRun(tx: Db, id: string, patch: RunPatch, retry: RunRecord | null): Promise<boolean> {
  const done = await tx
    .updateTable('runs')
    .set(runPatchColumns(patch))
    .where('id', '=', id)
    .where('status', '=', sql<string>`any(${[...ACTIVE_STATUSES]}::text[])`)
    .returning('id')
    .execute();
  if (done.length === 0) return false;
  if (retry) await insertRun(tx, retry);
  return true;
}

export async function registerWorker(db: Db, w: WorkerRegistration): Promise<void> {
  const row = workerRow(w);
  await db.insertInto('workers').values(row).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
}

export async function stopWorker(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('workers').set({ stopped_at: at, seen_at: at }).where('id', '=', id).execute();
}

export async function listWorkers(db: Db, since: number): Promise<WorkerRecord[]> {
  const rows = await db.selectFrom('workers').selectAll().where('seen_at', '>=', since).orderBy('started_at', 'desc').limit(1000).execute();
  const held = new Map<string, string[]>();
  if (rows.length > 0) {
    const active = await db
      .selectFrom('runs')
      .select(['id', 'worker'])
      .where('worker', '=', sql<string>`any(${rows.map((r) => r.id)}::text[])`)
      .where('status', '=', sql<string>`any(${[...ACTIVE_STATUSES]}::text[])`)
      .orderBy('id')
      .execute();
    for (const r of active) held.set(r.worker!, [...(held.get(r.worker!) ?? []), r.id]);
  }
  return rows.map((r) => workerFromRow(r, r.queues, r.gpus, held.get(r.id) ?? []));
}

export async function listSweeps(db: Db, query: { readonly project?: string; readonly limit?: number }): Promise<SweepSummary[]> {
  let q = db.selectFrom('sweeps').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit ?? 100);
  if (query.project !== undefined) q = q.where('project', '=', query.project);
  return summariseSweeps(db, await q.execute());
}

/** Sweeps whose id starts with `ref` (any case) or whose name is `ref`, newest first. */
export async function findSweeps(db: Db, ref: string, limit: number, prefixPattern: string): Promise<SweepSummary[]> {
  const rows = await db
    .selectFrom('sweeps')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', ref), sql<boolean>`lower(id) like ${prefixPattern} escape '\\'`]))
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return summariseSweeps(db, rows);
}

async function summariseSweeps(db: Db, rows: Selectable<SweepsTable>[]): Promise<SweepSummary[]> {
  if (rows.length === 0) return [];
  const counts = sweepTallies(
    await db
      .selectFrom('runs')
      .select(['sweep_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('sweep_id', '=', sql<string>`any(${rows.map((r) => r.id)}::text[])`)
      .groupBy(['sweep_id', 'status'])
      .execute(),
  );
  return rows.map((r) => sweepFromRow(r, r.spec, counts.get(r.id)));
}
