/**
 * @module adapters/metadata-store/sql-model-rows
 * The model store's records as rows of the SQL stores and back, and the retention marks
 * a promotion sets, written once for SQLite and PostgreSQL (their tables are the same).
 * As in `sql-rows.ts`, a column whose type differs between them is taken or given in a
 * portable form and the store converts it: JSON written as text, read back parsed; a
 * boolean written as the store keeps it, read back as a boolean.
 */
import type { ModelAuditEntry, ModelFile, ModelLineage, ModelVersion, RegisteredModel } from '../../core/model-store.js';
import type { RetentionMark, RetentionState } from '../../core/retention.js';
import type { NewModelVersion } from '../../ports/metadata-store.js';

/** The rows of `model_aliases` read beside versions or models. */
export interface AliasRow {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
}

/** What a promotion's version and audit entry note: a forced one says so before its reason. */
export function promotionNote(v: NewModelVersion): string | null {
  return v.forced ? `forced past the gates: ${v.note ?? ''}` : v.note;
}

/** A version's row as a promotion writes it: its files, lineage and tags as JSON. */
export function versionRow(v: NewModelVersion, version: number, runId: string, folder: string, files: readonly ModelFile[], lineage: ModelLineage) {
  return {
    model: v.model,
    version,
    run_id: runId,
    created_at: v.at,
    created_by: v.by,
    note: promotionNote(v),
    files: JSON.stringify(files),
    bytes: files.reduce((n, f) => n + f.size, 0),
    lineage: JSON.stringify(lineage),
    description: v.description ?? null,
    tags: JSON.stringify(v.tags ?? {}),
    path: folder.replace(/\/+$/, ''),
  };
}

/** A version's row joined to its run (name, project), with the JSON columns read. */
export interface VersionColumns {
  model: string;
  version: number;
  run_id: string;
  run_name: string;
  run_project: string;
  created_at: number;
  created_by: string;
  note: string | null;
  description: string | null;
  path: string;
  bytes: number;
}

/** The version of a row; `aliases` may hold other versions' too (those of its model that point at it are kept). */
export function versionFromRow(
  r: VersionColumns,
  aliases: readonly AliasRow[],
  json: { readonly files: ModelFile[]; readonly lineage: ModelLineage; readonly tags: Record<string, string> },
): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    runId: r.run_id,
    runName: r.run_name,
    project: r.run_project,
    createdAt: r.created_at,
    createdBy: r.created_by,
    note: r.note,
    description: r.description,
    tags: json.tags,
    path: r.path,
    files: json.files,
    bytes: r.bytes,
    aliases: aliases.filter((a) => a.model === r.model && a.version === r.version).map((a) => a.alias),
    lineage: json.lineage,
  };
}

/** A registered model from its row and version counts; `aliases` may hold other models' too. */
export function registeredModelFromRow(
  r: { name: string; created_at: number; updated_at: number; description: string | null; versions: number | string | bigint; latest: number | null },
  tags: Record<string, string>,
  aliases: readonly AliasRow[],
): RegisteredModel {
  return {
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    description: r.description,
    tags,
    versions: Number(r.versions),
    latestVersion: r.latest ?? 0,
    aliases: Object.fromEntries(aliases.filter((a) => a.model === r.name).map((a) => [a.alias, a.version])),
  };
}

export function auditRow(e: Omit<ModelAuditEntry, 'id'>) {
  return { at: e.at, by: e.by, action: e.action, model: e.model, alias: e.alias, from_version: e.fromVersion, to_version: e.toVersion, run_id: e.runId, note: e.note };
}

export function auditFromRow(r: { id: number; at: number; by: string; action: string; model: string; alias: string; from_version: number | null; to_version: number; run_id: string | null; note: string | null }): ModelAuditEntry {
  return {
    id: r.id,
    at: r.at,
    by: r.by,
    action: r.action as ModelAuditEntry['action'],
    model: r.model,
    alias: r.alias,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    runId: r.run_id,
    note: r.note,
  };
}

/** The mark a promotion puts on its run: pinned, its artifacts never collected. */
export function promotionPin(v: NewModelVersion, version: number): RetentionMark {
  return { state: 'pinned', until: null, reason: `promoted as ${v.model} v${version}`, manual: false, by: v.by, at: v.at };
}

/** A retention mark's row; `Flag` is how the store keeps `manual`. */
export function retentionRow<Flag>(runId: string, m: RetentionMark, manual: Flag) {
  return { run_id: runId, state: m.state, until: m.until, reason: m.reason, manual, by: m.by, at: m.at };
}

export function retentionFromRow(r: { state: string; until: number | null; reason: string; by: string | null; at: number }, manual: boolean): RetentionMark {
  return { state: r.state as RetentionState, until: r.until, reason: r.reason, manual, by: r.by, at: r.at };
}
