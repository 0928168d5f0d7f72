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
import { MlflowFields } from './request.js';
import { NO_SCOPE, runsScope, type AccessInput, type AccessRule, type Scope, type ScopeLookup, type ScopeOf } from '../http/access-rule.js';

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
  /** Who may call it (interfaces/http/access-rule); scopes read MLflow's fields through `mlflowScope`. */
  readonly access: AccessRule;
  handler(fields: MlflowFields, ctx: { readonly request: FastifyRequest; readonly reply: FastifyReply; readonly params: Readonly<Record<string, string>> }): Promise<unknown>;
}

/** Who asks: the signed-in user when the server asks; else the user of HTTP basic auth (what the client sends from MLFLOW_TRACKING_USERNAME), else `mlflow`. */
export function requester(request: FastifyRequest): string {
  if (request.principal) return request.principal.name;
  const auth = request.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const user = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':', 1)[0];
    if (user) return user;
  }
  return 'mlflow';
}

/** A scope read from MLflow's fields (a JSON body or the query string, as the handlers read them). */
export function mlflowScope(of: (fields: MlflowFields, look: ScopeLookup, input: AccessInput) => Promise<Scope>): ScopeOf {
  return (input, look) => {
    let fields: MlflowFields;
    try {
      fields = MlflowFields.of(typeof input.body === 'object' && input.body !== null && !('pipe' in input.body) ? input.body : undefined, input.query);
    } catch {
      return Promise.resolve(NO_SCOPE);
    }
    // A field of the wrong kind is the handler's to refuse, with MLflow's wording.
    return of(fields, look, input).catch(() => NO_SCOPE);
  };
}

/** The run of `run_id` (or `run_uuid`): its project, and the run written. */
export const mlflowRun: ScopeOf = mlflowScope((f, look) => runsScope([f.str('run_id') ?? f.str('run_uuid')], look));

/** The project of `experiment_id`. */
export const mlflowExperiment: ScopeOf = mlflowScope(async (f, look) => {
  const id = f.str('experiment_id');
  const project = id !== undefined ? await look.experimentProject(id) : undefined;
  return { projects: project !== undefined ? [project] : [], runs: [] };
});

/** The registered model of `name`: the projects its versions came from. */
export const mlflowModel: ScopeOf = mlflowScope(async (f, look) => {
  const name = f.str('name');
  return { projects: name !== undefined ? await look.modelProjects(name) : [], runs: [] };
});
