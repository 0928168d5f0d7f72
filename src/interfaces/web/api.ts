/**
 * The server's API as the UI uses it: typed reads, errors as ApiError with the server's
 * code and message, NaN and ±Infinity (sent as strings) turned back into numbers; every
 * change carries the session's CSRF token, and a 401 ends the session on screen.
 */
import type { DataColumn, DataFormat, LakeCommit, LakeTable } from '../../core/lake.js';
import type { Artifact, DataInput, RunManifest, RunStatus } from '../../core/run-manifest.js';
import type { Verdict, Verification } from '../../core/verification.js';
import type { GateAgg, GateOp, GateOutcome, GateResult } from '../../core/gates.js';
import type {
  ModelAuditEntry as AuditEntry,
  ModelFile as CoreModelFile,
  ModelLineage,
  ModelVersion as CoreModelVersion,
  RegisteredModel,
  RunModelVersion,
} from '../../core/model-store.js';
import type { Retention, RetentionState } from '../../core/retention.js';
import type { SweepSpec } from '../../core/sweep.js';
import type { RepositoryLink } from '../../core/repository-link.js';
import type { Trigger } from '../../core/trigger.js';
import type { RunDataset, RunModelLink } from '../../core/client-records.js';
import type { HistogramSeriesInfo, HistogramStats } from '../../core/histogram.js';
import type { RunNote } from '../../core/run-note.js';
import type { Action, AuditEntry as AuditLogEntry, Role, TokenRecord } from '../../core/access.js';
import type {
  Alert,
  AlertDelivery,
  AlertKind,
  DriftWindow,
  FeatureDrift,
  ModelHealth,
  ModelProduction,
  MonitorSettings,
  ProductionSummary,
  ServedAlias,
  Thresholds,
  TrafficPoint,
} from '../../core/model-monitoring.js';
import { API_PREFIX } from '../../core/api-version.js';

export type { Artifact, RunManifest, RunStatus, Verdict, Verification };
export type { DataColumn, DataFormat, DataInput, LakeCommit };
export type { AuditEntry, GateAgg, GateOp, GateOutcome, GateResult, ModelLineage, RegisteredModel, Retention, RetentionState, RunModelVersion, SweepSpec };
export type { RepositoryLink, RunDataset, RunModelLink, Trigger };
export type { HistogramSeriesInfo, HistogramStats, RunNote };
export type { Action, AuditLogEntry, Role, TokenRecord };
export type { Alert, AlertDelivery, AlertKind, DriftWindow, FeatureDrift, ModelHealth, ModelProduction, MonitorSettings, ProductionSummary, ServedAlias, Thresholds, TrafficPoint };

/** Statuses a run can still leave (core's list, repeated so the bundle stays free of zod). */
const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(['queued', 'preparing', 'running']);
export const isActiveStatus = (s: RunStatus): boolean => ACTIVE_STATUSES.has(s);

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';
export type ParamValue = string | number | boolean | null;

export interface MetricSummary {
  last: JsonNumber;
  lastStep: number;
  min: JsonNumber;
  max: JsonNumber;
  count: number;
}

/** What names a run and says how it went, in every shape the API gives a run. */
export interface RunHead {
  id: string;
  name: string;
  project: string;
  status: RunStatus;
  dev: boolean;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  metrics: Record<string, MetricSummary>;
  tags: Record<string, string>;
}

/** A run as a table row (GET /runs?view=row). */
export interface RunRow extends RunHead {
  code: { commit: string; branch: string | null; dirty: boolean } | null;
  params: Record<string, ParamValue>;
  /** The id of the run this one reproduces. */
  reproduces: string | null;
  /** The newest check the run is part of, as original or as reproduction. */
  verification: Pick<Verification, 'original' | 'reproduction' | 'verdict'> | null;
  /** Names of the runs `reproduces` and `verification` point to, by id (those in the store). */
  relatedNames: Record<string, string>;
  /** How the run's gates went; null while it goes or when it did not succeed (absent from servers before gates). */
  gate?: GateOutcome | null;
  /** Whether its artifacts are kept; null while it goes. */
  retention?: Retention | null;
  /** How a queued run was submitted and where it ran; null for a run started in the foreground (absent from servers before the queue). */
  submission?: Submission | null;
  /** What started the run (absent from servers before triggers). */
  trigger?: Trigger;
}

