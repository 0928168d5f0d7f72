/**
 * A run search compiled to SQL: the filter's values are always bound parameters, field
 * names come from a fixed table, and keys (`params.lr`) are bound too, so nothing a user
 * types is pasted into SQL. Conditions on params, tags and metrics are `id IN (…)` over
 * their indexed tables; ordering by one of them is a correlated lookup; pages are keyset
 * cursors on (sort value, id), with runs lacking the value last.
 */
import { sql, type RawBuilder } from 'kysely';
import { RepriseError } from '../../../core/errors.js';
import { formatField, type FilterExpr, type FilterField, type FilterValue, type RunOrder } from '../../../core/run-filter.js';

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
} as const satisfies Record<string, Sql>;

const OPS = { '=': sql`=`, '!=': sql`!=`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=`, like: sql`like`, 'not like': sql`not like` } as const;

export const DEFAULT_ORDER: RunOrder = { field: { kind: 'attr', name: 'created' }, direction: 'desc' };

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

/** `id IN (rows of the field's table with this key where <cond>)`. */
function keyed(field: Exclude<FilterField, { kind: 'attr' }>, cond: (col: (v: FilterValue) => Sql) => Sql): Sql {
  switch (field.kind) {
    case 'param':
      return sql`runs.id in (select run_id from run_params where key = ${field.key} and ${cond(paramColumn)})`;
    case 'tag':
      return sql`runs.id in (select run_id from run_tags where key = ${field.key} and ${cond(() => sql`value`)})`;
    case 'metric':
      return sql`runs.id in (select run_id from metric_summaries where key = ${field.key} and ${cond(() => metricColumn(field))})`;
  }
}

function keyPresent(field: Exclude<FilterField, { kind: 'attr' }>): Sql {
  const table = field.kind === 'param' ? sql`run_params` : field.kind === 'tag' ? sql`run_tags` : sql`metric_summaries`;
  // A metric whose value is NaN, or a param set to null, counts as absent for `is null`.
  const extra = field.kind === 'metric' ? sql` and ${metricColumn(field)} is not null` : field.kind === 'param' ? sql` and json != 'null'` : sql``;
  return sql`runs.id in (select run_id from ${table} where key = ${field.key}${extra})`;
}

export function compileFilter(e: FilterExpr): Sql {
  switch (e.kind) {
    case 'and':
      return sql`(${sql.join(e.items.map(compileFilter), sql` and `)})`;
    case 'or':
      return sql`(${sql.join(e.items.map(compileFilter), sql` or `)})`;
    case 'not':
      return sql`not (${compileFilter(e.expr)})`;
    case 'cmp': {
      const op = OPS[e.op];
      if (e.field.kind === 'attr') return sql`${ATTRIBUTE_COLUMNS[e.field.name]} ${op} ${bind(e.field, e.value)}`;
      const v = e.field.kind === 'metric' ? e.value : paramText(e.value);
      return keyed(e.field, (col) => sql`${col(e.value)} ${op} ${v}`);
    }
    case 'in': {
      if (e.values.length === 0) return e.negated ? sql`1` : sql`0`;
      let cond: Sql;
      if (e.field.kind === 'attr') {
        const f = e.field;
        cond = sql`${ATTRIBUTE_COLUMNS[f.name]} in (${sql.join(e.values.map((v) => bind(f, v)))})`;
      } else {
        const f = e.field;
        cond = keyed(f, (col) => sql`(${sql.join(e.values.map((v) => sql`${col(v)} = ${f.kind === 'metric' ? v : paramText(v)}`), sql` or `)})`);
      }
      return e.negated ? sql`not (${cond})` : cond;
    }
    case 'null': {
      const present = e.field.kind === 'attr' ? sql`${ATTRIBUTE_COLUMNS[e.field.name]} is not null` : keyPresent(e.field);
      return e.negated ? present : sql`not (${present})`;
    }
  }
}

/** The value a run is sorted by, per row. */
export function sortExpression(field: FilterField): Sql {
  switch (field.kind) {
    case 'attr':
      return ATTRIBUTE_COLUMNS[field.name];
    case 'param':
      return sql`(select coalesce(num, text) from run_params p where p.run_id = runs.id and p.key = ${field.key})`;
    case 'tag':
      return sql`(select value from run_tags t where t.run_id = runs.id and t.key = ${field.key})`;
    case 'metric':
      return sql`(select ${metricColumn(field)} from metric_summaries s where s.run_id = runs.id and s.key = ${field.key})`;
  }
}

interface Cursor {
  /** The ordering the cursor belongs to. */
  readonly o: string;
  readonly v: string | number | null;
  readonly id: string;
  /** ±1 when the value is ±Infinity, which JSON cannot hold. */
  readonly inf?: 1 | -1;
}

export function orderLabel(order: RunOrder): string {
  return `${formatField(order.field)} ${order.direction}`;
}

export function encodeCursor(order: RunOrder, value: unknown, id: string): string {
  const v = typeof value === 'number' || typeof value === 'string' ? value : null;
  const c: Cursor = typeof v === 'number' && !Number.isFinite(v) ? { o: orderLabel(order), v: 0, id, inf: v > 0 ? 1 : -1 } : { o: orderLabel(order), v, id };
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(text: string, order: RunOrder): Cursor {
  let c: Cursor;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    c = { o: '', v: null, id: '' };
  }
  if (typeof c?.id !== 'string' || c.id === '' || typeof c.o !== 'string' || !(c.v === null || ['string', 'number'].includes(typeof c.v))) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `cursor ${JSON.stringify(text.slice(0, 40))} is not a cursor this server gave out`, {
      hint: 'pass the nextCursor of the previous page unchanged',
    });
  }
  if (c.o !== orderLabel(order)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `cursor: it belongs to the order "${c.o}", not "${orderLabel(order)}"`, {
      hint: 'keep the same order (and filter) for every page',
    });
  }
  return c.inf === 1 || c.inf === -1 ? { ...c, v: c.inf * Infinity } : c;
}

/** Rows after the cursor's row in (value, id) order, runs without a value last. */
export function afterCursor(order: RunOrder, c: Cursor): Sql {
  const x = sortExpression(order.field);
  const desc = order.direction === 'desc';
  const idAfter = desc ? sql`runs.id < ${c.id}` : sql`runs.id > ${c.id}`;
  if (c.v === null) return sql`(${x} is null and ${idAfter})`;
  const beyond = desc ? sql`${x} < ${c.v}` : sql`${x} > ${c.v}`;
  return sql`(${beyond} or (${x} = ${c.v} and ${idAfter}) or ${x} is null)`;
}

export function orderBy(order: RunOrder): Sql {
  const x = sortExpression(order.field);
  const dir = order.direction === 'desc' ? sql`desc` : sql`asc`;
  return sql`(${x} is null), ${x} ${dir}, runs.id ${dir}`;
}
