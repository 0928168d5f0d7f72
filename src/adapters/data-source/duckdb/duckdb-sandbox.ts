/**
 * @module adapters/data-source/duckdb/duckdb-sandbox
 * DuckDB as the data engine, boxed in: each use opens an in-memory database that may
 * read only the folders and files it is given, installs and loads no extensions, and
 * locks its settings, so no SQL it runs can reach other files or the network. Shared by
 * the lake and by the PostgreSQL source (which loads rows into it to write files).
 * What every source does with a result lives here once: the content hash, the files in
 * each format, previews.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { inspectSelect, notASelect, refused, type SelectInspection } from '../../../core/data-query.js';
import { RepriseError } from '../../../core/errors.js';
import type { DataColumn, DataFormat } from '../../../core/lake.js';
import type { DataPreview, MaterializedData } from '../../../ports/data-source.js';
import { fsyncFile } from '../../../platform/fsync-file.js';

type DuckModule = typeof import('@duckdb/node-api');
type Connection = import('@duckdb/node-api').DuckDBConnection;
type Instance = import('@duckdb/node-api').DuckDBInstance;

let duck: Promise<DuckModule> | undefined;
/** Loaded on first use: loading the engine costs every command that never queries data. */
function duckdb(): Promise<DuckModule> {
  duck ??= import('@duckdb/node-api');
  return duck;
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface SandboxAccess {
  /** Folders (with everything under them) it may read and write. */
  readonly dirs?: readonly string[];
  /** Single files it may read. */
  readonly files?: readonly string[];
}

/** One boxed, in-memory DuckDB database and its connection. */
export class DuckSandbox {
  private constructor(
    private readonly instance: Instance,
    readonly conn: Connection,
  ) {}

  static async open(access: SandboxAccess): Promise<DuckSandbox> {
    const { DuckDBInstance } = await duckdb();
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const conn = await instance.connect();
    const box = new DuckSandbox(instance, conn);
    try {
      const dirs = (access.dirs ?? []).map((d) => (d.endsWith('/') ? d : `${d}/`));
      if (dirs.length > 0) await conn.run(`SET allowed_directories = [${dirs.map(sqlString).join(', ')}]`);
      if ((access.files ?? []).length > 0) await conn.run(`SET allowed_paths = [${access.files!.map(sqlString).join(', ')}]`);
      await conn.run('SET enable_external_access = false');
      await conn.run("SET TimeZone = 'UTC'").catch(() => undefined);
      await conn.run('SET lock_configuration = true');
    } catch (e) {
      box.close();
      throw e;
    }
    return box;
  }

  close(): void {
    try {
      this.conn.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  }

  /**
   * The single SELECT `sql` is, as a syntax tree walked by core/data-query; anything
   * else (another kind of statement, several, bad syntax) is refused here.
   */
  async parseSelect(sql: string): Promise<SelectInspection> {
    const reader = await this.conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql]);
    const tree = JSON.parse(String(reader.getRowsJson()[0]?.[0] ?? '{}')) as {
      error?: boolean;
      error_type?: string;
      error_message?: string;
      statements?: unknown[];
    };
    if (tree.error) {
      if (/only select statements/i.test(tree.error_message ?? '')) throw notASelect(sql);
      throw invalidQuery(sql, tree.error_message ?? 'the SQL could not be parsed');
    }
    const statements = tree.statements ?? [];
    if (statements.length === 0) throw refused(sql, 'the query is empty');
    if (statements.length > 1) throw refused(sql, `${statements.length} statements were given; a data query is a single SELECT`);
    return inspectSelect(statements[0]);
  }

  /** Binds the query without running it: unknown columns and type errors show here. */
  async bind(sql: string): Promise<void> {
    try {
      await this.conn.prepare(sql);
    } catch (e) {
      throw invalidQuery(sql, messageOf(e));
    }
  }

  async schemaOf(relation: string): Promise<DataColumn[]> {
    const rows = await this.rows(`DESCRIBE ${relation}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /**
   * Writes what `body` (a parenthesized query, see core/data-query's queryBody) returns
   * to `dest` in `format`, atomically, and says what it
   * holds. The rows go to Parquet first, which keeps every type; the hash and schema
   * are read from it, so a file in any format of the same rows has the same hash.
   */
  async materialize(body: string, format: DataFormat, dest: string): Promise<Omit<MaterializedData, 'tables'>> {
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const parquet = `${dest}.${tag}.parquet.tmp`;
    const other = `${dest}.${tag}.tmp`;
    try {
      await this.run(`COPY ${body} TO ${sqlString(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
      const from = `read_parquet(${sqlString(parquet)})`;
      const [schema, summary] = await Promise.all([this.schemaOf(`SELECT * FROM ${from}`), this.contentSummary(from)]);
      let written = parquet;
      if (format !== 'parquet') {
        const options = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT json';
        await this.run(`COPY (SELECT * FROM ${from}) TO ${sqlString(other)} (${options})`);
        await rm(parquet, { force: true });
        written = other;
      }
      await fsyncFile(written);
      await rename(written, dest);
      const bytes = (await stat(dest)).size;
      return { rows: summary.rows, schema, contentHash: contentHashOf(schema, summary), bytes };
    } catch (e) {
      await Promise.all([rm(parquet, { force: true }), rm(other, { force: true })]);
      if (e instanceof RepriseError) throw e;
      throw invalidQuery(body, messageOf(e));
    }
  }

  /**
   * The rows as a multiset: a sha256 of each row as JSON (column names and values),
   * summed lane by lane, so order does not matter and a repeated row counts twice.
   */
  async contentSummary(relation: string): Promise<ContentSummary> {
    const lanes = [1, 17, 33, 49].map((at, i) => `coalesce(sum(('0x' || substr(h, ${at}, 16))::UBIGINT::HUGEINT), 0)::VARCHAR AS l${i}`);
    const rows = await this.rows(`SELECT count(*)::BIGINT AS n, ${lanes.join(', ')} FROM (SELECT sha256(to_json(t)::VARCHAR) AS h FROM ${relation} AS t)`);
    const r = rows[0] ?? {};
    return { rows: Number(r.n ?? 0), lanes: [0, 1, 2, 3].map((i) => String(r[`l${i}`] ?? '0')) };
  }

  /** The first rows of `body` (a parenthesized query) as JSON values. */
  async preview(body: string, limit: number): Promise<DataPreview> {
    try {
      const reader = await this.conn.runAndReadUntil(`SELECT * FROM ${body} LIMIT ${limit + 1}`, limit + 1);
      const names = reader.columnNames();
      const types = reader.columnTypes().map((t) => t.toString());
      const rows = reader.getRowsJson() as unknown[][];
      return {
        schema: names.map((name, i) => ({ name, type: types[i] ?? '' })),
        rows: rows.slice(0, limit),
        truncated: rows.length > limit,
      };
    } catch (e) {
      throw invalidQuery(body, messageOf(e));
    }
  }
}

export interface ContentSummary {
  readonly rows: number;
  readonly lanes: string[];
}

export function contentHashOf(schema: readonly DataColumn[], summary: ContentSummary): string {
  return createHash('sha256')
    .update(JSON.stringify({ schema: schema.map((c) => [c.name, c.type]), rows: summary.rows, lanes: summary.lanes }))
    .digest('hex');
}

/** DuckDB's own words, first lines only: they name the column, line or value at fault. */
export function messageOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, 6).join('\n');
}

export function invalidQuery(sql: string, why: string): RepriseError {
  return new RepriseError('REPRISE_ERR_DATA_QUERY_INVALID', `data query failed: ${why}`, { details: { query: sql } });
}
