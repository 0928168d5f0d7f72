/**
 * The behaviour every AccessStore adapter must have. An adapter's test calls
 * `runAccessStoreContract` with a factory for a fresh, empty store (its metadata store
 * initialised), and a cleanup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, UserRecord } from '../core/access.js';
import type { AccessStore, NewToken } from './access-store.js';

const T0 = 1_790_000_000_000;

function user(name: string, role: UserRecord['role'] = 'member', over: Partial<UserRecord> = {}): UserRecord {
  return { name, role, disabled: false, createdAt: T0, createdBy: 'setup', passwordHash: null, ...over };
}

function entry(action: string, target: string, at = T0, by = 'setup', details: Record<string, unknown> = {}): AuditEntry {
  return { at, by, action, target, details };
}

function token(id: string, over: Partial<NewToken> = {}): NewToken {
  return { id, digest: `digest-${id}`, user: 'ada', kind: 'user', runId: null, description: null, createdAt: T0, createdBy: 'setup', expiresAt: null, ...over };
}

export function runAccessStoreContract(name: string, open: () => Promise<{ store: AccessStore; cleanup: () => Promise<void> }>): void {
  describe(`AccessStore contract: ${name}`, () => {
    let store: AccessStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('adds users, refuses a name taken, lists them by name', async () => {
      await store.addUser(user('grace', 'admin', { passwordHash: 'scrypt$x' }), entry('user.add', 'grace'));
      await store.addUser(user('ada'), entry('user.add', 'ada'));
      await expect(store.addUser(user('ada', 'viewer'), entry('user.add', 'ada'))).rejects.toMatchObject({ code: 'REPRISE_ERR_USER_EXISTS' });
      expect((await store.listUsers()).map((u) => [u.name, u.role])).toEqual([
        ['ada', 'member'],
        ['grace', 'admin'],
      ]);
      expect(await store.getUser('grace')).toEqual(user('grace', 'admin', { passwordHash: 'scrypt$x' }));
      expect(await store.getUser('nobody')).toBeUndefined();
      // Only the two additions were audited: the refused one left nothing.
      expect((await store.auditLog({ limit: 10 })).map((e) => e.target).sort()).toEqual(['ada', 'grace']);
    });

    it('changes role, disabled and password, auditing each; refuses to lose the last admin', async () => {
      await store.addUser(user('grace', 'admin'), entry('user.add', 'grace'));
      await store.addUser(user('ada'), entry('user.add', 'ada'));
      const changed = await store.updateUser('ada', { role: 'observer', passwordHash: 'h1' }, entry('user.role', 'ada', T0 + 1));
      expect(changed).toMatchObject({ role: 'observer', passwordHash: 'h1', disabled: false });
      expect(await store.getUser('ada')).toMatchObject({ role: 'observer', passwordHash: 'h1' });
      await expect(store.updateUser('grace', { role: 'member' }, entry('user.role', 'grace'))).rejects.toMatchObject({ code: 'REPRISE_ERR_LAST_ADMIN' });
      await expect(store.updateUser('grace', { disabled: true }, entry('user.disable', 'grace'))).rejects.toMatchObject({ code: 'REPRISE_ERR_LAST_ADMIN' });
      expect(await store.getUser('grace')).toMatchObject({ role: 'admin', disabled: false });
      await store.updateUser('ada', { role: 'admin' }, entry('user.role', 'ada', T0 + 2));
      expect(await store.countAdmins()).toBe(2);
      await store.updateUser('grace', { disabled: true }, entry('user.disable', 'grace', T0 + 3));
      expect(await store.countAdmins()).toBe(1);
      await expect(store.updateUser('nobody', { role: 'viewer' }, entry('user.role', 'nobody'))).rejects.toMatchObject({ code: 'REPRISE_ERR_USER_NOT_FOUND' });
      expect((await store.auditLog({ limit: 10, action: 'user.role' })).map((e) => e.at)).toEqual([T0 + 2, T0 + 1]);
    });

    it('keeps one grant per user and project, replaced or removed', async () => {
      await store.addUser(user('ada', 'viewer'), entry('user.add', 'ada'));
      await store.setGrant('ada', 'cifar10', 'member', entry('grant.set', 'ada'));
      await store.setGrant('ada', 'iris', 'observer', entry('grant.set', 'ada'));
      await store.setGrant('ada', 'cifar10', 'admin', entry('grant.set', 'ada'));
      expect(await store.listGrants('ada')).toEqual([
        { user: 'ada', project: 'cifar10', role: 'admin' },
        { user: 'ada', project: 'iris', role: 'observer' },
      ]);
      await store.setGrant('ada', 'iris', null, entry('grant.remove', 'ada'));
      expect(await store.listGrants()).toEqual([{ user: 'ada', project: 'cifar10', role: 'admin' }]);
      await expect(store.setGrant('nobody', 'iris', 'member', entry('grant.set', 'nobody'))).rejects.toMatchObject({ code: 'REPRISE_ERR_USER_NOT_FOUND' });
    });

    it('finds tokens by digest and id, revokes them once, lists them newest first', async () => {
      await store.addUser(user('ada'), entry('user.add', 'ada'));
      await store.addToken(token('t1', { expiresAt: T0 + 1000, description: 'laptop' }), entry('token.create', 'ada'));
      await store.addToken(token('t2', { createdAt: T0 + 5 }), entry('token.create', 'ada'));
      await store.addToken(token('t3', { user: null, kind: 'run', runId: '01run', createdBy: 'server' }), null);
      await expect(store.addToken(token('t4', { user: 'nobody' }), null)).rejects.toMatchObject({ code: 'REPRISE_ERR_USER_NOT_FOUND' });
      expect(await store.tokenByDigest('digest-t1')).toEqual({
        id: 't1',
        user: 'ada',
        kind: 'user',
        runId: null,
        description: 'laptop',
        createdAt: T0,
        createdBy: 'setup',
        expiresAt: T0 + 1000,
        revokedAt: null,
        lastUsedAt: null,
      });
      expect(await store.tokenById('t3')).toMatchObject({ user: null, kind: 'run', runId: '01run' });
      expect(await store.tokenByDigest('digest-none')).toBeUndefined();
      expect((await store.listTokens({ user: 'ada' })).map((t) => t.id)).toEqual(['t2', 't1']);
      expect((await store.listTokens({})).map((t) => t.id).sort()).toEqual(['t1', 't2', 't3']);

      const revoked = await store.revokeTokens(['t1', 'missing'], T0 + 10, entry('token.revoke', 'ada'));
      expect(revoked.map((t) => [t.id, t.revokedAt])).toEqual([['t1', T0 + 10]]);
      expect(await store.revokeTokens(['t1'], T0 + 20, entry('token.revoke', 'ada'))).toEqual([]);
      expect((await store.tokenById('t1'))!.revokedAt).toBe(T0 + 10);
      expect((await store.listTokens({ user: 'ada' })).map((t) => t.id)).toEqual(['t2']);
      expect((await store.listTokens({ user: 'ada', includeRevoked: true })).map((t) => t.id)).toEqual(['t2', 't1']);
      // One audit entry for the revocation that revoked something.
      expect(await store.auditLog({ limit: 10, action: 'token.revoke' })).toHaveLength(1);

      expect(await store.revokeRunTokens('01run', T0 + 30)).toBe(1);
      expect(await store.revokeRunTokens('01run', T0 + 40)).toBe(0);
      await store.touchToken('t2', T0 + 50);
      expect((await store.tokenById('t2'))!.lastUsedAt).toBe(T0 + 50);
    });

    it('reads a token with its user and grants, and a user with its grants, in one call', async () => {
      await store.addUser(user('ada', 'viewer', { passwordHash: 'h' }), entry('user.add', 'ada'));
      await store.addUser(user('bob', 'member', { disabled: true }), entry('user.add', 'bob'));
      await store.setGrant('ada', 'iris', 'member', entry('grant.set', 'ada'));
      await store.setGrant('ada', 'cifar10', 'observer', entry('grant.set', 'ada'));
      await store.addToken(token('t1', { expiresAt: T0 + 9 }), entry('token.create', 'ada'));
      await store.addToken(token('t2', { user: 'bob' }), null);
      await store.addToken(token('t3', { user: null, kind: 'run', runId: '01run', createdBy: 'server' }), null);
      await store.revokeTokens(['t1'], T0 + 5, entry('token.revoke', 'ada'));

      const ada = await store.tokenHolder('digest-t1');
      expect(ada?.token).toEqual(await store.tokenById('t1'));
      expect(ada?.user).toEqual(user('ada', 'viewer', { passwordHash: 'h' }));
      expect(ada?.grants).toEqual([
        { user: 'ada', project: 'cifar10', role: 'observer' },
        { user: 'ada', project: 'iris', role: 'member' },
      ]);
      expect(await store.tokenHolder('digest-t2')).toMatchObject({ token: { id: 't2' }, user: { name: 'bob', disabled: true }, grants: [] });
      const run = await store.tokenHolder('digest-t3');
      expect(run).toMatchObject({ token: { id: 't3', kind: 'run', runId: '01run', user: null }, grants: [] });
      expect(run?.user).toBeUndefined();
      expect(await store.tokenHolder('digest-none')).toBeUndefined();

      expect(await store.userWithGrants('ada')).toEqual({ user: ada?.user, grants: ada?.grants });
      expect(await store.userWithGrants('bob')).toEqual({ user: user('bob', 'member', { disabled: true }), grants: [] });
      expect(await store.userWithGrants('nobody')).toBeUndefined();
    });

    it('keeps sessions until deleted, pruned once expired, or ended with their user', async () => {
      await store.addUser(user('ada'), entry('user.add', 'ada'));
      await store.addUser(user('bob'), entry('user.add', 'bob'));
      await store.addSession('s1', { user: 'ada', csrf: 'c1', createdAt: T0, expiresAt: T0 + 100 });
      await store.addSession('s2', { user: 'ada', csrf: 'c2', createdAt: T0, expiresAt: T0 + 1000 });
      await store.addSession('s3', { user: 'bob', csrf: 'c3', createdAt: T0, expiresAt: T0 + 1000 });
      expect(await store.getSession('s1')).toEqual({ user: 'ada', csrf: 'c1', createdAt: T0, expiresAt: T0 + 100 });
      expect(await store.pruneSessions(T0 + 500)).toBe(1);
      expect(await store.getSession('s1')).toBeUndefined();
      await store.deleteSession('s3');
      expect(await store.getSession('s3')).toBeUndefined();
      expect(await store.deleteSessionsOf('ada')).toBe(1);
      expect(await store.getSession('s2')).toBeUndefined();
    });

    it('reads the audit log newest first, by time, user and action family', async () => {
      await store.audit(entry('gc', 'blobs', T0 + 1, 'grace', { deleted: 3 }));
      await store.audit(entry('token.create', 'ada', T0 + 2, 'grace', { id: 't1' }));
      await store.audit(entry('token.revoke', 'ada', T0 + 3, 'ada'));
      await store.audit(entry('tokens.other', 'x', T0 + 4, 'ada'));
      expect((await store.auditLog({ limit: 10 })).map((e) => e.action)).toEqual(['tokens.other', 'token.revoke', 'token.create', 'gc']);
      expect((await store.auditLog({ limit: 2 })).map((e) => e.at)).toEqual([T0 + 4, T0 + 3]);
      expect((await store.auditLog({ limit: 10, before: T0 + 3 })).map((e) => e.at)).toEqual([T0 + 2, T0 + 1]);
      expect((await store.auditLog({ limit: 10, by: 'grace' })).map((e) => e.action)).toEqual(['token.create', 'gc']);
      expect((await store.auditLog({ limit: 10, action: 'token' })).map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
      expect((await store.auditLog({ limit: 10, action: 'gc' }))[0]).toEqual(entry('gc', 'blobs', T0 + 1, 'grace', { deleted: 3 }));
    });
  });
}
