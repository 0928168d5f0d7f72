/**
 * @module adapters/data-source/postgres/postgres-source.test
 * The PostgreSQL source against a real server (scripts/ensure-postgres.sh starts one;
 * REPRISE_TEST_PG_URL names another). Each harness gets a schema of its own, which the
 * source reaches through the connection string's search_path. An unreachable server
 * fails these tests rather than skipping them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../../../core/errors.js';
import { runDataSourceContract, type ContractRow } from '../../../ports/data-source.contract.js';
import { PostgresSource } from './postgres-source.js';

const PG_URL = process.env.REPRISE_TEST_PG_URL ?? 'postgres://reprise@127.0.0.1:54329/reprise_test';
const TIME = 'ingested_at';

const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
admin.on('error', () => undefined);
afterAll(() => admin.end());

async function sql(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  return admin.query(text, values);
}

/** A fresh schema and the URL of a connection whose search path is it. */
async function freshSchema(): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const schema = `c_${randomBytes(6).toString('hex')}`;
  try {
    await sql(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    throw new Error(`the test PostgreSQL at ${PG_URL} is not usable (start it with bash scripts/ensure-postgres.sh): ${e instanceof Error ? e.message || String(e) : String(e)}`);
  }
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return { schema, url, drop: async () => void (await sql(`DROP SCHEMA ${schema} CASCADE`)) };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

runDataSourceContract('PostgresSource', async () => {
  const { schema, url, drop } = await freshSchema();
  const created = new Set<string>();
  return {
    source: new PostgresSource({ url, timeColumn: TIME, name: 'contract' }),
    arrive: async (table: string, rows: readonly ContractRow[]) => {
      if (!created.has(table)) {
        await sql(`CREATE TABLE ${schema}.${table} (id bigint, label text, score double precision, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
        created.add(table);
      }
      await sql(`INSERT INTO ${schema}.${table} (id, label, score) SELECT * FROM unnest($1::bigint[], $2::text[], $3::float8[])`, [
        rows.map((r) => r.id),
        rows.map((r) => r.label),
        rows.map((r) => r.score),
      ]);
      // The rows' times are then strictly before the time returned.
      await pause(5);
      return Date.now();
    },
    cleanup: drop,
  };
});

async function failure(p: Promise<unknown>): Promise<RepriseError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof RepriseError)) throw new Error(`expected a RepriseError, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}

describe('PostgresSource: PostgreSQL specifics', () => {
  let schema: string;
  let source: PostgresSource;
  let drop: () => Promise<void>;
  let scratch: string;

  beforeEach(async () => {
    let url: string;
    ({ schema, url, drop } = await freshSchema());
    source = new PostgresSource({ url, timeColumn: TIME });
    scratch = mkdtempSync(join(tmpdir(), 'reprise-pg-'));
  });

  afterEach(async () => {
    await source.close();
    await drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a table without the time column, naming the column', async () => {
    await sql(`CREATE TABLE ${schema}.plain (id int)`);
    const e = await failure(source.check({ sql: 'SELECT id FROM plain', asOf: Date.now() }));
    expect(e.code).toBe('REPRISE_ERR_DATA_QUERY_INVALID');
    expect(e.message).toContain('"plain"');
    expect(e.message).toContain(`"${TIME}"`);
  });

  it('refuses functions that reach outside the data', async () => {
    await sql(`CREATE TABLE ${schema}.events (id int, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    for (const q of [
      "SELECT pg_read_file('/etc/passwd')",
      'SELECT pg_sleep(1)',
      'SELECT id FROM events WHERE pg_sleep(1) IS NOT NULL',
      "SELECT current_setting('data_directory')",
      "SELECT lo_import('/etc/passwd')",
      "SELECT query_to_xml('SELECT * FROM events', true, false, '')",
      "SELECT * FROM dblink('host=elsewhere', 'SELECT 1') AS t(x int)",
    ]) {
      expect((await failure(source.check({ sql: q, asOf: Date.now() }))).code, q).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
    }
  });

  it('refuses a query that would read a table around the as-of filter', async () => {
    await sql(`CREATE TABLE ${schema}.events (id int, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`CREATE TABLE ${schema}."Events" (id int, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    const t = Date.now();
    for (const q of [
      // Its own CTE named like the table hides the outer read from the parse.
      'SELECT id FROM events UNION ALL (WITH events AS (SELECT 1 AS id) SELECT id FROM events)',
      // A quoted mixed-case name is another table than the lower-case one the CTE shadows.
      'SELECT id FROM events UNION ALL SELECT id FROM "Events"',
    ]) {
      const e = await failure(source.check({ sql: q, asOf: t }));
      expect(e.code, q).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
      expect(e.message, q).toContain('without the as-of filter');
    }
  });

  it('names a PostgreSQL error of binding in its own words', async () => {
    await sql(`CREATE TABLE ${schema}.events (id int, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    const e = await failure(source.check({ sql: "SELECT id + 'x' FROM events", asOf: Date.now() }));
    expect(e.code).toBe('REPRISE_ERR_DATA_QUERY_INVALID');
    expect(e.message).toMatch(/invalid input syntax for type integer/);
  });

  it('says an unreachable server is unavailable, without the password', async () => {
    const down = new PostgresSource({ url: 'postgres://reprise:s3cret-pw@127.0.0.1:1/x', timeColumn: TIME, name: 'warehouse' });
    try {
      const e = await failure(down.preview({ sql: 'SELECT 1', asOf: Date.now() }, 1));
      expect(e.code).toBe('REPRISE_ERR_DATA_SOURCE_UNAVAILABLE');
      expect(e.message).toContain('127.0.0.1:1');
      expect(e.message).toContain('"warehouse"');
      expect(e.message).toMatch(/ECONNREFUSED/);
      expect(e.message).not.toContain('s3cret-pw');
      expect(JSON.stringify(e.details)).not.toContain('s3cret-pw');
    } finally {
      await down.close();
    }
  });

  it('says a missing database is unavailable', async () => {
    const missing = new PostgresSource({ url: PG_URL.replace(/\/[^/?]+(\?|$)/, '/no_such_database_here$1'), timeColumn: TIME });
    try {
      const e = await failure(missing.check({ sql: 'SELECT 1', asOf: Date.now() }));
      expect(e.code).toBe('REPRISE_ERR_DATA_SOURCE_UNAVAILABLE');
      expect(e.message).toContain('no_such_database_here');
    } finally {
      await missing.close();
    }
  });

  it('reads each table of a join as of the time', async () => {
    await sql(`CREATE TABLE ${schema}.users (id bigint, name text, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`CREATE TABLE ${schema}.orders (user_id bigint, amount numeric, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`INSERT INTO ${schema}.users (id, name) VALUES (1, 'ana'), (2, 'bo')`);
    await sql(`INSERT INTO ${schema}.orders (user_id, amount) VALUES (1, 10), (2, 20)`);
    await pause(5);
    const t = Date.now();
    await pause(5);
    await sql(`INSERT INTO ${schema}.users (id, name) VALUES (3, 'cy')`);
    await sql(`INSERT INTO ${schema}.orders (user_id, amount) VALUES (1, 5), (3, 30)`);
    const q = 'SELECT u.name, sum(o.amount) AS total FROM users u JOIN orders AS o ON o.user_id = u.id GROUP BY u.name ORDER BY u.name';
    expect((await source.check({ sql: q, asOf: t })).tables.sort()).toEqual(['orders', 'users']);
    const then = await source.preview({ sql: q, asOf: t }, 10);
    expect(then.rows).toEqual([['ana', 10], ['bo', 20]]);
    const now = await source.preview({ sql: q, asOf: Date.now() }, 10);
    expect(now.rows).toEqual([['ana', 15], ['bo', 20], ['cy', 30]]);
  });

  it('gives timestamps, booleans, numbers, text and NULLs their DuckDB types', async () => {
    await sql(`CREATE TABLE ${schema}.kinds (
      ts timestamptz, t timestamp, d date, b boolean, n numeric, i int, s smallint, big bigint, r real, f float8, j jsonb, u uuid,
      ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`INSERT INTO ${schema}.kinds (ts, t, d, b, n, i, s, big, r, f, j, u) VALUES
      ('2024-05-01 12:30:00.123456+02', '2024-05-01 12:30:00', '2024-05-01', true, 12.5, 7, 3, 9007199254740993, 1.5, 0.1, '{"a": 1}', '00000000-0000-0000-0000-000000000001'),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await pause(5);
    const q = { sql: 'SELECT ts, t, d, b, n, i, s, big, r, f, j, u FROM kinds ORDER BY b NULLS LAST', asOf: Date.now() };
    const m = await source.materialize(q, 'parquet', join(scratch, 'kinds.parquet'));
    expect(m.rows).toBe(2);
    expect(m.tables).toEqual(['kinds']);
    expect(m.schema).toEqual([
      { name: 'ts', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 't', type: 'TIMESTAMP' },
      { name: 'd', type: 'DATE' },
      { name: 'b', type: 'BOOLEAN' },
      { name: 'n', type: 'DOUBLE' },
      { name: 'i', type: 'INTEGER' },
      { name: 's', type: 'SMALLINT' },
      { name: 'big', type: 'BIGINT' },
      { name: 'r', type: 'FLOAT' },
      { name: 'f', type: 'DOUBLE' },
      { name: 'j', type: 'VARCHAR' },
      { name: 'u', type: 'VARCHAR' },
    ]);
    const p = await source.preview(q, 5);
    expect(p.truncated).toBe(false);
    const [first, second] = p.rows;
    expect(first).toEqual([
      '2024-05-01 10:30:00.123456+00',
      '2024-05-01 12:30:00',
      '2024-05-01',
      true,
      12.5,
      7,
      3,
      '9007199254740993',
      1.5,
      0.1,
      '{"a": 1}',
      '00000000-0000-0000-0000-000000000001',
    ]);
    expect(second).toEqual(Array(12).fill(null));
  });

  it('writes an empty result with its columns', async () => {
    await sql(`CREATE TABLE ${schema}.events (id bigint, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    const m = await source.materialize({ sql: 'SELECT id FROM events', asOf: Date.now() }, 'csv', join(scratch, 'empty.csv'));
    expect(m.rows).toBe(0);
    expect(m.schema).toEqual([{ name: 'id', type: 'BIGINT' }]);
  });

  it('reads a result larger than one fetch', async () => {
    await sql(`CREATE TABLE ${schema}.many (id bigint, ${TIME} timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await sql(`INSERT INTO ${schema}.many (id) SELECT generate_series(1, 25000)`);
    await pause(5);
    const m = await source.materialize({ sql: 'SELECT id FROM many', asOf: Date.now() }, 'parquet', join(scratch, 'many.parquet'));
    expect(m.rows).toBe(25000);
  });

  it('refuses a query that would write, as PostgreSQL says', async () => {
    await sql(`CREATE SEQUENCE ${schema}.counter`);
    const e = await failure(source.preview({ sql: "SELECT nextval('counter')", asOf: Date.now() }, 1));
    expect(e.code).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
    expect(e.message).toMatch(/read-only transaction/);
    expect(Number((await sql(`SELECT last_value FROM ${schema}.counter`)).rows[0].last_value)).toBe(1);
    expect((await sql(`SELECT is_called FROM ${schema}.counter`)).rows[0].is_called).toBe(false);
  });
});
