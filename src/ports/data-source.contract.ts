/**
 * The behaviour every DataSource adapter must have: a query as of a time reads exactly
 * the rows that had arrived by then, gives the same rows (and content hash) when asked
 * again after more arrive, in every file format; and what is not a single read is
 * refused. An adapter's test calls `runDataSourceContract` with a factory for a fresh
 * source and a way to make rows arrive in it; lakes add `runLakeContract`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RepriseError } from '../core/errors.js';
import type { DataSource, Lake } from './data-source.js';

/** A row of the contract's tables. */
export interface ContractRow {
  readonly id: number;
  readonly label: string;
  readonly score: number;
}

export interface DataSourceHarness<S extends DataSource = DataSource> {
  readonly source: S;
  /**
   * Makes rows arrive in `table` (created by its first arrival, with columns id BIGINT,
   * label text, score double), as one arrival; resolves with a time at or after it and
   * before the next.
   */
  arrive(table: string, rows: readonly ContractRow[]): Promise<number>;
  cleanup(): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof RepriseError ? err.code : err === undefined ? undefined : `not a RepriseError: ${String(err)}`;
}

const rowsOf = (from: number, n: number): ContractRow[] =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, label: `row-${from + i}`, score: (from + i) / 4 }));

/** Waits until the clock has moved past `t`, so arrivals get distinct times. */
async function after(t: number): Promise<number> {
  while (Date.now() <= t) await new Promise((r) => setTimeout(r, 2));
  return Date.now();
}

