/**
 * @module interfaces/http/authentication
 * Who asks, and whether they may, for every route of the native and MLflow APIs. A route
 * carries its access rule in its config; a hook reads the credentials (a Bearer token,
 * HTTP basic auth, or the web session's cookie), then checks the rule before the handler
 * runs, on the request as it came (a refusal comes before any complaint about the body).
 * A request signed in by cookie that changes anything must carry the session's CSRF
 * token in a header: another site can make a browser send the cookie, not read the token.
 */
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Principal } from '../../core/access.js';
import { bug, RepriseError } from '../../core/errors.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { AccessService } from '../../services/access-service.js';
import type { ProjectRecordService } from '../../services/project-records.js';
import { authorize, isPublic, type AccessRule, type ScopeLookup } from './access-rule.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request, when the server asks (auth on) and they said. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyInstance {
    /** Every route registered, with its access rule: what the access tests go through, so no route escapes them. */
    accessRoutes: readonly GuardedRoute[];
  }
}

export interface GuardedRoute {
  readonly method: string;
  readonly url: string;
  /** Undefined only outside the API prefixes (the UI's files). */
  readonly rule: AccessRule | undefined;
}

export const SESSION_COOKIE = 'reprise_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Paths whose every route must declare an access rule. */
const GUARDED_PREFIXES = ['/api/', '/ajax-api/'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The rule of a route being registered; every API route must have one, auth on or off, so none can be forgotten. */
export function requireAccessRules(app: FastifyInstance): void {
  const routes: GuardedRoute[] = [];
  app.decorate('accessRoutes', routes);
  app.addHook('onRoute', (opts: RouteOptions) => {
    const url = opts.url ?? '';
    const rule = (opts.config as { access?: AccessRule } | undefined)?.access;
    if (GUARDED_PREFIXES.some((p) => url.startsWith(p)) && !rule) throw bug(`the route ${String(opts.method)} ${url} declares no access rule`);
    for (const method of [opts.method].flat()) routes.push({ method: String(method), url, rule });
  });
}

export interface AuthenticationDeps {
  readonly access: AccessService;
  readonly store: MetadataStore;
  readonly projects?: ProjectRecordService;
}

/** The store lookups scopes make; a run's project never changes, so it is remembered. */
export function scopeLookup(d: { store: MetadataStore; projects?: ProjectRecordService }): ScopeLookup {
  const projectOfRun = new Map<string, string>();
  const runProject = async (id: string): Promise<string | undefined> => {
    const known = projectOfRun.get(id);
    if (known !== undefined) return known;
    const run = await d.store.getRun(id);
    if (!run) return undefined;
    if (projectOfRun.size >= 100_000) projectOfRun.delete(projectOfRun.keys().next().value!);
    projectOfRun.set(id, run.project);
    return run.project;
  };
  return {
    runProject,
    modelProjects: async (model) => {
      const found = await d.store.modelVersions(model);
      const projects = await Promise.all((found?.versions ?? []).map((v) => runProject(v.runId)));
      return [...new Set(projects.filter((p): p is string => p !== undefined))];
    },
    experimentProject: async (experimentId) => {
      const id = Number(experimentId);
      if (!d.projects || !Number.isInteger(id)) return undefined;
      try {
        return (await d.projects.get({ id })).name;
      } catch {
        return undefined;
      }
    },
  };
}

/** Turns authentication on: every request to a route with a rule is identified and checked. */
export function installAuthentication(app: FastifyInstance, d: AuthenticationDeps): void {
  const look = scopeLookup(d);
  app.addHook('preHandler', async (request, reply) => {
    const rule = request.routeOptions.config?.access;
    if (!rule) return;
    try {
      request.principal = await identify(request, d.access);
    } catch (e) {
      // The sign-in page and the health check answer whatever a stale cookie says.
      if (!isPublic(rule)) throw withRetryAfter(reply, e);
    }
    await authorize(rule, request.principal, { params: (request.params ?? {}) as Record<string, string>, query: (request.query ?? {}) as Record<string, unknown>, body: request.body }, look);
  });
  // Refusals say how to retry: 401 names the scheme, 429 when.
  app.addHook('onSend', async (_request, reply: FastifyReply, payload) => {
    if (reply.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="reprise"');
    return payload;
  });
}

/** A throttled sign-in's answer says when to try again (Retry-After); the error goes on as it was. */
export function withRetryAfter(reply: FastifyReply, e: unknown): unknown {
  const wait = e instanceof RepriseError && e.code === 'REPRISE_ERR_LOGIN_THROTTLED' ? e.details?.retryAfterSeconds : undefined;
  if (typeof wait === 'number') void reply.header('retry-after', String(wait));
  return e;
}

/** Who the request's credentials name; undefined when it carries none. */
async function identify(request: FastifyRequest, access: AccessService): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, value = ''] = header.split(/\s+/, 2) as [string, string?];
    if (/^bearer$/i.test(scheme)) return access.authenticateToken(value.trim());
    if (/^basic$/i.test(scheme)) {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 0) throw new RepriseError('REPRISE_ERR_AUTH_INVALID', 'basic auth needs user:password');
      return access.authenticateBasic(text.slice(0, colon), text.slice(colon + 1), request.ip);
    }
    throw new RepriseError('REPRISE_ERR_AUTH_INVALID', `the Authorization scheme ${scheme} is not one this server takes: use Bearer or Basic`);
  }
  const key = request.cookies?.[SESSION_COOKIE];
  if (!key) return undefined;
  const { principal, csrf } = await access.session(key);
  if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== csrf) {
    throw new RepriseError('REPRISE_ERR_CSRF', `a change made with the session's cookie must carry its CSRF token in the ${CSRF_HEADER} header`, {
      hint: 'the web UI sends it; scripts should use a token (Authorization: Bearer) instead of the cookie',
    });
  }
  return principal;
}

/** Who did it, for audit logs and `by` fields: the signed-in user when the server knows, else what the request claims. */
export function actorOf(request: FastifyRequest, claimed?: string | null, fallback = 'api'): string {
  return request.principal?.name ?? claimed ?? fallback;
}

/**
 * A run record sent by a client, its trigger's `by` set to the signed-in user: who started
 * a run is who the server knows, not what the client says. Records of other origins (a
 * merge, a CI job) name no person and are left as they are.
 */
export function startedBy<R extends { manifest: { trigger?: unknown } }>(request: FastifyRequest, record: R): R {
  const p = request.principal;
  const t = record.manifest.trigger as { by?: unknown } | undefined | null;
  if (!p || p.runId !== null || !t || typeof t.by !== 'string') return record;
  return { ...record, manifest: { ...record.manifest, trigger: { ...t, by: p.name } } };
}
