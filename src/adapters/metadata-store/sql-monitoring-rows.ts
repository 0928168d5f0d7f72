/**
 * @module adapters/metadata-store/sql-monitoring-rows
 * The monitor's records (settings, reference profiles, sampled requests, traffic buckets,
 * drift windows, alerts) as rows of the tables both SQL stores share (SQLite's and
 * PostgreSQL's columns are the same), and back; traffic buckets merged before they are
 * added; the error both raise. A JSON column is text from SQLite and already parsed from
 * PostgreSQL's jsonb: the readers take either.
 */
import { encodeNumber, decodeNumber, type JsonNumber } from '../../core/json-number.js';
import { RepriseError } from '../../core/errors.js';
import { addCounts, type Alert, type AlertDelivery, type AlertKind, type DriftWindow, type FeatureDrift, type MonitorSettings, type PredictionSample, type TrafficBucket } from '../../core/model-monitoring.js';
import type { StoredReferenceProfile } from '../../ports/monitoring-store.js';

type Num = number | string;

export interface MonitorRow {
  model: string;
  settings: unknown;
  updated_at: Num;
  updated_by: string;
}

export interface ReferenceProfileRow {
  model: string;
  version: Num;
  made_at: Num;
  /** JSON text in both stores (PostgreSQL's adapter reads it as text: a profile may be any JSON value). */
  profile: string | null;
  error: string | null;
}

export interface SampleRow {
  request_id: string;
  model: string;
  alias: string;
  version: Num;
  at: Num;
  latency_ms: Num;
  inputs: unknown;
  outputs: unknown;
  error: string | null;
  feedback: unknown;
  feedback_at: Num | null;
}

export interface TrafficRow {
  model: string;
  version: Num;
  start: Num;
  node: string;
  requests: Num;
  errors: Num;
  latency: unknown;
}

export interface DriftWindowRow {
  model: string;
  start: Num;
  version: Num;
  end: Num;
  rows: Num;
  record: unknown;
}

export interface AlertRow {
  id: Num;
  model: string;
  version: Num | null;
  kind: string;
  subject: string | null;
  message: string;
  value: Num | null;
  threshold: Num | null;
  window_start: Num | null;
  raised_at: Num;
  last_seen_at: Num;
  acked_at: Num | null;
  acked_by: string | null;
  ack_note: string | null;
  deliveries: unknown;
}

const num = (v: Num): number => Number(v);
const maybeNum = (v: Num | null): number | null => (v === null ? null : Number(v));

/** A JSON column's value: SQLite's text parsed, PostgreSQL's jsonb as it came. */
function fromJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/**
 * A value as JSON text for a JSON column. NUL and unpaired surrogates become U+FFFD: PostgreSQL's
 * jsonb refuses both, and one odd string in a request must not lose a whole batch of samples;
 * SQLite is given the same text so that both stores keep the same. JSON.stringify writes a
 * paired surrogate as the character itself, so an escaped one is always unpaired.
 */
export function jsonText(v: unknown): string {
  return storable(JSON.stringify(v));
}

function storable(json: string): string {
  return json.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, '$1\\ufffd');
}

export function monitorFromRow(r: MonitorRow): { settings: MonitorSettings; updatedAt: number; updatedBy: string } {
  return { settings: fromJson<MonitorSettings>(r.settings), updatedAt: num(r.updated_at), updatedBy: r.updated_by };
}

export function referenceProfileFromRow(r: ReferenceProfileRow): StoredReferenceProfile {
  return { model: r.model, version: num(r.version), madeAt: num(r.made_at), profile: r.profile === null ? null : JSON.parse(r.profile), error: r.error };
}

/** A sample as its row is written: JSON columns as text. */
export interface SampleInsert {
  request_id: string;
  model: string;
  alias: string;
  version: number;
  at: number;
  latency_ms: number;
  inputs: string;
  outputs: string | null;
  error: string | null;
  feedback: string | null;
  feedback_at: number | null;
}

export const SAMPLE_COLUMNS: readonly (keyof SampleInsert)[] = ['request_id', 'model', 'alias', 'version', 'at', 'latency_ms', 'inputs', 'outputs', 'error', 'feedback', 'feedback_at'];

export function sampleInsert(s: PredictionSample): SampleInsert {
  return {
    request_id: s.requestId,
    model: s.model,
    alias: s.alias,
    version: s.version,
    at: s.at,
    latency_ms: s.latencyMs,
    inputs: jsonText(s.inputs),
    outputs: s.outputs === null ? null : jsonText(s.outputs),
    error: s.error,
    feedback: s.feedback === null ? null : jsonText(s.feedback),
    feedback_at: null,
  };
}

