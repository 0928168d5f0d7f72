/**
 * @module services/access-service
 * Users, roles, grants and tokens (`reprise users`, `reprise tokens`), and who a request
 * is: a token (Bearer, or the password of HTTP basic auth as the mlflow client sends
 * MLFLOW_TRACKING_PASSWORD), a user's password, or a web session. Every check reads the
 * store, so a revoked token or a disabled user is refused by the next request on every
 * server sharing the database. Secrets are shown once, when made, and stored as digests.
 * Every change is written to the audit log with who made it.
 */
import { randomBytes } from 'node:crypto';
import {
  checkPassword,
  checkUserName,
  looksLikeToken,
  type AuditEntry,
  type Principal,
  type ProjectGrant,
  type Role,
  type TokenRecord,
  type UserRecord,
} from '../core/access.js';
import { RepriseError } from '../core/errors.js';
import type { AccessStore } from '../ports/access-store.js';
import { DECOY_PASSWORD_HASH, hashPassword, newToken, randomKey, secretDigest, verifyPassword } from '../platform/secret-hash.js';
import { LoginThrottle } from './login-throttle.js';

/** How long a web session lasts from sign-in. */
export const SESSION_TTL_MS = 7 * 86_400_000;
/** A token's last use is written at most this often. */
const TOUCH_EVERY_MS = 60_000;
/** A password checked for basic auth is remembered this long (scrypt is slow on purpose; the user's record is still read every time). */
const BASIC_CACHE_MS = 10 * 60_000;

/** A user as shown: no password hash, whether one is set. */
export interface UserView {
  readonly name: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly hasPassword: boolean;
  readonly grants: Readonly<Record<string, Role>>;
}

export interface CreatedToken {
  /** The token's text: shown once, never stored. */
  readonly token: string;
  readonly record: TokenRecord;
}

/** What `reprise users`, `reprise tokens` and `reprise audit` do: on the store (embedded) or asked of a server (remote). */
export interface AccessCommands {
  addUser(o: { name: string; role: Role; password?: string; by: string }): Promise<UserView>;
  listUsers(): Promise<UserView[]>;
  setRole(name: string, role: Role, by: string): Promise<UserView>;
  setDisabled(name: string, disabled: boolean, by: string): Promise<UserView>;
  setPassword(name: string, password: string | null, by: string): Promise<UserView>;
  grant(name: string, project: string, role: Role | null, by: string): Promise<UserView>;
  /** `user` undefined: the caller (remote only: embedded, there is no caller). */
  createToken(o: { user?: string; by: string; expiresInMs?: number; description?: string; runId?: string }): Promise<CreatedToken>;
  /** A user's tokens; all of them with `all` (embedded, where there is no caller, also without a user). */
  listTokens(query?: { user?: string; all?: boolean; includeRevoked?: boolean }): Promise<TokenRecord[]>;
  revoke(textOrId: string, by: string): Promise<TokenRecord>;
  revokeAllOf(user: string, by: string): Promise<TokenRecord[]>;
}

export interface AccessServiceDeps {
  readonly store: AccessStore;
  readonly now?: () => number;
}

function invalid(message: string, hint?: string): RepriseError {
  return new RepriseError('REPRISE_ERR_AUTH_INVALID', message, hint ? { hint } : {});
}

export class AccessService implements AccessCommands {
  readonly #store: AccessStore;
  readonly #now: () => number;
  readonly #throttle: LoginThrottle;
  readonly #touched = new Map<string, number>();
  /** digest of `user:password` → the password hash it matched. */
  readonly #basic = new Map<string, { hash: string; until: number }>();

  constructor(d: AccessServiceDeps) {
    this.#store = d.store;
    this.#now = d.now ?? Date.now;
    this.#throttle = new LoginThrottle(this.#now);
  }

  #entry(by: string, action: string, target: string, details: Record<string, unknown> = {}): AuditEntry {
    return { at: this.#now(), by, action, target, details };
  }

  async #view(u: UserRecord): Promise<UserView> {
    return userView(u, await this.#store.listGrants(u.name));
  }

