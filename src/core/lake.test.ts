import { describe, expect, it } from 'vitest';
import { RepriseError } from './errors.js';
import { checkTableName, commitsAsOf, describeSchemaDifference, formatOfPath, nextCommitTime, parseAsOf, schemaDifference, unionSchema, widens, type LakeCommit } from './lake.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof RepriseError ? e.code : String(e);
  }
}

const commit = (seq: number, committedAt: number): LakeCommit => ({
  id: `c${seq}`,
  table: 't',
  seq,
  committedAt,
  rows: 1,
  sha256: 'a'.repeat(64),
  bytes: 1,
  file: `tables/t/c${seq}.parquet`,
  schema: [{ name: 'id', type: 'BIGINT' }],
  source: { name: 'x.csv', format: 'csv' },
  by: 'me',
  evolved: null,
});

describe('as-of times', () => {
  it('reads ISO dates and times, UTC unless a zone is given, and now', () => {
    expect(parseAsOf('2026-11-20', NOW)).toBe(Date.UTC(2026, 10, 20));
    expect(parseAsOf('2026-11-20T14:00:00Z', NOW)).toBe(Date.UTC(2026, 10, 20, 14));
    expect(parseAsOf('2026-11-20T14:00:00', NOW)).toBe(Date.UTC(2026, 10, 20, 14));
    expect(parseAsOf('2026-11-20T14:00:00+02:00', NOW)).toBe(Date.UTC(2026, 10, 20, 12));
    expect(parseAsOf('2026-11-20 14:00:00.250Z', NOW)).toBe(Date.UTC(2026, 10, 20, 14, 0, 0, 250));
    expect(parseAsOf('now', NOW)).toBe(NOW);
  });

  it('refuses what is not a time, and a time in the future, naming the field', () => {
    expect(code(() => parseAsOf('yesterday', NOW))).toBe('REPRISE_ERR_DATA_AS_OF_INVALID');
    expect(code(() => parseAsOf('2026-02-30', NOW))).toBe('REPRISE_ERR_DATA_AS_OF_INVALID');
    expect(() => parseAsOf('2026-11-26T12:00:01Z', NOW, 'data.train.as_of')).toThrow(/data\.train\.as_of .* is in the future/);
    expect(parseAsOf('2026-11-26T12:00:00Z', NOW)).toBe(NOW);
  });
});

describe('commits', () => {
  it('a query as of T reads the commits at or before T', () => {
    const log = [commit(1, 100), commit(2, 200), commit(3, 300)];
    expect(commitsAsOf(log, 99).map((c) => c.seq)).toEqual([]);
    expect(commitsAsOf(log, 200).map((c) => c.seq)).toEqual([1, 2]);
    expect(commitsAsOf(log, 10_000).map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('commit times only grow, even when the clock reads earlier than the last commit', () => {
    expect(nextCommitTime(500, undefined)).toBe(500);
    expect(nextCommitTime(500, commit(1, 400))).toBe(500);
    expect(nextCommitTime(500, commit(1, 500))).toBe(501);
    expect(nextCommitTime(500, commit(1, 900))).toBe(901);
  });

  it('table names are lower-case identifiers', () => {
    expect(checkTableName('sales_2026')).toBe('sales_2026');
    for (const bad of ['Sales', '2026', 'a-b', '', 'x'.repeat(64), 'a b']) expect(code(() => checkTableName(bad)), bad).toBe('REPRISE_ERR_DATA_TABLE_INVALID');
  });

  it('formats come from file names', () => {
    expect(formatOfPath('/x/a.CSV')).toBe('csv');
    expect(formatOfPath('a.parquet')).toBe('parquet');
    expect(formatOfPath('a.ndjson')).toBe('jsonl');
    expect(formatOfPath('a.txt')).toBeUndefined();
  });
});

describe('schemas', () => {
  const table = [{ name: 'id', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }, { name: 'label', type: 'VARCHAR' }];

  it('names each missing, added and retyped column', () => {
    const d = schemaDifference(table, [{ name: 'id', type: 'VARCHAR' }, { name: 'x', type: 'DOUBLE' }, { name: 'extra', type: 'BIGINT' }]);
    expect(d).toEqual({ missing: ['label'], added: ['extra'], changed: [{ name: 'id', table: 'BIGINT', incoming: 'VARCHAR' }] });
    expect(describeSchemaDifference(d)).toEqual([
      'column "label" is in the table but not in the file',
      'column "extra" is in the file but not in the table',
      'column "id" is VARCHAR in the file but BIGINT in the table',
    ]);
    expect(schemaDifference(table, [...table].reverse())).toEqual({ missing: [], added: [], changed: [] });
  });

  it('the union keeps first-seen order and types', () => {
    expect(unionSchema([table, [{ name: 'x', type: 'BIGINT' }, { name: 'more', type: 'BOOLEAN' }]]).map((c) => `${c.name} ${c.type}`)).toEqual([
      'id BIGINT',
      'x DOUBLE',
      'label VARCHAR',
      'more BOOLEAN',
    ]);
  });

  it('a type widens only where every value fits unchanged', () => {
    expect(widens('INTEGER', 'BIGINT')).toBe(true);
    expect(widens('BIGINT', 'INTEGER')).toBe(false);
    expect(widens('INTEGER', 'DOUBLE')).toBe(true);
    expect(widens('FLOAT', 'DOUBLE')).toBe(true);
    // Above 2^53 a double cannot hold every BIGINT.
    expect(widens('BIGINT', 'DOUBLE')).toBe(false);
    expect(widens('DOUBLE', 'BIGINT')).toBe(false);
    expect(widens('UINTEGER', 'BIGINT')).toBe(true);
    expect(widens('VARCHAR', 'BIGINT')).toBe(false);
  });
});
