/**
 * @module adapters/data-source/postgres/postgres-source
 * A team's PostgreSQL tables as a data source. The tables are only ever appended to and
 * each has an ingestion-time column (`timeColumn`, e.g. `ingested_at timestamptz default
 * clock_timestamp()`); a query as of T reads only the rows whose time is at or before T.
 * That column must say when a row became visible: `now()` is its transaction's start, so
 * rows of a long transaction could commit with a time a query has already read past.
 *
 * The SQL is parsed by DuckDB's parser (PostgreSQL's grammar) and checked as every
 * source checks it; each table it names is then shadowed by a CTE of the same name over
 * the real table's rows as of T, and the plan is checked to read no table around them.
 * Every statement runs in a read-only transaction that is rolled back. The rows come back
 * through a cursor as PostgreSQL's text, are cast to DuckDB types in a sandbox, and
 * written from there, so files, hashes and previews are made as the lake makes them.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type pg from 'pg';
import { checkReadOnly, queryBody, redactUrl, refused, type SelectInspection } from '../../../core/data-query.js';
import { RepriseError } from '../../../core/errors.js';
import { excerpt } from '../../../core/excerpt.js';
import { checkAsOf, type DataFormat } from '../../../core/lake.js';
import type { CheckedQuery, DataPreview, DataQuery, DataSource, MaterializedData } from '../../../ports/data-source.js';
import { DuckSandbox, invalidQuery, messageOf, sqlIdentifier } from '../duckdb/duckdb-sandbox.js';

/** PostgreSQL functions that reach outside the data (files, sleeps, other servers, settings, SQL run from a string); `*` ends a prefix. */
const REFUSED_FUNCTIONS = [
  'pg_*',
  'lo_*',
  'dblink*',
  'set_config',
  'current_setting',
  'query_to_xml*',
  'table_to_xml*',
  'cursor_to_xml*',
  'schema_to_xml*',
  'database_to_xml*',
  'ts_stat',
  'ts_rewrite',
];

function reachesOutside(fn: string): boolean {
  return REFUSED_FUNCTIONS.some((p) => (p.endsWith('*') ? fn.startsWith(p.slice(0, -1)) : fn === p));
}

/** Rows per FETCH: enough to keep round trips few, few enough to keep memory flat. */
const FETCH_ROWS = 10_000;

/** Every statement's limit: a runaway query ends instead of holding the server. */
const STATEMENT_TIMEOUT = '10min';

/**
 * The DuckDB type each PostgreSQL type (by OID) is cast to; everything else stays text.
 * numeric becomes DOUBLE: DuckDB's DECIMAL holds at most 38 digits, PostgreSQL's far more.
 */
const DUCK_TYPES = new Map<number, string>([
  // PostgreSQL's type OIDs (pg_type.oid), fixed since forever: bool, int2, int4, int8,
  // float4, float8, numeric, date, timestamp, timestamptz.
  [16, 'BOOLEAN'],
  [21, 'SMALLINT'],
  [23, 'INTEGER'],
  [20, 'BIGINT'],
  [700, 'FLOAT'],
  [701, 'DOUBLE'],
  [1700, 'DOUBLE'],
  [1082, 'DATE'],
  [1114, 'TIMESTAMP'],
  [1184, 'TIMESTAMPTZ'],
]);

type Driver = typeof import('pg').default;
let driver: Driver | undefined;
/** The driver, loaded on first use: every other command would pay for loading it at start. */
async function loadDriver(): Promise<Driver> {
  driver ??= (await import('pg')).default;
  return driver;
}

/** Every value as PostgreSQL writes it: DuckDB casts the text, so none passes through a JavaScript number or Date. */
const AS_TEXT: pg.CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as unknown as pg.CustomTypesConfig['getTypeParser'],
};

/** The session each query runs in: nothing can write, times are UTC and ISO, floats exact. */
const BEGIN = [
  'BEGIN TRANSACTION READ ONLY',
  `SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT}'`,
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  'SET LOCAL extra_float_digits = 3',
].join('; ');

