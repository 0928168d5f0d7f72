/**
 * @module core/mlflow/run-search
 * MLflow's run search (`runs/search`: `filter` and `order_by`) as Reprise's filter tree and
 * ordering, which the store already knows how to answer. MLflow experiments are Reprise
 * projects and MLflow runs are Reprise runs, so only the names differ: `metrics.rmse`
 * compares the latest value, `start_time` is `created`, MLflow's five statuses stand for
 * Reprise's seven, and `user_id` is the `mlflow.user` tag the client sets.
 */
import { formatField, type FilterExpr, type FilterField, type RunOrder } from '../run-filter.js';
import type { RunStatus } from '../run-manifest.js';
import {
  likePattern,
  parseConjunction,
  parseOrderTerm,
  quote,
  type SearchComparison,
  type SearchIdentifier,
  type SearchOp,
  type SearchText,
} from './search-tokens.js';

/** MLflow's run statuses and the Reprise statuses each stands for. */
export const MLFLOW_RUN_STATUSES = {
  RUNNING: ['running', 'preparing'],
  SCHEDULED: ['queued'],
  FINISHED: ['succeeded'],
  FAILED: ['failed', 'lost'],
  KILLED: ['canceled'],
} as const satisfies Record<string, readonly RunStatus[]>;
export type MlflowRunStatus = keyof typeof MLFLOW_RUN_STATUSES;
const STATUS_NAMES = Object.keys(MLFLOW_RUN_STATUSES) as MlflowRunStatus[];

/** The tag MLflow's client records its user in (and `user_id` means). */
export const MLFLOW_USER_TAG = 'mlflow.user';

type Entity = 'metric' | 'param' | 'tag' | 'attr' | 'dataset';
const ENTITIES: Readonly<Record<string, Entity>> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attr',
  attribute: 'attr',
  attr: 'attr',
  run: 'attr',
  datasets: 'dataset',
  dataset: 'dataset',
};

/** How a field is compared: which operators and values it takes. */
type Kind = 'number' | 'text' | 'id' | 'status';
interface Target {
  readonly field: FilterField;
  readonly kind: Kind;
}

const ATTRIBUTES: Readonly<Record<string, Target>> = {
  run_id: { field: { kind: 'attr', name: 'id' }, kind: 'id' },
  run_name: { field: { kind: 'attr', name: 'name' }, kind: 'text' },
  'run name': { field: { kind: 'attr', name: 'name' }, kind: 'text' },
  'Run name': { field: { kind: 'attr', name: 'name' }, kind: 'text' },
  'Run Name': { field: { kind: 'attr', name: 'name' }, kind: 'text' },
  status: { field: { kind: 'attr', name: 'status' }, kind: 'status' },
  user_id: { field: { kind: 'tag', key: MLFLOW_USER_TAG }, kind: 'text' },
  start_time: { field: { kind: 'attr', name: 'created' }, kind: 'number' },
  created: { field: { kind: 'attr', name: 'created' }, kind: 'number' },
  Created: { field: { kind: 'attr', name: 'created' }, kind: 'number' },
  end_time: { field: { kind: 'attr', name: 'ended' }, kind: 'number' },
};
/** MLflow attributes Reprise has no counterpart for. */
const UNSUPPORTED_ATTRIBUTES = new Set(['artifact_uri', 'lifecycle_stage']);
const FIELDS_EXPECTED =
  'an attribute (run_id, run_name, status, user_id, start_time, end_time) or a field starting metrics., params. or tags.';

const OPS: Readonly<Record<Kind, readonly SearchOp[]>> = {
  number: ['=', '!=', '<', '<=', '>', '>='],
  text: ['=', '!=', 'LIKE', 'ILIKE'],
  id: ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'],
  status: ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'],
};

/** MLflow's `filter` of `runs/search` as a Reprise filter; undefined when it is blank. */
export function parseMlflowRunFilter(text: string): FilterExpr | undefined {
  const items = parseConjunction(text, comparison);
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : { kind: 'and', items };
}

/**
 * MLflow's `order_by` of `runs/search` as Reprise's one-field order; undefined for [].
 * MLflow's own tiebreaks (start_time, run_id) may follow the first entry and are dropped:
 * Reprise breaks ties by run id.
 */
export function parseMlflowRunOrder(orderBy: readonly string[]): RunOrder | undefined {
  let order: RunOrder | undefined;
  const seen = new Set<string>();
  orderBy.forEach((text, i) => {
    const { term, source } = parseOrderTerm(text, orderBy.length > 1 ? `order_by[${i}]` : 'order_by');
    const { field } = resolve(term.ident, source);
    const name = formatField(field);
    if (seen.has(name)) {
      source.fail(term.ident.span, `duplicate order_by field ${quote(term.ident.span.text)}`, 'each field once (start_time and created are one field)');
    }
    seen.add(name);
    if (order === undefined) {
      order = { field, direction: term.desc ? 'desc' : 'asc' };
    } else if (!isTiebreak(field)) {
      source.fail(
        term.ident.span,
        `a second field to order by, ${quote(term.ident.span.text)}: Reprise orders runs by one field (ties broken by run id)`,
        'one order_by entry (only start_time or run_id may follow it)',
      );
    }
  });
  return order;
}

