/**
 * @module interfaces/http/routes/access
 * Signing in and out of the web UI, who is asking, users and their roles and grants,
 * API tokens, and the audit log. Token texts and passwords travel in bodies only, and
 * a token's text is answered once, when it is made.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ACTIONS, mayDoSomewhere, roleAllows, ROLES, type Principal } from '../../../core/access.js';
import { parseDuration } from '../../../core/duration.js';
import { RepriseError } from '../../../core/errors.js';
import { SESSION_TTL_MS } from '../../../services/access-service.js';
import { READ, type AccessRule } from '../access-rule.js';
import type { ApiDeps } from '../api-deps.js';
import { actorOf, SESSION_COOKIE, withRetryAfter } from '../authentication.js';
import { route, type Route } from '../route.js';
import { errorJson } from '../schemas.js';

const ADMIN: AccessRule = { action: 'admin' };
const role = z.enum(ROLES);

const userJson = z.object({
  name: z.string(),
  role,
  disabled: z.boolean(),
  createdAt: z.number(),
  createdBy: z.string(),
  hasPassword: z.boolean(),
  grants: z.record(z.string(), role).describe('project → role there, in place of the server role'),
});

const tokenJson = z.object({
  id: z.string(),
  user: z.string().nullable(),
  kind: z.enum(['user', 'run']),
  runId: z.string().nullable(),
  description: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
});

const auditJson = z.object({ at: z.number(), by: z.string(), action: z.string(), target: z.string(), details: z.record(z.string(), z.unknown()) });

const sessionJson = z.object({
  auth: z.boolean().describe('whether this server asks who is calling'),
  user: z
    .object({
      name: z.string(),
      role,
      grants: z.record(z.string(), role),
      via: z.enum(['token', 'session', 'password']),
      runId: z.string().nullable(),
      actions: z.array(z.enum(ACTIONS)).describe('what the server role allows'),
      anywhere: z.array(z.enum(ACTIONS)).describe('what the role allows in at least one project'),
    })
    .nullable(),
  csrfToken: z.string().nullable().describe('send it in the x-csrf-token header with every change made with the session cookie'),
});

function whoJson(p: Principal) {
  return {
    name: p.name,
    role: p.role,
    grants: p.grants,
    via: p.via,
    runId: p.runId,
    actions: ACTIONS.filter((a) => roleAllows(p.role, a)),
    anywhere: ACTIONS.filter((a) => mayDoSomewhere(p, a)),
  };
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, key: string, maxAgeMs: number): void {
  void reply.setCookie(SESSION_COOKIE, key, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // https as the client sees it: behind a proxy, with --trust-proxy.
    secure: request.protocol === 'https',
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

/** Tokens are a user's own business, or an admin's; a run token makes none. */
function mayManageTokensOf(request: FastifyRequest, user: string | undefined): void {
  const p = request.principal;
  if (!p) return;
  if (p.runId !== null) throw new RepriseError('REPRISE_ERR_FORBIDDEN', 'a run token cannot manage tokens', { details: { user: p.name } });
  if (user !== undefined && user !== p.name && p.role !== 'admin') {
    throw new RepriseError('REPRISE_ERR_FORBIDDEN', `${p.name} may manage its own tokens only; those of ${user} are an admin's to manage`, { details: { user: p.name, role: p.role } });
  }
}