export function sampleFromRow(r: SampleRow): PredictionSample {
  return {
    requestId: r.request_id,
    model: r.model,
    alias: r.alias,
    version: num(r.version),
    at: num(r.at),
    latencyMs: num(r.latency_ms),
    inputs: fromJson<unknown[]>(r.inputs),
    outputs: r.outputs === null ? null : fromJson<unknown[]>(r.outputs),
    error: r.error,
    feedback: r.feedback === null ? null : fromJson<unknown[]>(r.feedback),
  };
}

export function trafficFromRow(r: TrafficRow): TrafficBucket {
  return { model: r.model, version: num(r.version), start: num(r.start), node: r.node, requests: num(r.requests), errors: num(r.errors), latency: fromJson<number[]>(r.latency) };
}

/** Two latency histograms added bucket by bucket (the longer one's length). */
const trafficKey = (b: TrafficBucket): string => JSON.stringify([b.model, b.version, b.start, b.node]);

/**
 * Buckets of the same (model, version, start, node) added together, sorted by that key: a
 * batch then touches each row once, and concurrent writers lock rows in the same order.
 */
export function mergeTraffic(buckets: readonly TrafficBucket[]): TrafficBucket[] {
  const merged = new Map<string, TrafficBucket>();
  for (const b of buckets) {
    const key = trafficKey(b);
    const was = merged.get(key);
    merged.set(key, was ? { ...was, requests: was.requests + b.requests, errors: was.errors + b.errors, latency: addCounts(was.latency, b.latency) } : { ...b, latency: [...b.latency] });
  }
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return [...merged.values()].sort((x, y) => cmp(x.model, y.model) || x.version - y.version || x.start - y.start || cmp(x.node, y.node));
}

/** What a drift window keeps in its `record` column: all but the columns. */
type DriftRecord = Pick<DriftWindow, 'features' | 'prediction' | 'live' | 'skipped' | 'computedAt'>;

/** A window's `record` as JSON text; NaN and ±Infinity scores are kept as core/json-number writes them. */
export function driftRecordText(w: DriftWindow): string {
  const record: DriftRecord = { features: w.features, prediction: w.prediction, live: w.live, skipped: w.skipped, computedAt: w.computedAt };
  // An unmeasurable score (a bin empty on one side) is a number JSON cannot hold: not null.
  return storable(JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? encodeNumber(v) : v)));
}

const decodeMaybe = (v: JsonNumber | null): number | null => (v === null ? null : decodeNumber(v));

/** A feature's scores with the encoded non-finite numbers read back (names and reasons are left as they are). */
function featureFromRecord(f: FeatureDrift): FeatureDrift {
  const n = f as unknown as Record<string, JsonNumber | null>;
  return {
    ...f,
    missingRate: decodeNumber(n.missingRate!),
    psi: decodeNumber(n.psi!),
    ks: decodeMaybe(n.ks ?? null),
    js: decodeMaybe(n.js ?? null),
    chi2: f.chi2 === null ? null : { statistic: decodeNumber(f.chi2.statistic as JsonNumber), pValue: decodeNumber(f.chi2.pValue as JsonNumber) },
  };
}

export function driftWindowFromRow(r: DriftWindowRow): DriftWindow {
  const rec = fromJson<DriftRecord>(r.record);
  const live = rec.live as unknown as { labelled: number; accuracy: JsonNumber | null; meanAbsoluteError: JsonNumber | null };
  return {
    model: r.model,
    version: num(r.version),
    start: num(r.start),
    end: num(r.end),
    rows: num(r.rows),
    features: rec.features.map(featureFromRecord),
    prediction: rec.prediction === null ? null : featureFromRecord(rec.prediction),
    live: { labelled: live.labelled, accuracy: decodeMaybe(live.accuracy), meanAbsoluteError: decodeMaybe(live.meanAbsoluteError) },
    skipped: rec.skipped,
    computedAt: rec.computedAt,
  };
}

export function alertFromRow(r: AlertRow): Alert {
  return {
    id: num(r.id),
    model: r.model,
    version: maybeNum(r.version),
    kind: r.kind as AlertKind,
    subject: r.subject,
    message: r.message,
    value: maybeNum(r.value),
    threshold: maybeNum(r.threshold),
    windowStart: maybeNum(r.window_start),
    raisedAt: num(r.raised_at),
    lastSeenAt: num(r.last_seen_at),
    ackedAt: maybeNum(r.acked_at),
    ackedBy: r.acked_by,
    ackNote: r.ack_note,
    deliveries: fromJson<AlertDelivery[]>(r.deliveries),
  };
}

export function alertNotFound(id: number): RepriseError {
  return new RepriseError('REPRISE_ERR_ALERT_NOT_FOUND', `no alert has id ${id}`, { details: { id } });
}
