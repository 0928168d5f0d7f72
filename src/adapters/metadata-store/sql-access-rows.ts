/**
 * @module adapters/metadata-store/sql-access-rows
 * Users, grants, tokens, sessions and audit entries as rows of the tables both SQL stores
 * share (SQLite's and PostgreSQL's columns are the same), and back; the errors both raise.
 */
import type { AuditEntry, ProjectGrant, Role, SessionRecord, TokenKind, TokenRecord, UserRecord } from '../../core/access.js';
import { RepriseError } from '../../core/errors.js';
import type { NewToken } from '../../ports/access-store.js';

export interface UserRow {
  name: string;
  role: string;
  disabled: number | boolean;
  created_at: number | string;
  created_by: string;
  password_hash: string | null;
}

export interface GrantRow {
  user_name: string;
  project: string;
  role: string;
}

export interface TokenRow {
  id: string;
  digest: string;
  user_name: string | null;
  kind: string;
  run_id: string | null;
  description: string | null;
  created_at: number | string;
  created_by: string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  last_used_at: number | string | null;
}

export interface SessionRow {
  digest: string;
  user_name: string;
  csrf: string;
  created_at: number | string;
  expires_at: number | string;
}

export interface AuditRow {
  at: number | string;
  by: string;
  action: string;
  target: string;
  /** JSON text in SQLite; an object from PostgreSQL's jsonb. */
  details: string | Record<string, unknown>;
}

const num = (v: number | string): number => Number(v);
const maybeNum = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function userFromRow(r: UserRow): UserRecord {
  return { name: r.name, role: r.role as Role, disabled: r.disabled === true || r.disabled === 1, createdAt: num(r.created_at), createdBy: r.created_by, passwordHash: r.password_hash };
}

export function grantFromRow(r: GrantRow): ProjectGrant {
  return { user: r.user_name, project: r.project, role: r.role as Role };
}

export function tokenFromRow(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    user: r.user_name,
    kind: r.kind as TokenKind,
    runId: r.run_id,
    description: r.description,
    createdAt: num(r.created_at),
    createdBy: r.created_by,
    expiresAt: maybeNum(r.expires_at),
    revokedAt: maybeNum(r.revoked_at),
    lastUsedAt: maybeNum(r.last_used_at),
  };
}

export function tokenRow(t: NewToken): TokenRow {
  return {
    id: t.id,
    digest: t.digest,
    user_name: t.user,
    kind: t.kind,
    run_id: t.runId,
    description: t.description,
    created_at: t.createdAt,
    created_by: t.createdBy,
    expires_at: t.expiresAt,
    revoked_at: null,
    last_used_at: null,
  };
}

export function sessionFromRow(r: SessionRow): SessionRecord {
  return { user: r.user_name, csrf: r.csrf, createdAt: num(r.created_at), expiresAt: num(r.expires_at) };
}

export function auditFromRow(r: AuditRow): AuditEntry {
  return { at: num(r.at), by: r.by, action: r.action, target: r.target, details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : r.details };
}

/** A user after a change, and whether the change takes away an enabled admin (then the store counts the admins left). */
export function changedUser(was: UserRecord, change: { role?: Role; disabled?: boolean; passwordHash?: string | null }): { after: UserRecord; losesAdmin: boolean } {
  const after: UserRecord = {
    ...was,
    ...(change.role !== undefined ? { role: change.role } : {}),
    ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
    ...(change.passwordHash !== undefined ? { passwordHash: change.passwordHash } : {}),
  };
  const admin = (u: UserRecord): boolean => u.role === 'admin' && !u.disabled;
  return { after, losesAdmin: admin(was) && !admin(after) };
}

export function userExists(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_USER_EXISTS', `a user named ${name} exists already`, { hint: `change its role with: reprise users role ${name} ROLE`, details: { user: name } });
}

export function userNotFound(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_USER_NOT_FOUND', `no user is named ${name}`, { hint: 'list them with: reprise users ls', details: { user: name } });
}

export function lastAdmin(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_LAST_ADMIN', `${name} is the last enabled admin: the server would have nobody to manage users`, {
    hint: 'make another user admin first: reprise users role OTHER admin',
    details: { user: name },
  });
}
