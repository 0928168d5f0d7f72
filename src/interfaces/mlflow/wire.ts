/**
 * @module interfaces/mlflow/wire
 * Reprise's records in the JSON shapes the `mlflow` client parses: experiments (projects),
 * runs, metrics, registered models and versions, logged models; the five MLflow run
 * statuses; and Reprise's errors as MLflow's `{error_code, message}` with the HTTP status
 * MLflow uses for that code (so the client raises the exception its users catch, and
 * never retries a mistake as if the server were down).
 */
import { isRepriseError, type ErrorCode } from '../../core/errors.js';
import type { LoggedModelRecord, LoggedModelStatus, RunInputs } from '../../core/client-records.js';
import { encodeNumber } from '../../core/json-number.js';
import type { ModelVersion, RegisteredModel } from '../../core/model-store.js';
import type { ProjectRecord } from '../../core/project-record.js';
import type { RunRecord } from '../../core/run.js';
import type { MetricSummary, RunStatus } from '../../core/run-manifest.js';
import type { ClientStatus } from '../../services/client-runs.js';

export type MlflowStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

function mlflowStatus(s: RunStatus): MlflowStatus {
  switch (s) {
    case 'queued':
      return 'SCHEDULED';
    case 'preparing':
    case 'running':
      return 'RUNNING';
    case 'succeeded':
      return 'FINISHED';
    case 'failed':
    case 'lost':
      return 'FAILED';
    case 'canceled':
      return 'KILLED';
  }
}

/** The status a client asks for; SCHEDULED is not one a client can set (nothing queues it). */
export const CLIENT_STATUSES: Readonly<Record<string, ClientStatus>> = { RUNNING: 'running', FINISHED: 'succeeded', FAILED: 'failed', KILLED: 'canceled' };

/** Where the client sends a project's artifacts: through this server's artifact proxy. */
function experimentArtifactRoot(id: number): string {
  return `mlflow-artifacts:/${id}`;
}

function runArtifactUri(experimentId: number, runId: string): string {
  return `${experimentArtifactRoot(experimentId)}/${runId}/artifacts`;
}

/** A registered version's files, frozen when it was made, under the proxy's `_models/` folder. */
export function versionArtifactUri(model: string, version: number): string {
  return `mlflow-artifacts:/_models/${encodeURIComponent(model)}/${version}`;
}

const pairs = (r: Readonly<Record<string, string>>) => Object.entries(r).map(([key, value]) => ({ key, value }));

export function experimentJson(p: ProjectRecord) {
  return {
    experiment_id: String(p.id),
    name: p.name,
    artifact_location: experimentArtifactRoot(p.id),
    lifecycle_stage: p.deletedAt === null ? 'active' : 'deleted',
    last_update_time: p.updatedAt,
    creation_time: p.createdAt,
    tags: pairs(p.tags),
  };
}

export function runInfoJson(run: RunRecord, experimentId: number, tags: Readonly<Record<string, string>>) {
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: String(experimentId),
    user_id: tags['mlflow.user'] ?? ('by' in (run.manifest.trigger ?? {}) ? run.manifest.trigger!.by : ''),
    status: mlflowStatus(run.status),
    start_time: run.startedAt ?? run.createdAt,
    ...(run.endedAt !== null ? { end_time: run.endedAt } : {}),
    artifact_uri: runArtifactUri(experimentId, run.id),
    lifecycle_stage: run.deletedAt != null ? 'deleted' : 'active',
  };
}

/** A param's value as MLflow holds it: text. Reprise's typed params read as JSON would write them. */
export function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function metricJson(key: string, value: number, timestamp: number, step: number) {
  return { key, value: encodeNumber(value), timestamp, step };
}

export interface RunData {
  readonly metrics: Readonly<Record<string, MetricSummary>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly inputs: RunInputs | undefined;
}

export function runJson(run: RunRecord, experimentId: number, data: RunData) {
  const tags = { 'mlflow.runName': run.name, ...data.tags };
  return {
    info: runInfoJson(run, experimentId, tags),
    data: {
      metrics: Object.entries(data.metrics).map(([key, s]) => metricJson(key, s.last, s.lastTs ?? run.createdAt, s.lastStep)),
      params: Object.entries(data.params).map(([key, v]) => ({ key, value: paramText(v) })),
      tags: pairs(tags),
    },
    inputs: {
      dataset_inputs: (data.inputs?.datasets ?? []).map((d) => ({
        tags: pairs(d.tags),
        dataset: {
          name: d.name,
          digest: d.digest,
          source_type: d.sourceType,
          source: d.source,
          ...(d.schema !== null ? { schema: d.schema } : {}),
          ...(d.profile !== null ? { profile: d.profile } : {}),
        },
      })),
      model_inputs: (data.inputs?.models ?? []).filter((m) => m.direction === 'input').map((m) => ({ model_id: m.modelId })),
    },
    outputs: { model_outputs: (data.inputs?.models ?? []).filter((m) => m.direction === 'output').map((m) => ({ model_id: m.modelId, step: m.step })) },
  };
}

/** Where a version's run keeps its files, as MLflow names a version's source. */
function versionSource(v: ModelVersion, experimentId: number | undefined): string {
  return experimentId === undefined ? `runs:/${v.runId}/${v.path}` : `${runArtifactUri(experimentId, v.runId)}/${v.path}`;
}

