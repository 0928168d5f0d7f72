/**
 * @module ports/access-store
 * Users, their per-project grants, API tokens, web sessions and the audit log: what the
 * server needs to know who asks and what they may do. Kept in the same database as the
 * runs (SQLite or PostgreSQL), so several servers sharing one database agree at once on
 * a revoked token or a disabled user. Secrets are stored only as hashes; the store never
 * sees a token, a session key or a password in clear.
 */
import type { AuditEntry, ProjectGrant, Role, SessionRecord, TokenRecord, UserRecord } from '../core/access.js';

export interface NewToken extends Omit<TokenRecord, 'revokedAt' | 'lastUsedAt'> {
  /** The SHA-256 of the token's text. */
  readonly digest: string;
}

export interface AccessStore {
  /** Adds a user; REPRISE_ERR_USER_EXISTS when the name is taken. Audited in the same transaction. */
  addUser(user: UserRecord, audit: AuditEntry): Promise<void>;
  getUser(name: string): Promise<UserRecord | undefined>;
  /** Every user, by name. */
  listUsers(): Promise<UserRecord[]>;
  /**
   * Changes a user's role, disabled flag or password hash; REPRISE_ERR_USER_NOT_FOUND for
   * an unknown one. A change that would leave no enabled admin is refused
   * (REPRISE_ERR_LAST_ADMIN), checked in the same transaction. Audited there too.
   */
  updateUser(name: string, change: { role?: Role; disabled?: boolean; passwordHash?: string | null }, audit: AuditEntry): Promise<UserRecord>;
  /** How many enabled admins there are. */
  countAdmins(): Promise<number>;

  /** Gives a user a role in a project (replacing one given before), or with null takes it away. Audited. */
  setGrant(user: string, project: string, role: Role | null, audit: AuditEntry): Promise<void>;
  /** A user's grants, or everyone's. */
  listGrants(user?: string): Promise<ProjectGrant[]>;

  /** Stores a token by its digest. Audited in the same transaction. */
  addToken(token: NewToken, audit: AuditEntry | null): Promise<void>;
  /** A user with its grants, in one read (what a request signed in by session or password needs). */
  userWithGrants(name: string): Promise<{ user: UserRecord; grants: ProjectGrant[] } | undefined>;
  /**
   * The token whose text has this digest (revoked and expired ones included), the user it
   * acts as and that user's grants, in one read: what every request with a token needs.
   */
  tokenHolder(digest: string): Promise<{ token: TokenRecord; user: UserRecord | undefined; grants: ProjectGrant[] } | undefined>;
  /** The token whose text has this digest, revoked and expired ones included. */
  tokenByDigest(digest: string): Promise<TokenRecord | undefined>;
  tokenById(id: string): Promise<TokenRecord | undefined>;
  /** A user's tokens (all with no user), newest first; run tokens the server made have no user. */
  listTokens(query: { user?: string; includeRevoked?: boolean }): Promise<TokenRecord[]>;
  /** Revokes tokens by id (already revoked ones are left); returns those revoked now. Audited when any is. */
  revokeTokens(ids: readonly string[], at: number, audit: AuditEntry): Promise<TokenRecord[]>;
  /** Revokes the run tokens of a run (the run ended); how many. Not audited: the server's own housekeeping. */
  revokeRunTokens(runId: string, at: number): Promise<number>;
  /** Notes a token's use (callers call it at most once a minute per token). */
  touchToken(id: string, at: number): Promise<void>;

  /** Stores a session under the digest of its cookie's key. */
  addSession(digest: string, session: SessionRecord): Promise<void>;
  getSession(digest: string): Promise<SessionRecord | undefined>;
  deleteSession(digest: string): Promise<void>;
  /** Ends every session of a user (disabled, or given a new password); how many. */
  deleteSessionsOf(user: string): Promise<number>;
  /** Removes sessions that expired before `now`. */
  pruneSessions(now: number): Promise<number>;

  /** Writes an entry of the audit log (gc, deletions: what is not written with a change of this store). */
  audit(entry: AuditEntry): Promise<void>;
  /** The audit log, newest first: up to `limit` entries before `before` (a time), of one user or action prefix when asked. */
  auditLog(query: { limit: number; before?: number; by?: string; action?: string }): Promise<AuditEntry[]>;
}
