/**
 * @module adapters/metadata-store/postgres/postgres-monitoring-store
 * The monitor's settings, reference profiles, sampled requests, traffic, drift windows and
 * alerts in the store's PostgreSQL schema, over the metadata store's pool
 * (PostgresMetadataStore.monitoringStore()). Several servers and `reprise serve` processes
 * write here at once, so every write that depends on what is there is decided by the
 * database: samples are inserted with ON CONFLICT DO NOTHING (a resend keeps the first),
 * traffic counts are added by the upsert itself (the row locked, then summed), and alerts
 * are raised under an advisory lock per model. Writes run again when they lose to a
 * concurrent one (a deadlock, a serialization failure).
 */
import { sql } from 'kysely';
import type { Alert, AlertDelivery, DriftWindow, MonitorSettings, NewAlert, PredictionSample, TrafficBucket } from '../../../core/model-monitoring.js';
import type { MonitoringStore, StoredReferenceProfile } from '../../../ports/monitoring-store.js';
import {
  alertFromRow,
  alertNotFound,
  driftRecordText,
  driftWindowFromRow,
  jsonText,
  mergeTraffic,
  monitorFromRow,
  referenceProfileFromRow,
  SAMPLE_COLUMNS,
  sampleFromRow,
  sampleInsert,
  trafficFromRow,
  type SampleRow,
} from '../sql-monitoring-rows.js';
import type { PostgresConnection } from './postgres-access-store.js';

/** The first key of a model's alerts lock (the second is the hash of schema and model): Reprise's own space. */
const ALERTS_LOCK = 0x414c5254;
/** PostgreSQL takes at most 65,535 parameters a statement; a batch of samples is cut well below. */
const MAX_PARAMETERS = 30_000;
const DEFAULT_ALERTS = 100;

