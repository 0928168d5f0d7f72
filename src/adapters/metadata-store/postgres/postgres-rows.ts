/**
 * @module adapters/metadata-store/postgres/postgres-rows
 * Records as PostgreSQL rows and back: the mapping both stores share (`../sql-rows.ts`,
 * `../sql-model-rows.ts`) with PostgreSQL's own column types passed through, booleans
 * as booleans and jsonb read back as objects (written as JSON text, as SQLite's).
 */
import type { Insertable, Selectable } from 'kysely';
import type { LoggedModelRecord } from '../../../core/client-records.js';
import type { ModelFile, ModelLineage, ModelVersion } from '../../../core/model-store.js';
import type { ProjectRecord } from '../../../core/project-record.js';
import type { RetentionMark } from '../../../core/retention.js';
import type { RunRecord } from '../../../core/run.js';
import * as modelRows from '../sql-model-rows.js';
import * as rows from '../sql-rows.js';
import type { LoggedModelsTable, ModelVersionsTable, ProjectsTable, RunRetentionTable, RunsTable } from './postgres-schema.js';

export type RecordRow = Pick<Selectable<RunsTable>, (typeof rows.RECORD_COLUMNS)[number]>;

export function toRow(run: RunRecord): Insertable<RunsTable> {
  return rows.runRow(run, run.dev);
}

export function fromRow(row: RecordRow): RunRecord {
  return rows.runFromRow(row, row.dev, row.manifest);
}

export function projectFromRow(r: Selectable<ProjectsTable>): ProjectRecord {
  return rows.projectFromRow(r, r.tags);
}

export function loggedModelFromRow(r: Selectable<LoggedModelsTable>): LoggedModelRecord {
  return rows.loggedModelFromRow(r, r.params, r.tags);
}

export function retentionRow(runId: string, m: RetentionMark): Insertable<RunRetentionTable> {
  return modelRows.retentionRow(runId, m, m.manual);
}

export function retentionFromRow(r: Selectable<RunRetentionTable>): RetentionMark {
  return modelRows.retentionFromRow(r, r.manual);
}

export type VersionRow = Selectable<ModelVersionsTable> & { run_name: string; run_project: string };

export function versionFromRow(r: VersionRow, aliases: readonly modelRows.AliasRow[]): ModelVersion {
  return modelRows.versionFromRow(r, aliases, { files: r.files as ModelFile[], lineage: r.lineage as ModelLineage, tags: r.tags });
}
