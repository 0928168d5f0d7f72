/**
 * @module adapters/metadata-store/sqlite/sqlite-monitoring-store
 * The monitor's settings, reference profiles, sampled requests, traffic, drift windows and
 * alerts in the store's SQLite file, over the metadata store's connection
 * (SqliteMetadataStore.monitoringStore()). Statements are prepared once per connection:
 * samples arrive from the serving path every second, in batches of up to a thousand, each
 * batch one transaction. Writes that read what they change (traffic counts added, an open
 * alert seen again) run in one write transaction, which holds the file's lock from its start.
 */
import type Database from 'better-sqlite3';
import { addCounts, type Alert, type AlertDelivery, type DriftWindow, type MonitorSettings, type NewAlert, type PredictionSample, type TrafficBucket } from '../../../core/model-monitoring.js';
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
  type AlertRow,
  type DriftWindowRow,
  type MonitorRow,
  type ReferenceProfileRow,
  type SampleRow,
  type TrafficRow,
} from '../sql-monitoring-rows.js';
import type { SqliteConnection } from './sqlite-access-store.js';

const DEFAULT_ALERTS = 100;

export class SqliteMonitoringStore implements MonitoringStore {
  /** Prepared statements by text, per open database (a closed and reopened store prepares again). */
  readonly #statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

  constructor(private readonly c: SqliteConnection) {}

