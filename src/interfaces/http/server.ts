/**
 * @module interfaces/http/server
 * The HTTP server: the native API under /api/v1 (routes declared in routes/, described
 * at /api/v1/openapi.json), errors in one JSON shape whatever went wrong (our catalogue,
 * a schema, the JSON parser, a body too large, an unknown route).
 */
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isRepriseError, RepriseError, type ErrorCode } from '../../core/errors.js';
import type { ApiDeps } from './api-deps.js';
import { openApiDocument } from './openapi.js';
import { API_PREFIX } from '../../core/api-version.js';
import type { Route } from './route.js';
import { accessRoutes } from './routes/access.js';
import { artifactRoutes } from './routes/artifacts.js';
import { installAuthentication, requireAccessRules } from './authentication.js';
import { blobRoutes } from './routes/blobs.js';
import { GIT_HOOK_PATH, hookRoutes } from './routes/hooks.js';
import { keepRawBody } from './raw-body.js';
import { dataRoutes } from './routes/data.js';
import { eventRoutes } from './routes/events.js';
import { logRoutes } from './routes/logs.js';
import { metricRoutes } from './routes/metrics.js';
import { projectRoutes } from './routes/projects.js';
import { productionRoutes } from './routes/production.js';
import { modelRoutes } from './routes/models.js';
import { reproducibilityRoutes } from './routes/reproducibility.js';
import { queueRoutes } from './routes/queue.js';
import { retentionRoutes } from './routes/retention.js';
import { runRoutes } from './routes/runs.js';
import { systemRoutes } from './routes/system.js';
import { mlflowNotFound, registerMlflowApi } from '../mlflow/mlflow-api.js';
import type { z } from 'zod';

/** JSON bodies beyond this are refused with 413 (metric ingestion allows more). */
export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

export interface ServerOptions {
  readonly bodyLimit?: number;
  /** Where blob uploads are staged before they are checked and stored. */
  readonly uploadDir?: string;
  /** pino logging of every request (off by default: the terminal shows one line per start). */
  readonly logRequests?: boolean;
  /** The built web UI (index.html and assets), served at / with its pages' paths. */
  readonly webRoot?: string;
  /** Behind a reverse proxy: the client's address and scheme from its X-Forwarded-* headers (throttling, Secure cookies). */
  readonly trustProxy?: boolean;
  /** `serving`: the prediction and feedback routes alone (`reprise serve`). */
  readonly only?: 'serving';
}

export function apiRoutes(d: ApiDeps, opts: ServerOptions = {}): Route[] {
  // What `reprise serve` answers on its own port.
  if (opts.only === 'serving') return productionRoutes(d).filter((r) => r.tag === 'serving');
  return [
    ...systemRoutes(d),
    ...runRoutes(d),
    ...projectRoutes(d),
    ...metricRoutes(d),
    ...logRoutes(d),
    ...artifactRoutes(d),
    ...blobRoutes(d, opts.uploadDir),
    ...eventRoutes(d),
    ...reproducibilityRoutes(d),
    ...modelRoutes(d),
    ...retentionRoutes(d),
    ...queueRoutes(d),
    ...dataRoutes(d, opts.uploadDir),
    ...hookRoutes(d),
    ...accessRoutes(d),
    ...productionRoutes(d),
  ];
}

function errorBody(code: ErrorCode, message: string, extra: { hint?: string; details?: Record<string, unknown> } = {}) {
  return { error: { code, message, ...extra } };
}

function zodProblem(where: string, error: z.ZodError): RepriseError {
  const problems = error.issues.slice(0, 10).map((i) => `${[where, ...i.path].join('.')}: ${i.message}`);
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', problems.join('; '), {
    details: { problems: error.issues.slice(0, 50).map((i) => ({ field: [where, ...i.path].join('.'), message: i.message })) },
  });
}

