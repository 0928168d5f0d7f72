/**
 * @module services/data-service
 * `reprise data`: appending files to the lake's tables, queries as of a time (looked at,
 * or written to a file), the tables, a table's history with the runs that read it, and
 * the check of every file against its hash. The same for the CLI, the API and the UI.
 */
import { LAKE_SOURCE } from '../core/data-query.js';
import { checkTableName, foldTable, parseAsOf, type DataFormat, type LakeCommit, type LakeTable } from '../core/lake.js';
import type { CheckedQuery, DataPreview, Lake, LakeProblem, MaterializedData } from '../ports/data-source.js';
import type { DataRead, MetadataStore } from '../ports/metadata-store.js';

export interface TableHistory {
  readonly table: LakeTable;
  readonly commits: LakeCommit[];
  /** The runs that read the table, newest first. */
  readonly reads: DataRead[];
}

export interface DataQueryRequest {
  readonly sql: string;
  /** As typed (ISO time, `now`) or UTC ms; now when absent. */
  readonly asOf?: string | number;
}

/** Rows shown at most by a query that is looked at rather than written to a file. */
export const PREVIEW_LIMIT_MAX = 10_000;

export class DataService {
  constructor(private readonly d: { readonly lake: Lake; readonly store: MetadataStore }) {}

  append(table: string, file: string, opts: { format?: DataFormat; schemaEvolve?: boolean; by: string; sourceName?: string }): Promise<LakeCommit> {
    return this.d.lake.append(checkTableName(table), file, opts);
  }

  tables(): Promise<LakeTable[]> {
    return this.d.lake.tables();
  }

  async history(table: string): Promise<TableHistory> {
    const commits = await this.d.lake.history(checkTableName(table));
    const reads = await this.d.store.listDataReads({ source: LAKE_SOURCE, table });
    return { table: foldTable(table, commits), commits, reads };
  }

  /** The time a request asks for, checked: UTC ms, never in the future. */
  asOf(asOf: string | number | undefined, now = Date.now()): number {
    if (asOf === undefined) return now;
    return parseAsOf(typeof asOf === 'number' ? new Date(asOf).toISOString() : asOf, now);
  }

  /** A query checked without running it, as a run's pinned query is: the tables it reads. */
  check(sql: string, asOf: number): Promise<CheckedQuery> {
    return this.d.lake.check({ sql, asOf });
  }

  async preview(req: DataQueryRequest, limit: number): Promise<DataPreview & { asOf: number }> {
    const asOf = this.asOf(req.asOf);
    return { ...(await this.d.lake.preview({ sql: req.sql, asOf }, Math.min(limit, PREVIEW_LIMIT_MAX))), asOf };
  }

  async export(req: DataQueryRequest, format: DataFormat, dest: string): Promise<MaterializedData & { asOf: number }> {
    const asOf = this.asOf(req.asOf);
    return { ...(await this.d.lake.materialize({ sql: req.sql, asOf }, format, dest)), asOf };
  }

  verify(table?: string): Promise<LakeProblem[]> {
    return this.d.lake.verify(table === undefined ? undefined : checkTableName(table));
  }
}
