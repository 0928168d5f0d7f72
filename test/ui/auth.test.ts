/**
 * The UI on a server that asks who calls (`reprise server --auth`): users made by the real
 * CLI with passwords from standard input, runs of examples/iris reported through the
 * server with a member's token. Signing in (and back to the page asked for), a wrong
 * password in the server's words, controls shown by role (Promote, Keep and Flag, alias
 * moves), the audit log with its filters, tokens made and revoked on the account page,
 * a session that ends under a page, and signing out.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, signedInPage, signIn, VIEWPORT, WAIT, watch, type TestBrowser } from '../helpers/browser.js';
import { git, reprise, repriseOnHome, sandbox, type Sandbox } from '../helpers/cli.js';
import { removeHome, REPO_ROOT, started, startServer, tempHome, type RunningServer } from '../helpers/server.js';

/** Who the seeding CLI commands are recorded as (REPRISE_USER). */
const SEEDER = 'seeder';
/** Users with passwords, by role; `tess` has none (tokens only) and is the one the admin changes. */
const USERS = {
  admin: { name: 'alice', password: 'alice-secret-1', role: 'admin' },
  member: { name: 'mia', password: 'mia-secret-12', role: 'member' },
  observer: { name: 'olga', password: 'olga-secret-1', role: 'observer' },
  viewer: { name: 'vic', password: 'vic-secret-12', role: 'viewer' },
} as const;
type Who = (typeof USERS)[keyof typeof USERS];
const TOKENS_ONLY = 'tess';

const MODEL = 'iris-classifier';
/** Gates every iris run that trains meets, so its run page offers Promote. */
const PASSING_GATES = [{ metric: 'val_accuracy', op: '>=', value: 0.5 }];

/** The fetch of a page that the server refuses for want of credentials: Chromium logs it as an error. */
const REFUSED = [/status of 401/];

interface CliOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `reprise <args>` on the server's home (embedded), `stdin` piped in; fails with the output unless it exits 0. */
async function cli(home: string, args: readonly string[], stdin?: string): Promise<CliOutput> {
  const res = await repriseOnHome(home, args, { stdin: stdin ?? '', env: { REPRISE_USER: SEEDER } });
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return res;
}

/** A copy of examples/iris declaring a model and gates it passes, committed in its own repository. */
function gatedIris(sb: Sandbox): string {
  const dir = join(sb.root, 'iris');
  cpSync(join(REPO_ROOT, 'examples', 'iris'), dir, { recursive: true, filter: (src) => !/(__pycache__|\/work|\/outputs|\/model)$/.test(src) });
  const file = join(dir, 'reprise.yaml');
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, stringify({ ...config, model: { path: 'model', name: MODEL }, gates: PASSING_GATES }));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'iris');
  return dir;
}

interface Seeded {
  server: RunningServer;
  home: string;
  sb: Sandbox;
  /** A succeeded iris run whose gates passed: promotable. */
  run: { id: string; name: string; project: string };
}

