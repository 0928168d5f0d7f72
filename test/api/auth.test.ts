/**
 * Authentication end to end, on real `reprise server --auth --log-requests` processes:
 * users and tokens made by the real CLI on the server's home (embedded, on the same
 * SQLite file while the server runs), passwords piped to `--password-stdin`. Signing in
 * and out, session fixation, CSRF, the sign-in throttle (per user name and per address:
 * requests leave from other loopback addresses to tell them apart), revocation, disabling
 * and expiry taking effect at the next request, grants in one project, run tokens,
 * promotion past failed gates, the audit log and who it names, secrets kept out of logs,
 * and the listening address. Which route each role may call is access-matrix.test.ts's.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reprise, repriseJson, repriseOnHome, sandbox, type Sandbox } from '../helpers/cli.js';
import { gatedProject } from '../helpers/gated-project.js';
import { removeHome, runServerCommand, started, startServer, tempHome, type RunningServer } from '../helpers/server.js';
import { finishedRun } from './fixtures.js';

/** Who the CLI commands on the server's home are recorded as (REPRISE_USER). */
const SEEDER = 'seeder';

/** Every password used and every token made here: none may show in logs, the audit log or `tokens ls`. */
const SECRETS = new Set<string>();

// ---- the CLI ------------------------------------------------------------------------------

interface CliOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `reprise <args>` embedded on `home`, `stdin` piped in; resolves whatever its exit. */
function cli(home: string, args: readonly string[], stdin = '', extraEnv: NodeJS.ProcessEnv = {}): Promise<CliOutput> {
  return repriseOnHome(home, args, { stdin, env: { REPRISE_USER: SEEDER, ...extraEnv } });
}

async function cliOk(home: string, args: readonly string[], stdin = ''): Promise<CliOutput> {
  const res = await cli(home, args, stdin);
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return res;
}

/** `reprise users add`, with a password from standard input when given. */
async function addUser(home: string, name: string, role: string, password?: string): Promise<void> {
  if (password !== undefined) SECRETS.add(password);
  await cliOk(home, ['users', 'add', name, '--role', role, ...(password !== undefined ? ['--password-stdin'] : [])], password ?? '');
}

/** `reprise tokens create --user NAME --json`: the token's text and id. */
async function newToken(home: string, user: string, more: readonly string[] = []): Promise<{ token: string; id: string }> {
  const created = JSON.parse((await cliOk(home, ['tokens', 'create', '--user', user, ...more, '--json'])).stdout) as { token: string; record: { id: string } };
  SECRETS.add(created.token);
  return { token: created.token, id: created.record.id };
}

// ---- HTTP ---------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly json: any;
  readonly text: string;
}

interface CallOptions {
  readonly token?: string;
  /** The session cookie's value. */
  readonly cookie?: string;
  readonly csrf?: string;
  readonly basic?: readonly [user: string, password: string];
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The loopback address the request leaves from: the throttle counts per address. */
  readonly from?: string;
}

