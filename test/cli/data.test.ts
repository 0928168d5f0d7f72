/**
 * The lake and pinned data queries, end to end through the real `reprise` command (once
 * embedded, once through a server): appends of CSV, JSON lines and Parquet at different
 * times and queries as of each; a run whose stages read `reprise.data(...)`, reproduced
 * after later appends with the same rows, and again once the lake is gone; a file changed
 * behind the lake's back found and refused; and what is refused as bad input.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { gitProject, reprise, repriseJson, sandbox, SERVER_MODE, startReprise, waitFor, type Sandbox } from '../helpers/cli.js';

/** The local PostgreSQL the test command starts (scripts/ensure-postgres.sh). */
const PG_URL = process.env.REPRISE_TEST_PG_URL ?? 'postgres://reprise@127.0.0.1:54329/reprise_test';

const RUN_TIMEOUT = 120_000;

/** The stage: reads its data through the SDK and logs how many rows and what they sum to. */
const TRAIN_PY = `import csv, json, os, reprise
path = reprise.data("train")
assert path == os.environ["REPRISE_DATA_TRAIN"], path
with open(path) as f:
    rows = list(csv.DictReader(f))
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 1, "rows": len(rows), "amount": sum(float(r["amount"]) for r in rows)}) + "\\n")
print("read", len(rows), "rows from", os.path.basename(path))
`;

const PROJECT = {
  'reprise.yaml': [
    'name: lake-proj',
    'env: { system: true }',
    'data:',
    '  train:',
    '    query: SELECT id, amount, region FROM sales WHERE amount > 1 ORDER BY id',
    '    format: csv',
    'stages:',
    '  - { name: train, cmd: python train.py }',
    '',
  ].join('\n'),
  'train.py': TRAIN_PY,
};

