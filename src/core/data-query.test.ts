import { describe, expect, it } from 'vitest';
import { checkReadOnly, firstKeyword, inspectSelect, queryBody, redactUrl } from './data-query.js';
import { RepriseError } from './errors.js';

// Trees in the shape DuckDB's json_serialize_sql gives (only the fields the walk reads).
const base = (table_name: string, extra: Record<string, unknown> = {}) => ({ type: 'BASE_TABLE', table_name, schema_name: '', catalog_name: '', at_clause: null, query_location: 14, ...extra });
const select = (from_table: unknown, extra: Record<string, unknown> = {}) => ({ node: { type: 'SELECT_NODE', cte_map: { map: [] }, select_list: [], from_table, ...extra } });

describe('inspecting a SELECT', () => {
  it('finds the tables it reads, not its CTEs, each once', () => {
    const tree = select(
      { type: 'JOIN', left: base('sales'), right: base('recent') },
      {
        cte_map: { map: [{ key: 'recent', value: { query: select(base('Sales')) } }] },
        where_clause: { class: 'SUBQUERY', subquery: select(base('regions', { query_location: 60 })) },
      },
    );
    const found = inspectSelect(tree);
    expect(found.tables).toEqual([
      { name: 'sales', at: 14 },
      { name: 'regions', at: 60 },
    ]);
  });

  it('refuses table functions that read outside, qualified names and time travel; allows range()', () => {
    const sql = "SELECT * FROM read_csv('/etc/passwd')";
    const fn = select({ type: 'TABLE_FUNCTION', query_location: 14, function: { class: 'FUNCTION', function_name: 'read_csv', children: [] } });
    expect(() => checkReadOnly(sql, inspectSelect(fn))).toThrow(/read_csv\(\.\.\.\) reads from outside/);
    const range = select({ type: 'TABLE_FUNCTION', function: { class: 'FUNCTION', function_name: 'range', children: [] } });
    expect(() => checkReadOnly('SELECT * FROM range(3)', inspectSelect(range))).not.toThrow();
    expect(() => checkReadOnly('x', inspectSelect(select(base('t', { schema_name: 'main' }))))).toThrow(/main\.t names a schema/);
    expect(() => checkReadOnly('x', inspectSelect(select(base('t', { at_clause: { unit: 'VERSION' } }))))).toThrow(/time-travel/);
    const call = select(base('t'), { select_list: [{ class: 'FUNCTION', function_name: 'pg_read_file', query_location: 7 }] });
    expect(() => checkReadOnly('SELECT pg_read_file(1) FROM t', inspectSelect(call), (f) => f.startsWith('pg_'))).toThrow(RepriseError);
  });

  it('points at the place with a caret', () => {
    const sql = "SELECT * FROM read_csv('/etc/passwd')";
    const fn = select({ type: 'TABLE_FUNCTION', query_location: 14, function: { class: 'FUNCTION', function_name: 'read_csv' } });
    try {
      checkReadOnly(sql, inspectSelect(fn));
      expect.unreachable();
    } catch (e) {
      expect((e as RepriseError).code).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
      expect((e as Error).message.split('\n').slice(1)).toEqual([`  ${sql}`, `  ${' '.repeat(14)}^`]);
    }
  });
});

describe('query text', () => {
  it('names the first keyword past comments', () => {
    expect(firstKeyword('-- hello\n/* x */ delete from t')).toBe('DELETE');
    expect(firstKeyword('  (select 1)')).toBe('SELECT');
  });

  it('wraps a query so trailing semicolons and comments cannot break the statement around it', () => {
    expect(queryBody('SELECT 1 -- note\n;  ')).toBe('(\nSELECT 1 -- note\n)');
  });

  it('takes passwords out of connection strings', () => {
    expect(redactUrl('postgres://ana:s3cret@db:5432/x')).toBe('postgres://ana:***@db:5432/x');
    expect(redactUrl('postgres://db/x?password=s3cret&sslmode=require')).toBe('postgres://db/x?password=***&sslmode=require');
    expect(redactUrl('postgres://db/x')).toBe('postgres://db/x');
  });
});