function isTiebreak(field: FilterField): boolean {
  return field.kind === 'attr' && (field.name === 'created' || field.name === 'id');
}

function comparison(c: SearchComparison, source: SearchText): FilterExpr {
  const { field, kind } = resolve(c.ident, source);
  const allowed = OPS[kind];
  if (!allowed.includes(c.op)) {
    source.fail(c.opSpan, `${c.op} does not apply to ${c.ident.span.text}`, `one of ${allowed.join(', ')}`);
  }
  for (const v of c.values) {
    if (kind === 'number' && typeof v.value !== 'number') {
      const what = field.kind === 'metric' ? 'metrics are numbers' : `${c.ident.span.text} is a number (milliseconds since 1970)`;
      source.fail(v.span, `${what}, not ${v.span.text}`, 'a number such as 3, -0.5 or 1e-3');
    }
    if (kind !== 'number' && typeof v.value !== 'string') {
      source.fail(v.span, `${c.ident.span.text} is compared with text, not the number ${v.span.text}`, `a quoted string, as in '${v.span.text}'`);
    }
  }
  if (kind === 'status') return statusComparison(c, field, source);

  const value = c.values[0]!.value;
  switch (c.op) {
    case 'IN':
    case 'NOT IN':
      return { kind: 'in', field, values: c.values.map((v) => v.value), negated: c.op === 'NOT IN' };
    case 'LIKE':
      return { kind: 'cmp', field, op: 'like', value, caseSensitive: true };
    case 'ILIKE':
      // Reprise's own like ignores case.
      return { kind: 'cmp', field, op: 'like', value };
    default:
      return { kind: 'cmp', field, op: c.op, value };
  }
}

/** A condition on MLflow's statuses as one on the Reprise statuses they stand for. */
function statusComparison(c: SearchComparison, field: FilterField, source: SearchText): FilterExpr {
  const names = new Set<MlflowRunStatus>();
  for (const v of c.values) {
    const text = v.value as string;
    if (c.op === 'LIKE' || c.op === 'ILIKE') {
      const re = likePattern(text, c.op === 'ILIKE');
      for (const n of STATUS_NAMES) if (re.test(n)) names.add(n);
    } else if ((STATUS_NAMES as readonly string[]).includes(text)) {
      names.add(text as MlflowRunStatus);
    } else {
      source.fail(v.span, `unknown status ${quote(text)}`, `one of ${STATUS_NAMES.join(', ')}`);
    }
  }
  const values = STATUS_NAMES.filter((n) => names.has(n)).flatMap((n) => MLFLOW_RUN_STATUSES[n]);
  return { kind: 'in', field, values, negated: c.op === '!=' || c.op === 'NOT IN' };
}

function resolve(ident: SearchIdentifier, source: SearchText): Target {
  if (ident.entity === undefined) return attribute(ident.key, ident, source);
  const entity = Object.hasOwn(ENTITIES, ident.entity.toLowerCase()) ? ENTITIES[ident.entity.toLowerCase()] : undefined;
  if (entity === undefined) return source.fail(ident.span, `unknown field ${quote(ident.span.text)}`, FIELDS_EXPECTED);
  switch (entity) {
    case 'metric':
      return { field: { kind: 'metric', key: ident.key, agg: 'last' }, kind: 'number' };
    case 'param':
      return { field: { kind: 'param', key: ident.key }, kind: 'text' };
    case 'tag':
      return { field: { kind: 'tag', key: ident.key }, kind: 'text' };
    case 'attr':
      return attribute(ident.key, ident, source);
    case 'dataset':
      return source.fail(ident.span, `${quote(ident.span.text)} is not supported: Reprise does not search runs by dataset`, FIELDS_EXPECTED);
  }
}

function attribute(name: string, ident: SearchIdentifier, source: SearchText): Target {
  const target = Object.hasOwn(ATTRIBUTES, name) ? ATTRIBUTES[name] : undefined;
  if (target !== undefined) return target;
  if (UNSUPPORTED_ATTRIBUTES.has(name)) {
    return source.fail(ident.span, `the attribute ${quote(name)} is not supported by Reprise's run search`, FIELDS_EXPECTED);
  }
  return source.fail(ident.span, `unknown attribute ${quote(name)}`, FIELDS_EXPECTED);
}
