/**
 * @module adapters/metadata-store/sqlite/sqlite-rows
 * Records as SQLite rows and back: the mapping both stores share (`../sql-rows.ts`,
 * `../sql-model-rows.ts`) with SQLite's own column types converted, booleans as 0/1 and
 * JSON as text. A search page reads runs as arrays of their columns (quicker than
 * objects), so a run's row is also read from an array here.
 */
import type { LoggedModelRecord } from '../../../core/client-records.js';
import type { ModelFile, ModelLineage, ModelVersion } from '../../../core/model-store.js';
import type { ProjectRecord } from '../../../core/project-record.js';
import type { RetentionMark } from '../../../core/retention.js';
import type { RunRecord } from '../../../core/run.js';
import type { RunManifest } from '../../../core/run-manifest.js';
import * as modelRows from '../sql-model-rows.js';
import * as rows from '../sql-rows.js';
import type { LoggedModelsTable, ProjectsTable, RunRetentionTable, RunsTable } from './sqlite-schema.js';

export type RecordRow = Pick<RunsTable, (typeof rows.RECORD_COLUMNS)[number]>;
/** The same columns as an array, in RECORD_COLUMNS' order. */
export type RecordArray = [string, string, string, string, number, number, number | null, number | null, string, number, string, number, string | null, number | null, string];

export function recordRowOf(r: RecordArray): RecordRow {
  const [id, name, project, status, dev, created_at, started_at, ended_at, host, pid, pid_start, heartbeat_at, env_hash, deleted_at, manifest] = r;
  return { id, name, project, status, dev, created_at, started_at, ended_at, host, pid, pid_start, heartbeat_at, env_hash, deleted_at, manifest };
}

export function toRow(run: RunRecord): RunsTable {
  return rows.runRow(run, run.dev ? 1 : 0);
}

export function fromRow(row: RecordRow): RunRecord {
  return rows.runFromRow(row, row.dev === 1, JSON.parse(row.manifest) as RunManifest);
}

export function projectFromRow(r: Omit<ProjectsTable, 'id' | 'tags' | 'register_from'> & { id: number; tags: string; register_from: string }): ProjectRecord {
  return rows.projectFromRow(r, JSON.parse(r.tags) as Record<string, string>);
}

export function loggedModelFromRow(r: LoggedModelsTable): LoggedModelRecord {
  return rows.loggedModelFromRow(r, JSON.parse(r.params) as Record<string, string>, JSON.parse(r.tags) as Record<string, string>);
}

export function versionFromRow(r: modelRows.VersionColumns & { files: string; lineage: string; tags: string }, aliases: readonly modelRows.AliasRow[]): ModelVersion {
  return modelRows.versionFromRow(r, aliases, {
    files: JSON.parse(r.files) as ModelFile[],
    lineage: JSON.parse(r.lineage) as ModelLineage,
    tags: JSON.parse(r.tags) as Record<string, string>,
  });
}

export function retentionRow(runId: string, m: RetentionMark): RunRetentionTable {
  return modelRows.retentionRow(runId, m, m.manual ? 1 : 0);
}

export function retentionFromRow(r: RunRetentionTable): RetentionMark {
  return modelRows.retentionFromRow(r, r.manual === 1);
}
