/**
 * @module interfaces/mlflow/mlflow-api
 * The MLflow-compatible API, mounted on the server beside the native one, so the
 * unmodified `mlflow` client works with `MLFLOW_TRACKING_URI` set to the server:
 * `/api/2.0/mlflow` (and its `/ajax-api` twin, which MLflow's own UI calls) and the
 * artifact proxy `/api/2.0/mlflow-artifacts`. Each prefix is a fastify plugin of its own:
 * MLflow's body parsing (JSON on POST, PATCH and DELETE alike; raw bytes for artifact
 * uploads, whatever their content type), its error shape and its 404 for unknown routes
 * stay inside these prefixes and leave the native API as it is.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { artifactProxyRoutes, runArtifactListRoute } from './artifact-routes.js';
import type { MlflowDeps, MlflowRoute } from './mlflow-route.js';
import { loggedModelRoutes, registryRoutes } from './registry-routes.js';
import { MlflowFields } from './request.js';
import { trackingRoutes } from './tracking-routes.js';
import { mlflowError } from './wire.js';

export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;
export const MLFLOW_ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'] as const;
/** MLflow 3's own RPCs (traces, scorers, datasets): none is served, each answered as MLflow answers an unknown route. */
const MLFLOW_V3_PREFIXES = ['/api/3.0/mlflow', '/ajax-api/3.0/mlflow'] as const;

/**
 * Unknown routes answer as MLflow's do, so the client's fallbacks (older endpoints) take
 * over. Also used by the server's own not-found handler: a GET the UI's static files
 * did not find reaches that one, not this API's.
 */
export function mlflowNotFound(method: string, url: string): { error_code: 'ENDPOINT_NOT_FOUND'; message: string } | undefined {
  const path = url.split('?')[0]!;
  if (![...MLFLOW_PREFIXES, ...MLFLOW_ARTIFACT_PREFIXES, ...MLFLOW_V3_PREFIXES].some((p) => path === p || path.startsWith(`${p}/`))) return undefined;
  return { error_code: 'ENDPOINT_NOT_FOUND', message: `no route ${method} ${path} in Reprise's MLflow-compatible API` };
}

/** `bodies`: `json` for the API; `raw` for the artifact proxy, whose uploads are bytes whatever their content type says. */
function plugin(routes: readonly MlflowRoute[], bodies: 'json' | 'raw'): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    if (bodies === 'json') app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
      // MLflow's client sends DELETE and some GET calls with an empty body: read as no fields.
      if ((text as string).trim() === '') return done(null, {});
      try {
        done(null, JSON.parse(text as string));
      } catch (e) {
        const err = e as Error & { statusCode?: number };
        err.statusCode = 400;
        done(err, undefined);
      }
    });
    // Artifact uploads come with the file's guessed type (text/plain, image/png, application/json, …): handed over as a stream.
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    app.setErrorHandler((err, _req, reply) => {
      const { status, body } = mlflowError(err);
      if (status >= 500) reply.log.error(err);
      void reply.code(status).send(body);
    });
    app.setNotFoundHandler((req, reply) => void reply.code(404).send(mlflowNotFound(req.method, req.url) ?? {}));
    for (const r of routes) {
      app.route({
        method: r.method,
        url: r.path,
        config: { access: r.access },
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          // An artifact upload's body is its bytes, not fields.
          const fields = MlflowFields.of(r.method === 'PUT' ? undefined : request.body, request.query);
          return r.handler(fields, { request, reply, params: (request.params ?? {}) as Record<string, string> });
        },
      });
    }
  };
}

/** Mounts the MLflow-compatible API on `app`. */
export function registerMlflowApi(app: FastifyInstance, d: MlflowDeps): void {
  const api = [...trackingRoutes(d), ...registryRoutes(d), ...loggedModelRoutes(d), runArtifactListRoute(d)];
  const artifacts = artifactProxyRoutes(d);
  for (const prefix of MLFLOW_PREFIXES) void app.register(plugin(api, 'json'), { prefix });
  for (const prefix of MLFLOW_ARTIFACT_PREFIXES) void app.register(plugin(artifacts, 'raw'), { prefix });
}