describe('reprise data and pinned data queries', () => {
  let sb: Sandbox;
  let dir: string;
  /** Commit times of the three appends of the first test, as `--as-of` takes them. */
  const times: string[] = [];

  const ok = async (args: string[], cwd = dir) => {
    const res = await reprise(sb, cwd, args);
    expect(res.code, `reprise ${args.join(' ')}\n${res.stderr}`).toBe(0);
    return res;
  };
  const json = async <T = any>(args: string[]): Promise<T> => JSON.parse((await ok([...args, '--json'])).stdout) as T;
  const file = (name: string, text: string): string => {
    const p = join(sb.root, name);
    writeFileSync(p, text);
    return p;
  };
  const countAsOf = async (asOf: string): Promise<number> =>
    Number((await json<{ rows: string[][] }>(['data', 'query', 'SELECT count(*) FROM sales', '--as-of', asOf])).rows[0]![0]);

  beforeAll(async () => {
    sb = await sandbox();
    dir = gitProject(sb, PROJECT);
  });
  afterAll(() => sb.cleanup());

  it('appends CSV, JSON lines and Parquet at different times; a query as of each reads exactly what was committed by then', async () => {
    const a = await json<{ commit: any }>(['data', 'append', 'sales', file('a.csv', 'id,amount,region\n1,0.5,north\n2,2.5,south\n3,4.0,north\n')]);
    const b = await json<{ commit: any }>(['data', 'append', 'sales', file('b.jsonl', '{"id": 4, "amount": 8, "region": "east"}\n')]);
    const exported = join(sb.root, 'c.parquet');
    await ok(['data', 'query', 'SELECT id + 10 AS id, amount * 10 AS amount, region FROM sales WHERE id <= 2', '-o', exported]);
    const c = await json<{ commit: any }>(['data', 'append', 'sales', exported]);
    for (const x of [a, b, c]) times.push(new Date(x.commit.committedAt).toISOString());
    expect([a.commit.seq, b.commit.seq, c.commit.seq]).toEqual([1, 2, 3]);
    expect([a.commit.rows, b.commit.rows, c.commit.rows]).toEqual([3, 1, 2]);
    expect(a.commit.schema).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'amount', type: 'DOUBLE' }, { name: 'region', type: 'VARCHAR' }]);

    expect(await countAsOf(times[0]!)).toBe(3);
    expect(await countAsOf(times[1]!)).toBe(4);
    expect(await countAsOf(times[2]!)).toBe(6);
    // Before the first commit the table did not exist yet.
    const before = await reprise(sb, dir, ['data', 'query', 'SELECT * FROM sales', '--as-of', new Date(a.commit.committedAt - 1).toISOString()]);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('had no rows as of');

    const tables = await json<{ tables: any[] }>(['data', 'tables']);
    expect(tables.tables).toEqual([expect.objectContaining({ name: 'sales', commits: 3, rows: 6 })]);
    const shown = await ok(['data', 'query', 'SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region', '--as-of', times[1]!]);
    expect(shown.stdout.split('\n')[0]).toMatch(/^region\s+total/);
    expect(shown.stdout).toMatch(/north\s+4\.5/);
  });

  it("pins a run's query at its start, hands stages the file, and reproduces the same rows after later appends", { timeout: RUN_TIMEOUT }, async () => {
    await ok(['run', '--name', 'pinned']);
    const run = await json<any>(['show', 'pinned']);
    const [train] = run.manifest.data;
    expect(train).toMatchObject({ name: 'train', source: { name: 'lake', kind: 'lake' }, pinnedAs: 'submit', format: 'csv', tables: ['sales'] });
    expect(train.asOf).toBe(run.manifest.run.createdAt);
    expect(train.snapshot).toMatchObject({ rows: 5, from: 'query', check: null });
    expect(train.snapshot.schema.map((c: any) => c.name)).toEqual(['id', 'amount', 'region']);
    expect(run.metrics.rows.last).toBe(5);
    expect(run.metrics.amount.last).toBe(2.5 + 4 + 8 + 5 + 25);

    // Rows committed after the run's start change nothing it reads, again.
    await ok(['data', 'append', 'sales', file('d.csv', 'id,amount,region\n20,100,west\n')]);
    const repro = await json<any>(['reproduce', 'pinned']);
    expect(repro.verification.verdict).toBe('exact');
    const again = repro.run.manifest.data[0];
    expect(again.asOf).toBe(train.asOf);
    expect(again.snapshot).toMatchObject({ contentHash: train.snapshot.contentHash, rows: 5, from: 'recorded', check: 'matched' });
    expect(again.snapshot.blob).toEqual(train.snapshot.blob);
    // A new run reads the new row.
    await ok(['run', '--name', 'later']);
    const later = await json<any>(['show', 'later']);
    expect(later.metrics.rows.last).toBe(6);
    expect(later.manifest.data[0].snapshot.contentHash).not.toBe(train.snapshot.contentHash);

    const history = await json<any>(['data', 'history', 'sales']);
    expect(history.commits).toHaveLength(4);
    const readers = history.reads.map((r: any) => [r.runName, r.name, r.rows, r.asOf]);
    expect(readers).toEqual(expect.arrayContaining([['pinned', 'train', 5, train.asOf], ['later', 'train', 6, later.manifest.data[0].asOf]]));
  });

  it.runIf(SERVER_MODE)('a queued run reads its data as of its submission, on an agent with a home of its own', { timeout: RUN_TIMEOUT }, async () => {
    await ok(['submit', '--name', 'queued']);
    const pinned = (await json<any>(['show', 'queued'])).manifest;
    expect(pinned.data[0].asOf).toBe(pinned.submission.at);
    expect(pinned.data[0].snapshot).toBeNull();
    const rowsAtSubmit = Number((await json<{ rows: string[][] }>(['data', 'query', 'SELECT count(*) FROM sales WHERE amount > 1', '--as-of', new Date(pinned.data[0].asOf).toISOString()])).rows[0]![0]);
    await ok(['data', 'append', 'sales', file('e.csv', 'id,amount,region\n21,200,west\n')]);

    const agent = startReprise(sb, sb.root, ['agent', '--server', sb.server!.url, '--name', 'data-agent', '--quiet'], { REPRISE_HOME: join(sb.root, 'agent-home') });
    try {
      const done = await waitFor('the queued run to end', async () => {
        const r = await json<any>(['show', 'queued']);
        return ['succeeded', 'failed', 'lost'].includes(r.status) ? r : undefined;
      }, 90_000);
      expect(done.status, JSON.stringify(done.manifest.failure)).toBe('succeeded');
      expect(done.manifest.execution.worker.name).toBe('data-agent');
      expect(done.manifest.data[0].snapshot).toMatchObject({ rows: rowsAtSubmit, from: 'query' });
      expect(done.metrics.rows.last).toBe(rowsAtSubmit);
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('reads a PostgreSQL table as of its ingestion time, and reproduces it after more rows arrive', { timeout: RUN_TIMEOUT }, async () => {
    const schema = `e2e_${Math.random().toString(36).slice(2, 10)}`;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}.events (id bigint, amount double precision, region text, ingested_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      await client.query(`INSERT INTO ${schema}.events (id, amount, region) VALUES (1, 1.5, 'north'), (2, 3, 'south'), (3, 0.5, 'east')`);
      const pgDir = gitProject(
        sb,
        {
          'reprise.yaml': [
            'name: pg-proj',
            'env: { system: true }',
            'sources:',
            '  warehouse: { kind: postgres, url_env: WAREHOUSE_URL, time_column: ingested_at }',
            'data:',
            '  train: { source: warehouse, query: "SELECT id, amount, region FROM events WHERE amount > 1 ORDER BY id", format: csv }',
            'stages:',
            '  - { name: train, cmd: python train.py }',
            '',
          ].join('\n'),
          'train.py': TRAIN_PY,
        },
        'pg-proj',
      );
      const unset = await reprise(sb, pgDir, ['run']);
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain('$WAREHOUSE_URL, which is not set here');

      const env = { WAREHOUSE_URL: url };
      const first = await reprise(sb, pgDir, ['run', '--name', 'from-pg'], env);
      expect(first.code, first.stderr).toBe(0);
      const run = await json<any>(['show', 'from-pg']);
      expect(run.metrics.rows.last).toBe(2);
      const [train] = run.manifest.data;
      expect(train.source).toMatchObject({ name: 'warehouse', kind: 'postgres', timeColumn: 'ingested_at' });
      // The connection string as it was, for people to read; a password would show as ***.
      expect(train.source.url).toContain('127.0.0.1');
      await client.query(`INSERT INTO ${schema}.events (id, amount, region) VALUES (4, 9, 'west')`);
      const repro = await reprise(sb, pgDir, ['reproduce', 'from-pg', '--json'], env);
      expect(repro.code, repro.stderr).toBe(0);
      const out = JSON.parse(repro.stdout);
      expect(out.verification.verdict).toBe('exact');
      expect(out.run.manifest.data[0].snapshot).toMatchObject({ rows: 2, contentHash: train.snapshot.contentHash, check: 'matched' });
      // A row changed behind its back (the table should only ever be appended to) is caught.
      await client.query(`UPDATE ${schema}.events SET amount = 30 WHERE id = 2`);
      const changed = await reprise(sb, pgDir, ['reproduce', 'from-pg', '--json'], env);
      expect(changed.code).not.toBe(0);
      expect(changed.stdout + changed.stderr).toContain('changed behind Reprise');
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await client.end();
    }
  });

  it('finds a lake file changed behind its back and refuses to read it; a reproduction of a run without a lake uses its recorded file', { timeout: RUN_TIMEOUT }, async () => {
    const lake = join(sb.storeHome, 'lake');
    const tableDir = join(lake, 'tables', 'sales');
    const victim = readdirSync(tableDir).sort()[0]!;
    writeFileSync(join(tableDir, victim), 'PAR1 not really');
    const q = await reprise(sb, dir, ['data', 'query', 'SELECT count(*) FROM sales']);
    expect(q.code).toBe(65);
    expect(q.stderr).toContain(`lake file tables/sales/${victim}`);
    expect(q.stderr).toContain('REPRISE_ERR_DATA_TAMPERED');
    const verify = await reprise(sb, dir, ['data', 'verify', '--json']);
    expect(verify.code).toBe(65);
    expect(JSON.parse(verify.stdout).problems).toEqual([expect.objectContaining({ table: 'sales', file: `tables/sales/${victim}`, problem: 'changed' })]);
    // A run reading it is refused before it exists, saying why.
    const failed = await reprise(sb, dir, ['run', '--name', 'tampered']);
    expect(failed.code).toBe(65);
    expect(failed.stderr).toMatch(/data\.train: lake file tables\/sales\/.* changed behind the lake's back/);
    expect((await repriseJson<any[]>(sb, dir, ['ls'])).map((r) => r.name)).not.toContain('tampered');

    // With the lake gone, the recorded snapshot still reproduces the run.
    rmSync(lake, { recursive: true, force: true });
    const repro = await json<any>(['reproduce', 'pinned']);
    expect(repro.verification.verdict).toBe('exact');
    expect(repro.run.manifest.data[0].snapshot).toMatchObject({ from: 'recorded', check: 'source-unavailable', rows: 5 });
    expect(existsSync(lake)).toBe(true);
  });

  it('refuses SQL that writes or reaches outside, a future as-of, and a schema that differs, with nothing written', async () => {
    await ok(['data', 'append', 'items', file('i.csv', 'id,name\n1,a\n')]);
    for (const [sql, word] of [
      ['INSERT INTO items VALUES (2, \'b\')', 'INSERT'],
      ['DROP TABLE items', 'DROP'],
      ["COPY items TO '/tmp/x.csv'", 'COPY'],
      ["ATTACH '/tmp/other.db'", 'ATTACH'],
      ['INSTALL httpfs', 'INSTALL'],
      ['LOAD httpfs', 'LOAD'],
      ["SELECT * FROM read_csv('/etc/passwd')", 'read_csv'],
      ["SELECT * FROM 'https://example.com/x.parquet'", 'https://example.com/x.parquet'],
    ]) {
      const res = await reprise(sb, dir, ['data', 'query', sql!]);
      expect(res.code, sql).toBe(2);
      expect(res.stderr, sql).toContain(word!);
    }
    const future = await reprise(sb, dir, ['data', 'query', 'SELECT * FROM items', '--as-of', '2099-01-01']);
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is in the future');

    const extra = file('j.csv', 'id,name,colour\n2,b,red\n');
    const refused = await reprise(sb, dir, ['data', 'append', 'items', extra]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('column "colour" is in the file but not in the table');
    expect(refused.stderr).toContain('--schema-evolve');
    expect((await json<any>(['data', 'history', 'items'])).commits).toHaveLength(1);
    const evolved = await json<any>(['data', 'append', 'items', extra, '--schema-evolve']);
    expect(evolved.commit.evolved).toEqual({ added: ['colour'], missing: [] });
    const retyped = await reprise(sb, dir, ['data', 'append', 'items', file('k.csv', 'id,name,colour\nthree,c,blue\n')]);
    expect(retyped.code).toBe(2);
    expect(retyped.stderr).toContain('"three"');

    // A bad query in reprise.yaml is refused before a run exists.
    const bad = gitProject(sb, { ...PROJECT, 'reprise.yaml': PROJECT['reprise.yaml'].replace('SELECT id, amount, region FROM sales WHERE amount > 1 ORDER BY id', 'DELETE FROM items') }, 'bad-proj');
    const before = (await repriseJson<any[]>(sb, bad, ['ls'])).length;
    const res = await reprise(sb, bad, ['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('data.train: data query refused: DELETE');
    expect((await repriseJson<any[]>(sb, bad, ['ls'])).length).toBe(before);
    const later = gitProject(sb, { ...PROJECT, 'reprise.yaml': PROJECT['reprise.yaml'].replace('    format: csv', '    format: csv\n    as_of: 2099-01-01T00:00:00Z') }, 'future-proj');
    const future2 = await reprise(sb, later, ['run']);
    expect(future2.code).toBe(2);
    expect(future2.stderr).toContain('data.train.as_of "2099-01-01T00:00:00Z" is in the future');
  });
});