  async #user(name: string): Promise<UserRecord> {
    const u = await this.#store.getUser(name);
    if (!u) throw new RepriseError('REPRISE_ERR_USER_NOT_FOUND', `no user is named ${name}`, { hint: 'list them with: reprise users ls', details: { user: name } });
    return u;
  }

  // Users and roles.

  async addUser(o: { name: string; role: Role; password?: string; by: string }): Promise<UserView> {
    checkUserName(o.name, 'name');
    const passwordHash = o.password !== undefined ? await hashPassword(checkPassword(o.password)) : null;
    const user: UserRecord = { name: o.name, role: o.role, disabled: false, createdAt: this.#now(), createdBy: o.by, passwordHash };
    await this.#store.addUser(user, this.#entry(o.by, 'user.add', o.name, { role: o.role }));
    return this.#view(user);
  }

  async listUsers(): Promise<UserView[]> {
    const [users, grants] = await Promise.all([this.#store.listUsers(), this.#store.listGrants()]);
    return users.map((u) => userView(u, grants.filter((g) => g.user === u.name)));
  }

  async getUser(name: string): Promise<UserView> {
    return this.#view(await this.#user(name));
  }

  async setRole(name: string, role: Role, by: string): Promise<UserView> {
    const before = await this.#user(name);
    return this.#view(await this.#store.updateUser(name, { role }, this.#entry(by, 'user.role', name, { from: before.role, to: role })));
  }

  /** Disabling ends the user's sessions; its tokens stop working at once (they act as a disabled user). */
  async setDisabled(name: string, disabled: boolean, by: string): Promise<UserView> {
    const after = await this.#store.updateUser(name, { disabled }, this.#entry(by, disabled ? 'user.disable' : 'user.enable', name));
    if (disabled) await this.#store.deleteSessionsOf(name);
    return this.#view(after);
  }

  /** A new password (null: none, tokens only); ends the user's sessions. */
  async setPassword(name: string, password: string | null, by: string): Promise<UserView> {
    const passwordHash = password === null ? null : await hashPassword(checkPassword(password));
    const after = await this.#store.updateUser(name, { passwordHash }, this.#entry(by, 'user.password', name, { set: password !== null }));
    await this.#store.deleteSessionsOf(name);
    return this.#view(after);
  }

  /** A role in one project in place of the server role there; null takes the grant away. */
  async grant(name: string, project: string, role: Role | null, by: string): Promise<UserView> {
    if (project.trim() === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--project: a project name is needed', { details: { field: 'project' } });
    await this.#store.setGrant(name, project, role, this.#entry(by, role === null ? 'grant.remove' : 'grant.set', name, { project, ...(role ? { role } : {}) }));
    return this.getUser(name);
  }

  // Tokens.

  async createToken(o: { user?: string; by: string; expiresInMs?: number; description?: string; runId?: string }): Promise<CreatedToken> {
    if (o.expiresInMs !== undefined && !(o.expiresInMs > 0)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--expires: a token lasts longer than 0 (leave --expires out for one that lasts until revoked)', { details: { field: 'expires' } });
    }
    if (o.user === undefined) throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--user: name the user the token acts as', { details: { field: 'user' } });
    const u = await this.#user(o.user);
    if (u.disabled) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${o.user} is disabled: enable it before giving it a token (reprise users enable ${o.user})`, { details: { user: o.user } });
    return this.#create({ user: u.name, kind: o.runId ? 'run' : 'user', runId: o.runId ?? null, by: o.by, description: o.description ?? null, expiresInMs: o.expiresInMs }, true);
  }

  /** A token the server makes for its own cluster job: it writes to that run only, and is revoked when the run ends. */
  createRunToken(runId: string, expiresInMs: number): Promise<CreatedToken> {
    return this.#create({ user: null, kind: 'run', runId, by: 'server', description: `cluster job of run ${runId}`, expiresInMs }, false);
  }

  async #create(
    o: { user: string | null; kind: 'user' | 'run'; runId: string | null; by: string; description: string | null; expiresInMs: number | undefined },
    audited: boolean,
  ): Promise<CreatedToken> {
    const token = newToken();
    const now = this.#now();
    const record: TokenRecord = {
      id: `tk_${randomBytes(6).toString('hex')}`,
      user: o.user,
      kind: o.kind,
      runId: o.runId,
      description: o.description,
      createdAt: now,
      createdBy: o.by,
      expiresAt: o.expiresInMs !== undefined ? now + Math.max(1, Math.round(o.expiresInMs)) : null,
      revokedAt: null,
      lastUsedAt: null,
    };
    const audit = audited
      ? this.#entry(o.by, 'token.create', o.user ?? `run:${o.runId}`, { id: record.id, kind: o.kind, ...(o.runId ? { run: o.runId } : {}), expiresAt: record.expiresAt })
      : null;
    await this.#store.addToken({ ...record, digest: secretDigest(token) }, audit);
    return { token, record };
  }

  listTokens(query: { user?: string; all?: boolean; includeRevoked?: boolean } = {}): Promise<TokenRecord[]> {
    return this.#store.listTokens({ ...(query.user !== undefined && !query.all ? { user: query.user } : {}), includeRevoked: query.includeRevoked ?? false });
  }

  /** A token by its text or its id; REPRISE_ERR_TOKEN_NOT_FOUND otherwise. */
  async findToken(textOrId: string): Promise<TokenRecord> {
    const t = looksLikeToken(textOrId) ? await this.#store.tokenByDigest(secretDigest(textOrId)) : await this.#store.tokenById(textOrId);
    if (!t) throw new RepriseError('REPRISE_ERR_TOKEN_NOT_FOUND', `no token is ${looksLikeToken(textOrId) ? 'the one given' : `named ${textOrId}`}`, { hint: 'list them with: reprise tokens ls', details: { token: looksLikeToken(textOrId) ? 'rpr_…' : textOrId } });
    return t;
  }

  /** Revokes a token given by its text or id; it is refused from the next request on. */
  async revoke(textOrId: string, by: string): Promise<TokenRecord> {
    const t = await this.findToken(textOrId);
    const [revoked] = await this.#store.revokeTokens([t.id], this.#now(), this.#entry(by, 'token.revoke', t.user ?? `run:${t.runId}`, { ids: [t.id] }));
    return revoked ?? t;
  }

  /** Revokes every live token of a user. */
  async revokeAllOf(user: string, by: string): Promise<TokenRecord[]> {
    await this.#user(user);
    const live = await this.#store.listTokens({ user });
    if (live.length === 0) return [];
    return this.#store.revokeTokens(
      live.map((t) => t.id),
      this.#now(),
      this.#entry(by, 'token.revoke', user, { ids: live.map((t) => t.id), all: true }),
    );
  }

  /** The run tokens of a run that ended, revoked. */
  revokeRunTokens(runId: string): Promise<number> {
    return this.#store.revokeRunTokens(runId, this.#now());
  }

  /** Every live run token whose run is over, revoked: those a server stopped before it could revoke them. */
  async revokeRunTokensOfEnded(isOver: (runId: string) => Promise<boolean>): Promise<number> {
    const live = (await this.#store.listTokens({})).filter((t) => t.kind === 'run' && t.runId !== null);
    let revoked = 0;
    for (const runId of new Set(live.map((t) => t.runId!))) if (await isOver(runId)) revoked += await this.revokeRunTokens(runId);
    return revoked;
  }

  // Who asks.

  /** The principal a token stands for; REPRISE_ERR_AUTH_INVALID for one unknown, expired, revoked or of a disabled user. */
  async authenticateToken(token: string): Promise<Principal> {
    const held = looksLikeToken(token) ? await this.#store.tokenHolder(secretDigest(token)) : undefined;
    if (!held) throw invalid('the token is not one this server issued', 'create one with: reprise tokens create --user NAME');
    const t = held.token;
    const now = this.#now();
    if (t.revokedAt !== null) throw invalid(`the token ${t.id} was revoked on ${new Date(t.revokedAt).toISOString()}`);
    if (t.expiresAt !== null && t.expiresAt <= now) throw invalid(`the token ${t.id} expired on ${new Date(t.expiresAt).toISOString()}`, 'create a new one with: reprise tokens create --user NAME');
    if ((this.#touched.get(t.id) ?? 0) < now - TOUCH_EVERY_MS) {
      this.#touched.set(t.id, now);
      await this.#store.touchToken(t.id, now);
    }
    if (t.user === null) return { name: `run:${t.runId}`, role: 'member', grants: {}, runId: t.runId, via: 'token' };
    const p = principal(t.user, held.user ? { user: held.user, grants: held.grants } : undefined, 'token');
    return t.kind === 'run' ? { ...p, runId: t.runId } : p;
  }

  async #principalOf(name: string, via: Principal['via']): Promise<Principal> {
    return principal(name, await this.#store.userWithGrants(name), via);
  }

  /**
   * HTTP basic auth as clients send it: the password may be one of the user's tokens (what
   * MLFLOW_TRACKING_PASSWORD usually holds) or the user's password. Throttled like a sign-in.
   */
  async authenticateBasic(user: string, secret: string, address: string): Promise<Principal> {
    if (looksLikeToken(secret)) {
      const p = await this.authenticateToken(secret);
      if (p.name !== user) throw invalid(`the token given as ${user}'s password belongs to another user`);
      return p;
    }
    const key = secretDigest(`${user}\u0000${secret}`);
    const u = await this.#store.getUser(user);
    const cached = this.#basic.get(key);
    if (u?.passwordHash && cached && cached.hash === u.passwordHash && cached.until > this.#now()) return this.#principalOf(user, 'password');
    await this.#checkPassword(user, secret, address, u);
    this.#basic.set(key, { hash: u!.passwordHash!, until: this.#now() + BASIC_CACHE_MS });
    if (this.#basic.size > 1000) this.#basic.delete(this.#basic.keys().next().value!);
    return this.#principalOf(user, 'password');
  }

  /** A password checked under the throttle; the same refusal whether the user exists or not. */
  async #checkPassword(user: string, password: string, address: string, u: UserRecord | undefined): Promise<void> {
    const keys = [`user:${user.toLowerCase()}`, `address:${address}`];
    const wait = this.#throttle.waitMs(keys);
    if (wait > 0) {
      throw new RepriseError('REPRISE_ERR_LOGIN_THROTTLED', `too many failed sign-ins for ${user} or from ${address}: try again in ${Math.ceil(wait / 1000)} s`, {
        details: { retryAfterSeconds: Math.ceil(wait / 1000) },
      });
    }
    // An unknown user costs the same scrypt as a known one, so timing does not tell them apart.
    const ok = await verifyPassword(password, u?.passwordHash ?? DECOY_PASSWORD_HASH);
    if (!ok || !u || u.disabled) {
      this.#throttle.failed(keys);
      throw invalid('the user name or password is wrong');
    }
    this.#throttle.succeeded(keys[0]!);
  }

  /** Signs in for the web UI: a fresh session (never one the browser brought) and its CSRF token. */
  async login(user: string, password: string, address: string): Promise<{ key: string; csrf: string; principal: Principal; expiresAt: number }> {
    const u = await this.#store.getUser(user);
    await this.#checkPassword(user, password, address, u);
    const key = randomKey();
    const csrf = randomKey();
    const now = this.#now();
    const expiresAt = now + SESSION_TTL_MS;
    await this.#store.addSession(secretDigest(key), { user, csrf, createdAt: now, expiresAt });
    if (Math.random() < 0.05) await this.#store.pruneSessions(now);
    return { key, csrf, principal: await this.#principalOf(user, 'session'), expiresAt };
  }

  /** The session a cookie's key opens, with its CSRF token; REPRISE_ERR_AUTH_INVALID once it ended. */
  async session(key: string): Promise<{ principal: Principal; csrf: string }> {
    const s = await this.#store.getSession(secretDigest(key));
    if (!s || s.expiresAt <= this.#now()) throw invalid('the session has ended: sign in again');
    return { principal: await this.#principalOf(s.user, 'session'), csrf: s.csrf };
  }

  logout(key: string): Promise<void> {
    return this.#store.deleteSession(secretDigest(key));
  }

  /** Whether anyone could sign in as admin: `reprise server --auth` refuses to start otherwise. */
  async hasAdmin(): Promise<boolean> {
    return (await this.#store.countAdmins()) > 0;
  }

  // The audit log.

  record(by: string, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.#store.audit(this.#entry(by, action, target, details));
  }

  auditLog(query: { limit: number; before?: number; by?: string; action?: string }): Promise<AuditEntry[]> {
    return this.#store.auditLog(query);
  }
}

/** A user as shown: no password hash, whether one is set. */
function userView(u: UserRecord, grants: readonly ProjectGrant[]): UserView {
  return { name: u.name, role: u.role, disabled: u.disabled, createdAt: u.createdAt, createdBy: u.createdBy, hasPassword: u.passwordHash !== null, grants: grantMap(grants) };
}

/** Who a user is to a request; refused for a user gone or disabled. */
function principal(name: string, held: { user: UserRecord; grants: readonly ProjectGrant[] } | undefined, via: Principal['via']): Principal {
  if (!held) throw invalid(`the user ${name} no longer exists`);
  if (held.user.disabled) throw invalid(`the user ${name} is disabled`);
  return { name, role: held.user.role, grants: grantMap(held.grants), runId: null, via };
}

function grantMap(grants: readonly ProjectGrant[]): Record<string, Role> {
  return Object.fromEntries(grants.map((g) => [g.project, g.role]));
}