/** How a queued run was submitted (queue, priority, attempt, sweep) and the worker that took it. */
export interface Submission {
  via: 'submit' | 'sweep' | 'retry';
  by: string;
  queue: string;
  priority: number;
  attempt: number;
  retries: number;
  retryOf: string | null;
  retriedAs: string | null;
  sweep: { id: string; name: string; index: number } | null;
  worker: { id: string; name: string; host: string; gpus: string[] } | null;
}

/** A run as the queue lists it: waiting, or held by a worker. */
export interface QueuedRun extends Omit<RunHead, 'metrics' | 'tags'> {
  submission: Submission | null;
  durationMs: number | null;
  params: Record<string, ParamValue>;
}

/** A process that claims queued runs: an agent on some machine, or one of the server's own workers. */
export interface Worker {
  id: string;
  name: string;
  kind: 'agent' | 'server' | 'ray' | 'kubernetes';
  host: string;
  pid: number;
  queues: string[];
  slots: number;
  gpus: string[];
  version: string;
  startedAt: number;
  seenAt: number;
  stoppedAt: number | null;
  /** Ids of the active runs it holds. */
  runs: string[];
  state: 'online' | 'offline' | 'stopped';
}

/** GET /queue: each queue's counts, its runs in claim order (waiting first), the workers. */
export interface QueueView {
  queues: { name: string; queued: number; active: number }[];
  runs: QueuedRun[];
  workers: Worker[];
}

export interface Sweep {
  id: string;
  name: string;
  project: string;
  createdAt: number;
  createdBy: string;
  spec: SweepSpec;
  /** e.g. "grid lr × layers (4 runs)" */
  description: string;
  runs: number;
  byStatus: Partial<Record<RunStatus, number>>;
}

export type CancelOutcome = 'canceled' | 'stopping' | 'finished';

/** A table of the lake as listed (GET /data/tables): its commits folded. */
export type DataTable = LakeTable;

/** A run's read of a lake table: the query's name, the time it read as of, what came back once materialized. */
export interface DataRead {
  runId: string;
  runName: string;
  project: string;
  status: RunStatus;
  createdAt: number;
  /** The query's name under `data:` of reprise.yaml. */
  name: string;
  asOf: number;
  /** Null until the run materialized it. */
  rows: number | null;
  contentHash: string | null;
}

/** GET /data/tables/:table: the table, its commits oldest first, the runs that read it newest first. */
export interface DataTableView {
  table: DataTable;
  commits: LakeCommit[];
  reads: DataRead[];
}

/** A query's first rows (POST /data/query): values as JSON, big integers and decimals as strings. */
export interface DataQueryResult {
  schema: DataColumn[];
  rows: unknown[][];
  truncated: boolean;
  /** The time it was read as of, UTC ms ("now" resolved). */
  asOf: number;
}

/** A query as of a time: the time as typed (ISO 8601, `now`) or UTC ms; now when absent. */
export interface DataQuery {
  sql: string;
  asOf?: string | number;
}

/** A run with everything known about it (GET /runs/:id). */
export interface RunDetails {
  run: RunHead & {
    heartbeatAt: number;
    host: string;
    /** Its `data` (the pinned data queries) is absent for a project that declares none, and in runs older than the lake. */
    manifest: RunManifest;
    /** When the MLflow API deleted it (`delete_run`); absent or null while it is not deleted. */
    deletedAt?: number | null;
  };
  params: Record<string, ParamValue>;
  artifacts: Artifact[];
  gate?: GateOutcome | null;
  retention?: Retention | null;
  /** The model versions made from this run. */
  models?: RunModelVersion[];
  /** What an MLflow client logged as the run's inputs (absent from servers before the MLflow API). */
  clientInputs?: { datasets: RunDataset[]; models: RunModelLink[] };
}

/** A project as a record: its number is its experiment id in the MLflow API. */
export interface ProjectRecord {
  id: number;
  name: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  tags: Record<string, string>;
}

/** A file of a model version; with where it downloads from when read through GET /models/:name/versions/:ref. */
export interface ModelFile extends CoreModelFile {
  url?: string;
}

export interface ModelVersion extends Omit<CoreModelVersion, 'files'> {
  files: ModelFile[];
}

export interface BestValue {
  key: string;
  goal: 'max' | 'min';
  value: JsonNumber;
  runId: string;
  runName: string;
  at: number;
}

