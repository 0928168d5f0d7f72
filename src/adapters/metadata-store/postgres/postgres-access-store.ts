/**
 * @module adapters/metadata-store/postgres/postgres-access-store
 * Users, grants, tokens, sessions and the audit log in the store's PostgreSQL schema, over
 * the metadata store's pool (PostgresMetadataStore.accessStore()). Each write is one
 * transaction, run again when it loses to a concurrent one; its audit entry is written in
 * it. Changes of users take turns under an advisory lock, across servers, so the last
 * enabled admin is counted after every earlier change has committed: two servers demoting
 * the last two admins at once cannot both succeed. A lost connection surfaces as
 * REPRISE_ERR_STORE_UNAVAILABLE (postgres-connection.ts).
 */
import { sql, type Kysely } from 'kysely';
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
  type GrantRow,
  type TokenRow,
  type UserRow,
} from '../sql-access-rows.js';
import type { PostgresTables } from './postgres-schema.js';

type Db = Kysely<PostgresTables>;

/** The first key of the users' advisory lock (the second is the schema's hash, so stores in other schemas do not wait): Reprise's own space. */
const USERS_LOCK = 0x52505553;

export interface PostgresConnection {
  /** The store's kysely instance (throws before init or after close). */
  db(): Db;
  /** Runs `fn` in a transaction, again when it lost to a concurrent one. */
  write<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** The PostgreSQL schema the tables live in. */
  readonly schema: string;
}

/** The grants of the user a column names, as a JSON list of rows (empty when none). */
function grantsOf(user: ReturnType<typeof sql.ref>) {
  return sql`coalesce((select json_agg(row_to_json(g) order by g.project) from project_grants g where g.user_name = ${user}), '[]'::json)`;
}