/** `rows` in pieces of at most `size`. */
function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export class PostgresMonitoringStore implements MonitoringStore {
  readonly #c: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#c = connection;
  }

  async monitorSettings(model: string): Promise<{ settings: MonitorSettings; updatedAt: number; updatedBy: string } | undefined> {
    const r = await this.#c.db().selectFrom('model_monitors').selectAll().where('model', '=', model).executeTakeFirst();
    return r ? monitorFromRow(r) : undefined;
  }

  async setMonitorSettings(model: string, settings: MonitorSettings, by: string, at: number): Promise<void> {
    const values = { settings: jsonText(settings), updated_at: at, updated_by: by };
    await this.#c
      .db()
      .insertInto('model_monitors')
      .values({ model, ...values })
      .onConflict((oc) => oc.column('model').doUpdateSet(values))
      .execute();
  }

  async putReferenceProfile(p: StoredReferenceProfile): Promise<void> {
    const values = { made_at: p.madeAt, profile: p.profile === null ? null : jsonText(p.profile), error: p.error };
    await this.#c
      .db()
      .insertInto('reference_profiles')
      .values({ model: p.model, version: p.version, ...values })
      .onConflict((oc) => oc.columns(['model', 'version']).doUpdateSet(values))
      .execute();
  }

  async referenceProfile(model: string, version: number): Promise<StoredReferenceProfile | undefined> {
    // Read as text: a profile may be any JSON value, a string too, which jsonb would hand back parsed.
    const r = await this.#c
      .db()
      .selectFrom('reference_profiles')
      .select(['model', 'version', 'made_at', 'error', sql<string | null>`profile::text`.as('profile')])
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? referenceProfileFromRow(r) : undefined;
  }

  async addSamples(samples: readonly PredictionSample[]): Promise<void> {
    if (samples.length === 0) return;
    // By request id, so that two writers sending overlapping batches take the index's locks
    // in the same order (the sort is stable: of one id sent twice, the first still wins).
    const rows = [...samples]
      .sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0))
      .map(sampleInsert);
    await this.#c.write(async (tx) => {
      for (const part of chunks(rows, Math.floor(MAX_PARAMETERS / SAMPLE_COLUMNS.length))) {
        await tx
          .insertInto('prediction_samples')
          .values(part)
          .onConflict((oc) => oc.column('request_id').doNothing())
          .execute();
      }
    });
  }

  async samples(query: { model: string; from: number; to: number; version?: number; limit?: number }): Promise<PredictionSample[]> {
    let q = this.#c
      .db()
      .selectFrom('prediction_samples')
      .selectAll()
      .where('model', '=', query.model)
      .where('at', '>=', query.from)
      .where('at', '<', query.to)
      .orderBy('at')
      .orderBy('request_id');
    if (query.version !== undefined) q = q.where('version', '=', query.version);
    if (query.limit !== undefined) q = q.limit(query.limit);
    return ((await q.execute()) as SampleRow[]).map(sampleFromRow);
  }

  async sample(requestId: string): Promise<PredictionSample | undefined> {
    const r = await this.#c.db().selectFrom('prediction_samples').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return r ? sampleFromRow(r as SampleRow) : undefined;
  }

  async addFeedback(requestId: string, truth: readonly unknown[], at: number): Promise<boolean> {
    const res = await this.#c.db().updateTable('prediction_samples').set({ feedback: jsonText(truth), feedback_at: at }).where('request_id', '=', requestId).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async pruneSamples(model: string, before: number): Promise<number> {
    const res = await this.#c.db().deleteFrom('prediction_samples').where('model', '=', model).where('at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async addTraffic(buckets: readonly TrafficBucket[]): Promise<void> {
    // Merged and sorted: one row per bucket (an upsert may not touch a row twice) and the
    // same lock order in every writer.
    const merged = mergeTraffic(buckets);
    if (merged.length === 0) return;
    const rows = merged.map((b) => ({ model: b.model, version: b.version, start: b.start, node: b.node, requests: b.requests, errors: b.errors, latency: JSON.stringify(b.latency) }));
    await this.#c.write(async (tx) => {
      for (const part of chunks(rows, Math.floor(MAX_PARAMETERS / 7))) {
        // The existing row is locked by the upsert and its counts added to in the same
        // statement: two servers counting the same minute both count.
        await tx
          .insertInto('model_traffic')
          .values(part)
          .onConflict((oc) =>
            oc.columns(['model', 'version', 'start', 'node']).doUpdateSet({
              requests: sql`model_traffic.requests + excluded.requests`,
              errors: sql`model_traffic.errors + excluded.errors`,
              latency: sql`(
                select coalesce(jsonb_agg(coalesce(a.n::numeric, 0) + coalesce(b.n::numeric, 0) order by coalesce(a.i, b.i)), '[]'::jsonb)
                from jsonb_array_elements_text(model_traffic.latency) with ordinality as a(n, i)
                full join jsonb_array_elements_text(excluded.latency) with ordinality as b(n, i) on a.i = b.i
              )`,
            }),
          )
          .execute();
      }
    });
  }

  async traffic(query: { model: string; from: number; to: number }): Promise<TrafficBucket[]> {
    const rows = await this.#c
      .db()
      .selectFrom('model_traffic')
      .selectAll()
      .where('model', '=', query.model)
      .where('start', '>=', query.from)
      .where('start', '<', query.to)
      .orderBy('start')
      .orderBy('version')
      .orderBy('node')
      .execute();
    return rows.map(trafficFromRow);
  }

  async putDriftWindow(w: DriftWindow): Promise<void> {
    const values = { version: w.version, end: w.end, rows: w.rows, record: driftRecordText(w) };
    await this.#c
      .db()
      .insertInto('drift_windows')
      .values({ model: w.model, start: w.start, ...values })
      .onConflict((oc) => oc.columns(['model', 'start']).doUpdateSet(values))
      .execute();
  }

  async driftWindows(query: { model: string; from: number; to: number }): Promise<DriftWindow[]> {
    const rows = await this.#c.db().selectFrom('drift_windows').selectAll().where('model', '=', query.model).where('start', '>=', query.from).where('start', '<', query.to).orderBy('start').execute();
    return rows.map(driftWindowFromRow);
  }

  async lastDriftWindow(model: string): Promise<number | undefined> {
    const r = await this.#c
      .db()
      .selectFrom('drift_windows')
      .select((eb) => eb.fn.max('start').as('start'))
      .where('model', '=', model)
      .executeTakeFirst();
    return r?.start === null || r?.start === undefined ? undefined : Number(r.start);
  }

  async raiseAlert(a: NewAlert): Promise<{ alert: Alert; raised: boolean }> {
    return this.#c.write(async (tx) => {
      // Two servers scoring the same window must raise one alert, not two. There may be no
      // row to lock yet (no open alert, no settings row), so the check and the insert take
      // turns under an advisory lock of the model, held to the end of the transaction.
      await sql`select pg_advisory_xact_lock(${ALERTS_LOCK}::int4, hashtext(${this.#c.schema} || '/' || ${a.model}))`.execute(tx);
      // FOR UPDATE: an acknowledgement committed meanwhile (it takes no lock of the model)
      // is seen, and the alert it closed is not seen again.
      const open = await tx
        .selectFrom('model_alerts')
        .select('id')
        .where('model', '=', a.model)
        .where('kind', '=', a.kind)
        .where(sql<boolean>`subject is not distinct from ${a.subject}::text`)
        .where('acked_at', 'is', null)
        .orderBy('id', 'desc')
        .limit(1)
        .forUpdate()
        .executeTakeFirst();
      if (open) {
        const r = await tx.updateTable('model_alerts').set({ last_seen_at: a.raisedAt, value: a.value, message: a.message }).where('id', '=', open.id).returningAll().executeTakeFirstOrThrow();
        return { alert: alertFromRow(r), raised: false };
      }
      const r = await tx
        .insertInto('model_alerts')
        .values({
          model: a.model,
          version: a.version,
          kind: a.kind,
          subject: a.subject,
          message: a.message,
          value: a.value,
          threshold: a.threshold,
          window_start: a.windowStart,
          raised_at: a.raisedAt,
          last_seen_at: a.raisedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { alert: alertFromRow(r), raised: true };
    });
  }

  async addAlertDelivery(id: number, delivery: AlertDelivery): Promise<void> {
    // Appended by the statement itself: deliveries told at once are all kept.
    const res = await this.#c
      .db()
      .updateTable('model_alerts')
      .set({ deliveries: sql`deliveries || jsonb_build_array(${jsonText(delivery)}::jsonb)` })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw alertNotFound(id);
  }

  async ackAlert(id: number, by: string, note: string | null, at: number): Promise<Alert> {
    return this.#c.write(async (tx) => {
      // Of two acknowledgements at once, the second finds acked_at set once the first commits, and changes nothing.
      await tx.updateTable('model_alerts').set({ acked_at: at, acked_by: by, ack_note: note }).where('id', '=', id).where('acked_at', 'is', null).execute();
      const r = await tx.selectFrom('model_alerts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!r) throw alertNotFound(id);
      return alertFromRow(r);
    });
  }

  async alerts(query: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]> {
    let q = this.#c
      .db()
      .selectFrom('model_alerts')
      .selectAll()
      .orderBy('raised_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit ?? DEFAULT_ALERTS);
    if (query.model !== undefined) q = q.where('model', '=', query.model);
    if (query.open) q = q.where('acked_at', 'is', null);
    return (await q.execute()).map(alertFromRow);
  }

  async alert(id: number): Promise<Alert | undefined> {
    const r = await this.#c.db().selectFrom('model_alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? alertFromRow(r) : undefined;
  }
}
