/**
 * @module core/data-query
 * Data queries pinned to a time: how `data:` and `sources:` of reprise.yaml declare them,
 * the variable each materialized query reaches stages by, and the checks every source
 * applies to a query's SQL before running it (a single SELECT that reads only tables,
 * found by walking the statement's syntax tree as DuckDB's parser gives it).
 */
import { z } from 'zod';
import { RepriseError } from './errors.js';
import { excerpt } from './excerpt.js';
import { DATA_FORMATS } from './lake.js';

/** The lake every installation has; other sources are declared under `sources:`. */
export const LAKE_SOURCE = 'lake';

/** A query's name: it becomes `REPRISE_DATA_<NAME>` and `reprise.data(name)`. */
export const DATA_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
/** A source's name under `sources:`. */
export const SOURCE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function dataVariable(name: string): string {
  return `REPRISE_DATA_${name.toUpperCase()}`;
}

/** `sources.<name>` of reprise.yaml: a PostgreSQL database whose tables are only ever appended to. */
export const dataSourceConfigSchema = z
  .strictObject({
    kind: z.literal('postgres'),
    /** A connection string; a password is better left to `url_env`, PGPASSWORD or ~/.pgpass. */
    url: z.string().min(1, 'must not be empty').optional(),
    /** The environment variable holding the connection string. */
    url_env: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
    /** The column every table has that says when a row arrived; the as-of filter is applied on it. */
    time_column: z.string().regex(SQL_IDENTIFIER, 'must be a plain column name (letters, digits, "_")'),
  })
  .refine((s) => (s.url === undefined) !== (s.url_env === undefined), { message: 'needs exactly one of url and url_env' });
export type DataSourceConfig = z.infer<typeof dataSourceConfigSchema>;

/** `data.<name>` of reprise.yaml. */
export const dataQueryConfigSchema = z.strictObject({
  /** `lake` (the default) or a name under `sources:`. */
  source: z.string().min(1).optional(),
  query: z.string().trim().min(1, 'must not be empty'),
  /** `submit` (the default): the time the run is started or queued; or a fixed ISO time. */
  as_of: z.string().min(1).optional(),
  format: z.enum(DATA_FORMATS).optional(),
});
export type DataQueryConfig = z.infer<typeof dataQueryConfigSchema>;

/** The `as_of` that pins a query to the moment its run is started or queued. */
export const AS_OF_SUBMIT = 'submit';

/** What a statement reads and does, from its syntax tree. */
export interface SelectInspection {
  /** Tables read by name (not CTEs), each once, lower-cased, with where they are first named. */
  readonly tables: { readonly name: string; readonly at: number }[];
  /** Functions called, table functions marked, with where. */
  readonly functions: { readonly name: string; readonly table: boolean; readonly at: number }[];
  /** Names given with a schema or catalog (`other.t`), which no source allows. */
  readonly qualified: { readonly name: string; readonly at: number }[];
  /** Time-travel clauses (`AT (VERSION => ...)`), which would step around the as-of. */
  readonly atClauses: number[];
}

/**
 * Walks a statement as DuckDB's `json_serialize_sql` gives it. Only the node kinds that
 * matter are read, so a newer parser's extra fields change nothing.
 */
