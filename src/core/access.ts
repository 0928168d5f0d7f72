/**
 * @module core/access
 * Who may do what: the four roles, the actions the API's routes are grouped into, which
 * role may take which action, and a user's role in a project (a grant for that project,
 * else the role the user has on the server). The records of users, grants, tokens and
 * sessions, and the rules on their names and on the token's text, live here too.
 */
import { RepriseError } from './errors.js';

export const ROLES = ['admin', 'member', 'observer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a request does, as far as permission goes. Every route of the native and MLflow
 * APIs declares one of these.
 */
export const ACTIONS = ['read', 'run', 'promote', 'curate', 'alerts', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

/** What each action covers, in the words the docs and `reprise users` use. */
export const ACTION_MEANING: Readonly<Record<Action, string>> = {
  read: 'see runs, projects, models, dashboards, logs and artifacts; ask served models for predictions and send their feedback',
  run: 'start, submit, log to, reproduce, cancel, tag and delete runs; upload artifacts; append data; serve as a worker',
  promote: 'promote runs that passed their gates; register versions; move and remove aliases; describe and tag versions',
  curate: 'keep and flag runs',
  alerts: 'acknowledge alerts of production models',
  admin: "users, roles and tokens; projects and repository links; gc; promotion past failed gates; the audit log; models' monitoring settings and webhooks",
};

/** The table of the design: an admin may do everything, a viewer only read. */
export const ROLE_ACTIONS: Readonly<Record<Role, readonly Action[]>> = {
  admin: ACTIONS,
  member: ['read', 'run', 'promote'],
  observer: ['read', 'curate', 'alerts'],
  viewer: ['read'],
};

export function roleAllows(role: Role, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** A role as typed (`--role`), refused naming the field and the roles there are. */
export function parseRole(text: string, field = '--role'): Role {
  const t = text.trim().toLowerCase();
  if (isRole(t)) return t;
  throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field} ${JSON.stringify(text)}: expected one of ${ROLES.join(', ')}`, { details: { field } });
}

export interface UserRecord {
  readonly name: string;
  /** The role on the whole server; a grant can give another in one project. */
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly createdBy: string;
  /** The scrypt hash (`platform/secret-hash.ts`); null: the user signs in with tokens only. */
  readonly passwordHash: string | null;
}

/** A user's role in one project, in place of the server role there. */
export interface ProjectGrant {
  readonly user: string;
  readonly project: string;
  readonly role: Role;
}

/** `user`: acts as its user. `run`: acts for one run only (agents, cluster jobs), writing nothing else. */
export type TokenKind = 'user' | 'run';

export interface TokenRecord {
  /** Shown by `tokens ls`, accepted by `tokens revoke`; not the secret. */
  readonly id: string;
  /** The user it acts as; null for a run token the server made for its own cluster job. */
  readonly user: string | null;
  readonly kind: TokenKind;
  readonly runId: string | null;
  readonly description: string | null;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

/** A web session: the cookie holds a secret whose hash is the key. */
export interface SessionRecord {
  readonly user: string;
  /** Sent back by the UI on every state-changing request (CSRF). */
  readonly csrf: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** An entry of the audit log: who, when, what (an action such as `token.create`), on what. */
export interface AuditEntry {
  readonly at: number;
  readonly by: string;
  readonly action: string;
  readonly target: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Who a request is: a user (through a password, a session or a token), possibly held to one run. */
export interface Principal {
  /** For audit logs and `by` fields; a run token the server made is `run:<id>`. */
  readonly name: string;
  readonly role: Role;
  /** The grants of the user, project → role. */
  readonly grants: Readonly<Record<string, Role>>;
  /** A run token: every write must be to this run. */
  readonly runId: string | null;
  readonly via: 'token' | 'session' | 'password';
}

/** The role a principal has in a project: the grant there, else the server role. */
export function roleIn(p: Principal, project: string | undefined): Role {
  return (project !== undefined ? p.grants[project] : undefined) ?? p.role;
}

/**
 * Whether a principal may take an action, in a project when the request names one. A
 * grant counts only where the request is about that project; elsewhere the server role.
 */
export function mayDo(p: Principal, action: Action, projects: readonly string[] = []): boolean {
  if (projects.length === 0) return roleAllows(p.role, action);
  return projects.every((project) => roleAllows(roleIn(p, project), action));
}

/** Whether a principal may do an action in some project (what the UI asks to show a button). */
export function mayDoSomewhere(p: Principal, action: Action): boolean {
  return roleAllows(p.role, action) || Object.values(p.grants).some((r) => roleAllows(r, action));
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A user's name: letters, digits and `. _ @ -`, up to 64; `run:` names are the server's own. */
export function checkUserName(name: string, field = 'NAME'): string {
  if (!USER_NAME.test(name)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field} ${JSON.stringify(name)}: a user name is 1 to 64 letters, digits and . _ @ -, starting with a letter or digit`, { details: { field } });
  }
  return name;
}

/** Every token starts so, which lets secret scanners and logs' redaction find them. */
export const TOKEN_PREFIX = 'rpr_';
const TOKEN_TEXT = /^rpr_[A-Za-z0-9_-]{43}$/;

export function looksLikeToken(text: string): boolean {
  return TOKEN_TEXT.test(text);
}

/** Anything in a text that looks like a token, masked: what may be logged of it. */
export function maskTokens(text: string): string {
  return text.replace(/rpr_[A-Za-z0-9_-]{43}/g, 'rpr_…');
}

/** Passwords shorter than this are refused. */
export const MIN_PASSWORD_LENGTH = 8;

export function checkPassword(password: string, field = 'password'): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field}: a password has at least ${MIN_PASSWORD_LENGTH} characters`, { details: { field } });
  }
  if (password.length > 1024) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field}: a password has at most 1024 characters`, { details: { field } });
  return password;
}
