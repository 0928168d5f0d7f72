/**
 * @module adapters/metadata-store/sqlite/sqlite-run-query
 * A run search compiled to SQL: the filter's values are always bound parameters, field
 * names come from a fixed table, and keys (`params.lr`) are bound too, so nothing a user
 * types is pasted into SQL. Pages are keyset cursors on (sort value, id), runs lacking
 * the value last (the cursor itself: `../run-cursor.ts`). How a page is read is
 * `sqlite-metadata-store.ts`'s `listRuns`.
 */
import { sql, type RawBuilder } from 'kysely';
import type { FilterExpr, FilterField, FilterValue, RunOrder } from '../../../core/run-filter.js';
import type { Cursor } from '../run-cursor.js';

type Sql = RawBuilder<unknown>;

const ATTRIBUTE_COLUMNS = {
  id: sql`runs.id`,
  name: sql`runs.name`,
  project: sql`runs.project`,
  status: sql`runs.status`,
  dev: sql`runs.dev`,
  created: sql`runs.created_at`,
  started: sql`runs.started_at`,
  ended: sql`runs.ended_at`,
  duration: sql`(runs.ended_at - coalesce(runs.started_at, runs.created_at))`,
  commit: sql`runs.commit_sha`,
  host: sql`runs.host`,
  env: sql`runs.env_hash`,
  gate: sql`runs.gate`,
  queue: sql`runs.queue`,
  sweep: sql`runs.sweep_id`,
  trigger: sql`runs.trigger_kind`,
} as const satisfies Record<string, Sql>;