/** SQLSTATEs (or their classes) that say the server cannot be used, not that the query is wrong. */
const UNAVAILABLE_STATES = /^(08|28|53|57P|3D000)/;

type Row = (string | null)[];

export interface PostgresSourceOptions {
  /** A connection string (`postgres://user@host:port/db`; `?options=-c search_path=...` picks the schema). */
  readonly url: string;
  /** The column every table has that says when a row arrived. */
  readonly timeColumn: string;
  /** The source's name under `sources:`, for messages. */
  readonly name?: string;
}

export class PostgresSource implements DataSource {
  readonly name: string;
  readonly #url: string;
  readonly #timeColumn: string;
  #pool: pg.Pool | undefined;

  constructor(opts: PostgresSourceOptions) {
    this.#url = opts.url;
    this.#timeColumn = opts.timeColumn;
    this.name = opts.name ?? 'postgres';
  }

  async check(query: DataQuery): Promise<CheckedQuery> {
    const box = await DuckSandbox.open({});
    try {
      return { tables: await this.#read(box, query, async () => undefined) };
    } finally {
      box.close();
    }
  }

  async materialize(query: DataQuery, format: DataFormat, dest: string): Promise<MaterializedData> {
    const target = resolve(dest);
    await mkdir(dirname(target), { recursive: true });
    const box = await DuckSandbox.open({ dirs: [dirname(target)] });
    try {
      const tables = await this.#read(box, query, (client, wrapped, values) => load(box, client, query.sql, wrapped, values, Infinity));
      return { ...(await box.materialize('(SELECT * FROM r)', format, target)), tables };
    } finally {
      box.close();
    }
  }

  async preview(query: DataQuery, limit: number): Promise<DataPreview> {
    const n = Math.max(0, Math.floor(limit));
    const box = await DuckSandbox.open({});
    try {
      await this.#read(box, query, (client, wrapped, values) => load(box, client, query.sql, wrapped, values, n + 1));
      return await box.preview('(SELECT * FROM r)', n);
    } finally {
      box.close();
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  /**
   * Checks the query (parsed, read-only, as-of not in the future, its tables there with
   * the time column, bound, no table read around the as-of), then hands `read` the
   * wrapped query inside the same read-only transaction. Resolves with the tables read.
   */
  async #read(
    box: DuckSandbox,
    query: DataQuery,
    read: (client: pg.PoolClient, wrapped: string, values: string[]) => Promise<void>,
  ): Promise<string[]> {
    const found = await box.parseSelect(query.sql);
    checkReadOnly(query.sql, found, reachesOutside);
    checkAsOf(query.asOf, Date.now(), 'as_of');
    const tables = found.tables.map((t) => t.name);
    // PostgreSQL cannot type a parameter no statement uses: $1 goes only where a CTE reads it.
    const values = tables.length > 0 ? [new Date(query.asOf).toISOString()] : [];
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query(BEGIN);
      await this.#checkTables(client, query.sql, found.tables);
      await this.#checkPlan(client, query.sql, tables, values);
      await read(client, this.#wrap(query.sql, tables, false), values);
      return tables;
    } catch (e) {
      throw this.#translate(e, query.sql);
    } finally {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      // A client whose rollback failed is not handed out again.
      client.release(broken);
    }
  }

  /**
   * The query with each table it reads shadowed by a CTE of its rows as of $1. A
   * non-recursive CTE's body does not see its own name, so it reads the real table,
   * while the query (a subquery below the CTEs) sees only the CTE.
   */
  #wrap(sql: string, tables: readonly string[], materialized: boolean): string {
    const time = sqlIdentifier(this.#timeColumn);
    const ctes = tables.map(
      (t) => `${sqlIdentifier(t)} AS ${materialized ? 'MATERIALIZED ' : ''}(SELECT * FROM ${sqlIdentifier(t)} WHERE ${time} <= $1::timestamptz)`,
    );
    return `${ctes.length > 0 ? `WITH ${ctes.join(',\n')}\n` : ''}SELECT * FROM ${queryBody(sql)} AS q`;
  }

  async #checkTables(client: pg.PoolClient, sql: string, tables: SelectInspection['tables']): Promise<void> {
    for (const t of tables) {
      const { rows } = await client.query<Row>({
        text: `SELECT c.oid IS NOT NULL, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)
               FROM (SELECT to_regclass(quote_ident($1)) AS oid) c`,
        values: [t.name, this.#timeColumn],
        rowMode: 'array',
      });
      const [exists, timed] = rows[0] ?? [];
      const where = t.at >= 0 && t.at < sql.length ? `\n${excerpt(sql, t.at, t.name.length)}` : '';
      if (exists !== 't') {
        const path = await client.query<Row>({ text: "SELECT array_to_string(current_schemas(false), ', ')", rowMode: 'array' });
        const schemas = path.rows[0]?.[0] || 'no schema';
        throw new RepriseError(
          'REPRISE_ERR_DATA_TABLE_NOT_FOUND',
          `no table ${JSON.stringify(t.name)} in PostgreSQL source ${this.#label()} (search path: ${schemas})${where}`,
          { details: { table: t.name, source: this.name, searchPath: schemas } },
        );
      }
      if (timed !== 't') {
        throw new RepriseError(
          'REPRISE_ERR_DATA_QUERY_INVALID',
          `table ${JSON.stringify(t.name)} of PostgreSQL source ${this.#label()} has no column ${JSON.stringify(this.#timeColumn)}: an as-of query reads only the rows whose ${JSON.stringify(this.#timeColumn)} is at or before its time, so every table it reads needs that column${where}`,
          { details: { table: t.name, column: this.#timeColumn, source: this.name } },
        );
      }
    }
  }

  /**
   * Binds the wrapped query (unknown columns, type errors show here) and reads its plan,
   * with each CTE kept as a subplan of its own: every table scanned must be scanned
   * inside one of them. A table named in a way the parse above did not see (a quoted
   * mixed-case name, a CTE of the query's own shadowing a table it also reads) would be
   * read around the as-of, and is refused. The query's own CTEs never carry a table's
   * name the wrapper uses: core/data-query leaves names that are CTEs out of its tables.
   */
  async #checkPlan(client: pg.PoolClient, sql: string, tables: readonly string[], values: string[]): Promise<void> {
    const { rows } = await client.query<Row>({ text: `EXPLAIN (FORMAT JSON) ${this.#wrap(sql, tables, true)}`, values, rowMode: 'array' });
    const plan = (JSON.parse(rows[0]?.[0] ?? '[]') as { Plan?: PlanNode }[])[0]?.Plan;
    const outside = plan && scannedOutside(plan, new Set(tables.map((t) => `CTE ${t}`)), false);
    if (outside !== undefined) {
      throw refused(
        sql,
        `it would read table ${JSON.stringify(outside)} without the as-of filter: name each table by its plain lower-case name, and give no CTE the name of a table the query reads`,
      );
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    if (!this.#pool) {
      const { Pool } = await loadDriver();
      this.#pool = new Pool({
        connectionString: this.#url,
        max: 2,
        types: AS_TEXT,
        connectionTimeoutMillis: 15_000,
        idleTimeoutMillis: 10_000,
        application_name: 'reprise',
      });
      // An idle client the server drops must not take the process down; the next query reconnects.
      this.#pool.on('error', () => undefined);
    }
    try {
      return await this.#pool.connect();
    } catch (e) {
      throw this.#unavailable(e);
    }
  }

  #translate(e: unknown, sql: string): unknown {
    if (e instanceof RepriseError) return e;
    if (driver && e instanceof driver.DatabaseError) {
      if (UNAVAILABLE_STATES.test(e.code ?? '')) return this.#unavailable(e);
      // 25006: the query tried to write (nextval, SELECT FOR UPDATE) in the read-only transaction.
      if (e.code === '25006') return refused(sql, e.message);
      return invalidQuery(sql, e.message);
    }
    // Anything else from the driver mid-session is the connection failing.
    return this.#unavailable(e);
  }

  #unavailable(e: unknown): RepriseError {
    const url = redactUrl(this.#url);
    return new RepriseError('REPRISE_ERR_DATA_SOURCE_UNAVAILABLE', `PostgreSQL source ${JSON.stringify(this.name)} at ${url} cannot be used: ${this.#reason(e)}`, {
      details: { source: this.name, url },
      cause: e,
    });
  }

  /** The driver's words, never with the password in them. */
  #reason(e: unknown): string {
    const errors = e instanceof AggregateError ? e.errors : [e];
    let text = errors
      .map((x: unknown) => (x instanceof Error ? x.message || (x as { code?: string }).code || x.name : String(x)))
      .filter((m, i, all) => m !== '' && all.indexOf(m) === i)
      .join('; ');
    const password = passwordOf(this.#url);
    if (password) text = text.split(password).join('***');
    return text || 'no reason given';
  }

  #label(): string {
    return `${JSON.stringify(this.name)} (${redactUrl(this.#url)})`;
  }
}