export function inspectSelect(tree: unknown): SelectInspection {
  const tables = new Map<string, number>();
  const ctes = new Set<string>();
  const functions: SelectInspection['functions'] = [];
  const qualified: SelectInspection['qualified'] = [];
  const atClauses: number[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const at = typeof n.query_location === 'number' && n.query_location < 2 ** 52 ? n.query_location : -1;
    const cteMap = (n.cte_map as { map?: { key?: unknown }[] } | undefined)?.map;
    if (Array.isArray(cteMap)) for (const e of cteMap) if (typeof e.key === 'string') ctes.add(e.key.toLowerCase());
    if (n.type === 'BASE_TABLE' && typeof n.table_name === 'string') {
      const name = n.table_name;
      if ((typeof n.schema_name === 'string' && n.schema_name !== '') || (typeof n.catalog_name === 'string' && n.catalog_name !== '')) {
        qualified.push({ name: [n.catalog_name, n.schema_name, name].filter((p) => typeof p === 'string' && p !== '').join('.'), at });
      } else if (!tables.has(name.toLowerCase())) {
        tables.set(name.toLowerCase(), at);
      }
      if (n.at_clause !== null && n.at_clause !== undefined) atClauses.push(at);
    }
    if (n.type === 'TABLE_FUNCTION') {
      const fn = n.function as { function_name?: unknown; query_location?: unknown } | undefined;
      if (typeof fn?.function_name === 'string') functions.push({ name: fn.function_name.toLowerCase(), table: true, at });
      // Its arguments may hold subqueries or further calls.
      if (fn) visitChildren(fn as Record<string, unknown>);
      for (const [k, v] of Object.entries(n)) if (k !== 'function') visit(v);
      return;
    }
    if (n.class === 'FUNCTION' && typeof n.function_name === 'string') {
      functions.push({ name: n.function_name.toLowerCase(), table: false, at });
    }
    visitChildren(n);
  };
  const visitChildren = (n: Record<string, unknown>): void => {
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') visit(v);
  };
  visit(tree);
  return {
    tables: [...tables].filter(([name]) => !ctes.has(name)).map(([name, at]) => ({ name, at })),
    functions,
    qualified,
    atClauses,
  };
}

/** Table functions that make rows from their arguments alone, reading nothing outside. */
const PURE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/**
 * Refuses what a data query may not do beyond being a SELECT: read files, URLs or
 * other databases through table functions, name tables in other schemas or catalogs,
 * step around the as-of with a time-travel clause, or call a function the source names
 * as reaching outside (`extraRefused`).
 */
export function checkReadOnly(sql: string, found: SelectInspection, extraRefused: (fn: string) => boolean = () => false): void {
  const table = found.functions.find((f) => f.table && !PURE_TABLE_FUNCTIONS.has(f.name));
  if (table) throw refused(sql, `${table.name}(...) reads from outside the source's tables; a data query may only read tables by name`, table.at);
  const other = found.functions.find((f) => extraRefused(f.name));
  if (other) throw refused(sql, `${other.name}(...) reaches outside the data; it is not allowed in a data query`, other.at);
  const q = found.qualified[0];
  if (q) throw refused(sql, `${q.name} names a schema or catalog; a data query reads the source's tables by their plain names`, q.at);
  const at = found.atClauses[0];
  if (at !== undefined) throw refused(sql, 'a time-travel clause (AT ...) is not allowed: the query is pinned by its as_of', at);
}

export function refused(sql: string, why: string, at = -1): RepriseError {
  return new RepriseError('REPRISE_ERR_DATA_QUERY_REFUSED', `data query refused: ${why}${at >= 0 && at < sql.length ? `\n${excerpt(sql, at, 1)}` : ''}`, {
    details: { query: sql, ...(at >= 0 ? { position: at } : {}) },
  });
}

/** The statement's first keyword (comments skipped), upper-cased, for messages: INSERT, DROP, COPY... */
export function firstKeyword(sql: string): string {
  const stripped = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').trimStart().replace(/^\(+/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

/** Why a statement that is not a single SELECT is refused, in words. */
export function notASelect(sql: string): RepriseError {
  const kw = firstKeyword(sql);
  return refused(sql, `${kw ? `${kw} statements are` : 'this statement is'} not allowed: a data query is a single SELECT (or WITH ... SELECT) that reads, never writes or loads anything`, 0);
}

/** A connection string with its password taken out, as manifests and messages show it. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (key.toLowerCase() === 'password') u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** The query as the body of a larger statement (`COPY (...) TO`, a preview): without trailing semicolons, on lines of its own so a closing comment cannot swallow what follows. */
export function queryBody(sql: string): string {
  return `(\n${sql.replace(/[\s;]+$/, '')}\n)`;
}