const OPS = { '=': sql`=`, '!=': sql`!=`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=`, like: sql`like`, 'not like': sql`not like` } as const;

/**
 * A like pattern as a GLOB pattern, for a case-sensitive like: SQLite's LIKE ignores ASCII
 * case and GLOB does not. `%` and `_` become `*` and `?`; GLOB's own `*`, `?` and `[` in
 * the pattern are put in brackets, so they match only themselves.
 */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

/** A value as the column holding it stores it (dev as 0/1). */
function bind(field: FilterField, v: FilterValue): Sql {
  if (typeof v === 'boolean') return sql`${v ? 1 : 0}`;
  return sql`${v}`;
}

/** The column of run_params a value is compared with: numbers with numbers, the rest as text. */
function paramColumn(v: FilterValue): Sql {
  return typeof v === 'number' ? sql`num` : sql`text`;
}

function paramText(v: FilterValue): FilterValue {
  return typeof v === 'boolean' ? String(v) : v;
}

function metricColumn(field: Extract<FilterField, { kind: 'metric' }>): Sql {
  return field.agg === 'min' ? sql`min` : field.agg === 'max' ? sql`max` : sql`last`;
}

/**
 * How conditions on params, tags and metrics are written. `probe`: `exists (the run's row
 * for the key, where <cond>)`, one primary-key lookup per candidate run, for a page read by
 * walking the order's index (the value is written `+f.col`, which keeps SQLite from
 * answering it with a range scan of the key's index instead). `select`: `runs.id in (rows of
 * the key's index where <cond>)`, for a filter that few runs pass, read first.
 */
export type FilterMode = 'probe' | 'select';

function keyTable(field: Exclude<FilterField, { kind: 'attr' }>): Sql {
  return field.kind === 'param' ? sql`run_params` : field.kind === 'tag' ? sql`run_tags` : sql`metric_summaries`;
}

function keyed(field: Exclude<FilterField, { kind: 'attr' }>, mode: FilterMode, cond: (col: (v: FilterValue) => Sql) => Sql): Sql {
  const plus = mode === 'probe' ? sql`+` : sql``;
  const col =
    field.kind === 'param' ? (v: FilterValue) => sql`${plus}f.${paramColumn(v)}` : field.kind === 'tag' ? () => sql`${plus}f.value` : () => sql`${plus}f.${metricColumn(field)}`;
  return mode === 'probe'
    ? sql`exists (select 1 from ${keyTable(field)} f where f.run_id = runs.id and f.key = ${field.key} and ${cond(col)})`
    : sql`runs.id in (select f.run_id from ${keyTable(field)} f where f.key = ${field.key} and ${cond(col)})`;
}

/** Whether the run has a value for the field: a param set to null or a metric that is NaN counts as none. */
function keyPresent(field: Exclude<FilterField, { kind: 'attr' }>, mode: FilterMode = 'probe'): Sql {
  const cond = field.kind === 'param' ? (col: Sql) => sql`${col}json != 'null'` : field.kind === 'metric' ? (col: Sql) => sql`${col}${metricColumn(field)} is not null` : () => sql`1`;
  return mode === 'probe'
    ? sql`exists (select 1 from ${keyTable(field)} f where f.run_id = runs.id and f.key = ${field.key} and ${cond(sql`+f.`)})`
    : sql`runs.id in (select f.run_id from ${keyTable(field)} f where f.key = ${field.key} and ${cond(sql`f.`)})`;
}

export function compileFilter(e: FilterExpr, mode: FilterMode = 'probe'): Sql {
  const sub = (x: FilterExpr): Sql => compileFilter(x, mode);
  switch (e.kind) {
    case 'and':
      return sql`(${sql.join(e.items.map(sub), sql` and `)})`;
    case 'or':
      return sql`(${sql.join(e.items.map(sub), sql` or `)})`;
    case 'not':
      return sql`not (${sub(e.expr)})`;
    case 'cmp': {
      const glob = e.caseSensitive === true && (e.op === 'like' || e.op === 'not like') && typeof e.value === 'string';
      const op = glob ? (e.op === 'like' ? sql`glob` : sql`not glob`) : OPS[e.op];
      const value = glob ? likeToGlob(e.value as string) : e.value;
      if (e.field.kind === 'attr') return sql`${ATTRIBUTE_COLUMNS[e.field.name]} ${op} ${bind(e.field, value)}`;
      const v = e.field.kind === 'metric' ? value : paramText(value);
      return keyed(e.field, mode, (col) => sql`${col(value)} ${op} ${v}`);
    }
    case 'in': {
      if (e.values.length === 0) return e.negated ? sql`1` : sql`0`;
      let cond: Sql;
      if (e.field.kind === 'attr') {
        const f = e.field;
        cond = sql`${ATTRIBUTE_COLUMNS[f.name]} in (${sql.join(e.values.map((v) => bind(f, v)))})`;
      } else {
        const f = e.field;
        cond = keyed(f, mode, (col) => sql`(${sql.join(e.values.map((v) => sql`${col(v)} = ${f.kind === 'metric' ? v : paramText(v)}`), sql` or `)})`);
      }
      return e.negated ? sql`not (${cond})` : cond;
    }
    case 'null': {
      const present = e.field.kind === 'attr' ? sql`${ATTRIBUTE_COLUMNS[e.field.name]} is not null` : keyPresent(e.field, mode);
      return e.negated ? present : sql`not (${present})`;
    }
  }
}

/**
 * Runs in a given order come in segments, each an index walked in that order: for a
 * metric, the runs that have it (by its value), then those without; for a param, number
 * values, text values, then none. A page reads the segments in turn until it is full, so
 * runs lacking the value come last in either direction and no query sorts all runs.
 */
export interface Segment {
  /** The key's table, aliased `s`, whose (key, value, run_id) index is walked; absent: `runs` itself. */
  readonly table?: Sql;
  /** The sort value (over `s` or `runs`), or null for the runs without one, ordered by id alone. */
  readonly value: Sql | null;
  /** The run id as the walked index holds it, so ties need no sort of their own. */
  readonly id: Sql;
  /** Which rows of the walked table belong to the segment. */
  readonly where: Sql;
  /**
   * For the runs lacking a key's value: how many runs have it. When every run does, the
   * segment is empty, which this finds in an index count instead of a scan of all runs.
   */
  readonly having?: Sql;
}

const RUN_ID = sql`runs.id`;
const KEYED_ID = sql`s.run_id`;
const NULLABLE_ATTRIBUTES = new Set(['started', 'ended', 'duration', 'commit', 'env', 'gate', 'queue', 'sweep']);

function lacking(f: Exclude<FilterField, { kind: 'attr' }>): Segment {
  const cond = f.kind === 'param' ? sql`json != 'null'` : f.kind === 'metric' ? sql`${metricColumn(f)} is not null` : sql`1`;
  return {
    value: null,
    id: RUN_ID,
    where: sql`not ${keyPresent(f, 'select')}`,
    having: sql`select count(*) as n from ${keyTable(f)} where key = ${f.key} and ${cond}`,
  };
}

export function segments(order: RunOrder): Segment[] {
  const f = order.field;
  const desc = order.direction === 'desc';
  switch (f.kind) {
    case 'attr': {
      const col = ATTRIBUTE_COLUMNS[f.name];
      if (!NULLABLE_ATTRIBUTES.has(f.name)) return [{ value: col, id: RUN_ID, where: sql`1` }];
      return [
        { value: col, id: RUN_ID, where: sql`${col} is not null` },
        { value: null, id: RUN_ID, where: sql`${col} is null` },
      ];
    }
    case 'metric': {
      const col = metricColumn(f);
      return [
        { table: sql`metric_summaries`, value: sql`s.${col}`, id: KEYED_ID, where: sql`s.key = ${f.key} and s.${col} is not null` },
        lacking(f),
      ];
    }
    case 'param': {
      const numbers = { table: sql`run_params`, value: sql`s.num`, id: KEYED_ID, where: sql`s.key = ${f.key} and s.num is not null` };
      const texts = { table: sql`run_params`, value: sql`s.text`, id: KEYED_ID, where: sql`s.key = ${f.key} and s.num is null and s.text is not null` };
      // Numbers sort before text, as SQLite compares them.
      return [...(desc ? [texts, numbers] : [numbers, texts]), lacking(f)];
    }
    case 'tag':
      return [
        { table: sql`run_tags`, value: sql`s.value`, id: KEYED_ID, where: sql`s.key = ${f.key}` },
        lacking(f),
      ];
  }
}

/** Rows of the cursor's segment after its row, in (value, id) order. */
export function afterCursor(segment: Segment, direction: 'asc' | 'desc', c: Cursor): Sql {
  const desc = direction === 'desc';
  const idAfter = desc ? sql`${segment.id} < ${c.id}` : sql`${segment.id} > ${c.id}`;
  if (segment.value === null || c.v === null) return idAfter;
  const x = segment.value;
  const beyond = desc ? sql`${x} < ${c.v}` : sql`${x} > ${c.v}`;
  return sql`(${beyond} or (${x} = ${c.v} and ${idAfter}))`;
}

/**
 * The segment's order. `probe` walks the index that holds it; `select` writes it `+x`, an
 * expression no index holds, so SQLite reads the filter's matches first and sorts them.
 */
export function segmentOrder(segment: Segment, direction: 'asc' | 'desc', mode: FilterMode = 'probe'): Sql {
  const dir = direction === 'desc' ? sql`desc` : sql`asc`;
  const plus = mode === 'select' ? sql`+` : sql``;
  return segment.value === null ? sql`${plus}${segment.id} ${dir}` : sql`${plus}${segment.value} ${dir}, ${plus}${segment.id} ${dir}`;
}
