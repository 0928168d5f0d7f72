/**
 * @module adapters/metadata-store/postgres/postgres-run-query
 * A run search compiled to PostgreSQL, with the semantics of sqlite-run-query.ts: values
 * are always bound parameters, field names come from a fixed table, and keys
 * (`params.lr`) are bound too, so nothing a user types is pasted into SQL. Conditions on
 * params, tags and metrics are `exists` over the key's row of the run. A page is read
 * segment by segment (for a metric: the runs that have it by its value, then those
 * without; for a param: numbers, text, none), each ordered by (value, id) and resumed
 * after a keyset cursor, so runs lacking the value come last in either direction.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { RunRecord } from '../../../core/run.js';
import type { CompareOp, FilterExpr, FilterField, FilterValue, RunAttribute, RunOrder } from '../../../core/run-filter.js';
import type { RunPage, RunQuery } from '../../../ports/metadata-store.js';
import { badCursor, decodeCursor, DEFAULT_ORDER, encodeCursor, type Cursor } from '../run-cursor.js';
import { RECORD_COLUMNS } from '../sql-rows.js';
import { fromRow, type RecordRow } from './postgres-rows.js';
import { INDEXED_TEXT_CHARS, type PostgresTables } from './postgres-schema.js';

type Sql = RawBuilder<unknown>;
type Kind = 'text' | 'number' | 'bool';

const ATTRIBUTES: Record<RunAttribute, { readonly col: Sql; readonly kind: Kind; readonly nullable?: true }> = {
  id: { col: sql`runs.id`, kind: 'text' },
  name: { col: sql`runs.name`, kind: 'text' },
  project: { col: sql`runs.project`, kind: 'text' },
  status: { col: sql`runs.status`, kind: 'text' },
  dev: { col: sql`runs.dev`, kind: 'bool' },
  created: { col: sql`runs.created_at`, kind: 'number' },
  started: { col: sql`runs.started_at`, kind: 'number', nullable: true },
  ended: { col: sql`runs.ended_at`, kind: 'number', nullable: true },
  duration: { col: sql`(runs.ended_at - coalesce(runs.started_at, runs.created_at))`, kind: 'number', nullable: true },
  commit: { col: sql`runs.commit_sha`, kind: 'text', nullable: true },
  host: { col: sql`runs.host`, kind: 'text' },
  env: { col: sql`runs.env_hash`, kind: 'text', nullable: true },
  gate: { col: sql`runs.gate`, kind: 'text', nullable: true },
  queue: { col: sql`runs.queue`, kind: 'text', nullable: true },
  sweep: { col: sql`runs.sweep_id`, kind: 'text', nullable: true },
  trigger: { col: sql`runs.trigger_kind`, kind: 'text' },
};

const OPS: Record<Exclude<CompareOp, 'like' | 'not like'>, Sql> = { '=': sql`=`, '!=': sql`<>`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=` };

/** How many runs a search walks in the order's index before it reads the query's matches first instead. */
const WALK_BUDGET = 1_000;
/** The longest walk tried when the first one found matches, but too few: beyond it, reading the matches first is quicker. */
const MAX_WALK = 8 * WALK_BUDGET;

type KeyedField = Exclude<FilterField, { kind: 'attr' }>;

function keyTable(field: KeyedField): Sql {
  return field.kind === 'param' ? sql`run_params` : field.kind === 'tag' ? sql`run_tags` : sql`metric_summaries`;
}

function metricColumn(field: Extract<FilterField, { kind: 'metric' }>): Sql {
  return field.agg === 'min' ? sql`min` : field.agg === 'max' ? sql`max` : sql`last`;
}

/**
 * How conditions on params, tags and metrics are written. `probe`: a subquery evaluated
 * for each candidate run, one primary-key lookup of the run's row for the key (`offset 0`
 * keeps the planner from turning it into a join), for a page read by walking the order's
 * index. `select`: a plain `exists`, which the planner makes a semi-join, for a filter that
 * few runs pass, read first.
 */
export type FilterMode = 'probe' | 'select';

