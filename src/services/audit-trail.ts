/**
 * @module services/audit-trail
 * The audit log as admins read it: the entries of users, tokens, grants, deletions and gc
 * (the access store's) and the model store's promotions and alias moves, which it writes
 * in the same transaction as the change itself, merged newest first.
 */
import type { AuditEntry } from '../core/access.js';
import type { ModelAuditEntry } from '../core/model-store.js';
import type { AccessService } from './access-service.js';
import type { ModelService } from './model-service.js';

/** Writes an entry of the audit log: what services that delete or collect are given. */
export type RecordAudit = (by: string, action: string, target: string, details?: Record<string, unknown>) => Promise<void>;

export interface AuditQuery {
  readonly limit: number;
  /** Entries strictly older than this time (ms): the next page starts at the last entry's `at`. */
  readonly before?: number;
  readonly by?: string;
  /** An action (`token.create`) or its family (`token`, `model`). */
  readonly action?: string;
}

/** A model store entry in the log's shape: `model.promote`, `model.alias`, `model.unalias`, `model.delete`. */
export function modelAuditEntry(e: ModelAuditEntry): AuditEntry {
  return {
    at: e.at,
    by: e.by,
    action: `model.${e.action}`,
    target: e.model,
    details: {
      ...(e.alias ? { alias: e.alias } : {}),
      ...(e.fromVersion !== null ? { fromVersion: e.fromVersion } : {}),
      toVersion: e.toVersion,
      ...(e.runId !== null ? { run: e.runId } : {}),
      ...(e.note !== null ? { note: e.note } : {}),
    },
  };
}

function matches(e: AuditEntry, q: AuditQuery): boolean {
  if (q.before !== undefined && e.at >= q.before) return false;
  if (q.by !== undefined && e.by !== q.by) return false;
  if (q.action !== undefined && e.action !== q.action && !e.action.startsWith(`${q.action}.`)) return false;
  return true;
}

export class AuditTrail {
  constructor(private readonly d: { readonly access: AccessService; readonly models: ModelService }) {}

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const wantsModels = q.action === undefined || q.action === 'model' || q.action.startsWith('model.');
    const [own, models] = await Promise.all([
      q.action !== undefined && q.action.startsWith('model') ? Promise.resolve([]) : this.d.access.auditLog(q),
      // The model store filters by model only: read enough to fill a page after filtering here.
      wantsModels ? this.d.models.audit(undefined, Math.min(10_000, q.limit * 4 + 200)) : Promise.resolve([]),
    ]);
    return [...own, ...models.map(modelAuditEntry).filter((e) => matches(e, q))].sort((a, b) => b.at - a.at).slice(0, q.limit);
  }
}
