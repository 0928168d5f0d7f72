/**
 * @module adapters/metadata-store/sqlite/sqlite-access-store
 * Users, grants, tokens, sessions and the audit log in the store's SQLite file, over the
 * metadata store's connection (SqliteMetadataStore.accessStore()). Writes that must agree
 * with what they check (the last admin) run in one write transaction.
 */
import type Database from 'better-sqlite3';
import type { AuditEntry, ProjectGrant, Role, SessionRecord, TokenRecord, UserRecord } from '../../../core/access.js';
import type { AccessStore, NewToken } from '../../../ports/access-store.js';
import {
  auditFromRow,
  changedUser,
  grantFromRow,
  lastAdmin,
  sessionFromRow,
  tokenFromRow,
  tokenRow,
  userExists,
  userFromRow,
  userNotFound,
  type AuditRow,
  type GrantRow,
  type SessionRow,
  type TokenRow,
  type UserRow,
} from '../sql-access-rows.js';

export interface SqliteConnection {
  /** The open database (throws before init or after close). */
  db(): Database.Database;
  /** Runs `fn` in a write transaction that holds the lock from its start. */
  write<T>(fn: () => T): T;
}

export class SqliteAccessStore implements AccessStore {
  constructor(private readonly c: SqliteConnection) {}

  #all<R>(text: string, ...values: unknown[]): R[] {
    return this.c.db().prepare(text).all(...values) as R[];
  }

  #get<R>(text: string, ...values: unknown[]): R | undefined {
    return this.c.db().prepare(text).get(...values) as R | undefined;
  }

  #run(text: string, ...values: unknown[]): number {
    return this.c.db().prepare(text).run(...values).changes;
  }

  #audit(e: AuditEntry): void {
    this.#run('INSERT INTO audit_log (at, by, action, target, details) VALUES (?, ?, ?, ?, ?)', e.at, e.by, e.action, e.target, JSON.stringify(e.details));
  }

  async addUser(user: UserRecord, audit: AuditEntry): Promise<void> {
    this.c.write(() => {
      if (this.#get('SELECT 1 FROM users WHERE name = ?', user.name)) throw userExists(user.name);
      this.#run(
        'INSERT INTO users (name, role, disabled, created_at, created_by, password_hash) VALUES (?, ?, ?, ?, ?, ?)',
        user.name,
        user.role,
        user.disabled ? 1 : 0,
        user.createdAt,
        user.createdBy,
        user.passwordHash,
      );
      this.#audit(audit);
    });
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = this.#get<UserRow>('SELECT * FROM users WHERE name = ?', name);
    return r ? userFromRow(r) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#all<UserRow>('SELECT * FROM users ORDER BY name').map(userFromRow);
  }

  async updateUser(name: string, change: { role?: Role; disabled?: boolean; passwordHash?: string | null }, audit: AuditEntry): Promise<UserRecord> {
    return this.c.write(() => {
      const before = this.#get<UserRow>('SELECT * FROM users WHERE name = ?', name);
      if (!before) throw userNotFound(name);
      const { after, losesAdmin } = changedUser(userFromRow(before), change);
      if (losesAdmin && this.#admins() <= 1) throw lastAdmin(name);
      this.#run('UPDATE users SET role = ?, disabled = ?, password_hash = ? WHERE name = ?', after.role, after.disabled ? 1 : 0, after.passwordHash, name);
      this.#audit(audit);
      return after;
    });
  }

  #admins(): number {
    return this.#get<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")!.n;
  }

  async countAdmins(): Promise<number> {
    return this.#admins();
  }

  async setGrant(user: string, project: string, role: Role | null, audit: AuditEntry): Promise<void> {
    this.c.write(() => {
      if (!this.#get('SELECT 1 FROM users WHERE name = ?', user)) throw userNotFound(user);
      if (role === null) this.#run('DELETE FROM project_grants WHERE user_name = ? AND project = ?', user, project);
      else this.#run('INSERT INTO project_grants (user_name, project, role) VALUES (?, ?, ?) ON CONFLICT (user_name, project) DO UPDATE SET role = excluded.role', user, project, role);
      this.#audit(audit);
    });
  }

  async listGrants(user?: string): Promise<ProjectGrant[]> {
    const rows = user === undefined ? this.#all<GrantRow>('SELECT * FROM project_grants ORDER BY user_name, project') : this.#all<GrantRow>('SELECT * FROM project_grants WHERE user_name = ? ORDER BY project', user);
    return rows.map(grantFromRow);
  }

  async addToken(token: NewToken, audit: AuditEntry | null): Promise<void> {
    const r = tokenRow(token);
    this.c.write(() => {
      if (r.user_name !== null && !this.#get('SELECT 1 FROM users WHERE name = ?', r.user_name)) throw userNotFound(r.user_name);
      this.#run(
        'INSERT INTO api_tokens (id, digest, user_name, kind, run_id, description, created_at, created_by, expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)',
        r.id,
        r.digest,
        r.user_name,
        r.kind,
        r.run_id,
        r.description,
        r.created_at,
        r.created_by,
        r.expires_at,
      );
      if (audit) this.#audit(audit);
    });
  }

  async userWithGrants(name: string): Promise<{ user: UserRecord; grants: ProjectGrant[] } | undefined> {
    const user = await this.getUser(name);
    return user ? { user, grants: await this.listGrants(name) } : undefined;
  }

  async tokenHolder(digest: string): Promise<{ token: TokenRecord; user: UserRecord | undefined; grants: ProjectGrant[] } | undefined> {
    // In-process reads, each a prepared statement: one read in all as far as cost goes.
    const token = await this.tokenByDigest(digest);
    if (!token) return undefined;
    const held = token.user !== null ? await this.userWithGrants(token.user) : undefined;
    return { token, user: held?.user, grants: held?.grants ?? [] };
  }

  async tokenByDigest(digest: string): Promise<TokenRecord | undefined> {
    const r = this.#get<TokenRow>('SELECT * FROM api_tokens WHERE digest = ?', digest);
    return r ? tokenFromRow(r) : undefined;
  }

  async tokenById(id: string): Promise<TokenRecord | undefined> {
    const r = this.#get<TokenRow>('SELECT * FROM api_tokens WHERE id = ?', id);
    return r ? tokenFromRow(r) : undefined;
  }

  async listTokens(query: { user?: string; includeRevoked?: boolean }): Promise<TokenRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.user !== undefined) {
      where.push('user_name = ?');
      values.push(query.user);
    }
    if (!query.includeRevoked) where.push('revoked_at IS NULL');
    const text = `SELECT * FROM api_tokens ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC`;
    return this.#all<TokenRow>(text, ...values).map(tokenFromRow);
  }

  async revokeTokens(ids: readonly string[], at: number, audit: AuditEntry): Promise<TokenRecord[]> {
    return this.c.write(() => {
      const revoked: TokenRecord[] = [];
      for (const id of ids) {
        if (this.#run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', at, id) > 0) {
          revoked.push(tokenFromRow(this.#get<TokenRow>('SELECT * FROM api_tokens WHERE id = ?', id)!));
        }
      }
      if (revoked.length > 0) this.#audit(audit);
      return revoked;
    });
  }

  async revokeRunTokens(runId: string, at: number): Promise<number> {
    return this.c.write(() => this.#run("UPDATE api_tokens SET revoked_at = ? WHERE run_id = ? AND kind = 'run' AND revoked_at IS NULL", at, runId));
  }

  async touchToken(id: string, at: number): Promise<void> {
    this.c.write(() => this.#run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', at, id));
  }

  async addSession(digest: string, s: SessionRecord): Promise<void> {
    this.c.write(() => this.#run('INSERT INTO web_sessions (digest, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', digest, s.user, s.csrf, s.createdAt, s.expiresAt));
  }

  async getSession(digest: string): Promise<SessionRecord | undefined> {
    const r = this.#get<SessionRow>('SELECT * FROM web_sessions WHERE digest = ?', digest);
    return r ? sessionFromRow(r) : undefined;
  }

  async deleteSession(digest: string): Promise<void> {
    this.c.write(() => this.#run('DELETE FROM web_sessions WHERE digest = ?', digest));
  }

  async deleteSessionsOf(user: string): Promise<number> {
    return this.c.write(() => this.#run('DELETE FROM web_sessions WHERE user_name = ?', user));
  }

  async pruneSessions(now: number): Promise<number> {
    return this.c.write(() => this.#run('DELETE FROM web_sessions WHERE expires_at < ?', now));
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.c.write(() => this.#audit(entry));
  }

  async auditLog(query: { limit: number; before?: number; by?: string; action?: string }): Promise<AuditEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.before !== undefined) {
      where.push('at < ?');
      values.push(query.before);
    }
    if (query.by !== undefined) {
      where.push('by = ?');
      values.push(query.by);
    }
    if (query.action !== undefined) {
      // An action or its family: `token` matches `token.create` and `token.revoke`.
      where.push("(action = ? OR substr(action, 1, length(?) + 1) = ? || '.')");
      values.push(query.action, query.action, query.action);
    }
    const text = `SELECT at, by, action, target, details FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    return this.#all<AuditRow>(text, ...values, query.limit).map(auditFromRow);
  }
}