export class PostgresAccessStore implements AccessStore {
  readonly #c: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#c = connection;
  }

  async #audit(tx: Db, e: AuditEntry): Promise<void> {
    await tx.insertInto('audit_log').values({ at: e.at, by: e.by, action: e.action, target: e.target, details: JSON.stringify(e.details) }).execute();
  }

  async #userExists(tx: Db, name: string): Promise<boolean> {
    return (await tx.selectFrom('users').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;
  }

  async addUser(user: UserRecord, audit: AuditEntry): Promise<void> {
    await this.#c.write(async (tx) => {
      // One statement decides: two servers adding the same name at once get one user and one refusal.
      const added = await tx
        .insertInto('users')
        .values({ name: user.name, role: user.role, disabled: user.disabled, created_at: user.createdAt, created_by: user.createdBy, password_hash: user.passwordHash })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .execute();
      if (added.length === 0) throw userExists(user.name);
      await this.#audit(tx, audit);
    });
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = await this.#c.db().selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? userFromRow(r) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.#c.db().selectFrom('users').selectAll().orderBy('name').execute()).map(userFromRow);
  }

  async updateUser(name: string, change: { role?: Role; disabled?: boolean; passwordHash?: string | null }, audit: AuditEntry): Promise<UserRecord> {
    return this.#c.write(async (tx) => {
      // Held to the end of the transaction; the reads below see every change committed before it.
      await sql`select pg_advisory_xact_lock(${USERS_LOCK}::int4, hashtext(${this.#c.schema}))`.execute(tx);
      const before = await tx.selectFrom('users').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
      if (!before) throw userNotFound(name);
      const { after, losesAdmin } = changedUser(userFromRow(before), change);
      if (losesAdmin && (await admins(tx)) <= 1) throw lastAdmin(name);
      await tx.updateTable('users').set({ role: after.role, disabled: after.disabled, password_hash: after.passwordHash }).where('name', '=', name).execute();
      await this.#audit(tx, audit);
      return after;
    });
  }

  async countAdmins(): Promise<number> {
    return admins(this.#c.db());
  }

  async setGrant(user: string, project: string, role: Role | null, audit: AuditEntry): Promise<void> {
    await this.#c.write(async (tx) => {
      if (!(await this.#userExists(tx, user))) throw userNotFound(user);
      if (role === null) await tx.deleteFrom('project_grants').where('user_name', '=', user).where('project', '=', project).execute();
      else {
        await tx
          .insertInto('project_grants')
          .values({ user_name: user, project, role })
          .onConflict((oc) => oc.columns(['user_name', 'project']).doUpdateSet({ role }))
          .execute();
      }
      await this.#audit(tx, audit);
    });
  }

  async listGrants(user?: string): Promise<ProjectGrant[]> {
    let q = this.#c.db().selectFrom('project_grants').selectAll();
    q = user === undefined ? q.orderBy('user_name').orderBy('project') : q.where('user_name', '=', user).orderBy('project');
    return (await q.execute()).map(grantFromRow);
  }

  async addToken(token: NewToken, audit: AuditEntry | null): Promise<void> {
    const r = tokenRow(token);
    await this.#c.write(async (tx) => {
      if (r.user_name !== null && !(await this.#userExists(tx, r.user_name))) throw userNotFound(r.user_name);
      await tx
        .insertInto('api_tokens')
        .values({
          id: r.id,
          digest: r.digest,
          user_name: r.user_name,
          kind: r.kind,
          run_id: r.run_id,
          description: r.description,
          created_at: token.createdAt,
          created_by: r.created_by,
          expires_at: token.expiresAt,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
      if (audit) await this.#audit(tx, audit);
    });
  }

  async userWithGrants(name: string): Promise<{ user: UserRecord; grants: ProjectGrant[] } | undefined> {
    const r = (
      await sql<{ user: UserRow; grants: GrantRow[] }>`
        select row_to_json(u) as "user", ${grantsOf(sql.ref('u.name'))} as grants
        from users u where u.name = ${name}`.execute(this.#c.db())
    ).rows[0];
    return r ? { user: userFromRow(r.user), grants: r.grants.map(grantFromRow) } : undefined;
  }

  async tokenHolder(digest: string): Promise<{ token: TokenRecord; user: UserRecord | undefined; grants: ProjectGrant[] } | undefined> {
    // One round trip: every request with a token makes it.
    const r = (
      await sql<{ token: TokenRow; user: UserRow | null; grants: GrantRow[] }>`
        select row_to_json(t) as token, row_to_json(u) as "user", ${grantsOf(sql.ref('t.user_name'))} as grants
        from api_tokens t left join users u on u.name = t.user_name
        where t.digest = ${digest}`.execute(this.#c.db())
    ).rows[0];
    return r ? { token: tokenFromRow(r.token), user: r.user ? userFromRow(r.user) : undefined, grants: r.grants.map(grantFromRow) } : undefined;
  }

  async tokenByDigest(digest: string): Promise<TokenRecord | undefined> {
    const r = await this.#c.db().selectFrom('api_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
    return r ? tokenFromRow(r) : undefined;
  }

  async tokenById(id: string): Promise<TokenRecord | undefined> {
    const r = await this.#c.db().selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? tokenFromRow(r) : undefined;
  }

  async listTokens(query: { user?: string; includeRevoked?: boolean }): Promise<TokenRecord[]> {
    let q = this.#c.db().selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (query.user !== undefined) q = q.where('user_name', '=', query.user);
    if (!query.includeRevoked) q = q.where('revoked_at', 'is', null);
    return (await q.execute()).map(tokenFromRow);
  }

  async revokeTokens(ids: readonly string[], at: number, audit: AuditEntry): Promise<TokenRecord[]> {
    if (ids.length === 0) return [];
    return this.#c.write(async (tx) => {
      const rows = await tx
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', sql<string>`any(${[...ids]}::text[])`)
        .where('revoked_at', 'is', null)
        .returningAll()
        .execute();
      if (rows.length === 0) return [];
      await this.#audit(tx, audit);
      // In the order asked for, as the caller named them.
      const byId = new Map(rows.map((r) => [r.id, tokenFromRow(r)]));
      return ids.flatMap((id) => {
        const t = byId.get(id);
        byId.delete(id);
        return t ? [t] : [];
      });
    });
  }

  async revokeRunTokens(runId: string, at: number): Promise<number> {
    return this.#c.write(async (tx) => {
      const res = await tx
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('run_id', '=', runId)
        .where('kind', '=', 'run')
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    });
  }

  async touchToken(id: string, at: number): Promise<void> {
    await this.#c.db().updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async addSession(digest: string, s: SessionRecord): Promise<void> {
    await this.#c.db().insertInto('web_sessions').values({ digest, user_name: s.user, csrf: s.csrf, created_at: s.createdAt, expires_at: s.expiresAt }).execute();
  }

  async getSession(digest: string): Promise<SessionRecord | undefined> {
    const r = await this.#c.db().selectFrom('web_sessions').selectAll().where('digest', '=', digest).executeTakeFirst();
    return r ? sessionFromRow(r) : undefined;
  }

  async deleteSession(digest: string): Promise<void> {
    await this.#c.db().deleteFrom('web_sessions').where('digest', '=', digest).execute();
  }

  async deleteSessionsOf(user: string): Promise<number> {
    return Number((await this.#c.db().deleteFrom('web_sessions').where('user_name', '=', user).executeTakeFirst()).numDeletedRows);
  }

  async pruneSessions(now: number): Promise<number> {
    return Number((await this.#c.db().deleteFrom('web_sessions').where('expires_at', '<', now).executeTakeFirst()).numDeletedRows);
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.#audit(this.#c.db(), entry);
  }

  async auditLog(query: { limit: number; before?: number; by?: string; action?: string }): Promise<AuditEntry[]> {
    let q = this.#c.db().selectFrom('audit_log').select(['at', 'by', 'action', 'target', 'details']).orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit);
    if (query.before !== undefined) q = q.where('at', '<', query.before);
    if (query.by !== undefined) q = q.where('by', '=', query.by);
    const action = query.action;
    // An action or its family: `token` matches `token.create` and `token.revoke`, not `tokens.other`.
    if (action !== undefined) q = q.where((eb) => eb.or([eb('action', '=', action), sql<boolean>`left(action, length(${action}::text) + 1) = ${action}::text || '.'`]));
    return (await q.execute()).map(auditFromRow);
  }
}

/** How many enabled admins there are. */
async function admins(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