export interface Project {
  name: string;
  runs: number;
  devRuns: number;
  byStatus: Partial<Record<RunStatus, number>>;
  firstRunAt: number;
  lastActivityAt: number;
  best: BestValue | null;
}

export interface RunKeys {
  params: string[];
  metrics: string[];
  tags: string[];
}

export interface Dashboard {
  project: string;
  generatedAt: number;
  totals: { runs: number; devRuns: number; succeeded: number; failed: number; canceled: number; active: number; successRate: number | null };
  lastRun: { id: string; name: string; status: RunStatus; createdAt: number } | null;
  weeks: { weekStart: number; runs: number; succeeded: number; failed: number; canceled: number; active: number }[];
  metrics: {
    key: string;
    goal: 'max' | 'min';
    weeks: { weekStart: number; best: JsonNumber; bestSoFar: JsonNumber; runName: string; runId: string }[];
    best: BestValue | null;
  }[];
  availableMetrics: string[];
  promotions: { model: string; version: number; aliases: string[]; runId: string; runName: string; createdAt: number; createdBy: string }[];
}

/** A metric's points as columns, ready for a chart. */
export interface History {
  key: string;
  total: number;
  downsampled: boolean;
  steps: Float64Array;
  ts: Float64Array;
  values: Float64Array;
}

/** A histogram bucket as the API sends it: [left edge, right edge, count]. */
export type HistogramBucket = [number, number, number];

/** One histogram point: how the values were spread at a step. */
export interface HistogramPointJson {
  step: number;
  ts: number;
  buckets: HistogramBucket[];
  stats: HistogramStats | null;
}

