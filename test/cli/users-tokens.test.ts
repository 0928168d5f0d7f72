/**
 * `reprise users`, `reprise tokens` and `reprise audit` as a user types them: users with
 * roles, grants in one project, disabling, passwords from standard input; tokens made,
 * listed (never their text) and revoked; the audit log of it all; the human output and
 * the --json shapes, and bad input refused with exit 2 naming what is wrong. Through a
 * server (the `server` project) the same commands go over its API; that server does not
 * ask who calls, so who made a change is still what the client says (REPRISE_USER).
 * Signing in with what these commands make is test/api/auth.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reprise, sandbox, type CliResult, type Sandbox } from '../helpers/cli.js';

/** Who every command here is made by. */
const ACTOR = 'carol';
const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ';
const TOKEN_TEXT = /^rpr_[A-Za-z0-9_-]{43}$/;

describe('reprise users, tokens and audit', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await sandbox();
  });
  afterAll(() => sb.cleanup());

  /** `reprise <args>` in the sandbox as ACTOR, `stdin` piped in (the sandbox's own helper gives none). */
  function run(args: readonly string[], stdin = ''): Promise<CliResult> {
    return reprise(sb, sb.root, args, { REPRISE_USER: ACTOR }, stdin);
  }

  async function ok(args: readonly string[], stdin = ''): Promise<CliResult> {
    const res = await run(args, stdin);
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
    return res;
  }

  async function json<T = any>(args: readonly string[], stdin = ''): Promise<T> {
    return JSON.parse((await ok([...args, '--json'], stdin)).stdout) as T;
  }

  /** Exit 2, the message and the code on stderr. */
  async function refused(args: readonly string[], code: string, message: string | RegExp, stdin = ''): Promise<CliResult> {
    const res = await run(args, stdin);
    expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(2);
    expect(res.stderr).toContain(`(${code})`);
    if (typeof message === 'string') expect(res.stderr).toContain(message);
    else expect(res.stderr).toMatch(message);
    return res;
  }

  describe('users', () => {
    it('says how to add the first admin while there are none', async () => {
      expect((await ok(['users', 'ls'])).stdout.trim()).toBe('no users: add the first admin with reprise users add NAME --role admin');
      expect(await json(['users', 'ls'])).toEqual([]);
    });

    it('adds users with a role, a password from standard input or none, and lists them', async () => {
      const carol = await ok(['users', 'add', 'carol', '--role', 'admin', '--password-stdin'], 'carol-password-1\n');
      expect(carol.stdout.trim()).toBe('added carol: admin');
      expect(carol.stderr).toBe('');
      // The role is read whatever its case; a user without a password is told how it gets in.
      const dan = await ok(['users', 'add', 'dan', '--role', 'Member']);
      expect(dan.stdout.trim()).toBe('added dan: member');
      expect(dan.stderr).toContain('dan has no password: give it a token (reprise tokens create --user dan) or a password (reprise users password dan --password-stdin)');
      const erin = await json(['users', 'add', 'erin.o@lab', '--role', 'viewer']);
      expect(erin).toEqual({ name: 'erin.o@lab', role: 'viewer', disabled: false, createdAt: expect.any(Number), createdBy: ACTOR, hasPassword: false, grants: {} });
      expect(Math.abs(erin.createdAt - Date.now())).toBeLessThan(60_000);

      const listed = await json<any[]>(['users', 'ls']);
      expect(listed.map((u) => [u.name, u.role, u.hasPassword, u.createdBy])).toEqual([
        ['carol', 'admin', true, ACTOR],
        ['dan', 'member', false, ACTOR],
        ['erin.o@lab', 'viewer', false, ACTOR],
      ]);
      const table = (await ok(['users', 'ls'])).stdout;
      expect(table).toMatch(/^NAME\s+ROLE\s+GRANTS\s+STATE\s+PASSWORD\s+ADDED\n/);
      expect(table).toMatch(new RegExp(`\\ncarol\\s+admin\\s+-\\s+enabled\\s+set\\s+${TIME} by ${ACTOR}\\n`));
      expect(table).toMatch(new RegExp(`\\ndan\\s+member\\s+-\\s+enabled\\s+-\\s+${TIME} by ${ACTOR}\\n`));
    });

    it('changes the server role, and the role in one project', async () => {
      expect((await ok(['users', 'role', 'dan', 'observer'])).stdout.trim()).toBe('dan: observer');
      expect((await ok(['users', 'role', 'dan', 'member', '--project', 'vision'])).stdout.trim()).toBe('dan: observer; in vision:member');
      const two = await json(['users', 'role', 'dan', 'VIEWER', '--project', 'nlp']);
      expect(two).toMatchObject({ name: 'dan', role: 'observer', grants: { vision: 'member', nlp: 'viewer' } });
      // `none` takes a grant away: the server role applies there again.
      expect((await ok(['users', 'role', 'dan', 'none', '--project', 'nlp'])).stdout.trim()).toBe('dan: observer; in vision:member');
      expect((await json<any[]>(['users', 'ls'])).find((u) => u.name === 'dan').grants).toEqual({ vision: 'member' });
      expect((await ok(['users', 'ls'])).stdout).toMatch(/\ndan\s+observer\s+vision:member\s+enabled\s/);
    });

    it('disables and enables a user; a disabled user gets no token', async () => {
      expect((await ok(['users', 'disable', 'dan'])).stdout.trim()).toBe('dan: observer (disabled); in vision:member');
      expect((await ok(['users', 'ls'])).stdout).toMatch(/\ndan\s+observer\s+vision:member\s+disabled\s/);
      await refused(['tokens', 'create', '--user', 'dan'], 'REPRISE_ERR_ARG_INVALID', 'dan is disabled: enable it before giving it a token (reprise users enable dan)');
      expect(await json(['users', 'enable', 'dan'])).toMatchObject({ name: 'dan', disabled: false });
    });

    it('sets a password from standard input, and clears it', async () => {
      // One trailing line break is no part of the password.
      expect((await ok(['users', 'password', 'dan', '--password-stdin'], 'dan-password-1\n')).stdout.trim()).toBe('dan: password set');
      expect((await json<any[]>(['users', 'ls'])).find((u) => u.name === 'dan').hasPassword).toBe(true);
      expect(await json(['users', 'password', 'dan', '--clear'])).toMatchObject({ name: 'dan', hasPassword: false });
      expect((await ok(['users', 'password', 'dan', '--clear'])).stdout.trim()).toBe('dan: password cleared');
    });

    it('refuses bad input with exit 2, naming what is wrong', async () => {
      await refused(['users', 'add', 'frank', '--role', 'wizard'], 'REPRISE_ERR_ARG_INVALID', '--role "wizard": expected one of admin, member, observer, viewer');
      for (const bad of ['bad name', '.dot', 'x'.repeat(65), 'run:abc']) {
        await refused(['users', 'add', bad, '--role', 'viewer'], 'REPRISE_ERR_ARG_INVALID', 'a user name is 1 to 64 letters, digits and . _ @ -, starting with a letter or digit');
      }
      await refused(['users', 'add', 'dan', '--role', 'viewer'], 'REPRISE_ERR_USER_EXISTS', 'a user named dan exists already');
      await refused(['users', 'role', 'dan', 'wizard', '--project', 'vision'], 'REPRISE_ERR_ARG_INVALID', 'ROLE "wizard": expected one of admin, member, observer, viewer');
      await refused(['users', 'role', 'ghost', 'member'], 'REPRISE_ERR_USER_NOT_FOUND', 'no user is named ghost');
      await refused(['users', 'disable', 'ghost'], 'REPRISE_ERR_USER_NOT_FOUND', 'no user is named ghost');
      await refused(['users', 'password', 'dan'], 'REPRISE_ERR_ARG_INVALID', 'give one of --password-stdin and --clear');
      await refused(['users', 'password', 'dan', '--password-stdin', '--clear'], 'REPRISE_ERR_ARG_INVALID', 'give one of --password-stdin and --clear');
      await refused(['users', 'password', 'dan', '--password-stdin'], 'REPRISE_ERR_ARG_INVALID', '--password-stdin: standard input was empty', '');
      await refused(['users', 'password', 'dan', '--password-stdin'], 'REPRISE_ERR_ARG_INVALID', 'a password has at least 8 characters', 'short\n');
      // The last admin stays one.
      await refused(['users', 'role', 'carol', 'member'], 'REPRISE_ERR_LAST_ADMIN', 'carol is the last enabled admin');
      await refused(['users', 'disable', 'carol'], 'REPRISE_ERR_LAST_ADMIN', 'carol is the last enabled admin');
      // A missing --role is commander's to refuse.
      const noRole = await run(['users', 'add', 'frank']);
      expect(noRole.code).toBe(2);
      expect(noRole.stderr).toContain("required option '--role <role>' not specified");
      // Nothing was added or changed by any of it.
      expect((await json<any[]>(['users', 'ls'])).map((u) => `${u.name}:${u.role}:${u.disabled}`)).toEqual(['carol:admin:false', 'dan:observer:false', 'erin.o@lab:viewer:false']);
    });
  });

  describe('tokens', () => {
    let plain: { id: string; token: string };
    let described: { id: string; token: string };

    it('creates a token, printing its text once on stdout', async () => {
      const res = await ok(['tokens', 'create', '--user', 'dan']);
      const text = res.stdout.trim();
      expect(res.stdout).toBe(`${text}\n`);
      expect(text).toMatch(TOKEN_TEXT);
      const m = /^reprise: token (tk_[0-9a-f]{12}) for dan, no expiry\. Keep it now: it is not shown again\.$/m.exec(res.stderr);
      expect(m, res.stderr).not.toBeNull();
      expect(res.stderr).toContain('export REPRISE_TOKEN=<the token> (the mlflow client: MLFLOW_TRACKING_TOKEN)');
      expect(res.stderr).not.toContain(text);
      plain = { id: m![1]!, token: text };
    });

    it('creates one with an expiry and a description as JSON', async () => {
      const created = await json(['tokens', 'create', '--user', 'dan', '--expires', '30d', '--description', 'ci job']);
      expect(created).toEqual({
        token: expect.stringMatching(TOKEN_TEXT),
        record: {
          id: expect.stringMatching(/^tk_[0-9a-f]{12}$/),
          user: 'dan',
          kind: 'user',
          runId: null,
          description: 'ci job',
          createdAt: expect.any(Number),
          createdBy: ACTOR,
          expiresAt: expect.any(Number),
          revokedAt: null,
          lastUsedAt: null,
        },
      });
      expect(created.record.expiresAt - created.record.createdAt).toBe(30 * 86_400_000);
      described = { id: created.record.id, token: created.token };
      const human = await ok(['tokens', 'create', '--user', 'erin.o@lab', '--expires', '12h']);
      expect(human.stderr).toMatch(new RegExp(`^reprise: token tk_[0-9a-f]{12} for erin\\.o@lab, until ${TIME}\\. Keep it now`, 'm'));
    });

    it('lists tokens, never their text', async () => {
      const listed = await json<any[]>(['tokens', 'ls']);
      expect(listed.map((t) => t.user).sort()).toEqual(['dan', 'dan', 'erin.o@lab']);
      expect(listed.find((t) => t.id === described.id)).toMatchObject({ user: 'dan', kind: 'user', description: 'ci job', revokedAt: null });
      const out = JSON.stringify(listed) + (await ok(['tokens', 'ls'])).stdout;
      expect(out).not.toContain('rpr_');
      expect(listed.every((t) => !('token' in t) && !('digest' in t))).toBe(true);
      const table = (await ok(['tokens', 'ls'])).stdout;
      expect(table).toMatch(/^ID\s+USER\s+KIND\s+STATE\s+LAST USED\s+CREATED\s+DESCRIPTION\n/);
      expect(table).toMatch(new RegExp(`\\n${described.id}\\s+dan\\s+user\\s+until ${TIME}\\s+-\\s+${TIME} by ${ACTOR}\\s+ci job\\n`));
      expect(table).toMatch(new RegExp(`\\n${plain.id}\\s+dan\\s+user\\s+no expiry\\s+-\\s+${TIME} by ${ACTOR}\\s*\\n`));
      expect((await json<any[]>(['tokens', 'ls', '--user', 'erin.o@lab'])).map((t) => t.user)).toEqual(['erin.o@lab']);
      expect(await json(['tokens', 'ls', '--user', 'carol'])).toEqual([]);
      expect((await json<any[]>(['tokens', 'ls', '--all'])).length).toBe(3);
    });

    it('revokes a token by id or by its text, and every token of a user', async () => {
      expect((await ok(['tokens', 'revoke', plain.id])).stdout.trim()).toBe(`revoked ${plain.id} (dan)`);
      const byText = await json<any[]>(['tokens', 'revoke', described.token]);
      expect(byText).toEqual([expect.objectContaining({ id: described.id, user: 'dan', revokedAt: expect.any(Number) })]);
      // Revoked tokens are left out unless asked for.
      expect((await json<any[]>(['tokens', 'ls'])).map((t) => t.user)).toEqual(['erin.o@lab']);
      const all = await json<any[]>(['tokens', 'ls', '--revoked']);
      expect(all.filter((t) => t.revokedAt !== null).map((t) => t.id).sort()).toEqual([plain.id, described.id].sort());
      expect((await ok(['tokens', 'ls', '--revoked'])).stdout).toMatch(new RegExp(`\\n${plain.id}\\s+dan\\s+user\\s+revoked ${TIME}`));

      await ok(['tokens', 'create', '--user', 'erin.o@lab']);
      const erins = await json<any[]>(['tokens', 'revoke', '--user', 'erin.o@lab', '--all']);
      expect(erins).toHaveLength(2);
      expect(erins.every((t) => t.user === 'erin.o@lab' && typeof t.revokedAt === 'number')).toBe(true);
      expect((await ok(['tokens', 'revoke', '--user', 'erin.o@lab', '--all'])).stdout.trim()).toBe('nothing to revoke');
      expect(await json(['tokens', 'ls'])).toEqual([]);
      expect((await ok(['tokens', 'ls'])).stdout.trim()).toBe('no tokens');
    });

    it('refuses bad input with exit 2, naming what is wrong', async () => {
      await refused(['tokens', 'create', '--user', 'dan', '--expires', '3x'], 'REPRISE_ERR_ARG_INVALID', '--expires "3x": expected a duration like 30d, 12h, 90m or 45s');
      await refused(['tokens', 'create', '--user', 'ghost'], 'REPRISE_ERR_USER_NOT_FOUND', 'no user is named ghost');
      await refused(['tokens', 'create', '--user', 'dan', '--run', 'no-such-run'], 'REPRISE_ERR_RUN_NOT_FOUND', 'no-such-run');
      // Without a server asking who calls there is nobody to default to.
      const noUser = await run(['tokens', 'create']);
      expect(noUser.code, noUser.stderr).toBe(2);
      expect(noUser.stderr).toMatch(/user: name the user the token acts as/);
      await refused(['tokens', 'revoke', 'tk_000000000000'], 'REPRISE_ERR_TOKEN_NOT_FOUND', 'no token is named tk_000000000000');
      // An unknown token's text is not repeated back.
      const unknownText = `rpr_${'a'.repeat(43)}`;
      const res = await refused(['tokens', 'revoke', unknownText], 'REPRISE_ERR_TOKEN_NOT_FOUND', 'no token is the one given');
      expect(res.stderr).not.toContain(unknownText);
      await refused(['tokens', 'revoke'], 'REPRISE_ERR_ARG_INVALID', 'give a TOKEN (its text or id), or --user NAME --all');
      await refused(['tokens', 'revoke', '--all'], 'REPRISE_ERR_ARG_INVALID', 'give a TOKEN (its text or id), or --user NAME --all');
      await refused(['tokens', 'revoke', plain.id, '--user', 'dan', '--all'], 'REPRISE_ERR_ARG_INVALID', 'give a TOKEN (its text or id), or --user NAME --all');
      await refused(['tokens', 'revoke', '--user', 'ghost', '--all'], 'REPRISE_ERR_USER_NOT_FOUND', 'no user is named ghost');
      // No token was made by any of it.
      expect(await json(['tokens', 'ls'])).toEqual([]);
    });
  });

  describe('audit', () => {
    it('lists every change, newest first, with who made it', async () => {
      const entries = await json<any[]>(['audit', '--limit', '1000']);
      const actions = entries.map((e) => `${e.action} ${e.target}`).reverse();
      expect(actions).toEqual([
        'user.add carol',
        'user.add dan',
        'user.add erin.o@lab',
        'user.role dan',
        'grant.set dan',
        'grant.set dan',
        'grant.remove dan',
        'user.disable dan',
        'user.enable dan',
        'user.password dan',
        'user.password dan',
        'user.password dan',
        'token.create dan',
        'token.create dan',
        'token.create erin.o@lab',
        'token.revoke dan',
        'token.revoke dan',
        'token.create erin.o@lab',
        'token.revoke erin.o@lab',
      ]);
      expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort((a, b) => b - a));
      expect(entries.find((e) => e.action === 'user.role')).toMatchObject({ details: { from: 'member', to: 'observer' } });
      expect(entries.find((e) => e.action === 'grant.remove')).toMatchObject({ details: { project: 'nlp' } });
      expect(entries.find((e) => e.action === 'token.revoke' && e.target === 'erin.o@lab')).toMatchObject({ details: { all: true } });
      // No secret: token ids only, and whether a password was set.
      expect(JSON.stringify(entries)).not.toContain('rpr_');
      expect(JSON.stringify(entries)).not.toContain('password-1');
      expect(entries.filter((e) => e.action === 'user.password').map((e) => e.details)).toEqual([{ set: false }, { set: false }, { set: true }]);
    });

    it('names the user who made each change, the client\'s own when the server does not ask', async () => {
      const entries = await json<any[]>(['audit', '--limit', '1000']);
      // Through a server without --auth, every change (a grant's removal too) names the client's user.
      expect(entries.filter((e) => e.by !== ACTOR).map((e) => `${e.action} ${e.target} by ${e.by}`)).toEqual([]);
    });

    it('filters by action family and by user, and pages with --limit', async () => {
      const tokens = await json<any[]>(['audit', '--action', 'token']);
      expect(new Set(tokens.map((e) => e.action))).toEqual(new Set(['token.create', 'token.revoke']));
      expect((await json<any[]>(['audit', '--action', 'token.revoke'])).length).toBe(3);
      expect(await json(['audit', '--by', 'nobody'])).toEqual([]);
      expect((await ok(['audit', '--by', 'nobody'])).stdout.trim()).toBe('the audit log is empty');
      const two = await json<any[]>(['audit', '--limit', '2']);
      expect(two.map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
      const table = (await ok(['audit', '--limit', '2'])).stdout;
      expect(table).toMatch(/^WHEN\s+WHO\s+ACTION\s+TARGET\s+DETAILS\n/);
      expect(table).toMatch(new RegExp(`\\n${TIME}\\s+${ACTOR}\\s+token\\.revoke\\s+erin\\.o@lab\\s+\\{"ids":\\["tk_[0-9a-f]{12}","tk_[0-9a-f]{12}"\\],"all":true\\}\\n`));
      for (const bad of ['0', '1001', 'ten']) await refused(['audit', '--limit', bad], 'REPRISE_ERR_ARG_INVALID', `--limit "${bad}": expected a number from 1 to 1000`);
    });
  });

  describe('token expiry', () => {
    // A token asked to work for (almost) no time is refused or expires; it never lives forever.
    it.each(['0', '0s', '0.4s'])('never makes a token without expiry from --expires %s', async (expires) => {
      const res = await run(['tokens', 'create', '--user', 'dan', '--expires', expires, '--json']);
      if (res.code === 0) {
        const created = JSON.parse(res.stdout);
        await ok(['tokens', 'revoke', created.record.id]);
        expect(created.record.expiresAt, `--expires ${expires} made a token that never expires`).not.toBeNull();
      } else {
        expect(res.code, res.stderr).toBe(2);
        expect(res.stderr).toContain('--expires');
      }
    });
  });
});
