/**
 * @module adapters/data-source/duckdb-lake/duckdb-lake
 * The embedded lake: a folder holding each table's appends as immutable Parquet files
 * (`tables/<table>/<commit id>.parquet`) and the commit log (`catalog.db`, see
 * lake-catalog). DuckDB reads them; a query as of T sees, for each table it names, a
 * view over the files committed at or before T and nothing else. Every file is checked
 * against the sha256 its commit recorded before it is read (re-hashed when its size or
 * modification time moved), so a file changed behind the lake's back is reported, not read.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkReadOnly, queryBody } from '../../../core/data-query.js';
import { RepriseError } from '../../../core/errors.js';
import { excerpt } from '../../../core/excerpt.js';
import { newRunId } from '../../../core/ids.js';
import {
  checkAsOf,
  checkTableName,
  CLOCK_SKEW_MS,
  describeSchemaDifference,
  foldTable,
  formatOfPath,
  schemaDifference,
  unionSchema,
  widens,
  type DataColumn,
  type DataFormat,
  type LakeCommit,
  type LakeTable,
} from '../../../core/lake.js';
import type { AppendOptions, CheckedQuery, DataPreview, DataQuery, Lake, LakeProblem, MaterializedData } from '../../../ports/data-source.js';
import { fsyncFile } from '../../../platform/fsync-file.js';
import { hashFile } from '../../../platform/hash-file.js';
import { DuckSandbox, messageOf, sqlIdentifier, sqlString } from '../duckdb/duckdb-sandbox.js';
import { LakeCatalog } from './lake-catalog.js';

export class DuckdbLake implements Lake {
  #catalog: LakeCatalog | undefined;
  readonly #tables: string;
  readonly #tmp: string;

  /** `dir` is created on first use. */
  constructor(readonly dir: string) {
    this.#tables = join(dir, 'tables');
    this.#tmp = join(dir, 'tmp');
  }

  #open(): LakeCatalog {
    const path = join(this.dir, 'catalog.db');
    // A long-lived process (the server) may outlive its lake's folder: a removed lake is
    // an empty one from then on, not a catalog whose files are gone.
    if (this.#catalog && !existsSync(path)) {
      this.#catalog.close();
      this.#catalog = undefined;
    }
    if (!this.#catalog) {
      mkdirSync(this.#tables, { recursive: true });
      mkdirSync(this.#tmp, { recursive: true });
      this.#catalog = new LakeCatalog(path);
    }
    return this.#catalog;
  }

  async close(): Promise<void> {
    this.#catalog?.close();
    this.#catalog = undefined;
  }

  async append(table: string, file: string, opts: AppendOptions): Promise<LakeCommit> {
    checkTableName(table);
    const path = resolve(file);
    const format = opts.format ?? formatOfPath(path);
    if (!format) {
      throw fileInvalid(path, 'its format is not known from its name (.csv, .parquet, .jsonl); give --format csv, parquet or jsonl');
    }
    const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => undefined);
    if (size === undefined) throw fileInvalid(path, 'no such file');
    if (size < 0) throw fileInvalid(path, 'not a regular file');
    const catalog = this.#open();
    const tableSchema = unionSchema(catalog.commits(table).map((c) => c.schema));
    const id = newRunId();
    const tmp = join(this.#tmp, `${id}.parquet`);
    const box = await DuckSandbox.open({ dirs: [this.#tmp], files: [path] });
    try {
      const { select, schema: incoming } = await this.#readInput(box, path, format, tableSchema);
      refuseDifference(table, tableSchema, incoming, opts.schemaEvolve ?? false);
      let rows: number;
      try {
        const copied = await box.rows(`COPY (${select}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        rows = Number(Object.values(copied[0] ?? {})[0] ?? 0);
      } catch (e) {
        throw fileInvalid(path, await diagnose(box, select, tableSchema, e));
      }
      if (rows === 0) throw fileInvalid(path, 'it holds no rows; an append adds at least one');
      const schema = await box.schemaOf(`SELECT * FROM read_parquet(${sqlString(tmp)})`);
      await fsyncFile(tmp);
      const sha256 = (await hashFile(tmp)).sha256;
      const bytes = (await stat(tmp)).size;
      const rel = join('tables', table, `${id}.parquet`);
      const commit = catalog.commit(
        table,
        Date.now,
        (previous, committedAt, seq) => {
          // Another append may have changed the table since the file was read.
          const current = unionSchema(previous.map((c) => c.schema));
          const d = refuseDifference(table, current, schema, opts.schemaEvolve ?? false);
          return {
            id,
            table,
            seq,
            committedAt,
            rows,
            sha256,
            bytes,
            file: rel,
            schema,
            source: { name: opts.sourceName ?? basename(path), format },
            by: opts.by,
            evolved: current.length > 0 && (d.added.length > 0 || d.missing.length > 0) ? { added: d.added, missing: d.missing } : null,
          };
        },
        () => {
          mkdirSync(join(this.#tables, table), { recursive: true });
          renameSync(tmp, join(this.dir, rel));
        },
      );
      const s = await stat(join(this.dir, rel));
      catalog.recordFileCheck(rel, { size: s.size, mtimeMs: s.mtimeMs });
      return commit;
    } finally {
      box.close();
      await rm(tmp, { force: true });
    }
  }

  /**
   * The SELECT over the input that gives rows in the table's types. CSV is read with
   * the table's types for the columns it shares (so "00123" stays text where the table
   * says text); JSON lines and Parquet are cast where a type widens or, for JSON, where
   * text must become the table's type.
   */
  async #readInput(box: DuckSandbox, path: string, format: DataFormat, table: readonly DataColumn[]): Promise<{ select: string; schema: DataColumn[] }> {
    const reader = (types?: readonly DataColumn[]): string => {
      const p = sqlString(path);
      if (format === 'parquet') return `read_parquet(${p})`;
      if (format === 'jsonl') return `read_json(${p}, format = 'newline_delimited')`;
      const typed = types && types.length > 0 ? `, types = {${types.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}` : '';
      return `read_csv(${p}, header = true${typed})`;
    };
    const describe = async (from: string): Promise<DataColumn[]> => {
      try {
        return await box.schemaOf(`SELECT * FROM ${from}`);
      } catch (e) {
        throw fileInvalid(path, `it is not valid ${format === 'jsonl' ? 'JSON lines' : format === 'csv' ? 'CSV' : 'Parquet'}: ${messageOf(e)}`);
      }
    };
    let from = reader();
    let incoming = await describe(from);
    if (format === 'csv' && table.length > 0) {
      const names = new Set(incoming.map((c) => c.name));
      from = reader(table.filter((c) => names.has(c.name)));
      incoming = await describe(from);
    }
    const tableType = new Map(table.map((c) => [c.name, c.type]));
    const columns = incoming.map((c) => {
      const want = tableType.get(c.name);
      const cast = want !== undefined && want !== c.type && (widens(c.type, want) || format !== 'parquet');
      return { name: c.name, type: cast ? want! : c.type, sql: cast ? `CAST(${sqlIdentifier(c.name)} AS ${want})` : sqlIdentifier(c.name) };
    });
    return {
      select: `SELECT ${columns.map((c) => `${c.sql} AS ${sqlIdentifier(c.name)}`).join(', ')} FROM ${from}`,
      schema: columns.map((c) => ({ name: c.name, type: c.type })),
    };
  }

  async tables(): Promise<LakeTable[]> {
    const byTable = new Map<string, LakeCommit[]>();
    for (const c of this.#open().commits()) {
      const list = byTable.get(c.table) ?? [];
      list.push(c);
      byTable.set(c.table, list);
    }
    return [...byTable].map(([name, commits]) => foldTable(name, commits));
  }

  async history(table: string): Promise<LakeCommit[]> {
    checkTableName(table);
    const commits = this.#open().commits(table);
    if (commits.length === 0) throw this.#noTable(table);
    return commits;
  }

  async verify(table?: string): Promise<LakeProblem[]> {
    if (table !== undefined) await this.history(table);
    const catalog = this.#open();
    const problems: LakeProblem[] = [];
    for (const c of catalog.commits(table)) {
      const path = join(this.dir, c.file);
      const s = await stat(path).catch(() => undefined);
      if (!s) {
        problems.push({ table: c.table, commit: c.id, file: c.file, problem: 'missing' });
      } else if (((await hashFile(path)).sha256) !== c.sha256) {
        problems.push({ table: c.table, commit: c.id, file: c.file, problem: 'changed' });
      } else {
        catalog.recordFileCheck(c.file, { size: s.size, mtimeMs: s.mtimeMs });
      }
    }
    return problems;
  }

  async check(query: DataQuery): Promise<CheckedQuery> {
    const { box, tables } = await this.#prepare(query, []);
    box.close();
    return { tables };
  }

  async materialize(query: DataQuery, format: DataFormat, dest: string): Promise<MaterializedData> {
    const target = resolve(dest);
    await mkdir(dirname(target), { recursive: true });
    const { box, tables } = await this.#prepare(query, [dirname(target)]);
    try {
      return { ...(await box.materialize(queryBody(query.sql), format, target)), tables };
    } finally {
      box.close();
    }
  }

  async preview(query: DataQuery, limit: number): Promise<DataPreview> {
    const { box } = await this.#prepare(query, []);
    try {
      return await box.preview(queryBody(query.sql), limit);
    } finally {
      box.close();
    }
  }

  /**
   * A sandbox in which the query's tables are views over their files as of its time,
   * every file checked, the query parsed, checked read-only and bound.
   */
  async #prepare(query: DataQuery, writable: readonly string[]): Promise<{ box: DuckSandbox; tables: string[] }> {
    const ahead = query.asOf - Date.now();
    if (ahead > 0 && ahead <= CLOCK_SKEW_MS) await sleep(ahead + 1);
    const catalog = this.#open();
    const box = await DuckSandbox.open({ dirs: [this.#tables, ...writable] });
    try {
      const found = await box.parseSelect(query.sql);
      checkReadOnly(query.sql, found);
      const known = new Set(catalog.tableNames());
      for (const t of found.tables) if (!known.has(t.name)) throw this.#noTable(t.name, query.sql, t.at);
      const names = found.tables.map((t) => t.name);
      const byTable = catalog.commitsAsOf(names, query.asOf, (now) => checkAsOf(query.asOf, now, 'as_of'));
      for (const t of found.tables) {
        const commits = byTable.get(t.name) ?? [];
        if (commits.length === 0) {
          const first = catalog.commits(t.name)[0];
          throw new RepriseError(
            'REPRISE_ERR_DATA_TABLE_NOT_FOUND',
            `table ${JSON.stringify(t.name)} had no rows as of ${new Date(query.asOf).toISOString()}: its first commit is at ${first ? new Date(first.committedAt).toISOString() : 'a later time'}`,
            { details: { table: t.name, asOf: query.asOf, firstCommitAt: first?.committedAt ?? null } },
          );
        }
        await this.#checkFiles(commits);
        const files = commits.map((c) => sqlString(join(this.dir, c.file))).join(', ');
        await box.run(`CREATE TEMP VIEW ${sqlIdentifier(t.name)} AS SELECT * FROM read_parquet([${files}], union_by_name = true)`);
      }
      await box.bind(query.sql);
      return { box, tables: names };
    } catch (e) {
      box.close();
      throw e;
    }
  }

  /** Each file as its commit recorded it, re-hashed only when its size or time moved. */
  async #checkFiles(commits: readonly LakeCommit[]): Promise<void> {
    const catalog = this.#open();
    for (const c of commits) {
      const path = join(this.dir, c.file);
      const s = await stat(path).catch(() => undefined);
      if (!s) throw tampered(c, 'is missing');
      const seen = catalog.fileCheck(c.file);
      if (seen && seen.size === s.size && seen.mtimeMs === s.mtimeMs) continue;
      if (((await hashFile(path)).sha256) !== c.sha256) throw tampered(c, 'no longer matches the sha256 its commit recorded');
      catalog.recordFileCheck(c.file, { size: s.size, mtimeMs: s.mtimeMs });
    }
  }

  #noTable(table: string, sql?: string, at = -1): RepriseError {
    const known = this.#open().tableNames();
    const where = sql !== undefined && at >= 0 && at < sql.length ? `\n${excerpt(sql, at, table.length)}` : '';
    return new RepriseError(
      'REPRISE_ERR_DATA_TABLE_NOT_FOUND',
      `no table ${JSON.stringify(table)} in the lake (${known.length > 0 ? `tables: ${known.join(', ')}` : 'it has no tables yet; add one with reprise data append'})${where}`,
      { details: { table, known } },
    );
  }
}

/**
 * Refuses rows whose columns differ from the table's: always for a type the table's
 * cannot hold, and for added or missing columns unless the schema may evolve.
 */
function refuseDifference(table: string, current: readonly DataColumn[], incoming: readonly DataColumn[], evolve: boolean) {
  const d = current.length === 0 ? { missing: [], added: [], changed: [] } : schemaDifference(current, incoming);
  const refusedNow = { missing: evolve ? [] : d.missing, added: evolve ? [] : d.added, changed: d.changed };
  const lines = describeSchemaDifference(refusedNow);
  if (lines.length > 0) {
    throw new RepriseError('REPRISE_ERR_DATA_SCHEMA_MISMATCH', `the rows do not fit table ${JSON.stringify(table)}; nothing was appended:\n${lines.map((l) => `  ${l}`).join('\n')}`, {
      hint: refusedNow.changed.length === 0 ? 'to add or leave out columns, append with --schema-evolve' : 'a column keeps its type; write the values in the table\'s type, or append to a new table',
      details: { table, ...d },
    });
  }
  return d;
}

/** Which column's value would not convert, when a cast failed. */
async function diagnose(box: DuckSandbox, select: string, table: readonly DataColumn[], e: unknown): Promise<string> {
  const from = /FROM (.*)$/s.exec(select)?.[1];
  for (const c of table) {
    if (!from) break;
    const col = sqlIdentifier(c.name);
    const bad = await box
      .rows(`SELECT ${col}::VARCHAR AS v FROM ${from} WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${c.type}) IS NULL LIMIT 1`)
      .catch(() => []);
    if (bad.length > 0) return `column ${JSON.stringify(c.name)} is ${c.type} in the table, and ${JSON.stringify(bad[0]!.v)} is not a ${c.type}`;
  }
  return messageOf(e);
}

function fileInvalid(path: string, why: string): RepriseError {
  return new RepriseError('REPRISE_ERR_DATA_FILE_INVALID', `cannot append ${path}: ${why}`, { details: { path } });
}

function tampered(c: LakeCommit, what: string): RepriseError {
  return new RepriseError(
    'REPRISE_ERR_DATA_TAMPERED',
    `lake file ${c.file} (table ${c.table}, commit ${c.id} of ${new Date(c.committedAt).toISOString()}) ${what}: it was changed behind the lake's back, and no query reads it`,
    { hint: 'reprise data verify lists every such file', details: { table: c.table, commit: c.id, file: c.file } },
  );
}