export function runDataSourceContract<S extends DataSource>(name: string, create: () => Promise<DataSourceHarness<S>>): void {
  describe(`${name}: data source contract`, () => {
    let h: DataSourceHarness<S>;
    let scratch: string;

    beforeEach(async () => {
      h = await create();
      scratch = mkdtempSync(join(tmpdir(), 'reprise-data-contract-'));
    });

    afterEach(async () => {
      await h.source.close();
      await h.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('a query as of each arrival reads exactly the rows that had arrived by then', async () => {
      const t1 = await h.arrive('events', rowsOf(1, 3));
      await after(t1);
      const t2 = await h.arrive('events', rowsOf(4, 2));
      await after(t2);
      const t3 = await h.arrive('events', rowsOf(6, 4));
      const ids = async (asOf: number): Promise<number[]> => {
        const p = await h.source.preview({ sql: 'SELECT id FROM events ORDER BY id', asOf }, 100);
        return p.rows.map((r) => Number(r[0]));
      };
      expect(await ids(t1)).toEqual([1, 2, 3]);
      expect(await ids(t2)).toEqual([1, 2, 3, 4, 5]);
      expect(await ids(t3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await h.source.check({ sql: 'SELECT count(*) FROM events', asOf: t3 })).toEqual({ tables: ['events'] });
    });

    it('the same query as of the same time gives the same rows and hash after more arrive, in every format', async () => {
      const t1 = await h.arrive('events', rowsOf(1, 5));
      const sql = 'SELECT id, label, score FROM events WHERE score >= 0.5';
      const first = await h.source.materialize({ sql, asOf: t1 }, 'parquet', join(scratch, 'a.parquet'));
      expect(first.rows).toBe(4);
      expect(first.tables).toEqual(['events']);
      expect(first.schema.map((c) => c.name)).toEqual(['id', 'label', 'score']);
      await after(t1);
      await h.arrive('events', rowsOf(6, 5));
      const again = await h.source.materialize({ sql, asOf: t1 }, 'csv', join(scratch, 'b.csv'));
      expect(again.rows).toBe(4);
      expect(again.contentHash).toBe(first.contentHash);
      const csv = readFileSync(join(scratch, 'b.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('id,label,score');
      expect(csv.slice(1).map((l) => Number(l.split(',')[0])).sort()).toEqual([2, 3, 4, 5]);
      const jsonl = await h.source.materialize({ sql, asOf: t1 }, 'jsonl', join(scratch, 'c.jsonl'));
      expect(jsonl.contentHash).toBe(first.contentHash);
      const lines = readFileSync(join(scratch, 'c.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number });
      expect(lines.map((l) => Number(l.id)).sort()).toEqual([2, 3, 4, 5]);
      const now = await h.source.materialize({ sql, asOf: Date.now() }, 'parquet', join(scratch, 'd.parquet'));
      expect(now.rows).toBe(9);
      expect(now.contentHash).not.toBe(first.contentHash);
    });

    it('refuses what is not a single read, naming it', async () => {
      const t = await h.arrive('events', rowsOf(1, 2));
      for (const sql of [
        'INSERT INTO events VALUES (9, \'x\', 1)',
        'UPDATE events SET score = 0',
        'DELETE FROM events',
        'DROP TABLE events',
        "COPY events TO '/tmp/out.csv'",
        "ATTACH '/tmp/other.db' AS other",
        'INSTALL httpfs',
        'LOAD httpfs',
        'SELECT 1; SELECT 2',
        "SELECT * FROM read_csv('/etc/passwd')",
      ]) {
        expect(await codeOf(h.source.check({ sql, asOf: t })), sql).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
      }
      const err = await h.source.check({ sql: 'DELETE FROM events', asOf: t }).catch((e: unknown) => e as RepriseError);
      expect((err as RepriseError).message).toMatch(/DELETE/);
      // Nothing was changed by any of them.
      expect(Number((await h.source.preview({ sql: 'SELECT count(*) AS n FROM events', asOf: Date.now() }, 1)).rows[0]?.[0])).toBe(2);
    });

    it('refuses an as-of in the future, an unknown table and SQL that does not bind', async () => {
      const t = await h.arrive('events', rowsOf(1, 2));
      expect(await codeOf(h.source.check({ sql: 'SELECT * FROM events', asOf: Date.now() + 60_000 }))).toBe('REPRISE_ERR_DATA_AS_OF_INVALID');
      expect(await codeOf(h.source.check({ sql: 'SELECT * FROM no_such_table', asOf: t }))).toBe('REPRISE_ERR_DATA_TABLE_NOT_FOUND');
      expect(await codeOf(h.source.check({ sql: 'SELECT no_such_column FROM events', asOf: t }))).toBe('REPRISE_ERR_DATA_QUERY_INVALID');
      expect(await codeOf(h.source.check({ sql: 'SELEC 1', asOf: t }))).toBe('REPRISE_ERR_DATA_QUERY_INVALID');
    });

    it('previews the first rows and says when there were more', async () => {
      await h.arrive('events', rowsOf(1, 5));
      const p = await h.source.preview({ sql: 'SELECT id, label FROM events ORDER BY id', asOf: Date.now() }, 3);
      expect(p.schema.map((c) => c.name)).toEqual(['id', 'label']);
      expect(p.rows.map((r) => [Number(r[0]), r[1]])).toEqual([[1, 'row-1'], [2, 'row-2'], [3, 'row-3']]);
      expect(p.truncated).toBe(true);
    });
  });
}

/** What a lake adds: appends from files, the commit log, schemas, tampering found. */
export function runLakeContract(name: string, create: () => Promise<{ lake: Lake; cleanup: () => Promise<void> }>): void {
  describe(`${name}: lake contract`, () => {
    let lake: Lake;
    let cleanup: () => Promise<void>;
    let scratch: string;

    beforeEach(async () => {
      ({ lake, cleanup } = await create());
      scratch = mkdtempSync(join(tmpdir(), 'reprise-lake-contract-'));
    });

    afterEach(async () => {
      await lake.close();
      await cleanup();
      rmSync(scratch, { recursive: true, force: true });
    });

    const file = (fname: string, text: string): string => {
      const p = join(scratch, fname);
      writeFileSync(p, text);
      return p;
    };

    it('appends CSV, JSON lines and Parquet into one table with a commit each, times increasing', async () => {
      const a = await lake.append('sales', file('a.csv', 'id,amount,region\n1,10.5,north\n2,20,south\n'), { by: 'ana' });
      const b = await lake.append('sales', file('b.jsonl', '{"id": 3, "amount": 7, "region": "east"}\n'), { by: 'ana' });
      const out = join(scratch, 'c.parquet');
      await lake.materialize({ sql: 'SELECT id + 10 AS id, amount, region FROM sales', asOf: b.committedAt }, 'parquet', out);
      const c = await lake.append('sales', out, { by: 'bo' });
      expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
      expect(a.committedAt).toBeLessThan(b.committedAt);
      expect(b.committedAt).toBeLessThan(c.committedAt);
      expect([a.rows, b.rows, c.rows]).toEqual([2, 1, 3]);
      expect(a.schema).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }, { name: 'region', type: 'VARCHAR' }]);
      expect(b.schema).toEqual(a.schema);
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(a.source).toEqual({ name: 'a.csv', format: 'csv' });
      const history = await lake.history('sales');
      expect(history.map((x) => x.id)).toEqual([a.id, b.id, c.id]);
      const [table] = await lake.tables();
      expect(table).toMatchObject({ name: 'sales', commits: 3, rows: 6, firstCommitAt: a.committedAt, lastCommitAt: c.committedAt });
    });

    it('refuses an append whose columns differ unless the schema may evolve, and a type it cannot hold always', async () => {
      await lake.append('sales', file('a.csv', 'id,amount\n1,10.5\n'), { by: 'ana' });
      const extra = file('b.csv', 'id,amount,region\n2,3,west\n');
      const err = await lake.append('sales', extra, { by: 'ana' }).catch((e: unknown) => e as RepriseError);
      expect(err).toBeInstanceOf(RepriseError);
      expect((err as RepriseError).code).toBe('REPRISE_ERR_DATA_SCHEMA_MISMATCH');
      expect((err as RepriseError).message).toContain('"region"');
      expect((await lake.history('sales')).length).toBe(1);
      const evolved = await lake.append('sales', extra, { by: 'ana', schemaEvolve: true });
      expect(evolved.evolved).toEqual({ added: ['region'], missing: [] });
      const p = await lake.preview({ sql: 'SELECT id, region FROM sales ORDER BY id', asOf: Date.now() }, 10);
      expect(p.rows.map((r) => [Number(r[0]), r[1]])).toEqual([[1, null], [2, 'west']]);
      expect(await codeOf(lake.append('sales', file('c.csv', 'id,amount,region\nx,1,y\n'), { by: 'ana' }))).toBe('REPRISE_ERR_DATA_FILE_INVALID');
      expect(await codeOf(lake.append('sales', file('d.txt', 'id\n1\n'), { by: 'ana' }))).toBe('REPRISE_ERR_DATA_FILE_INVALID');
      expect(await codeOf(lake.append('Bad-Name', file('e.csv', 'id\n1\n'), { by: 'ana' }))).toBe('REPRISE_ERR_DATA_TABLE_INVALID');
      expect((await lake.history('sales')).length).toBe(2);
    });

    it('finds a file changed behind its back and refuses to read it', async () => {
      const a = await lake.append('sales', file('a.csv', 'id\n1\n'), { by: 'ana' });
      expect(await lake.verify()).toEqual([]);
      const dir = (lake as unknown as { dir?: string }).dir;
      if (dir === undefined) return; // a lake reached over a server is checked where its files are
      writeFileSync(join(dir, a.file), 'not parquet any more');
      expect(await codeOf(lake.check({ sql: 'SELECT * FROM sales', asOf: Date.now() }))).toBe('REPRISE_ERR_DATA_TAMPERED');
      expect(await lake.verify('sales')).toEqual([{ table: 'sales', commit: a.id, file: a.file, problem: 'changed' }]);
    });
  });
}