/** `cond` over the run's row for the key (aliased `f`). */
function keyed(field: KeyedField, cond: Sql, mode: FilterMode): Sql {
  const probe = mode === 'probe' ? sql` offset 0` : sql``;
  return sql`exists (select 1 from ${keyTable(field)} f where f.run_id = runs.id and f.key = ${field.key} and ${cond}${probe})`;
}

/** Whether the run has a value for the field: a param set to null or a metric that is NaN counts as none. */
function present(field: KeyedField, alias: Sql = sql`f`): Sql {
  if (field.kind === 'param') return sql`${alias}.json <> 'null'`;
  if (field.kind === 'metric') return sql`${alias}.${metricColumn(field)} is not null`;
  return sql`true`;
}

/**
 * A number compared with a value as SQLite compares a numeric column: numbers as numbers
 * (a whole one bound as it is, so an index on a bigint column serves it), text that reads
 * as a number as that number, other text above every number.
 */
function numberCompare(col: Sql, op: Exclude<CompareOp, 'like' | 'not like'>, v: FilterValue): Sql {
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
  if (n === undefined) {
    const below = op === '<' || op === '<=' || op === '!=';
    return sql`(${col} is not null and ${sql.raw(below ? 'true' : 'false')})`;
  }
  return Number.isSafeInteger(n) ? sql`${col} ${OPS[op]} ${n}` : sql`${col}::float8 ${OPS[op]} ${n}::float8`;
}

/** A value's first INDEXED_TEXT_CHARS characters, as the stored prefix columns hold a text's. */
function prefixOf(text: Sql): Sql {
  return sql`left(${text}::text, ${sql.lit(INDEXED_TEXT_CHARS)})`;
}

/**
 * Text compared with text. Equality is looked up on the indexed prefix: for a value
 * shorter than the prefix, an equal prefix is an equal text (the index alone answers);
 * a longer one is checked whole after.
 */
function textCompare(col: Sql, op: Exclude<CompareOp, 'like' | 'not like'>, v: FilterValue, prefixCol?: Sql): Sql {
  const text = String(v);
  if (op !== '=' || !prefixCol) return sql`${col} ${OPS[op]} ${text}`;
  // PostgreSQL counts characters as code points, as spreading a string does.
  if ([...text].length < INDEXED_TEXT_CHARS) return sql`${prefixCol} = ${text}`;
  return sql`(${prefixCol} = ${prefixOf(sql`${text}`)} and ${col} = ${text})`;
}

/** `like` as SQLite's: ASCII case ignored (the columns' collation is C) unless asked, only % and _ as wildcards. */
function likeCompare(col: Sql, op: 'like' | 'not like', v: FilterValue, caseSensitive: boolean): Sql {
  const word = caseSensitive ? 'like' : 'ilike';
  return sql`${col} ${sql.raw(op === 'like' ? word : `not ${word}`)} ${String(v)} escape ''`;
}

/** One comparison of a field with a value. */
function compare(field: FilterField, op: CompareOp, v: FilterValue, caseSensitive: boolean, mode: FilterMode): Sql {
  if (field.kind === 'attr') {
    const a = ATTRIBUTES[field.name];
    if (op === 'like' || op === 'not like') return likeCompare(a.kind === 'text' ? a.col : sql`${a.col}::text`, op, v, caseSensitive);
    if (a.kind === 'text') return textCompare(a.col, op, v);
    if (a.kind === 'bool' && typeof v === 'boolean') return sql`${a.col} ${OPS[op]} ${v}`;
    return numberCompare(a.kind === 'bool' ? sql`${a.col}::int` : a.col, op, v);
  }
  if (field.kind === 'metric') {
    const col = sql`f.${metricColumn(field)}`;
    if (op === 'like' || op === 'not like') return keyed(field, likeCompare(sql`${col}::text`, op, v, caseSensitive), mode);
    return keyed(field, numberCompare(col, op, v), mode);
  }
  if (field.kind === 'tag') {
    if (op === 'like' || op === 'not like') return keyed(field, likeCompare(sql`f.value`, op, v, caseSensitive), mode);
    return keyed(field, textCompare(sql`f.value`, op, v, sql`f.value_prefix`), mode);
  }
  // A param: numbers with its number, anything else with its text (booleans as true/false).
  if (op === 'like' || op === 'not like') return keyed(field, likeCompare(sql`f.text`, op, v, caseSensitive), mode);
  if (typeof v === 'number') return keyed(field, Number.isFinite(v) ? sql`f.num ${OPS[op]} ${v}::float8` : numberCompare(sql`f.num`, op, v), mode);
  return keyed(field, textCompare(sql`f.text`, op, v, sql`f.text_prefix`), mode);
}