/** A histogram key's points, by step (GET /runs/:id/histograms/history): at most the points asked for, spread over the series. */
export interface HistogramHistory {
  key: string;
  /** How many points the key has in all. */
  total: number;
  points: HistogramPointJson[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** Seconds to wait before trying again (Retry-After), when the server said. */
    readonly retryAfter?: number,
    /** What the server added to say more: `field`, the input refused, among them. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/** Who the server takes the browser for (GET /session): the user as its role allows. */
export interface SessionUser {
  name: string;
  role: Role;
  /** project → role there, in place of `role`. */
  grants: Record<string, Role>;
  via: 'token' | 'session' | 'password';
  runId: string | null;
  /** What the server role allows. */
  actions: Action[];
  /** What the role allows in at least one project. */
  anywhere: Action[];
}

/** GET and POST /session: whether the server asks who calls (`auth`), who it is, and the token changes must carry. */
export interface SessionInfo {
  auth: boolean;
  user: SessionUser | null;
  csrfToken: string | null;
}

/** A user as admins manage it (GET /users). */
export interface UserView {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  createdBy: string;
  hasPassword: boolean;
  grants: Record<string, Role>;
}

/** A token just made: its text, answered this once, and its record. */
export interface CreatedToken {
  token: string;
  record: TokenRecord;
}

// ---- the session --------------------------------------------------------------------------

/**
 * What every request needs of the sign-in: the CSRF token that a change made with the
 * session's cookie must carry, and whether the server asks who calls at all (without
 * sign-in a 401 cannot mean the session ended).
 */
const current: { auth: boolean; csrfToken: string | null } = { auth: false, csrfToken: null };
const authLostListeners = new Set<() => void>();
const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export const sessionStore = {
  /** Keeps what GET or POST /session answered (or, signed out, that no session is left). */
  set(info: Pick<SessionInfo, 'auth' | 'csrfToken'>): void {
    current.auth = info.auth;
    current.csrfToken = info.csrfToken;
  },
  get auth(): boolean {
    return current.auth;
  },
  get csrfToken(): string | null {
    return current.csrfToken;
  },
  /** Calls `listener` whenever the server refuses a request for want of credentials; gives back how to stop. */
  onAuthLost(listener: () => void): () => void {
    authLostListeners.add(listener);
    return () => authLostListeners.delete(listener);
  },
};

/** Whether a refusal is the server saying the CSRF token is not the session's (another tab signed in again). */
async function isCsrfRefusal(res: Response): Promise<boolean> {
  if (res.status !== 403) return false;
  try {
    const body = (await res.clone().json()) as { error?: { code?: string } };
    return body.error?.code === 'REPRISE_ERR_CSRF';
  } catch {
    return false;
  }
}

/**
 * Every request of the UI: a change carries the session's CSRF token; a 401 tells the
 * listeners the session is gone (the app then shows the sign-in page). A change refused
 * for a stale CSRF token is sent once more with the session's token read again.
 * `signingIn`: the sign-in itself, whose 401 is a wrong password, not a lost session.
 */
async function send(url: string, init: RequestInit = {}, signingIn = false): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const attempt = () => {
    const headers = new Headers(init.headers);
    if (!SAFE_METHODS.has(method) && current.csrfToken !== null) headers.set(CSRF_HEADER, current.csrfToken);
    return fetch(url, { ...init, headers });
  };
  let res = await attempt();
  if (current.auth && !signingIn && (await isCsrfRefusal(res))) {
    const fresh = await fetch(apiUrl('/session'), { headers: { accept: 'application/json' } });
    if (fresh.ok) {
      current.csrfToken = ((await fresh.json()) as SessionInfo).csrfToken;
      res = await attempt();
    }
  }
  if (res.status === 401 && current.auth && !signingIn) for (const listener of [...authLostListeners]) listener();
  return res;
}

export function num(v: JsonNumber | undefined | null): number {
  if (v === undefined || v === null) return Number.NaN;
  return typeof v === 'number' ? v : Number(v);
}

export function apiUrl(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${API_PREFIX}${path}${s ? `?${s}` : ''}`;
}

async function failure(res: Response): Promise<ApiError> {
  const wait = Number(res.headers.get('retry-after') ?? Number.NaN);
  const retryAfter = Number.isFinite(wait) ? wait : undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; hint?: string; details?: Record<string, unknown> } };
    return new ApiError(res.status, body.error?.code ?? 'HTTP', body.error?.message ?? res.statusText, body.error?.hint, retryAfter, body.error?.details);
  } catch {
    return new ApiError(res.status, 'HTTP', `${res.status} ${res.statusText}`, undefined, retryAfter);
  }
}

export async function getJson<T>(path: string, query: Record<string, string | number | boolean | undefined | null> = {}, signal?: AbortSignal): Promise<T> {
  const res = await send(apiUrl(path, query), { signal: signal ?? null, headers: { accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** A write: the body as JSON, the answer as JSON; a refusal as ApiError in the server's words. */
async function sendJson<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body: unknown, signal?: AbortSignal, signingIn = false): Promise<T> {
  const res = await send(
    apiUrl(path),
    {
      method,
      signal: signal ?? null,
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    signingIn,
  );
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Bytes of a URL under the API as text (logs, artifacts, blobs). */
export async function getText(path: string, query: Record<string, string | number | boolean | undefined> = {}, signal?: AbortSignal): Promise<{ text: string; headers: Headers }> {
  const res = await send(apiUrl(path, query), { signal: signal ?? null });
  if (!res.ok) throw await failure(res);
  return { text: await res.text(), headers: res.headers };
}

/** A POST whose answer is a file: its bytes, or the refusal as ApiError. */
async function postForBlob(path: string, body: unknown, signal?: AbortSignal): Promise<Blob> {
  const res = await send(apiUrl(path), {
    method: 'POST',
    signal: signal ?? null,
    headers: { accept: 'application/octet-stream, application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return res.blob();
}

/** The bytes at an address of the API (artifacts, blobs). */
async function getBytes(url: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  const res = await send(url, { signal: signal ?? null });
  if (!res.ok) throw await failure(res);
  return res.arrayBuffer();
}

// ---- production models --------------------------------------------------------------------

/** A change to a model's monitoring as PUT /models/:name/monitoring takes it: durations as typed (`30d`, `1h`), only what changes. */
export interface MonitoringChange {
  sampleRate?: number;
  retention?: string;
  window?: string;
  minRows?: number;
  /** A threshold set to null is no longer watched (p99 latency, accuracy). */
  thresholds?: Partial<Record<keyof Thresholds, number | null>>;
  webhooks?: string[];
}

/** A figure the server may send as a string (NaN, ±Infinity) or leave out. */
function figure(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : Number(v);
}

function driftOf(f: FeatureDrift): FeatureDrift {
  return { ...f, missingRate: figure(f.missingRate) ?? 0, psi: figure(f.psi) ?? Number.NaN, ks: figure(f.ks), js: figure(f.js) };
}

function windowOf(w: DriftWindow): DriftWindow {
  return {
    ...w,
    features: w.features.map(driftOf),
    prediction: w.prediction ? driftOf(w.prediction) : null,
    live: { labelled: w.live.labelled, accuracy: figure(w.live.accuracy), meanAbsoluteError: figure(w.live.meanAbsoluteError) },
  };
}

function summaryOf(s: ProductionSummary): ProductionSummary {
  return { ...s, lastHour: { ...s.lastHour, p99Ms: figure(s.lastHour.p99Ms) }, lastWindow: s.lastWindow ? windowOf(s.lastWindow) : null };
}

function alertOf(a: Alert): Alert {
  return { ...a, value: figure(a.value), threshold: figure(a.threshold) };
}

function trafficOf(t: TrafficPoint): TrafficPoint {
  return { ...t, p50Ms: figure(t.p50Ms), p99Ms: figure(t.p99Ms) };
}

/** Pages that show alerts (the header's count among them) hear when one is acknowledged here. */
const alertListeners = new Set<() => void>();

export const alertEvents = {
  /** Calls `listener` whenever this page acknowledged an alert; gives back how to stop. */
  onChange(listener: () => void): () => void {
    alertListeners.add(listener);
    return () => alertListeners.delete(listener);
  },
};

/** Who a cancel from the UI is recorded as ("canceled by the web UI"): the UI knows no user, only where the click came from. */
const CANCELED_BY = 'the web UI';
/** Runs per request when reading a sweep's runs (a sweep may hold up to 10,000). */
const SWEEP_PAGE = 1000;

export const api = {
  projects: (signal?: AbortSignal) => getJson<{ projects: Project[] }>('/projects', {}, signal).then((r) => r.projects),
  /** Every project's record, deleted ones included: how an MLflow experiment id is found. */
  projectRecords: (signal?: AbortSignal) => getJson<{ projects: ProjectRecord[] }>('/project-records', {}, signal).then((r) => r.projects),
  keys: (project: string, signal?: AbortSignal) => getJson<RunKeys>('/run-keys', { project }, signal),
  rows: (q: { project: string; filter?: string; order?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    getJson<{ runs: RunRow[]; nextCursor: string | null }>('/runs', { ...q, view: 'row' }, signal),
  count: (q: { project: string; filter?: string }, signal?: AbortSignal) => getJson<{ count: number }>('/runs/count', q, signal).then((r) => r.count),
  run: (id: string, signal?: AbortSignal) => getJson<RunDetails>(`/runs/${encodeURIComponent(id)}`, {}, signal),
  /** The checks a run is part of, as original or as reproduction, newest first. */
  verifications: (runId: string, signal?: AbortSignal) =>
    getJson<{ verifications: Verification[] }>(`/runs/${encodeURIComponent(runId)}/verifications`, {}, signal).then((r) => r.verifications),
  dashboard: (project: string, metrics?: string[], signal?: AbortSignal) =>
    getJson<Dashboard>(`/projects/${encodeURIComponent(project)}/dashboard`, { metrics: metrics?.join(',') }, signal),
  async history(runId: string, key: string, points: number, signal?: AbortSignal): Promise<History> {
    const j = await getJson<{ key: string; total: number; downsampled: boolean; steps: number[]; ts: number[]; values: JsonNumber[] }>(
      `/runs/${encodeURIComponent(runId)}/history`,
      { key, points },
      signal,
    );
    return { key: j.key, total: j.total, downsampled: j.downsampled, steps: Float64Array.from(j.steps), ts: Float64Array.from(j.ts), values: Float64Array.from(j.values, num) };
  },
  /** The run's histogram keys, with how many points each has and the steps they span. */
  histograms: (runId: string, signal?: AbortSignal) =>
    getJson<{ histograms: HistogramSeriesInfo[] }>(`/runs/${encodeURIComponent(runId)}/histograms`, {}, signal).then((r) => r.histograms),
  /** At most `points` of one key's histograms, spread over its steps, the first and the last kept. */
  histogramHistory: (runId: string, key: string, points: number, signal?: AbortSignal) =>
    getJson<HistogramHistory>(`/runs/${encodeURIComponent(runId)}/histograms/history`, { key, points }, signal),
  /** The run's notes by key, then step; one key's with `key`. */
  notes: (runId: string, key?: string, signal?: AbortSignal) =>
    getJson<{ notes: RunNote[] }>(`/runs/${encodeURIComponent(runId)}/notes`, { key }, signal).then((r) => r.notes),
  /** Where an artifact downloads from. */
  artifactUrl: (runId: string, path: string) => `${API_PREFIX}/runs/${encodeURIComponent(runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`,
  artifactBytes: (runId: string, path: string, signal?: AbortSignal) => getBytes(api.artifactUrl(runId, path), signal),
  blobUrl: (sha256: string) => `${API_PREFIX}/blobs/${sha256}`,
  /** A stored text (a patch, a lock) by its hash. */
  blobText: (sha256: string, signal?: AbortSignal) => getText(`/blobs/${sha256}`, {}, signal).then((r) => r.text),
  logUrl: (runId: string, stage: string, file: 'stdout' | 'stderr' | 'combined', offset = 0) =>
    apiUrl(`/runs/${encodeURIComponent(runId)}/logs/${encodeURIComponent(stage)}/${file}`, { offset }),
  eventsUrl: (runId?: string) => apiUrl('/events', { run: runId }),
  models: (signal?: AbortSignal) => getJson<{ models: RegisteredModel[] }>('/models', {}, signal).then((r) => r.models),
  /** A registered model and its versions, newest first. */
  model: (name: string, signal?: AbortSignal) => getJson<{ model: RegisteredModel; versions: ModelVersion[] }>(`/models/${encodeURIComponent(name)}`, {}, signal),
  /** One version by number or alias, its files with download addresses. */
  modelVersion: (name: string, ref: string | number, signal?: AbortSignal) =>
    getJson<{ version: ModelVersion }>(`/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(String(ref))}`, {}, signal).then((r) => r.version),
  /** Promotions and alias moves, newest first; of every model without `model`. */
  modelAudit: (q: { model?: string; limit?: number }, signal?: AbortSignal) => getJson<{ entries: AuditEntry[] }>('/model-audit', q, signal).then((r) => r.entries),
  /** Registers a run's model as the next version of `name`; refused (409) for a run that failed its gates. */
  promote: (name: string, body: { runId: string; alias?: string; note?: string }) =>
    sendJson<{ version: ModelVersion; aliasFrom: number | null }>('POST', `/models/${encodeURIComponent(name)}/versions`, body),
  queue: (signal?: AbortSignal) => getJson<QueueView>('/queue', {}, signal),
  /** Cancels a run: a queued one at once, an active one by asking its worker to stop. */
  cancelRun: (id: string) => sendJson<{ outcome: CancelOutcome }>('POST', `/runs/${encodeURIComponent(id)}/cancel`, { by: CANCELED_BY }),
  sweeps: (project: string, signal?: AbortSignal) => getJson<{ sweeps: Sweep[] }>('/sweeps', { project }, signal).then((r) => r.sweeps),
  sweep: (id: string, signal?: AbortSignal) => getJson<{ sweep: Sweep }>(`/sweeps/${encodeURIComponent(id)}`, {}, signal).then((r) => r.sweep),
  /** Every run of a sweep as table rows, in the order they were queued. */
  async sweepRuns(id: string, signal?: AbortSignal): Promise<RunRow[]> {
    const rows: RunRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await getJson<{ runs: RunRow[]; nextCursor: string | null }>(
        '/runs',
        { filter: `sweep = '${id}'`, view: 'row', limit: SWEEP_PAGE, order: 'created asc', cursor },
        signal,
      );
      rows.push(...page.runs);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return rows;
  },
  /** Cancels every run of a sweep that has not ended. */
  cancelSweep: (id: string) => sendJson<{ canceled: number; stopping: number; finished: number }>('POST', `/sweeps/${encodeURIComponent(id)}/cancel`, { by: CANCELED_BY }),
  /** The lake's tables. */
  dataTables: (signal?: AbortSignal) => getJson<{ tables: DataTable[] }>('/data/tables', {}, signal).then((r) => r.tables),
  /** A table with its commits and the runs that read it; 404 for a table the lake does not have. */
  dataTable: (name: string, signal?: AbortSignal) => getJson<DataTableView>(`/data/tables/${encodeURIComponent(name)}`, {}, signal),
  /** A read-only query's first `limit` rows as of a time. */
  dataQuery: (q: DataQuery & { limit?: number }, signal?: AbortSignal) => sendJson<DataQueryResult>('POST', '/data/query', q, signal),
  /** A query's whole result as a file. */
  dataExport: (q: DataQuery & { format: DataFormat }, signal?: AbortSignal) => postForBlob('/data/export', q, signal),
  /** The project's link to the repository whose pushes start its pipeline; null when it has none. */
  repositoryLink: (project: string, signal?: AbortSignal) =>
    getJson<{ links: RepositoryLink[] }>('/repository-links', { project }, signal).then((r) => r.links.find((l) => l.project === project) ?? null),
  moveAlias: (name: string, alias: string, body: { version: number; note?: string }) =>
    sendJson<{ alias: string; from: number | null; to: number }>('PUT', `/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`, body),
  /** Keeps a finished run's artifacts whatever its outcome, or flags them for gc (from now on). */
  setRetention: (runId: string, state: 'kept' | 'flagged') =>
    sendJson<{ retention: Retention }>('PUT', `/runs/${encodeURIComponent(runId)}/retention`, { state }).then((r) => r.retention),
  /** Whether the server asks who calls, and who the browser is signed in as. */
  session: (signal?: AbortSignal) => getJson<SessionInfo>('/session', {}, signal),
  /** Signs in: a 401 is a wrong name or password, a 429 a wait (ApiError.retryAfter). */
  signIn: (user: string, password: string) => sendJson<SessionInfo>('POST', '/session', { user, password }, undefined, true),
  /** Ends the session whose cookie the browser holds. */
  async signOut(): Promise<void> {
    const res = await send(apiUrl('/session'), { method: 'DELETE', headers: { accept: 'application/json' } }, true);
    if (!res.ok) throw await failure(res);
  },
  /** The audit log, newest first; `before`: the `at` of the last entry of the page before. */
  audit: (q: { limit?: number; before?: number; by?: string; action?: string }, signal?: AbortSignal) =>
    getJson<{ entries: AuditLogEntry[] }>('/audit', q, signal).then((r) => r.entries),
  users: (signal?: AbortSignal) => getJson<{ users: UserView[] }>('/users', {}, signal).then((r) => r.users),
  /** Changes a user's server role, or disables or enables it. */
  updateUser: (name: string, body: { role?: Role; disabled?: boolean }) => sendJson<UserView>('PATCH', `/users/${encodeURIComponent(name)}`, body),
  /** The signed-in user's tokens, revoked ones too (never their text). */
  tokens: (signal?: AbortSignal) => getJson<{ tokens: TokenRecord[] }>('/tokens', { revoked: true }, signal).then((r) => r.tokens),
  /** A new token of the signed-in user: its text comes back this once. */
  createToken: (body: { expiresIn?: string; description?: string }) => sendJson<CreatedToken>('POST', '/tokens', body),
  revokeToken: (id: string) => sendJson<{ revoked: TokenRecord[] }>('POST', '/tokens/revoke', { token: id }).then((r) => r.revoked),
  /** Every model in production: served here, with recent traffic, or with open alerts. */
  production: (signal?: AbortSignal) => getJson<{ models: ProductionSummary[] }>('/production', {}, signal).then((r) => r.models.map(summaryOf)),
  /** One model in production between two times (UTC ms): traffic per minute, drift windows oldest first, alerts newest first. */
  async modelProduction(name: string, range: { from: number; to: number }, signal?: AbortSignal): Promise<ModelProduction> {
    const p = await getJson<ModelProduction>(`/models/${encodeURIComponent(name)}/production`, range, signal);
    return { ...p, summary: summaryOf(p.summary), traffic: p.traffic.map(trafficOf), windows: p.windows.map(windowOf), alerts: p.alerts.map(alertOf) };
  },
  /** Changes how a model is monitored (admins); a refusal names its field in `details.field`. */
  setMonitoring: (name: string, change: MonitoringChange) =>
    sendJson<{ settings: MonitorSettings }>('PUT', `/models/${encodeURIComponent(name)}/monitoring`, change).then((r) => r.settings),
  /** Alerts newest first: of one model, only open ones, at most `limit`. */
  alerts: (q: { model?: string; open?: boolean; limit?: number }, signal?: AbortSignal) =>
    getJson<{ alerts: Alert[] }>('/alerts', q, signal).then((r) => r.alerts.map(alertOf)),
  /** Acknowledges an alert, with an optional note; one acknowledged before keeps its first acknowledgement. */
  async ackAlert(id: number, note?: string): Promise<Alert> {
    const { alert } = await sendJson<{ alert: Alert }>('POST', `/alerts/${id}/ack`, note ? { note } : {});
    for (const listener of [...alertListeners]) listener();
    return alertOf(alert);
  },
};
