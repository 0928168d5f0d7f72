/**
 * @module interfaces/mlflow/mlflow-route
 * A route of the MLflow-compatible API, declared once: method, path (after the API's
 * prefix) and a handler that reads MLflow's fields and answers a JSON object. What every
 * route needs is here too: the services, and who is asking.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { ClientRunService } from '../../services/client-runs.js';
import type { LoggedModelService } from '../../services/logged-models.js';
import type { ModelService } from '../../services/model-service.js';
import type { ProjectRecordService } from '../../services/project-records.js';
import type { MlflowFields } from './request.js';

export interface MlflowDeps {
  readonly store: MetadataStore;
  readonly projects: ProjectRecordService;
  readonly runs: ClientRunService;
  readonly models: ModelService;
  readonly loggedModels: LoggedModelService;
}

export interface MlflowRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** After `/api/2.0/mlflow` (or its `/ajax-api` twin), fastify style. */
  readonly path: string;
  handler(fields: MlflowFields, ctx: { readonly request: FastifyRequest; readonly reply: FastifyReply; readonly params: Readonly<Record<string, string>> }): Promise<unknown>;
}

/** Who asks: the user of HTTP basic auth (what the client sends from MLFLOW_TRACKING_USERNAME), else `mlflow`. */
export function requester(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const user = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':', 1)[0];
    if (user) return user;
  }
  return 'mlflow';
}