describe('signing in, roles, the audit log and tokens in the UI', () => {
  let seeded: Seeded | undefined;
  let browser: TestBrowser | undefined;
  screenshotFailures(() => browser);

  beforeAll(async () => {
    const seed = async (): Promise<Seeded> => {
      const home = tempHome();
      for (const u of Object.values(USERS)) await cli(home, ['users', 'add', u.name, '--role', u.role, '--password-stdin'], `${u.password}\n`);
      await cli(home, ['users', 'add', TOKENS_ONLY, '--role', 'viewer']);
      const { token } = JSON.parse((await cli(home, ['tokens', 'create', '--user', USERS.member.name, '--description', 'seeding runs', '--json'])).stdout) as { token: string };
      const server = await startServer({ home, args: ['--auth'] });
      const sb = await sandbox();
      const res = await reprise(sb, gatedIris(sb), ['run', '--system-env', '--json'], { REPRISE_SERVER: server.url, REPRISE_TOKEN: token });
      if (res.code !== 0) throw new Error(`reprise run exited ${res.code}\n${res.stderr}\n${res.stdout}`);
      const run = JSON.parse(res.stdout) as { id: string; name: string; project: string };
      return { server, home, sb, run };
    };
    [seeded, browser] = await Promise.all([seed(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await seeded?.sb.cleanup();
    await seeded?.server.stop();
    if (seeded) removeHome(seeded.home);
  });

  const ui = () => ({ s: started(seeded, 'seeded server'), b: started(browser, 'browser') });
  const url = (path: string) => `${ui().s.server.url}${path}`;
  const runPath = () => `/runs/${ui().s.run.id}`;

  /** A browser profile of its own (its own cookies), able to use the clipboard. */
  async function freshContext(): Promise<BrowserContext> {
    const context = await ui().b.browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] });
    context.setDefaultTimeout(15_000);
    return context;
  }

  /** A new profile signed in as `who`, on `path`, once the page is back there. */
  const signedIn = (who: Who, path: string) => signedInPage(ui().b, ui().s.server.url, who, path, { permissions: ['clipboard-read', 'clipboard-write'] });

  /** The session cookie the profile holds. */
  async function sessionCookie(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies(url('/'))).find((c) => c.name === 'reprise_session');
    if (!cookie) throw new Error('no reprise_session cookie');
    return `${cookie.name}=${cookie.value}`;
  }

  const apiStatus = async (path: string, headers: Record<string, string>) => (await fetch(url(`/api/v1${path}`), { headers })).status;

  it('sends a visitor signed out to the sign-in page, says why a wrong password fails, and comes back after', async () => {
    const context = await freshContext();
    const page = await context.newPage();
    const { assertNoErrors } = watch(page);
    await page.goto(url(runPath()));
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe(runPath());
    expect(await page.getByLabel('User name').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('autocomplete')).toBe('current-password');
    expect(await page.getByTestId('run-name').count()).toBe(0);

    await signIn(page, { name: USERS.admin.name, password: 'not-the-password' });
    await expect.poll(() => page.getByTestId('login-error').innerText(), WAIT).toContain('the user name or password is wrong');
    expect(new URL(page.url()).pathname).toBe('/login');
    await screenshot(page, 'login-refused');

    await signIn(page, USERS.admin);
    await page.waitForURL((u) => u.pathname === runPath());
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe(ui().s.run.name);
    expect(await page.getByTestId('session-user').innerText()).toBe(USERS.admin.name);
    expect(await page.getByTestId('session-role').innerText()).toBe('admin');
    await page.getByTestId('sign-out').waitFor();
    assertNoErrors(REFUSED);
    await context.close();
  });

  it('shows each role only the actions it may take: Promote to a member, Keep and Flag to an observer, none to a viewer', async () => {
    const viewer = await signedIn(USERS.viewer, runPath());
    const lifecycle = viewer.page.getByTestId('run-lifecycle');
    await expect.poll(() => lifecycle.getByTestId('gate').innerText(), WAIT).toBe('passed');
    for (const control of ['promote-button', 'promote-unavailable', 'keep-button', 'flag-button', 'retention-actions', 'cancel-run']) {
      expect(await viewer.page.getByTestId(control).count(), control).toBe(0);
    }
    expect(await viewer.page.getByTestId('nav-audit').count()).toBe(0);
    expect(await viewer.page.getByTestId('session-role').innerText()).toBe('viewer');
    await screenshot(viewer.page, 'run-as-viewer');
    viewer.assertNoErrors();

    const observer = await signedIn(USERS.observer, runPath());
    await observer.page.getByTestId('flag-button').waitFor();
    expect(await observer.page.getByTestId('promote-button').count()).toBe(0);
    observer.assertNoErrors();
    await observer.context.close();

    // The member promotes through the dialog: a change made with the session's cookie, so it carries the CSRF token.
    const member = await signedIn(USERS.member, runPath());
    await member.page.getByTestId('promote-button').click();
    await member.page.getByTestId('promote-confirm').click();
    await expect.poll(() => member.page.getByTestId('promote-result').innerText(), WAIT).toContain(`${MODEL} v1`);
    expect(await member.page.getByTestId('retention-actions').count()).toBe(0);
    await screenshot(member.page, 'run-as-member');

    // Moving an alias is promote too: the member gets the form, the viewer does not.
    await member.page.goto(url(`/models/${MODEL}`));
    await member.page.getByTestId('alias-form').waitFor();
    await viewer.page.goto(url(`/models/${MODEL}`));
    await expect.poll(() => viewer.page.getByTestId('model-name').innerText(), WAIT).toBe(MODEL);
    await viewer.page.getByTestId('model-aliases').waitFor();
    expect(await viewer.page.getByTestId('alias-form').count()).toBe(0);
    member.assertNoErrors();
    viewer.assertNoErrors();
    await member.context.close();
    await viewer.context.close();
  });

  it('shows an admin the audit log of what the seeding did, filtered by action family and by user, older pages by time', async () => {
    const admin = await signedIn(USERS.admin, '/');
    const { page } = admin;
    await page.getByTestId('nav-audit').click();
    await page.waitForURL((u) => u.pathname === '/audit');
    const rows = page.getByTestId('audit-row');
    await expect.poll(() => rows.count(), WAIT).toBeGreaterThanOrEqual(6);
    const added = page.locator('[data-testid="audit-row"][data-action="user.add"]');
    expect((await attributeOf(added, 'data-target')).sort()).toEqual([...Object.values(USERS).map((u) => u.name), TOKENS_ONLY].sort());
    expect(await attributeOf(added, 'data-by')).toEqual(Array(5).fill(SEEDER));
    expect(await page.locator(`[data-testid="audit-row"][data-action="user.add"][data-target="${USERS.viewer.name}"] td`).nth(4).innerText()).toBe('role viewer');
    const created = page.locator(`[data-testid="audit-row"][data-action="token.create"][data-target="${USERS.member.name}"]`);
    await expect.poll(() => created.count(), WAIT).toBeGreaterThanOrEqual(1);
    expect(await created.first().locator('td').nth(4).innerText()).toMatch(/^tk_\S+ \(user token\), no expiry$/);
    await screenshot(page, 'audit-log');

    await page.getByTestId('audit-action').selectOption('token');
    await page.waitForURL((u) => u.searchParams.get('action') === 'token');
    await expect.poll(async () => [...new Set(await attributeOf(rows, 'data-action'))].every((a) => a?.startsWith('token.')), WAIT).toBe(true);
    expect(await rows.count()).toBeGreaterThanOrEqual(1);

    await page.getByTestId('audit-action').selectOption('');
    await page.getByTestId('audit-by').fill(SEEDER);
    await page.getByTestId('audit-by').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('by') === SEEDER && !u.searchParams.has('action'));
    await expect.poll(async () => new Set(await attributeOf(rows, 'data-by')), WAIT).toEqual(new Set([SEEDER]));
    expect(await rows.count()).toBe(6);

    // An older page: the entries before the newest one's time.
    const times = (await attributeOf(rows, 'data-at')).map(Number);
    await page.goto(url(`/audit?by=${SEEDER}&before=${times[0]}`));
    await expect.poll(async () => (await attributeOf(rows, 'data-at')).map(Number), WAIT).toEqual(times.filter((t) => t < times[0]!));
    await page.getByTestId('audit-newest').click();
    await expect.poll(() => rows.count(), WAIT).toBe(6);

    // The users, on the admin's account page: a role changed and a user disabled, each in the log.
    await page.getByTestId('session-user').click();
    await page.waitForURL((u) => u.pathname === '/account');
    const tess = page.locator(`[data-testid="user-row"][data-user="${TOKENS_ONLY}"]`);
    await tess.getByTestId('user-role').selectOption('member');
    await expect.poll(() => tess.getAttribute('data-role'), WAIT).toBe('member');
    await tess.getByTestId('user-disable').click();
    await tess.getByTestId('confirm-yes').click();
    await expect.poll(() => tess.getAttribute('data-disabled'), WAIT).toBe('true');
    await tess.getByTestId('user-enable').waitFor();
    expect(await page.locator(`[data-testid="user-row"][data-user="${USERS.admin.name}"] [data-testid="user-disable"]`).count()).toBe(0);
    await screenshot(page, 'account-admin');
    await page.goto(url(`/audit?action=user&by=${USERS.admin.name}`));
    await expect.poll(async () => attributeOf(rows, 'data-action'), WAIT).toEqual(['user.disable', 'user.role']);
    expect(await rows.first().getAttribute('data-target')).toBe(TOKENS_ONLY);
    expect(await rows.nth(1).locator('td').nth(4).innerText()).toBe('viewer → member');
    admin.assertNoErrors();
    await admin.context.close();
  });

  it('makes a token on the account page, shows its text once, and revokes it', async () => {
    const member = await signedIn(USERS.member, '/account');
    const { page } = member;
    expect(await page.getByTestId('account-role').innerText()).toBe('member');
    expect(await page.getByTestId('users-table').count()).toBe(0);
    await page.getByTestId('token-description').fill('notebook');
    await page.getByTestId('token-expiry').selectOption('30d');
    await page.getByTestId('token-create').click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    expect(await shown.innerText()).toContain('will not be shown again');
    const token = await page.getByTestId('new-token-text').inputValue();
    expect(token).toMatch(/^rpr_[A-Za-z0-9_-]{43}$/);
    const id = (await shown.getAttribute('data-token-id'))!;
    await page.getByTestId('new-token-copy').click();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), WAIT).toBe(token);
    const row = page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
    await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('active');
    expect(await row.innerText()).toContain('notebook');
    await screenshot(page, 'account-new-token');

    const bearer = { authorization: `Bearer ${token}` };
    expect(await apiStatus('/runs?project=iris', bearer)).toBe(200);

    // Once away, the text is gone for good.
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    await expect.poll(() => row.locator('td').nth(4).innerText(), WAIT).not.toBe('never');

    await row.getByTestId(`revoke-${id}`).click();
    await row.getByTestId('confirm-yes').click();
    await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('revoked');
    expect(await apiStatus('/runs?project=iris', bearer)).toBe(401);
    member.assertNoErrors();
    await member.context.close();
  });

  it('goes to the sign-in page when the session ends under a page, and signing out ends the cookie', async () => {
    const viewer = await signedIn(USERS.viewer, runPath());
    const { page, context } = viewer;
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe(ui().s.run.name);

    // The session ends elsewhere (as when it expires): the next request of the page is refused, and it asks to sign in.
    const first = await sessionCookie(context);
    const ended = await fetch(url('/api/v1/session'), { method: 'DELETE', headers: { cookie: first } });
    expect(ended.status).toBe(200);
    await page.getByTestId('run-project').click();
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/projects/${ui().s.run.project}`);
    await signIn(page, USERS.viewer);
    await page.waitForURL((u) => u.pathname === `/projects/${ui().s.run.project}`);
    await expect.poll(() => page.getByTestId('run-row').count(), WAIT).toBe(1);

    const cookie = await sessionCookie(context);
    expect(cookie).not.toBe(first);
    expect(await apiStatus('/runs?project=iris', { cookie })).toBe(200);
    await page.getByTestId('sign-out').click();
    await page.waitForURL((u) => u.pathname === '/login');
    expect(new URL(page.url()).searchParams.has('next')).toBe(false);
    await page.getByLabel('User name').waitFor();
    expect(await apiStatus('/runs?project=iris', { cookie })).toBe(401);
    await page.goto(url(runPath()));
    await page.waitForURL((u) => u.pathname === '/login');
    viewer.assertNoErrors(REFUSED);
    await context.close();
  });
});
