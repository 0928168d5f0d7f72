/**
 * Every route of the native and MLflow APIs, as the server itself lists them, called by
 * every role with no token, an expired one, a revoked one and a good one. Each answer
 * must be what the route's rule and core/access's role table say: 401 without valid
 * credentials, 403 for a role without the route's action, and for the others anything
 * but a refusal of authentication (a 400 for the empty body, a 404 for the made-up id).
 * A route added later is in the list too, so it cannot skip this test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows, ROLES, type Role } from '../../src/core/access.js';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { isPublic, type AccessRule } from '../../src/interfaces/http/access-rule.js';
import type { GuardedRoute } from '../../src/interfaces/http/authentication.js';

const AUTH_CODES = new Set(['REPRISE_ERR_AUTH_REQUIRED', 'REPRISE_ERR_AUTH_INVALID', 'REPRISE_ERR_FORBIDDEN', 'REPRISE_ERR_CSRF']);
const MLFLOW_AUTH_CODES = new Set(['UNAUTHENTICATED', 'PERMISSION_DENIED']);

type TokenState = 'none' | 'expired' | 'revoked' | 'good';

let home: string;
let server: RunningServer;
/** Per role, a token of each state. */
const tokens = new Map<Role, Record<Exclude<TokenState, 'none'>, string>>();

/** A request the route accepts as far as routing goes: parameters made up, an empty body of the kind it reads. */
function requestFor(r: GuardedRoute): { url: string; init: RequestInit } {
  const url = r.url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => (name === 'sha256' ? 'a'.repeat(64) : `matrix-${name}`)).replace(/\*$/, 'a/b.txt');
  const raw = r.method === 'PUT' && (/\/blobs\/|\/logs\/|mlflow-artifacts/.test(r.url));
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(r.method);
  const init: RequestInit = { method: r.method };
  if (hasBody) init.body = raw ? new Uint8Array() : '{}';
  if (hasBody) init.headers = { 'content-type': raw ? 'application/octet-stream' : 'application/json' };
  return { url, init };
}

/** The action a route asks for this request (a function of the body for some). */
function actionOf(rule: Exclude<AccessRule, { public: string }>): string {
  return typeof rule.action === 'function' ? rule.action({ params: {}, query: {}, body: {} }) : rule.action;
}

async function call(r: GuardedRoute, token: string | null): Promise<{ status: number; code: string | undefined }> {
  const { url, init } = requestFor(r);
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const stream = r.url.endsWith('/events');
  let res: Response;
  try {
    res = await fetch(server.url + url, { ...init, headers, signal: AbortSignal.timeout(stream ? 2_000 : 10_000) });
  } catch (e) {
    // The event stream, once let in, sends nothing until something happens: still open after 2 s means accepted.
    if (stream && (e as Error).name === 'TimeoutError') return { status: 200, code: undefined };
    throw e;
  }
  if (stream && res.ok) {
    await res.body?.cancel();
    return { status: res.status, code: undefined };
  }
  const text = r.method === 'HEAD' ? '' : await res.text();
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string }; error_code?: string };
    code = body.error?.code ?? body.error_code;
  } catch {
    code = undefined;
  }
  return { status: res.status, code };
}

/** Routes of the API: every route with a rule (the UI's static files have none). */
function apiRoutes(): GuardedRoute[] {
  return server.routes.filter((r) => r.rule !== undefined);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'reprise-matrix-'));
  // The store is made and its users added before the server opens it, as `reprise users add` would.
  const env = { ...process.env, REPRISE_HOME: home, REPRISE_DB: '', REPRISE_ARTIFACTS: '' };
  const { openEmbedded } = await import('../../src/app/embedded.js');
  const app = await openEmbedded({ home, env });
  for (const role of ROLES) {
    await app.access.addUser({ name: `the-${role}`, role, by: 'matrix' });
    const good = await app.access.createToken({ user: `the-${role}`, by: 'matrix' });
    const expired = await app.access.createToken({ user: `the-${role}`, by: 'matrix', expiresInMs: 1 });
    const revoked = await app.access.createToken({ user: `the-${role}`, by: 'matrix' });
    await app.access.revoke(revoked.token, 'matrix');
    tokens.set(role, { good: good.token, expired: expired.token, revoked: revoked.token });
  }
  await app.close();
  await new Promise((r) => setTimeout(r, 5));
  server = await startServer({ host: '127.0.0.1', port: 0, auth: true, env });
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the route list', () => {
  it('holds every route of both APIs, each with a rule', () => {
    const urls = server.routes.map((r) => `${r.method} ${r.url}`);
    // The native API, the MLflow API under both its prefixes, its artifact proxy, and the new routes of this step.
    for (const expected of ['GET /api/v1/runs', 'POST /api/v1/runs/:id/metrics', 'POST /api/v1/gc', 'POST /api/2.0/mlflow/runs/log-batch', 'POST /ajax-api/2.0/mlflow/runs/create', 'PUT /api/2.0/mlflow-artifacts/artifacts/*', 'GET /api/v1/audit', 'POST /api/v1/tokens']) {
      expect(urls).toContain(expected);
    }
    const guarded = server.routes.filter((r) => r.url.startsWith('/api/') || r.url.startsWith('/ajax-api/'));
    expect(guarded.length).toBeGreaterThan(200);
    expect(guarded.filter((r) => !r.rule)).toEqual([]);
    // Public routes are few and each says why.
    const open = guarded.filter((r) => r.rule && isPublic(r.rule) && r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual(['DELETE /api/v1/session', 'GET /api/v1/health', 'GET /api/v1/openapi.json', 'GET /api/v1/session', 'POST /api/v1/hooks/git', 'POST /api/v1/session'].sort());
  });
});

describe.each(['none', 'expired', 'revoked', 'good'] as const)('every route with %s token', (state) => {
  it.each(ROLES)('as %s, answers as the role table says', async (role) => {
    const wrong: string[] = [];
    for (const r of apiRoutes()) {
      const token = state === 'none' ? null : tokens.get(role)![state];
      const got = await call(r, token).catch((e: unknown) => ({ status: 0, code: String(e) }));
      // A HEAD answer has no body to name the code: its status says it.
      const refused = (got.status === 401 || got.status === 403) && (r.method === 'HEAD' || (got.code !== undefined && (AUTH_CODES.has(got.code) || MLFLOW_AUTH_CODES.has(got.code))));
      const rule = r.rule!;
      let expected: 'open' | 401 | 403;
      if (isPublic(rule)) expected = 'open';
      else if (state !== 'good') expected = 401;
      else expected = roleAllows(role, actionOf(rule) as never) ? 'open' : 403;
      const ok = got.status !== 0 && (expected === 'open' ? !refused : refused && got.status === expected);
      if (!ok) wrong.push(`${r.method} ${r.url}: expected ${expected}, got ${got.status} ${got.code ?? ''}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