/** One request through node:http (which can pick the address it leaves from); paths are under /api/v1 unless they start with /api/. */
function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const u = new URL(base);
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.basic) headers.authorization = `Basic ${Buffer.from(`${o.basic[0]}:${o.basic[1]}`).toString('base64')}`;
  if (o.cookie !== undefined) headers.cookie = `reprise_session=${o.cookie}`;
  if (o.csrf !== undefined) headers['x-csrf-token'] = o.csrf;
  const body = o.body !== undefined ? JSON.stringify(o.body) : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const full = path.startsWith('/api/') ? path : `/api/v1${path}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path: full, headers, ...(o.from ? { localAddress: o.from } : {}) }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: any;
        if ((res.headers['content-type'] ?? '').includes('json') && text !== '') json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The answer's error code, native (`error.code`) or MLflow (`error_code`). */
function codeOf(a: Answer): string | undefined {
  return a.json?.error?.code ?? a.json?.error_code;
}

function expectRefused(a: Answer, status: number, code: string): void {
  expect({ status: a.status, code: codeOf(a) }, a.text).toEqual({ status, code });
}

/** The Set-Cookie line of the session cookie, if the answer sets it. */
function sessionCookieLine(a: Answer): string | undefined {
  return [a.headers['set-cookie'] ?? []].flat().find((l) => l.startsWith('reprise_session='));
}

/** The value the answer sets the session cookie to. */
function sessionCookie(a: Answer): string {
  const line = sessionCookieLine(a);
  if (!line) throw new Error(`no reprise_session cookie in ${JSON.stringify(a.headers['set-cookie'])} (${a.status} ${a.text})`);
  const value = decodeURIComponent(line.slice('reprise_session='.length).split(';')[0]!);
  SECRETS.add(value);
  return value;
}

async function signIn(base: string, user: string, password: string, o: CallOptions = {}): Promise<{ cookie: string; csrf: string; answer: Answer }> {
  const answer = await call(base, 'POST', '/session', { ...o, body: { user, password } });
  expect(answer.status, answer.text).toBe(200);
  return { cookie: sessionCookie(answer), csrf: answer.json.csrfToken as string, answer };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- one server for most of the file ------------------------------------------------------

const PASSWORDS = {
  ada: 'ada-password-1',
  mia: 'mia-password-1',
  vic: 'vic-password-1',
  max: 'max-password-1',
} as const;

describe('a server with --auth', () => {
  let home: string;
  let server: RunningServer | undefined;
  let base: string;
  /** Tokens by user. */
  const tokens = { ada: '', mia: '', vic: '' };
  /** Runs recorded through the API: one in project alpha, one in beta, one to delete. */
  let alphaRun: string;
  let betaRun: string;
  let doomedRun: string;
  let sb: Sandbox | undefined;

  beforeAll(async () => {
    home = tempHome();
    await addUser(home, 'ada', 'admin', PASSWORDS.ada);
    await addUser(home, 'mia', 'member', PASSWORDS.mia);
    await addUser(home, 'vic', 'viewer', PASSWORDS.vic);
    await addUser(home, 'max', 'member', PASSWORDS.max);
    for (const user of ['ada', 'mia', 'vic'] as const) tokens[user] = (await newToken(home, user)).token;
    server = await startServer({ home, args: ['--auth', '--log-requests'] });
    base = server.url;
    for (const [project, set] of [
      ['alpha', (id: string) => (alphaRun = id)],
      ['beta', (id: string) => (betaRun = id)],
      ['alpha', (id: string) => (doomedRun = id)],
    ] as const) {
      const run = finishedRun({ project });
      const res = await call(base, 'POST', '/runs', { token: tokens.ada, body: run });
      expect(res.status, res.text).toBe(201);
      set(run.id);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await sb?.cleanup();
    if (home) removeHome(home);
  });

  describe('signing in', () => {
    it('sets an httpOnly, SameSite=Lax session cookie that names the user and gives its CSRF token', async () => {
      const { cookie, csrf, answer } = await signIn(base, 'mia', PASSWORDS.mia);
      const line = sessionCookieLine(answer)!;
      expect(line).toMatch(/;\s*HttpOnly/i);
      expect(line).toMatch(/;\s*SameSite=Lax/i);
      expect(line).toMatch(/;\s*Path=\/(;|$)/);
      expect(answer.json).toMatchObject({ auth: true, user: { name: 'mia', role: 'member', via: 'session' } });
      expect(csrf).toMatch(/\S{16,}/);
      const who = await call(base, 'GET', '/session', { cookie });
      expect(who.status).toBe(200);
      expect(who.json).toMatchObject({ auth: true, user: { name: 'mia', role: 'member', via: 'session' }, csrfToken: csrf });
      // The cookie is a credential for the API too.
      expect((await call(base, 'GET', '/runs', { cookie })).status).toBe(200);
    });

    it('refuses a wrong password and an unknown user with the same 401', async () => {
      const wrong = await call(base, 'POST', '/session', { body: { user: 'mia', password: 'not-her-password' } });
      expectRefused(wrong, 401, 'REPRISE_ERR_AUTH_INVALID');
      expect(sessionCookieLine(wrong)).toBeUndefined();
      const unknown = await call(base, 'POST', '/session', { body: { user: 'nobody-here', password: 'whatever-it-is' } });
      expectRefused(unknown, 401, 'REPRISE_ERR_AUTH_INVALID');
      expect(unknown.json.error.message).toBe(wrong.json.error.message);
      expect(wrong.json.error.message).not.toContain('mia');
    });

    it('never adopts a session the browser brought: a fixed cookie value is replaced and stays refused', async () => {
      const planted = 'attacker-chosen-session-value-0123456789';
      const { cookie } = await signIn(base, 'mia', PASSWORDS.mia, { cookie: planted });
      expect(cookie).not.toBe(planted);
      expectRefused(await call(base, 'GET', '/runs', { cookie: planted }), 401, 'REPRISE_ERR_AUTH_INVALID');
      expect((await call(base, 'GET', '/runs', { cookie })).status).toBe(200);
    });

    it("ends user A's session when B signs in with A's cookie", async () => {
      const a = await signIn(base, 'mia', PASSWORDS.mia);
      expect((await call(base, 'GET', '/runs', { cookie: a.cookie })).status).toBe(200);
      const b = await signIn(base, 'vic', PASSWORDS.vic, { cookie: a.cookie });
      expect(b.answer.json.user.name).toBe('vic');
      expectRefused(await call(base, 'GET', '/runs', { cookie: a.cookie }), 401, 'REPRISE_ERR_AUTH_INVALID');
      expect((await call(base, 'GET', '/session', { cookie: b.cookie })).json.user.name).toBe('vic');
    });

    it('signs out: the cookie is cleared and the old one refused', async () => {
      const { cookie } = await signIn(base, 'mia', PASSWORDS.mia);
      const out = await call(base, 'DELETE', '/session', { cookie });
      expect(out.status).toBe(200);
      expect(out.json).toEqual({ signedOut: true });
      const cleared = sessionCookieLine(out);
      expect(cleared).toBeDefined();
      expect(cleared).toMatch(/^reprise_session=;/);
      expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
      expectRefused(await call(base, 'GET', '/runs', { cookie }), 401, 'REPRISE_ERR_AUTH_INVALID');
      expect((await call(base, 'GET', '/session', { cookie })).json).toMatchObject({ auth: true, user: null, csrfToken: null });
    });
  });

  describe('CSRF', () => {
    it('asks a change made with the cookie for the session CSRF token, and nothing of reads or tokens', async () => {
      const { cookie, csrf } = await signIn(base, 'mia', PASSWORDS.mia);
      const tags = (o: CallOptions, value: string) => call(base, 'PUT', `/runs/${alphaRun}/tags`, { ...o, body: { tags: { csrf: value } } });
      expectRefused(await tags({ cookie }, 'none'), 403, 'REPRISE_ERR_CSRF');
      expectRefused(await tags({ cookie, csrf: 'not-the-token' }, 'wrong'), 403, 'REPRISE_ERR_CSRF');
      const right = await tags({ cookie, csrf }, 'right');
      expect(right.status, right.text).toBe(200);
      expect(right.json.tags.csrf).toBe('right');
      // A token creation is a change too.
      expectRefused(await call(base, 'POST', '/tokens', { cookie, body: {} }), 403, 'REPRISE_ERR_CSRF');
      // Reads need no CSRF token.
      expect((await call(base, 'GET', `/runs/${alphaRun}`, { cookie })).status).toBe(200);
      expect((await call(base, 'GET', '/tokens', { cookie })).status).toBe(200);
      // A Bearer token is no cookie a browser sends by itself: no CSRF token asked.
      const bearer = await tags({ token: tokens.mia }, 'bearer');
      expect(bearer.status, bearer.text).toBe(200);
      expect(bearer.json.tags.csrf).toBe('bearer');
    });
  });

  describe('revocation, disabling and expiry', () => {
    it('refuses a revoked token at the next request, naming the revocation', async () => {
      const { token, id } = await newToken(home, 'max');
      expect((await call(base, 'GET', '/runs', { token })).status).toBe(200);
      const revoked = await cliOk(home, ['tokens', 'revoke', id]);
      expect(revoked.stdout).toContain(`revoked ${id} (max)`);
      const after = await call(base, 'GET', '/runs', { token });
      expectRefused(after, 401, 'REPRISE_ERR_AUTH_INVALID');
      expect(after.json.error.message).toContain('revoked');
      expect(after.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it("refuses a disabled user's tokens and sessions at once, and lets it in again when enabled", async () => {
      const { token } = await newToken(home, 'max');
      const { cookie } = await signIn(base, 'max', PASSWORDS.max);
      expect((await call(base, 'GET', '/runs', { token })).status).toBe(200);
      expect((await call(base, 'GET', '/runs', { cookie })).status).toBe(200);
      await cliOk(home, ['users', 'disable', 'max']);
      const byToken = await call(base, 'GET', '/runs', { token });
      expectRefused(byToken, 401, 'REPRISE_ERR_AUTH_INVALID');
      expect(byToken.json.error.message).toContain('disabled');
      expectRefused(await call(base, 'GET', '/runs', { cookie }), 401, 'REPRISE_ERR_AUTH_INVALID');
      await cliOk(home, ['users', 'enable', 'max']);
      // The token works again; the session ended for good.
      expect((await call(base, 'GET', '/runs', { token })).status).toBe(200);
      expectRefused(await call(base, 'GET', '/runs', { cookie }), 401, 'REPRISE_ERR_AUTH_INVALID');
    });

    it("ends a user's sessions when its password changes", async () => {
      const { cookie } = await signIn(base, 'max', PASSWORDS.max);
      const fresh = 'max-password-2';
      SECRETS.add(fresh);
      const changed = await cliOk(home, ['users', 'password', 'max', '--password-stdin'], `${fresh}\n`);
      expect(changed.stdout.trim()).toBe('max: password set');
      expectRefused(await call(base, 'GET', '/runs', { cookie }), 401, 'REPRISE_ERR_AUTH_INVALID');
      // The new password signs in (the line break piped after it is no part of it); basic auth takes it too.
      await signIn(base, 'max', fresh);
      expect((await call(base, 'GET', '/runs', { basic: ['max', fresh] })).status).toBe(200);
    });

    it('refuses a token once it expired', async () => {
      const { token } = await newToken(home, 'mia', ['--expires', '2s']);
      expect((await call(base, 'GET', '/runs', { token })).status).toBe(200);
      await sleep(2_500);
      const after = await call(base, 'GET', '/runs', { token });
      expectRefused(after, 401, 'REPRISE_ERR_AUTH_INVALID');
      expect(after.json.error.message).toContain('expired');
    });
  });

  describe('roles in one project', () => {
    it("lets a viewer with a member grant in alpha write alpha's runs only, and read both projects", async () => {
      const tag = (run: string) => call(base, 'PUT', `/runs/${run}/tags`, { token: tokens.vic, body: { tags: { by: 'vic' } } });
      expectRefused(await tag(alphaRun), 403, 'REPRISE_ERR_FORBIDDEN');
      const granted = await cliOk(home, ['users', 'role', 'vic', 'member', '--project', 'alpha']);
      expect(granted.stdout.trim()).toBe('vic: viewer; in alpha:member');
      const inAlpha = await tag(alphaRun);
      expect(inAlpha.status, inAlpha.text).toBe(200);
      const inBeta = await tag(betaRun);
      expectRefused(inBeta, 403, 'REPRISE_ERR_FORBIDDEN');
      expect(inBeta.json.error.message).toContain('vic is a viewer in project beta');
      for (const run of [alphaRun, betaRun]) expect((await call(base, 'GET', `/runs/${run}`, { token: tokens.vic })).status).toBe(200);
      // The session knows the grant too.
      const who = await call(base, 'GET', '/session', { token: tokens.vic });
      expect(who.json.user).toMatchObject({ name: 'vic', role: 'viewer', grants: { alpha: 'member' } });
      expect(who.json.user.anywhere).toContain('run');
      expect(who.json.user.actions).not.toContain('run');
    });
  });

  describe('run tokens', () => {
    it('write their own run only, read everything, and make no tokens', async () => {
      const { token } = await newToken(home, 'mia', ['--run', alphaRun]);
      const own = await call(base, 'POST', `/runs/${alphaRun}/metrics`, { token, body: { points: [{ key: 'loss', value: 0.5, step: 1 }] } });
      expect(own.status, own.text).toBe(200);
      expect(own.json.accepted).toBe(1);
      expect((await call(base, 'GET', `/runs/${betaRun}`, { token })).status).toBe(200);
      expect((await call(base, 'GET', `/runs/${alphaRun}/metrics`, { token })).json.metrics.loss).toMatchObject({ last: 0.5 });
      const other = await call(base, 'POST', `/runs/${betaRun}/metrics`, { token, body: { points: [{ key: 'loss', value: 0.5 }] } });
      expectRefused(other, 403, 'REPRISE_ERR_FORBIDDEN');
      expect(other.json.error.message).toContain(`its own run (${alphaRun})`);
      expectRefused(await call(base, 'PUT', `/runs/${betaRun}/tags`, { token, body: { tags: { a: 'b' } } }), 403, 'REPRISE_ERR_FORBIDDEN');
      expectRefused(await call(base, 'POST', '/tokens', { token, body: {} }), 403, 'REPRISE_ERR_FORBIDDEN');
      const who = await call(base, 'GET', '/session', { token });
      expect(who.json.user).toMatchObject({ name: 'mia', runId: alphaRun, via: 'token' });
    });
  });

  describe('promotion past failed gates', () => {
    let failed: { id: string; name: string };
    const client = (token: string): NodeJS.ProcessEnv => ({ REPRISE_SERVER: base, REPRISE_TOKEN: token, REPRISE_USER: 'someone-else' });

    beforeAll(async () => {
      sb = await sandbox();
      const dir = gatedProject(sb);
      const res = await reprise(sb, dir, ['run', '--name', 'below-gate', '-p', 'acc=0.5'], client(tokens.mia));
      expect(res.code, res.stderr).toBe(0);
      const shown = await repriseJson(sb, dir, ['show', 'below-gate'], client(tokens.mia));
      expect(shown.gate.status).toBe('failed');
      failed = { id: shown.id, name: shown.name };
    }, 120_000);

    it("is an admin's, with a reason, and audited as forced", async () => {
      const cwd = sb!.root;
      const asMember = await reprise(sb!, cwd, ['promote', failed.id, '--force', '--reason', 'the demo needs it'], client(tokens.mia));
      expect(asMember.code, asMember.stderr).toBe(77);
      expect(asMember.stderr).toContain('REPRISE_ERR_FORBIDDEN');
      expect(asMember.stderr).toContain('mia is a member');
      const noReason = await reprise(sb!, cwd, ['promote', failed.id, '--force'], client(tokens.ada));
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toContain('--reason');
      const asAdmin = await reprise(sb!, cwd, ['promote', failed.id, '--force', '--reason', 'the demo needs it'], client(tokens.ada));
      expect(asAdmin.code, asAdmin.stderr).toBe(0);
      expect(asAdmin.stdout).toContain(`promoted ${failed.name} as clf v1`);
      const audit = await call(base, 'GET', '/audit?action=model.promote', { token: tokens.ada });
      expect(audit.status).toBe(200);
      expect(audit.json.entries).toHaveLength(1);
      // The server's user, not the REPRISE_USER the client claimed.
      expect(audit.json.entries[0]).toMatchObject({ by: 'ada', action: 'model.promote', target: 'clf', details: { run: failed.id, toVersion: 1, note: 'forced past the gates: the demo needs it' } });
    });
  });

  describe('the audit log', () => {
    it('records every change with the authenticated user, whatever a body claims', async () => {
      const admin = (method: string, path: string, body?: unknown) => call(base, method, path, { token: tokens.ada, ...(body !== undefined ? { body } : {}) });
      const claimed = 'someone-else';
      expect((await admin('POST', '/users', { name: 'newbie', role: 'viewer', by: claimed })).status).toBe(201);
      const made = await admin('POST', '/tokens', { user: 'newbie', by: claimed });
      expect(made.status, made.text).toBe(201);
      SECRETS.add(made.json.token);
      expect((await admin('POST', '/tokens/revoke', { token: made.json.record.id, by: claimed })).status).toBe(200);
      expect((await admin('PUT', '/users/newbie/grants/alpha', { role: 'member', by: claimed })).status).toBe(200);
      expect((await admin('PATCH', '/users/newbie', { disabled: true, by: claimed })).status).toBe(200);
      const gc = await admin('POST', '/gc', { by: claimed });
      expect(gc.status, gc.text).toBe(200);
      // A member deletes a run through the MLflow API.
      const deleted = await call(base, 'POST', '/api/2.0/mlflow/runs/delete', { token: tokens.mia, body: { run_id: doomedRun } });
      expect(deleted.status, deleted.text).toBe(200);

      const log = await admin('GET', '/audit?limit=1000');
      expect(log.status).toBe(200);
      const entries = log.json.entries as { by: string; action: string; target: string; details: Record<string, unknown> }[];
      const find = (action: string, target: string, by: string) => entries.find((e) => e.action === action && e.target === target && e.by === by);
      expect(entries.map((e) => e.by)).not.toContain(claimed);
      expect(find('user.add', 'newbie', 'ada')).toMatchObject({ details: { role: 'viewer' } });
      expect(find('token.create', 'newbie', 'ada')).toMatchObject({ details: { id: made.json.record.id, kind: 'user' } });
      expect(find('token.revoke', 'newbie', 'ada')).toMatchObject({ details: { ids: [made.json.record.id] } });
      expect(find('grant.set', 'newbie', 'ada')).toMatchObject({ details: { project: 'alpha', role: 'member' } });
      expect(find('user.disable', 'newbie', 'ada')).toBeDefined();
      expect(entries.find((e) => e.action === 'gc')).toMatchObject({ by: 'ada', target: 'artifacts' });
      expect(find('run.delete', doomedRun, 'mia')).toMatchObject({ details: { project: 'alpha' } });
      expect(find('model.promote', 'clf', 'ada')).toBeDefined();
      // What the CLI did on the server's home is the CLI's user's.
      expect(find('user.add', 'ada', SEEDER)).toMatchObject({ details: { role: 'admin' } });
      expect(find('token.create', 'mia', SEEDER)).toBeDefined();
      expect(find('token.revoke', 'max', SEEDER)).toBeDefined();
      expect(find('user.disable', 'max', SEEDER)).toBeDefined();
      expect(find('user.enable', 'max', SEEDER)).toBeDefined();
      expect(find('grant.set', 'vic', SEEDER)).toMatchObject({ details: { project: 'alpha', role: 'member' } });
      // Filters.
      const byMia = await admin('GET', '/audit?by=mia');
      expect(byMia.json.entries.map((e: { action: string }) => e.action)).toEqual(['run.delete']);
      const tokenFamily = await admin('GET', '/audit?action=token&limit=1000');
      expect(new Set(tokenFamily.json.entries.map((e: { action: string }) => e.action))).toEqual(new Set(['token.create', 'token.revoke']));

      // Only an admin reads it.
      expectRefused(await call(base, 'GET', '/audit', { token: tokens.mia }), 403, 'REPRISE_ERR_FORBIDDEN');
      expectRefused(await call(base, 'GET', '/audit'), 401, 'REPRISE_ERR_AUTH_REQUIRED');

      // `reprise audit` on the server's home shows the same entries.
      const embedded = JSON.parse((await cliOk(home, ['audit', '--json', '--limit', '1000'])).stdout) as unknown[];
      const key = (e: unknown) => JSON.stringify(e);
      expect(embedded.map(key).sort()).toEqual(entries.map(key).sort());
      const table = await cliOk(home, ['audit', '--by', 'mia']);
      expect(table.stdout).toMatch(/WHEN\s+WHO\s+ACTION\s+TARGET\s+DETAILS/);
      expect(table.stdout).toMatch(new RegExp(`mia\\s+run\\.delete\\s+${doomedRun}`));
    });
  });

  describe('secrets', () => {
    it('keeps every token text, password and session key out of the request log, the audit log and tokens ls', async () => {
      expect(SECRETS.size).toBeGreaterThan(10);
      const log = server!.stdout() + server!.stderr();
      // The request log is on: the check below reads something.
      expect(log).toContain('"url":"/api/v1/session"');
      expect(log).toContain('"url":"/api/v1/audit');
      const audit = (await call(base, 'GET', '/audit?limit=1000', { token: tokens.ada })).text;
      const listed = (await cliOk(home, ['tokens', 'ls', '--revoked', '--json'])).stdout;
      expect(JSON.parse(listed).length).toBeGreaterThan(5);
      const leaks = [...SECRETS].flatMap((s) => [
        ...(log.includes(s) ? [`server log: ${s}`] : []),
        ...(audit.includes(s) ? [`audit log: ${s}`] : []),
        ...(listed.includes(s) ? [`tokens ls: ${s}`] : []),
      ]);
      expect(leaks).toEqual([]);
    });
  });
});

// ---- the sign-in throttle, on a server of its own -----------------------------------------

describe('the sign-in throttle', () => {
  let home: string;
  let server: RunningServer | undefined;
  const PW = { thor: 'thor-password-1', uma: 'uma-password-1', basil: 'basil-password-1' };
  let thorToken: string;

  beforeAll(async () => {
    home = tempHome();
    await addUser(home, 'root', 'admin');
    for (const [name, pw] of Object.entries(PW)) await addUser(home, name, 'member', pw);
    thorToken = (await newToken(home, 'thor')).token;
    server = await startServer({ home, args: ['--auth'] });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (home) removeHome(home);
  });

  const login = (user: string, password: string, from: string) => call(started(server, 'server').url, 'POST', '/session', { body: { user, password }, from });

  it('locks a user name and an address after 5 failures, even for the right password, saying when to retry', async () => {
    for (let i = 0; i < 5; i++) expectRefused(await login('thor', `wrong-password-${i}`, '127.0.0.2'), 401, 'REPRISE_ERR_AUTH_INVALID');
    const locked = await login('thor', PW.thor, '127.0.0.2');
    expectRefused(locked, 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(locked.json.error.message).toContain(`try again in ${retryAfter} s`);
    expect(sessionCookieLine(locked)).toBeUndefined();
    // The address is locked for every name, the name from every address.
    expectRefused(await login('uma', PW.uma, '127.0.0.2'), 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    expectRefused(await login('thor', PW.thor, '127.0.0.3'), 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    // Another name from another address signs in; a token is no sign-in and still works.
    expect((await login('uma', PW.uma, '127.0.0.3')).status).toBe(200);
    expect((await call(server!.url, 'GET', '/runs', { token: thorToken, from: '127.0.0.2' })).status).toBe(200);
  });

  it('counts wrong passwords sent by basic auth the same way', async () => {
    const base = server!.url;
    for (let i = 0; i < 5; i++) {
      expectRefused(await call(base, 'GET', '/runs', { basic: ['basil', `wrong-password-${i}`], from: '127.0.0.4' }), 401, 'REPRISE_ERR_AUTH_INVALID');
    }
    const locked = await call(base, 'GET', '/runs', { basic: ['basil', PW.basil], from: '127.0.0.4' });
    expectRefused(locked, 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    // The name basic auth locked is locked for web sign-in too.
    const web = await login('basil', PW.basil, '127.0.0.5');
    expectRefused(web, 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    expect(Number(web.headers['retry-after'])).toBeGreaterThan(0);
  });

  // Basic auth is throttled like a sign-in, and its 429 says when to retry too.
  it('says when to retry a throttled basic-auth request in Retry-After', async () => {
    const locked = await call(server!.url, 'GET', '/runs', { basic: ['basil', PW.basil], from: '127.0.0.6' });
    expectRefused(locked, 429, 'REPRISE_ERR_LOGIN_THROTTLED');
    expect(locked.json.error.message).toMatch(/try again in \d+ s/);
    expect(locked.headers['retry-after'], 'Retry-After on a throttled basic-auth request').toMatch(/^\d+$/);
  });
});

// ---- where the server listens, and starting with --auth -----------------------------------

describe('starting a server', () => {
  let home: string;
  let rootToken: string;

  beforeAll(async () => {
    home = tempHome();
    await addUser(home, 'root', 'admin');
    rootToken = (await newToken(home, 'root')).token;
  }, 60_000);

  afterAll(() => {
    if (home) removeHome(home);
  });

  it('refuses a non-loopback address without --auth', async () => {
    const res = await runServerCommand(['--host', '0.0.0.0', '--port', '0']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).not.toContain('listening on');
    expect(res.stderr).toContain('REPRISE_ERR_SERVER_HOST_REFUSED');
    expect(res.stderr).toContain('--host 0.0.0.0');
  });

  it('listens on every address with --auth, and asks who calls', async () => {
    const server = await startServer({ home, host: '0.0.0.0', args: ['--auth'] });
    try {
      expect(server.url).toBe(`http://0.0.0.0:${server.port}`);
      const local = `http://127.0.0.1:${server.port}`;
      expectRefused(await call(local, 'GET', '/runs'), 401, 'REPRISE_ERR_AUTH_REQUIRED');
      expect((await call(local, 'GET', '/runs', { token: rootToken })).status).toBe(200);
      expect(server.stderr()).toContain('authentication is on');
    } finally {
      await server.stop();
    }
  });

  it('turns authentication on with REPRISE_AUTH=1', async () => {
    const server = await startServer({ home, env: { REPRISE_AUTH: '1' } });
    try {
      expectRefused(await call(server.url, 'GET', '/runs'), 401, 'REPRISE_ERR_AUTH_REQUIRED');
      expect((await call(server.url, 'GET', '/session')).json).toEqual({ auth: true, user: null, csrfToken: null });
      expect((await call(server.url, 'GET', '/runs', { token: rootToken })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('refuses --auth on a store without an admin', async () => {
    const empty = await runServerCommand(['--auth', '--port', '0']);
    expect(empty.code, empty.stderr).toBe(2);
    expect(empty.stdout).not.toContain('listening on');
    expect(empty.stderr).toContain('REPRISE_ERR_AUTH_NO_ADMIN');
    const membersOnly = tempHome();
    try {
      await addUser(membersOnly, 'mo', 'member');
      const res = await runServerCommand(['--auth', '--port', '0'], { home: membersOnly });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_AUTH_NO_ADMIN');
    } finally {
      removeHome(membersOnly);
    }
  });

  it('keeps the last admin an admin', async () => {
    for (const args of [
      ['users', 'role', 'root', 'member'],
      ['users', 'disable', 'root'],
    ]) {
      const res = await cli(home, args);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain('REPRISE_ERR_LAST_ADMIN');
    }
    const users = JSON.parse((await cliOk(home, ['users', 'ls', '--json'])).stdout);
    expect(users).toMatchObject([{ name: 'root', role: 'admin', disabled: false }]);
  });
});
