/**
 * @module ports/data-source
 * Where a run's data comes from: a source answers a read-only SQL query as of a time,
 * reading only the rows that had arrived by then, so the same query as of the same time
 * gives the same rows forever. `Lake` is the source Reprise keeps itself (append-only
 * tables of immutable Parquet files with a commit log). Adapters: the DuckDB lake (a
 * folder), the lake of a server (HTTP), PostgreSQL tables with an ingestion-time column.
 * Every adapter passes `data-source.contract.ts`; lakes also pass its lake cases.
 */
import type { DataColumn, DataFormat, LakeCommit, LakeTable } from '../core/lake.js';

export interface DataQuery {
  readonly sql: string;
  /** UTC ms, not in the future: rows that arrived after it are not read. */
  readonly asOf: number;
}

/** A query checked without reading its rows. */
export interface CheckedQuery {
  /** The tables it reads, lower-cased. */
  readonly tables: string[];
}

/** A query's result written to a file. */
export interface MaterializedData {
  readonly rows: number;
  readonly schema: DataColumn[];
  /** sha256 over the schema and the rows as a multiset (see core/run-manifest's data entry). */
  readonly contentHash: string;
  readonly tables: string[];
  readonly bytes: number;
}

export interface DataPreview {
  readonly schema: DataColumn[];
  /** Values as JSON: big integers and decimals as strings, times as ISO-like text, NaN as "NaN". */
  readonly rows: unknown[][];
  /** More rows were there than the limit. */
  readonly truncated: boolean;
}

export interface DataSource {
  /**
   * Refuses what is not a single read (REPRISE_ERR_DATA_QUERY_REFUSED), SQL the engine
   * cannot parse or bind (..._QUERY_INVALID), a table absent as of the time
   * (..._TABLE_NOT_FOUND); names the tables it reads.
   */
  check(query: DataQuery): Promise<CheckedQuery>;

  /** Runs the query into `dest` (created or replaced whole) in the format asked for. */
  materialize(query: DataQuery, format: DataFormat, dest: string): Promise<MaterializedData>;

  /** The first `limit` rows, for looking at. */
  preview(query: DataQuery, limit: number): Promise<DataPreview>;

  close(): Promise<void>;
}

export interface AppendOptions {
  /** The file's format; by default from its name. */
  readonly format?: DataFormat;
  /** Accept columns added to or missing from the table's schema (never a changed type). */
  readonly schemaEvolve?: boolean;
  /** Who appends, as the commit log names people. */
  readonly by: string;
  /** The name the rows are recorded as coming from; by default the file's base name. */
  readonly sourceName?: string;
}

/** A lake file whose bytes or presence no longer match its commit. */
export interface LakeProblem {
  readonly table: string;
  readonly commit: string;
  readonly file: string;
  readonly problem: 'missing' | 'changed';
}

export interface Lake extends DataSource {
  /**
   * Commits a file's rows as a new immutable Parquet file of the table (created by its
   * first append). All or nothing: a refused or failed append leaves no trace in queries.
   */
  append(table: string, file: string, opts: AppendOptions): Promise<LakeCommit>;

  tables(): Promise<LakeTable[]>;

  /** A table's commits, oldest first; REPRISE_ERR_DATA_TABLE_NOT_FOUND when it has none. */
  history(table: string): Promise<LakeCommit[]>;

  /** Reads every file (of one table, or all) and reports those that differ from their commits. */
  verify(table?: string): Promise<LakeProblem[]>;
}

/** One column of a data file read back whole: numbers as float64 (NULL as NaN), anything else as text (NULL as null). */
export interface FileColumn {
  readonly name: string;
  readonly values: Float64Array | (string | null)[];
}

/** A data snapshot (a file a query wrote) read back as columns, for profiling it. */
export interface SnapshotReader {
  columns(file: string, format: DataFormat): Promise<FileColumn[]>;
}