export function compileFilter(e: FilterExpr, mode: FilterMode = 'select'): Sql {
  const sub = (x: FilterExpr): Sql => compileFilter(x, mode);
  switch (e.kind) {
    case 'and':
      return e.items.length === 0 ? sql`true` : sql`(${sql.join(e.items.map(sub), sql` and `)})`;
    case 'or':
      return e.items.length === 0 ? sql`false` : sql`(${sql.join(e.items.map(sub), sql` or `)})`;
    case 'not':
      return sql`not (${sub(e.expr)})`;
    case 'cmp':
      return compare(e.field, e.op, e.value, e.caseSensitive === true, mode);
    case 'in': {
      if (e.values.length === 0) return e.negated ? sql`true` : sql`false`;
      const field = e.field;
      const cond = sql`(${sql.join(e.values.map((v) => compare(field, '=', v, false, mode)), sql` or `)})`;
      return e.negated ? sql`not ${cond}` : cond;
    }
    case 'null': {
      const has = e.field.kind === 'attr' ? sql`${ATTRIBUTES[e.field.name].col} is not null` : keyed(e.field, present(e.field), mode);
      return e.negated ? has : sql`not (${has})`;
    }
  }
}

/** The conditions of a query (project, statuses, dev, deletion, filter) as one condition on `runs`. */
export function queryConditions(query: RunQuery, mode: FilterMode = 'select'): Sql {
  const c: Sql[] = [sql`true`];
  if (query.project !== undefined) c.push(sql`runs.project = ${query.project}`);
  if (query.projects !== undefined) c.push(query.projects.length === 0 ? sql`false` : sql`runs.project = any(${[...query.projects]}::text[])`);
  const deleted = query.deleted ?? 'exclude';
  if (deleted !== 'include') c.push(deleted === 'only' ? sql`runs.deleted_at is not null` : sql`runs.deleted_at is null`);
  if (query.statuses && query.statuses.length > 0) c.push(sql`runs.status = any(${[...query.statuses]}::text[])`);
  if (query.dev !== undefined) c.push(sql`runs.dev = ${query.dev}`);
  if (query.filter) c.push(compileFilter(query.filter, mode));
  return sql.join(c, sql` and `);
}

/** Runs in one stretch of an order; see the module comment. */
interface Segment {
  /** Rows to read: `runs`, or a key's table aliased `s` joined to `runs`. */
  readonly from: Sql;
  /** The rows whose index a walk reads in order: `runs`, or the key's table alone, aliased `s`. */
  readonly walk: Sql;
  /** The sort value, or null for runs without one, ordered by id alone. */
  readonly value: Sql | null;
  readonly valueKind: 'number' | 'text';
  /**
   * For a param's or tag's text, which its index holds by its first INDEXED_TEXT_CHARS
   * characters (a column of its own): ordered by that prefix, then the whole text (the
   * same order), so the index is read in order and only ties on the prefix are sorted.
   */
  readonly prefix?: Sql;
  /** The run id as the read table holds it. */
  readonly id: Sql;
  /** Which rows belong to the segment. */
  readonly where: Sql;
}

const RUN_ID = sql`runs.id`;
const KEYED_ID = sql`s.run_id`;

function keyedSegment(table: Sql, value: Sql, valueKind: 'number' | 'text', where: Sql, prefix?: Sql): Segment {
  const seg: Segment = { from: sql`${table} s join runs on runs.id = s.run_id`, walk: sql`${table} s`, value, valueKind, id: KEYED_ID, where };
  return prefix ? { ...seg, prefix } : seg;
}

function lacking(f: KeyedField): Segment {
  return { from: sql`runs`, walk: sql`runs`, value: null, valueKind: 'text', id: RUN_ID, where: sql`not ${keyed(f, present(f), 'select')}` };
}