export function modelVersionJson(v: ModelVersion, experimentId: number | undefined, updatedAt = v.createdAt) {
  return {
    name: v.model,
    version: String(v.version),
    creation_timestamp: v.createdAt,
    last_updated_timestamp: updatedAt,
    user_id: v.createdBy,
    current_stage: 'None',
    ...(v.description !== null ? { description: v.description } : {}),
    source: versionSource(v, experimentId),
    run_id: v.runId,
    // Always READY: a version is complete once made (an absent status would make the client poll).
    status: 'READY',
    tags: pairs(v.tags),
    aliases: v.aliases,
  };
}

export function registeredModelJson(m: RegisteredModel, latest: readonly ReturnType<typeof modelVersionJson>[]) {
  return {
    name: m.name,
    creation_timestamp: m.createdAt,
    last_updated_timestamp: m.updatedAt,
    ...(m.description !== null ? { description: m.description } : {}),
    latest_versions: latest,
    tags: pairs(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

const LOGGED_STATUS: Readonly<Record<LoggedModelStatus, string>> = { pending: 'LOGGED_MODEL_PENDING', ready: 'LOGGED_MODEL_READY', failed: 'LOGGED_MODEL_UPLOAD_FAILED' };
export const LOGGED_STATUS_FROM_WIRE: Readonly<Record<string, LoggedModelStatus>> = {
  LOGGED_MODEL_PENDING: 'pending',
  LOGGED_MODEL_READY: 'ready',
  LOGGED_MODEL_UPLOAD_FAILED: 'failed',
  '1': 'pending',
  '2': 'ready',
  '3': 'failed',
};

export function loggedModelJson(m: LoggedModelRecord, experimentId: number, registrations: readonly { name: string; version: number }[] = []) {
  return {
    info: {
      model_id: m.id,
      experiment_id: String(experimentId),
      name: m.name,
      creation_timestamp_ms: m.createdAt,
      last_updated_timestamp_ms: m.updatedAt,
      // The files live among the run's artifacts, in the model's folder.
      artifact_uri: `${runArtifactUri(experimentId, m.runId)}/${m.path}`,
      status: LOGGED_STATUS[m.status],
      ...(m.modelType !== null ? { model_type: m.modelType } : {}),
      source_run_id: m.runId,
      ...(m.statusMessage !== null ? { status_message: m.statusMessage } : {}),
      tags: pairs(m.tags),
      registrations: registrations.map((r) => ({ name: r.name, version: String(r.version) })),
    },
    data: { params: pairs(m.params), metrics: [] },
  };
}

export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'REQUEST_LIMIT_EXCEEDED';

const MLFLOW_HTTP: Readonly<Record<MlflowErrorCode, number>> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
};

function mlflowCodeOf(code: ErrorCode): MlflowErrorCode {
  if (code === 'REPRISE_ERR_ROUTE_NOT_FOUND') return 'ENDPOINT_NOT_FOUND';
  if (code === 'REPRISE_ERR_AUTH_REQUIRED' || code === 'REPRISE_ERR_AUTH_INVALID') return 'UNAUTHENTICATED';
  if (code === 'REPRISE_ERR_FORBIDDEN' || code === 'REPRISE_ERR_CSRF') return 'PERMISSION_DENIED';
  if (code === 'REPRISE_ERR_LOGIN_THROTTLED') return 'REQUEST_LIMIT_EXCEEDED';
  if (code.endsWith('_NOT_FOUND')) return 'RESOURCE_DOES_NOT_EXIST';
  if (code === 'REPRISE_ERR_PROJECT_EXISTS' || code === 'REPRISE_ERR_MODEL_EXISTS') return 'RESOURCE_ALREADY_EXISTS';
  if (code === 'REPRISE_ERR_INTERNAL' || code === 'REPRISE_ERR_BLOB_CORRUPT' || code === 'REPRISE_ERR_DATA_TAMPERED') return 'INTERNAL_ERROR';
  if (code === 'REPRISE_ERR_SERVER_UNREACHABLE' || code === 'REPRISE_ERR_DATA_SOURCE_UNAVAILABLE') return 'TEMPORARILY_UNAVAILABLE';
  // Every other error is about the request: MLflow's client raises it at once.
  return 'INVALID_PARAMETER_VALUE';
}

/** Any error as MLflow's client expects it: the HTTP status and `{error_code, message}` (Reprise's code kept beside). */
export function mlflowError(e: unknown): { status: number; body: { error_code: MlflowErrorCode; message: string; reprise_code?: ErrorCode } } {
  if (isRepriseError(e)) {
    const code = mlflowCodeOf(e.code);
    const message = e.hint ? `${e.message} (${e.hint})` : e.message;
    return { status: MLFLOW_HTTP[code], body: { error_code: code, message, reprise_code: e.code } };
  }
  const err = e as { statusCode?: number; message?: string; code?: string };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const what = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError ? 'the body is not valid JSON: ' : '';
    return { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: `${what}${err.message ?? 'bad request'}` } };
  }
  return { status: 500, body: { error_code: 'INTERNAL_ERROR', message: `the server failed: ${err.message ?? String(e)}. This is a bug in Reprise; please report it.` } };
}

