/**
 * The audit log and tokens in words: the families of actions (what the audit page filters
 * by), an entry's details as a phrase where they are simple, the page its target has, and
 * whether a token still works.
 */
import type { AuditLogEntry, TokenRecord } from './api.js';
import { formatBytes, formatDay, plural } from './format.js';

/** The families of actions (`token` for `token.create`), as the filter offers them. */
export const AUDIT_FAMILIES: readonly { family: string; label: string }[] = [
  { family: 'model', label: 'Models: promotions and aliases' },
  { family: 'token', label: 'Tokens' },
  { family: 'user', label: 'Users and roles' },
  { family: 'grant', label: 'Project grants' },
  { family: 'run', label: 'Runs deleted and restored' },
  { family: 'project', label: 'Projects deleted and restored' },
  { family: 'gc', label: 'Garbage collection' },
];

/** `token` for `token.create`, `gc` for `gc`. */
export function auditFamily(action: string): string {
  const dot = action.indexOf('.');
  return dot < 0 ? action : action.slice(0, dot);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A value of the details as it reads in a line: strings as they are, lists joined, the rest as JSON. */
function valueText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join(', ');
  return JSON.stringify(v);
}

/** Every detail as `key: value`, for actions without words of their own. */
function plainDetails(details: Readonly<Record<string, unknown>>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${valueText(v)}`)
    .join('; ');
}

function ids(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join(', ') : valueText(v);
}

/**
 * An entry's details as a phrase: "role viewer", "member → admin", "tk_1a2b (user), no
 * expiry", "v3 as production (was v2)"; the details as `key: value` for anything else.
 */
export function auditDetails(e: Pick<AuditLogEntry, 'action' | 'details'>): string {
  const d = e.details;
  switch (e.action) {
    case 'user.add':
      return str(d.role) ? `role ${str(d.role)}` : plainDetails(d);
    case 'user.role':
      return str(d.from) && str(d.to) ? `${str(d.from)} → ${str(d.to)}` : plainDetails(d);
    case 'user.disable':
    case 'user.enable':
      return plainDetails(d);
    case 'user.password':
      return typeof d.set === 'boolean' ? (d.set ? 'password set' : 'password cleared') : plainDetails(d);
    case 'grant.set':
      return str(d.role) && str(d.project) ? `${str(d.role)} in ${str(d.project)}` : plainDetails(d);
    case 'grant.remove':
      return str(d.project) ? `no longer a grant in ${str(d.project)}` : plainDetails(d);
    case 'token.create': {
      if (!str(d.id)) return plainDetails(d);
      const kind = d.kind === 'run' ? `run token${str(d.run) ? ` for run ${str(d.run)}` : ''}` : 'user token';
      const expires = num(d.expiresAt);
      return `${str(d.id)} (${kind}), ${expires === undefined ? 'no expiry' : `expires ${formatDay(expires)}`}`;
    }
    case 'token.revoke':
      return d.all === true ? `every live token: ${ids(d.ids)}` : Array.isArray(d.ids) ? ids(d.ids) : plainDetails(d);
    case 'model.promote': {
      const to = num(d.toVersion);
      if (to === undefined) return plainDetails(d);
      const parts = [`v${to}`];
      if (str(d.alias)) parts.push(`as ${str(d.alias)}${num(d.fromVersion) !== undefined ? ` (was v${num(d.fromVersion)})` : ''}`);
      if (str(d.run)) parts.push(`from run ${str(d.run)}`);
      return `${parts.join(' ')}${str(d.note) ? `: ${str(d.note)}` : ''}`;
    }
    case 'model.alias': {
      const to = num(d.toVersion);
      if (!str(d.alias) || to === undefined) return plainDetails(d);
      const from = num(d.fromVersion);
      return `${str(d.alias)}: ${from === undefined ? `added at v${to}` : `v${from} → v${to}`}${str(d.note) ? `: ${str(d.note)}` : ''}`;
    }
    case 'run.delete':
    case 'run.restore':
      return str(d.name) && str(d.project) ? `${str(d.name)} in ${str(d.project)}` : plainDetails(d);
    case 'gc': {
      const runs = Array.isArray(d.runs) ? d.runs.length : undefined;
      const blobs = num(d.blobsFreed);
      const bytes = num(d.bytesFreed);
      if (runs === undefined || blobs === undefined || bytes === undefined) return plainDetails(d);
      return `artifacts of ${plural(runs, 'run')}: ${plural(blobs, 'blob')} (${formatBytes(bytes)}) freed`;
    }
    default:
      return plainDetails(d);
  }
}

/** The page an entry's target has in the UI: a run for run.*, a model for model.*; none for the rest. */
export function auditTargetPage(e: Pick<AuditLogEntry, 'action' | 'target'>): { kind: 'run' | 'model'; id: string } | null {
  const family = auditFamily(e.action);
  if (family === 'run') return { kind: 'run', id: e.target };
  if (family === 'model') return { kind: 'model', id: e.target };
  return null;
}

/** A token's state in a word or two: revoked, expired, or until when it works. */
export function tokenState(t: Pick<TokenRecord, 'revokedAt' | 'expiresAt'>, now = Date.now()): { state: 'revoked' | 'expired' | 'active'; text: string } {
  if (t.revokedAt !== null) return { state: 'revoked', text: `revoked ${formatDay(t.revokedAt)}` };
  if (t.expiresAt !== null && t.expiresAt <= now) return { state: 'expired', text: `expired ${formatDay(t.expiresAt)}` };
  return { state: 'active', text: t.expiresAt === null ? 'active, no expiry' : `active until ${formatDay(t.expiresAt)}` };
}