export function segments(order: RunOrder): Segment[] {
  const f = order.field;
  switch (f.kind) {
    case 'attr': {
      const a = ATTRIBUTES[f.name];
      // dev sorts as 0/1, so a cursor can hold it.
      const col = a.kind === 'bool' ? sql`${a.col}::int` : a.col;
      const kind = a.kind === 'text' ? 'text' : 'number';
      const ordered: Segment = { from: sql`runs`, walk: sql`runs`, value: col, valueKind: kind, id: RUN_ID, where: a.nullable ? sql`${a.col} is not null` : sql`true` };
      return a.nullable ? [ordered, { from: sql`runs`, walk: sql`runs`, value: null, valueKind: kind, id: RUN_ID, where: sql`${a.col} is null` }] : [ordered];
    }
    case 'metric': {
      const col = metricColumn(f);
      return [keyedSegment(sql`metric_summaries`, sql`s.${col}`, 'number', sql`s.key = ${f.key} and s.${col} is not null`), lacking(f)];
    }
    case 'param': {
      const numbers = keyedSegment(sql`run_params`, sql`s.num`, 'number', sql`s.key = ${f.key} and s.num is not null`);
      const texts = keyedSegment(sql`run_params`, sql`s.text`, 'text', sql`s.key = ${f.key} and s.num is null and s.text is not null`, sql`s.text_prefix`);
      // Numbers sort before text, as SQLite compares them.
      return [...(order.direction === 'desc' ? [texts, numbers] : [numbers, texts]), lacking(f)];
    }
    case 'tag':
      return [keyedSegment(sql`run_tags`, sql`s.value`, 'text', sql`s.key = ${f.key}`, sql`s.value_prefix`), lacking(f)];
  }
}

/**
 * A cursor read back for the order's segments: as run-cursor.ts checks it, and its value
 * of the kind its segment sorts by (another would reach the server as a type error).
 */
function readCursor(text: string, order: RunOrder, segs: readonly Segment[]): Cursor {
  const c = decodeCursor(text, order, segs.length);
  if (c.v !== null && segs[c.s]!.value !== null && typeof c.v !== (segs[c.s]!.valueKind === 'number' ? 'number' : 'string')) throw badCursor(text);
  return c;
}

/** Rows of the cursor's segment after its row, in (value, id) order: a row comparison an index reads from. */
function afterCursor(segment: Segment, direction: 'asc' | 'desc', c: Cursor): Sql {
  const op = direction === 'desc' ? sql`<` : sql`>`;
  if (segment.value === null || c.v === null) return sql`${segment.id} ${op} ${c.id}`;
  if (segment.prefix) return sql`(${segment.prefix}, ${segment.value}, ${segment.id}) ${op} (${prefixOf(sql`${c.v}`)}, ${c.v}, ${c.id})`;
  // Whole numbers bound as they are, so a bigint column's index serves; others (fractions, ±Infinity) as float8.
  const v = typeof c.v === 'number' && !Number.isSafeInteger(c.v) ? sql`${c.v}::float8` : sql`${c.v}`;
  return sql`(${segment.value}, ${segment.id}) ${op} (${v}, ${c.id})`;
}

type Found = { id: string; sv: unknown };

/**
 * A page of runs matching the query, in its order. Each segment with a value is read in
 * one of two ways, whatever the planner's estimates, which are poor for a key and its
 * values taken together. First by walking the order's index for up to WALK_BUDGET runs,
 * each checked against the query by lookups (`probe`): quick when many runs pass. When
 * that leaves the page short with runs still unwalked, a walk long enough for the rate
 * of matches seen is tried once more, if that rate makes it short enough; otherwise few
 * runs pass, so the query's matches are read first (`select`), then sorted. Full rows
 * are read for the page alone.
 */