interface PlanNode {
  readonly 'Relation Name'?: string;
  readonly 'Subplan Name'?: string;
  readonly Plans?: PlanNode[];
}

/** The first table scanned outside the subplans named in `ours`. */
function scannedOutside(node: PlanNode, ours: ReadonlySet<string>, inside: boolean): string | undefined {
  const within = inside || ours.has(node['Subplan Name'] ?? '');
  if (!within && node['Relation Name'] !== undefined) return node['Relation Name'];
  for (const child of node.Plans ?? []) {
    const found = scannedOutside(child, ours, within);
    if (found !== undefined) return found;
  }
  return undefined;
}

function passwordOf(url: string): string {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.password || u.searchParams.get('password') || '');
  } catch {
    return '';
  }
}

/**
 * Reads up to `limit` rows of the wrapped query through a cursor into DuckDB table `r`:
 * each batch goes as text into a VARCHAR staging table, which is then cast column by
 * column to the DuckDB type of its PostgreSQL type, keeping the names and their order.
 */
async function load(box: DuckSandbox, client: pg.PoolClient, sql: string, wrapped: string, values: string[], limit: number): Promise<void> {
  await client.query({ text: `DECLARE c NO SCROLL CURSOR FOR ${wrapped}`, values });
  let fields: pg.FieldDef[] | undefined;
  let appender: Awaited<ReturnType<DuckSandbox['conn']['createAppender']>> | undefined;
  try {
    for (let left = limit; left > 0; ) {
      const want = Math.min(FETCH_ROWS, left);
      const batch = await client.query<Row>({ text: `FETCH ${want} FROM c`, rowMode: 'array' });
      if (!fields) {
        fields = batch.fields;
        if (fields.length === 0) throw invalidQuery(sql, 'the query returns no columns');
        const staged = fields.map((_, i) => `c${i} VARCHAR`).join(', ');
        appender = await inDuck(sql, async () => {
          await box.run(`CREATE TABLE staging (${staged})`);
          return box.conn.createAppender('staging');
        });
      }
      const into = appender!;
      await inDuck(sql, () => {
        for (const row of batch.rows) {
          for (const v of row) {
            if (v === null) into.appendNull();
            else into.appendVarchar(v);
          }
          into.endRow();
        }
      });
      left -= batch.rows.length;
      if (batch.rows.length < want) break;
    }
    await inDuck(sql, () => {
      appender?.flushSync();
      appender?.closeSync();
    });
  } catch (e) {
    try {
      appender?.closeSync();
    } catch {
      // The first failure is the one to report.
    }
    throw e;
  }
  const columns = (fields ?? []).map((f, i) => `CAST(c${i} AS ${DUCK_TYPES.get(f.dataTypeID) ?? 'VARCHAR'}) AS ${sqlIdentifier(f.name)}`);
  await inDuck(sql, async () => {
    await box.run(`CREATE TABLE r AS SELECT ${columns.join(', ')} FROM staging`);
    await box.run('DROP TABLE staging');
  });
}

/** DuckDB's failures while loading rows (a value its cast refuses) are the query's, in its words. */
async function inDuck<T>(sql: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof RepriseError) throw e;
    throw invalidQuery(sql, messageOf(e));
  }
}