export function buildServer(d: ApiDeps, opts: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: opts.logRequests ? { level: 'info' } : false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    trustProxy: opts.trustProxy ?? false,
    forceCloseConnections: true,
  });

  void app.register(fastifyCookie);
  requireAccessRules(app);
  if (d.auth) installAuthentication(app, { access: d.access, store: d.store, ...(d.mlflow ? { projects: d.mlflow.projects } : {}) });

  // Bytes (blobs, log pieces) reach handlers as a stream; they enforce their own limits.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  // Plain text is no JSON: without this, fastify hands it to a route as a string.
  app.removeContentTypeParser('text/plain');
  // JSON.parse's own message says where the text breaks. Objects it returns have no
  // inherited keys to poison: bodies are read through schemas that copy known keys only.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, bytes, done) => {
    // Kept for the routes that verify a signature over the body (the git hook).
    keepRawBody(req, bytes as Buffer);
    const text = (bytes as Buffer).toString('utf8');
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new RepriseError('REPRISE_ERR_REQUEST_INVALID', `the body is not valid JSON: ${(e as Error).message}`, { details: { field: 'body' } }), undefined);
    }
  });

  // GitHub's webhook form (`payload=<json>`), which it sends unless told to send JSON: only
  // the git hook reads it (its bytes); every other route takes JSON alone.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, bytes, done) => {
    if (req.url.split('?')[0] !== GIT_HOOK_PATH) {
      return done(new RepriseError('REPRISE_ERR_REQUEST_MEDIA_TYPE', `unsupported media type application/x-www-form-urlencoded; send application/json (or application/octet-stream for bytes)`), undefined);
    }
    keepRawBody(req, bytes as Buffer);
    done(null, undefined);
  });

  app.setErrorHandler((err: FastifyError | RepriseError, _req, reply) => {
    if (isRepriseError(err)) {
      void reply.code(err.status).send({ error: err.toJSON() });
      return;
    }
    const e = err as FastifyError;
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void reply.code(413).send(errorBody('REPRISE_ERR_REQUEST_TOO_LARGE', `the body is larger than this route accepts (${e.message})`));
    } else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      void reply.code(415).send(errorBody('REPRISE_ERR_REQUEST_MEDIA_TYPE', `${e.message}; send application/json (or application/octet-stream for bytes)`));
    } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      // The JSON parser and the other checks fastify makes before a handler runs.
      const what = e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError ? 'the body is not valid JSON: ' : '';
      void reply.code(400).send(errorBody('REPRISE_ERR_REQUEST_INVALID', `${what}${e.message}`));
    } else {
      reply.log.error(e);
      void reply.code(500).send(errorBody('REPRISE_ERR_INTERNAL', `the server failed: ${e.message}. This is a bug in Reprise; please report it.`));
    }
  });

  const web = opts.webRoot !== undefined && existsSync(join(opts.webRoot, 'index.html')) ? opts.webRoot : undefined;
  if (web) {
    // Built assets carry a content hash in their names: cached for good. index.html is not.
    void app.register(fastifyStatic, {
      root: web,
      // Files are looked up per request, so a rebuild while the server runs is served.
      wildcard: true,
      index: false,
      // Folders (/ included) are pages of the UI: answered by the not-found handler below.
      allowedPath: (path) => !path.endsWith('/'),
      maxAge: '365d',
      immutable: true,
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const mlflow = d.mlflow ? mlflowNotFound(req.method, req.url) : undefined;
    if (mlflow) return reply.code(404).send(mlflow);
    // The UI's pages are paths of its own router: any GET outside the API gets its page.
    if (req.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/assets/')) {
      if (web) return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
      return reply.code(404).type('text/plain').send('The web UI is not built here: run `npm run build` in the Reprise folder, then restart the server.\n');
    }
    return reply.code(404).send(errorBody('REPRISE_ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${path}`, { hint: `the API is described at ${API_PREFIX}/openapi.json` }));
  });

  if (d.mlflow) registerMlflowApi(app, d.mlflow);
  // Load balancers and MLflow users probe this, as they do MLflow's server.
  app.get('/health', { config: { access: { public: 'load balancers probe it' } } }, async (_req, reply) => reply.type('text/plain').send('OK'));

  const routes = apiRoutes(d, opts);
  const doc = openApiDocument(routes, d.version);
  app.get(`${API_PREFIX}/openapi.json`, { config: { access: { public: 'describes the API, holds no data' } } }, async () => doc);

  for (const r of routes) {
    app.route({
      method: r.method,
      url: API_PREFIX + r.path,
      config: { access: r.access },
      ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
      handler: async (request, reply) => {
        const parse = <T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T => {
          if (!schema) return value as T;
          const res = schema.safeParse(value ?? {});
          if (!res.success) throw zodProblem(where, res.error);
          return res.data;
        };
        const params = parse(r.params, request.params, 'params');
        const query = parse(r.query, request.query, 'query');
        const body = r.body && !('raw' in r.body) ? parse(r.body as z.ZodType, request.body, 'body') : request.body;
        return r.handler({ params, query, body, request, reply });
      },
    });
  }
  return app;
}