export async function searchRuns(db: Kysely<PostgresTables>, query: RunQuery): Promise<RunPage> {
  const order = query.order ?? DEFAULT_ORDER;
  const limit = query.limit ?? 100;
  const segs = segments(order);
  const cursor = query.cursor ? readCursor(query.cursor, order, segs) : undefined;
  const found: (Found & { segment: number })[] = [];
  for (let i = cursor?.s ?? 0; i < segs.length && found.length <= limit; i++) {
    const seg = segs[i]!;
    const after = cursor && i === cursor.s ? afterCursor(seg, order.direction, cursor) : sql`true`;
    for (const r of await readSegment(db, query, seg, after, order.direction, limit + 1 - found.length)) found.push({ ...r, segment: i });
  }
  const page = found.slice(0, limit);
  const byId = new Map<string, RunRecord>();
  if (page.length > 0) {
    const rows = await db
      .selectFrom('runs')
      .select([...RECORD_COLUMNS])
      .where('id', '=', sql<string>`any(${page.map((f) => f.id)}::text[])`)
      .execute();
    for (const r of rows as RecordRow[]) byId.set(r.id, fromRow(r));
  }
  const last = page[page.length - 1];
  return {
    runs: page.map((f) => byId.get(f.id)!),
    nextCursor: found.length > limit && last ? encodeCursor(order, last.segment, last.sv, last.id) : null,
  };
}

/** Up to `want` runs of a segment that match the query, after `after`, in order (see searchRuns). */
async function readSegment(db: Kysely<PostgresTables>, query: RunQuery, seg: Segment, after: Sql, direction: 'asc' | 'desc', want: number): Promise<Found[]> {
  const dir = direction === 'desc' ? sql`desc` : sql`asc`;
  if (seg.value === null) {
    // Runs without a value, by id: no order's index to walk, so the planner chooses.
    return (
      await sql<Found>`
        select ${seg.id} as id, null as sv from ${seg.from}
        where ${seg.where} and ${after} and ${queryConditions(query, 'select')}
        order by ${seg.id} ${dir} limit ${want}`.execute(db)
    ).rows;
  }
  const orderBy = seg.prefix ? sql`${seg.prefix} ${dir}, ${seg.value} ${dir}, ${seg.id} ${dir}` : sql`${seg.value} ${dir}, ${seg.id} ${dir}`;
  const walk = async (budget: number) =>
    (
      await sql<Found>`
        select w.id, w.sv from (
          select ${seg.id} as id, ${seg.value} as sv from ${seg.walk} where ${seg.where} and ${after} order by ${orderBy} limit ${budget}
        ) w
        where exists (select 1 from runs where runs.id = w.id and ${queryConditions(query, 'probe')} offset 0)
        order by w.sv ${dir}, w.id ${dir} limit ${want}`.execute(db)
    ).rows;
  /** Whether the segment has more runs than `budget`: a walk that long left some unseen. */
  const longerThan = async (budget: number) =>
    (await sql<{ n: number }>`select count(*) as n from (select 1 from ${seg.walk} where ${seg.where} and ${after} limit ${budget + 1}) x`.execute(db)).rows[0]!.n > budget;
  let rows = await walk(WALK_BUDGET);
  if (rows.length >= want || !(await longerThan(WALK_BUDGET))) return rows;
  // Half again what the rate of matches seen says the page needs.
  const budget = rows.length === 0 ? Infinity : Math.ceil((1.5 * WALK_BUDGET * want) / rows.length);
  if (budget <= MAX_WALK) {
    rows = await walk(budget);
    if (rows.length >= want || !(await longerThan(budget))) return rows;
  }
  // The matches first (materialized, so the order's index cannot be walked instead), each
  // one's sort value looked up by its run (a lateral read per match), then sorted.
  return (
    await sql<Found>`
      with m as materialized (select runs.id from runs where ${queryConditions(query, 'select')})
      select x.id, x.sv from m cross join lateral (
        select ${seg.id} as id, ${seg.value} as sv from ${seg.walk} where ${seg.id} = m.id and ${seg.where} and ${after} offset 0
      ) x
      order by x.sv ${dir}, x.id ${dir} limit ${want}`.execute(db)
  ).rows;
}

/** How many runs a query matches. */
export async function countRuns(db: Kysely<PostgresTables>, query: RunQuery): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from runs where ${queryConditions(query)}`.execute(db);
  return rows[0]!.n;
}