  #stmt(text: string): Database.Statement {
    const db = this.c.db();
    let byText = this.#statements.get(db);
    if (!byText) {
      byText = new Map();
      this.#statements.set(db, byText);
    }
    let stmt = byText.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      byText.set(text, stmt);
    }
    return stmt;
  }

  #all<R>(text: string, ...values: unknown[]): R[] {
    return this.#stmt(text).all(...values) as R[];
  }

  #get<R>(text: string, ...values: unknown[]): R | undefined {
    return this.#stmt(text).get(...values) as R | undefined;
  }

  #run(text: string, ...values: unknown[]): Database.RunResult {
    return this.#stmt(text).run(...values);
  }

  async monitorSettings(model: string): Promise<{ settings: MonitorSettings; updatedAt: number; updatedBy: string } | undefined> {
    const r = this.#get<MonitorRow>('SELECT * FROM model_monitors WHERE model = ?', model);
    return r ? monitorFromRow(r) : undefined;
  }

  async setMonitorSettings(model: string, settings: MonitorSettings, by: string, at: number): Promise<void> {
    const text = jsonText(settings);
    this.c.write(() =>
      this.#run(
        'INSERT INTO model_monitors (model, settings, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (model) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
        model,
        text,
        at,
        by,
      ),
    );
  }

  async putReferenceProfile(p: StoredReferenceProfile): Promise<void> {
    const text = p.profile === null ? null : jsonText(p.profile);
    this.c.write(() =>
      this.#run(
        'INSERT INTO reference_profiles (model, version, made_at, profile, error) VALUES (?, ?, ?, ?, ?) ON CONFLICT (model, version) DO UPDATE SET made_at = excluded.made_at, profile = excluded.profile, error = excluded.error',
        p.model,
        p.version,
        p.madeAt,
        text,
        p.error,
      ),
    );
  }

  async referenceProfile(model: string, version: number): Promise<StoredReferenceProfile | undefined> {
    const r = this.#get<ReferenceProfileRow>('SELECT * FROM reference_profiles WHERE model = ? AND version = ?', model, version);
    return r ? referenceProfileFromRow(r) : undefined;
  }

  async addSamples(samples: readonly PredictionSample[]): Promise<void> {
    if (samples.length === 0) return;
    // JSON made before the lock is taken: the transaction is only the inserts.
    const rows = samples.map(sampleInsert);
    const insert = this.#stmt(
      `INSERT INTO prediction_samples (${SAMPLE_COLUMNS.join(', ')}) VALUES (${SAMPLE_COLUMNS.map((c) => `@${c}`).join(', ')}) ON CONFLICT (request_id) DO NOTHING`,
    );
    this.c.write(() => {
      for (const r of rows) insert.run(r);
    });
  }

  async samples(query: { model: string; from: number; to: number; version?: number; limit?: number }): Promise<PredictionSample[]> {
    // LIMIT -1: no limit.
    const limit = query.limit ?? -1;
    const rows =
      query.version === undefined
        ? this.#all<SampleRow>('SELECT * FROM prediction_samples WHERE model = ? AND at >= ? AND at < ? ORDER BY at, request_id LIMIT ?', query.model, query.from, query.to, limit)
        : this.#all<SampleRow>(
            'SELECT * FROM prediction_samples WHERE model = ? AND at >= ? AND at < ? AND version = ? ORDER BY at, request_id LIMIT ?',
            query.model,
            query.from,
            query.to,
            query.version,
            limit,
          );
    return rows.map(sampleFromRow);
  }

  async sample(requestId: string): Promise<PredictionSample | undefined> {
    const r = this.#get<SampleRow>('SELECT * FROM prediction_samples WHERE request_id = ?', requestId);
    return r ? sampleFromRow(r) : undefined;
  }

  async addFeedback(requestId: string, truth: readonly unknown[], at: number): Promise<boolean> {
    const text = jsonText(truth);
    return this.c.write(() => this.#run('UPDATE prediction_samples SET feedback = ?, feedback_at = ? WHERE request_id = ?', text, at, requestId).changes > 0);
  }

  async pruneSamples(model: string, before: number): Promise<number> {
    return this.c.write(() => this.#run('DELETE FROM prediction_samples WHERE model = ? AND at < ?', model, before).changes);
  }

  async addTraffic(buckets: readonly TrafficBucket[]): Promise<void> {
    const merged = mergeTraffic(buckets);
    if (merged.length === 0) return;
    this.c.write(() => {
      for (const b of merged) {
        // Read and rewritten under the write lock: another process's counts are never lost.
        const was = this.#get<TrafficRow>('SELECT * FROM model_traffic WHERE model = ? AND version = ? AND start = ? AND node = ?', b.model, b.version, b.start, b.node);
        const now = was ? trafficFromRow(was) : undefined;
        this.#run(
          'INSERT INTO model_traffic (model, version, start, node, requests, errors, latency) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (model, version, start, node) DO UPDATE SET requests = excluded.requests, errors = excluded.errors, latency = excluded.latency',
          b.model,
          b.version,
          b.start,
          b.node,
          b.requests + (now?.requests ?? 0),
          b.errors + (now?.errors ?? 0),
          JSON.stringify(now ? addCounts(now.latency, b.latency) : b.latency),
        );
      }
    });
  }

  async traffic(query: { model: string; from: number; to: number }): Promise<TrafficBucket[]> {
    return this.#all<TrafficRow>('SELECT * FROM model_traffic WHERE model = ? AND start >= ? AND start < ? ORDER BY start, version, node', query.model, query.from, query.to).map(trafficFromRow);
  }

  async putDriftWindow(w: DriftWindow): Promise<void> {
    const record = driftRecordText(w);
    this.c.write(() =>
      this.#run(
        'INSERT INTO drift_windows (model, start, version, "end", rows, record) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (model, start) DO UPDATE SET version = excluded.version, "end" = excluded."end", rows = excluded.rows, record = excluded.record',
        w.model,
        w.start,
        w.version,
        w.end,
        w.rows,
        record,
      ),
    );
  }

  async driftWindows(query: { model: string; from: number; to: number }): Promise<DriftWindow[]> {
    return this.#all<DriftWindowRow>('SELECT * FROM drift_windows WHERE model = ? AND start >= ? AND start < ? ORDER BY start', query.model, query.from, query.to).map(driftWindowFromRow);
  }

  async lastDriftWindow(model: string): Promise<number | undefined> {
    return this.#get<{ start: number | null }>('SELECT max(start) AS start FROM drift_windows WHERE model = ?', model)?.start ?? undefined;
  }

  #alertRow(id: number | bigint): AlertRow | undefined {
    return this.#get<AlertRow>('SELECT * FROM model_alerts WHERE id = ?', id);
  }

  async raiseAlert(a: NewAlert): Promise<{ alert: Alert; raised: boolean }> {
    return this.c.write(() => {
      // `subject IS ?`: a NULL subject matches a NULL one, as its own subject.
      const open = this.#get<{ id: number }>(
        'SELECT id FROM model_alerts WHERE model = ? AND kind = ? AND subject IS ? AND acked_at IS NULL ORDER BY id DESC LIMIT 1',
        a.model,
        a.kind,
        a.subject,
      );
      if (open) {
        this.#run('UPDATE model_alerts SET last_seen_at = ?, value = ?, message = ? WHERE id = ?', a.raisedAt, a.value, a.message, open.id);
        return { alert: alertFromRow(this.#alertRow(open.id)!), raised: false };
      }
      const { lastInsertRowid } = this.#run(
        'INSERT INTO model_alerts (model, version, kind, subject, message, value, threshold, window_start, raised_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        a.model,
        a.version,
        a.kind,
        a.subject,
        a.message,
        a.value,
        a.threshold,
        a.windowStart,
        a.raisedAt,
        a.raisedAt,
      );
      return { alert: alertFromRow(this.#alertRow(lastInsertRowid)!), raised: true };
    });
  }

  async addAlertDelivery(id: number, delivery: AlertDelivery): Promise<void> {
    const text = jsonText(delivery);
    this.c.write(() => {
      if (this.#run("UPDATE model_alerts SET deliveries = json_insert(deliveries, '$[#]', json(?)) WHERE id = ?", text, id).changes === 0) throw alertNotFound(id);
    });
  }

  async ackAlert(id: number, by: string, note: string | null, at: number): Promise<Alert> {
    return this.c.write(() => {
      // An acknowledged alert keeps its first acknowledgement.
      this.#run('UPDATE model_alerts SET acked_at = ?, acked_by = ?, ack_note = ? WHERE id = ? AND acked_at IS NULL', at, by, note, id);
      const r = this.#alertRow(id);
      if (!r) throw alertNotFound(id);
      return alertFromRow(r);
    });
  }

  async alerts(query: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.model !== undefined) {
      where.push('model = ?');
      values.push(query.model);
    }
    if (query.open) where.push('acked_at IS NULL');
    const text = `SELECT * FROM model_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id DESC LIMIT ?`;
    return this.#all<AlertRow>(text, ...values, query.limit ?? DEFAULT_ALERTS).map(alertFromRow);
  }

  async alert(id: number): Promise<Alert | undefined> {
    const r = this.#alertRow(id);
    return r ? alertFromRow(r) : undefined;
  }
}