export function accessRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/session',
      access: { public: 'says whether the server asks who is calling, and who it takes the caller for' },
      tag: 'access',
      summary: 'Whether authentication is on, who the credentials sent name, and the session CSRF token',
      answers: { 200: { description: 'the caller', schema: sessionJson } },
      async handler({ request }) {
        let csrfToken: string | null = null;
        const key = request.cookies?.[SESSION_COOKIE];
        if (d.auth && request.principal?.via === 'session' && key) csrfToken = (await d.access.session(key)).csrf;
        return { auth: d.auth, user: request.principal ? whoJson(request.principal) : null, csrfToken };
      },
    }),
    route({
      method: 'POST',
      path: '/session',
      access: { public: 'signing in: the password is the credential' },
      tag: 'access',
      summary: 'Sign in to the web UI: a new session in an httpOnly cookie (never one the browser brought), and its CSRF token',
      body: z.object({ user: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      answers: {
        200: { description: 'signed in', schema: sessionJson },
        401: { description: 'wrong user name or password', schema: errorJson },
        429: { description: 'too many failures: wait (Retry-After)', schema: errorJson },
      },
      async handler({ body, request, reply }) {
        // Whatever session the browser brought ends here: a fixed one never becomes signed in.
        const brought = request.cookies?.[SESSION_COOKIE];
        if (brought) await d.access.logout(brought);
        try {
          const s = await d.access.login(body.user, body.password, request.ip);
          setSessionCookie(request, reply, s.key, SESSION_TTL_MS);
          return { auth: d.auth, user: whoJson(s.principal), csrfToken: s.csrf };
        } catch (e) {
          throw withRetryAfter(reply, e);
        }
      },
    }),
    route({
      method: 'DELETE',
      path: '/session',
      access: { public: 'signing out ends only the session whose cookie is sent' },
      tag: 'access',
      summary: 'Sign out: the session ends and its cookie is cleared',
      answers: { 200: { description: 'signed out', schema: z.object({ signedOut: z.boolean() }) } },
      async handler({ request, reply }) {
        const key = request.cookies?.[SESSION_COOKIE];
        if (key) await d.access.logout(key);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { signedOut: key !== undefined };
      },
    }),
    route({
      method: 'GET',
      path: '/users',
      access: ADMIN,
      tag: 'access',
      summary: 'Every user with its role, grants and whether it is disabled',
      answers: { 200: { description: 'the users', schema: z.object({ users: z.array(userJson) }) } },
      async handler() {
        return { users: await d.access.listUsers() };
      },
    }),
    route({
      method: 'POST',
      path: '/users',
      access: ADMIN,
      tag: 'access',
      summary: 'Add a user (audited)',
      body: z.object({ name: z.string(), role, password: z.string().optional(), by: z.string().min(1).max(200).optional() }),
      answers: { 201: { description: 'added', schema: userJson }, 409: { description: 'the name is taken', schema: errorJson } },
      async handler({ body, request, reply }) {
        const u = await d.access.addUser({ name: body.name, role: body.role, ...(body.password !== undefined ? { password: body.password } : {}), by: actorOf(request, body.by) });
        void reply.code(201);
        return u;
      },
    }),
    route({
      method: 'PATCH',
      path: '/users/:name',
      access: ADMIN,
      tag: 'access',
      summary: "Change a user's role, disable or enable it, set or clear its password (each audited; disabling or a new password ends its sessions)",
      params: z.object({ name: z.string() }),
      body: z.object({ role: role.optional(), disabled: z.boolean().optional(), password: z.string().nullable().optional(), by: z.string().min(1).max(200).optional() }),
      answers: { 200: { description: 'the user now', schema: userJson }, 404: { description: 'no such user', schema: errorJson }, 409: { description: 'it would leave no admin', schema: errorJson } },
      async handler({ params, body, request }) {
        const by = actorOf(request, body.by);
        let u = await d.access.getUser(params.name);
        if (body.role !== undefined) u = await d.access.setRole(params.name, body.role, by);
        if (body.disabled !== undefined) u = await d.access.setDisabled(params.name, body.disabled, by);
        if (body.password !== undefined) u = await d.access.setPassword(params.name, body.password, by);
        return u;
      },
    }),
    route({
      method: 'PUT',
      path: '/users/:name/grants/:project',
      access: ADMIN,
      tag: 'access',
      summary: "Give a user a role in one project, in place of its server role there (audited)",
      params: z.object({ name: z.string(), project: z.string() }),
      body: z.object({ role, by: z.string().min(1).max(200).optional() }),
      answers: { 200: { description: 'the user now', schema: userJson }, 404: { description: 'no such user', schema: errorJson } },
      async handler({ params, body, request }) {
        return d.access.grant(params.name, params.project, body.role, actorOf(request, body.by));
      },
    }),
    route({
      method: 'DELETE',
      path: '/users/:name/grants/:project',
      access: ADMIN,
      tag: 'access',
      summary: "Take a user's grant in a project away: its server role applies there again (audited)",
      params: z.object({ name: z.string(), project: z.string() }),
      query: z.object({ by: z.string().min(1).max(200).optional().describe('who, for the audit log, when the server does not ask who calls') }),
      answers: { 200: { description: 'the user now', schema: userJson }, 404: { description: 'no such user', schema: errorJson } },
      async handler({ params, query, request }) {
        return d.access.grant(params.name, params.project, null, actorOf(request, query.by));
      },
    }),
    route({
      method: 'GET',
      path: '/tokens',
      access: READ,
      tag: 'access',
      summary: "Tokens (never their text): the caller's own, or with user (or all=true) an admin's view of others'",
      query: z.object({ user: z.string().optional(), all: z.enum(['true', 'false']).optional(), revoked: z.enum(['true', 'false']).optional() }),
      answers: { 200: { description: 'the tokens, newest first', schema: z.object({ tokens: z.array(tokenJson) }) }, 403: { description: "another user's, for a non-admin", schema: errorJson } },
      async handler({ query, request }) {
        const p = request.principal;
        const all = query.all === 'true';
        const user = all ? undefined : (query.user ?? p?.name);
        // Every user's tokens are an admin's to see; otherwise those of the user asked for.
        mayManageTokensOf(request, all && p?.role !== 'admin' ? 'every user' : user);
        return { tokens: await d.access.listTokens({ ...(user !== undefined ? { user } : {}), includeRevoked: query.revoked === 'true' }) };
      },
    }),
    route({
      method: 'POST',
      path: '/tokens',
      access: READ,
      tag: 'access',
      summary: 'Create a token for a user (yourself, or anyone as an admin): its text is answered once and never again (audited)',
      body: z.object({
        user: z.string().min(1).optional().describe('default: the caller'),
        expiresIn: z.string().optional().describe('a duration such as 30d or 12h; default: never'),
        description: z.string().max(200).optional(),
        runId: z.string().optional().describe('a run token: it may write to this run only'),
        by: z.string().min(1).max(200).optional(),
      }),
      answers: {
        201: { description: 'the token; keep its text now', schema: z.object({ token: z.string(), record: tokenJson }) },
        403: { description: "another user's, for a non-admin", schema: errorJson },
        404: { description: 'no such user', schema: errorJson },
      },
      async handler({ body, request, reply }) {
        const user = body.user ?? request.principal?.name;
        if (user === undefined) throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', 'body.user: name the user the token acts as', { details: { field: 'body.user' } });
        mayManageTokensOf(request, user);
        const created = await d.access.createToken({
          user,
          by: actorOf(request, body.by),
          ...(body.expiresIn !== undefined ? { expiresInMs: parseDuration(body.expiresIn, 'body.expiresIn') } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.runId !== undefined ? { runId: body.runId.toLowerCase() } : {}),
        });
        void reply.code(201);
        return created;
      },
    }),
    route({
      method: 'POST',
      path: '/tokens/revoke',
      access: READ,
      tag: 'access',
      summary: "Revoke a token by its text or id, or every token of a user (all=true): refused from the next request on (audited)",
      body: z.object({ token: z.string().min(1).optional().describe('the text or the id'), user: z.string().min(1).optional(), all: z.boolean().optional(), by: z.string().min(1).max(200).optional() }),
      answers: { 200: { description: 'the tokens revoked now', schema: z.object({ revoked: z.array(tokenJson) }) }, 404: { description: 'no such token or user', schema: errorJson } },
      async handler({ body, request }) {
        const by = actorOf(request, body.by);
        if (body.token !== undefined) {
          const t = await d.access.findToken(body.token);
          mayManageTokensOf(request, t.user ?? '');
          return { revoked: [await d.access.revoke(t.id, by)] };
        }
        if (body.user !== undefined && body.all === true) {
          mayManageTokensOf(request, body.user);
          return { revoked: await d.access.revokeAllOf(body.user, by) };
        }
        throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', 'body: give token (its text or id), or user with all=true', { details: { field: 'body.token' } });
      },
    }),
    route({
      method: 'GET',
      path: '/audit',
      access: ADMIN,
      tag: 'access',
      summary: 'The audit log, newest first: promotions, alias moves, deletions, gc, role changes, users and tokens',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        before: z.coerce.number().int().optional().describe('entries older than this time (ms): the at of the last entry of the previous page'),
        by: z.string().optional(),
        action: z.string().optional().describe('an action (token.create) or its family (token, model, user)'),
      }),
      answers: { 200: { description: 'the entries', schema: z.object({ entries: z.array(auditJson) }) } },
      async handler({ query }) {
        return {
          entries: await d.audit.list({
            limit: query.limit ?? 100,
            ...(query.before !== undefined ? { before: query.before } : {}),
            ...(query.by !== undefined ? { by: query.by } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
          }),
        };
      },
    }),
  ];
}
