/**
 * @module core/mlflow/entity-search
 * MLflow's searches of experiments, registered models and model versions. These lists
 * are small (hundreds to thousands of entries), so a filter becomes a predicate and an
 * order_by a comparator, both applied in memory to the whole list before it is paged;
 * the schemas below say which names each search knows.
 */
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

export interface EntitySearchSchema {
  /** attribute name -> type; aliases allowed by listing them */
  readonly attributes: Readonly<Record<string, 'string' | 'number'>>;
  /** order_by keys allowed -> attribute name */
  readonly orderable: Readonly<Record<string, string>>;
  /** 'experiments', 'registered models', 'model versions' (for messages) */
  readonly what: string;
  /** String attributes that also take `IN (...)` and `NOT IN (...)`. */
  readonly lists?: readonly string[];
}

/** An entry as the search sees it: its attributes by name (null when it has none) and its tags. */
export interface SearchableEntity {
  readonly attrs: Readonly<Record<string, string | number | null>>;
  readonly tags: Readonly<Record<string, string>>;
}

export type EntityPredicate = (e: SearchableEntity) => boolean;
export type EntityComparator = (a: SearchableEntity, b: SearchableEntity) => number;

/**
 * Experiments. The entity carries `name`, `creation_time`, `last_update_time` and, to be
 * ordered by it, `experiment_id` as a number (MLflow orders ids as numbers: 2 before 10).
 * MLflow's default order is `creation_time DESC` with `experiment_id` ascending as the final tiebreak.
 */
export const EXPERIMENT_SEARCH: EntitySearchSchema = {
  what: 'experiments',
  attributes: { name: 'string', creation_time: 'number', last_update_time: 'number' },
  orderable: { name: 'name', experiment_id: 'experiment_id', creation_time: 'creation_time', last_update_time: 'last_update_time' },
};

/**
 * Registered models. The entity carries `name` and `last_updated_timestamp`. Ordering by
 * `timestamp` orders by the last update, as MLflow's reference server does. MLflow's
 * default order and final tiebreak is `name` ascending.
 */
export const REGISTERED_MODEL_SEARCH: EntitySearchSchema = {
  what: 'registered models',
  attributes: { name: 'string' },
  orderable: { name: 'name', timestamp: 'last_updated_timestamp', last_updated_timestamp: 'last_updated_timestamp' },
};

/**
 * Model versions. The entity carries `name`, `run_id` (null without one), `source_path`
 * (the version's source), `version_number` (a number), `creation_timestamp` and
 * `last_updated_timestamp`. MLflow's default order is `name ASC, version_number DESC`.
 */
export const MODEL_VERSION_SEARCH: EntitySearchSchema = {
  what: 'model versions',
  attributes: { name: 'string', run_id: 'string', source_path: 'string', version_number: 'number' },
  lists: ['run_id'],
  orderable: {
    name: 'name',
    version_number: 'version_number',
    creation_timestamp: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
};

/**
 * Logged models (MLflow 3's `log_model`). The entity carries `name`, `model_id`,
 * `model_type`, `status` (MLflow's name, e.g. `LOGGED_MODEL_READY`), `source_run_id` and
 * `creation_timestamp` / `last_updated_timestamp`. The client's own search is
 * `name = '<artifact path>'`; MLflow's default order is newest first.
 */
export const LOGGED_MODEL_SEARCH: EntitySearchSchema = {
  what: 'logged models',
  attributes: {
    name: 'string',
    model_id: 'string',
    model_type: 'string',
    status: 'string',
    source_run_id: 'string',
    creation_timestamp: 'number',
    creation_time: 'number',
    last_updated_timestamp: 'number',
    last_updated_time: 'number',
  },
  lists: ['model_id', 'source_run_id'],
  orderable: {
    name: 'name',
    creation_timestamp: 'creation_timestamp',
    creation_time: 'creation_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
    last_updated_time: 'last_updated_timestamp',
  },
};

const TAG_ENTITIES = new Set(['tags', 'tag']);
const ATTRIBUTE_ENTITIES = new Set(['attributes', 'attribute', 'attr']);
const NUMBER_OPS: readonly SearchOp[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING_OPS: readonly SearchOp[] = ['=', '!=', 'LIKE', 'ILIKE'];
const LIST_OPS: readonly SearchOp[] = [...STRING_OPS, 'IN', 'NOT IN'];

type Target = { readonly kind: 'tag'; readonly key: string } | { readonly kind: 'attr'; readonly name: string; readonly type: 'string' | 'number' };

/**
 * A filter as a predicate; blank text matches everything. `tags.k != 'v'` also matches
 * entries without tag k (MLflow's client excludes prompts from registered-model searches
 * that way); `=`, LIKE and ILIKE never match a missing tag, and nothing matches a null
 * attribute. LIKE is case-sensitive, ILIKE is not.
 */
export function compileEntityFilter(text: string, schema: EntitySearchSchema): EntityPredicate {
  const tests = parseConjunction(text, (c, source) => predicate(c, source, schema));
  return (e) => tests.every((t) => t(e));
}

/**
 * An order_by list as a comparator, followed by `tiebreak` (attribute names), so that
 * pages cut from the sorted list never depend on the list's first order. Entries lacking
 * a value come last in either direction.
 */
export function compileEntityOrder(
  orderBy: readonly string[],
  schema: EntitySearchSchema,
  tiebreak: readonly { key: string; desc: boolean }[],
): EntityComparator {
  const keys: { key: string; desc: boolean }[] = [];
  orderBy.forEach((text, i) => {
    const { term, source } = parseOrderTerm(text, orderBy.length > 1 ? `order_by[${i}]` : 'order_by');
    const key = orderKey(term.ident, source, schema);
    if (keys.some((k) => k.key === key)) {
      source.fail(term.ident.span, `duplicate order_by field ${quote(term.ident.span.text)}`, 'each field once');
    }
    keys.push({ key, desc: term.desc });
  });
  keys.push(...tiebreak);
  return (a, b) => {
    for (const { key, desc } of keys) {
      const d = compareValues(a.attrs[key], b.attrs[key], desc);
      if (d !== 0) return d;
    }
    return 0;
  };
}

function orderKey(ident: SearchIdentifier, source: SearchText, schema: EntitySearchSchema): string {
  const bare = ident.entity === undefined || ATTRIBUTE_ENTITIES.has(ident.entity.toLowerCase());
  if (bare && Object.hasOwn(schema.orderable, ident.key)) return schema.orderable[ident.key]!;
  return source.fail(ident.span, `${schema.what} cannot be ordered by ${quote(ident.span.text)}`, `one of ${Object.keys(schema.orderable).join(', ')}`);
}

/** Nulls (and missing values) last whatever the direction; numbers as numbers, before text; text by code unit. */
function compareValues(x: string | number | null | undefined, y: string | number | null | undefined, desc: boolean): number {
  const xNone = x === null || x === undefined || Number.isNaN(x);
  const yNone = y === null || y === undefined || Number.isNaN(y);
  if (xNone || yNone) return xNone === yNone ? 0 : xNone ? 1 : -1;
  let d: number;
  if (typeof x === 'number' && typeof y === 'number') d = x - y;
  else if (typeof x !== typeof y) d = typeof x === 'number' ? -1 : 1;
  else d = x < y ? -1 : x > y ? 1 : 0;
  return desc ? -d : d;
}

function resolve(ident: SearchIdentifier, source: SearchText, schema: EntitySearchSchema): Target {
  const entity = ident.entity?.toLowerCase();
  if (entity !== undefined && TAG_ENTITIES.has(entity)) return { kind: 'tag', key: ident.key };
  if (entity === undefined || ATTRIBUTE_ENTITIES.has(entity)) {
    if (Object.hasOwn(schema.attributes, ident.key)) return { kind: 'attr', name: ident.key, type: schema.attributes[ident.key]! };
    return source.fail(ident.span, `unknown attribute ${quote(ident.key)} of ${schema.what}`, expectedFields(schema));
  }
  return source.fail(ident.span, `unknown field ${quote(ident.span.text)}`, expectedFields(schema));
}

function expectedFields(schema: EntitySearchSchema): string {
  return `one of ${Object.keys(schema.attributes).join(', ')}, or tags.<key>`;
}

function predicate(c: SearchComparison, source: SearchText, schema: EntitySearchSchema): EntityPredicate {
  const target = resolve(c.ident, source, schema);
  const type = target.kind === 'tag' ? 'string' : target.type;
  const allowed = type === 'number' ? NUMBER_OPS : target.kind === 'attr' && schema.lists?.includes(target.name) ? LIST_OPS : STRING_OPS;
  if (!allowed.includes(c.op)) {
    source.fail(c.opSpan, `${c.op} does not apply to ${c.ident.span.text}`, `one of ${allowed.join(', ')}`);
  }
  for (const v of c.values) {
    if (type === 'number' && typeof v.value !== 'number') {
      source.fail(v.span, `${c.ident.span.text} is a number, not ${v.span.text}`, 'a number such as 3 or 1700000000000');
    }
    if (type === 'string' && typeof v.value !== 'string') {
      source.fail(v.span, `${c.ident.span.text} is compared with text, not the number ${v.span.text}`, `a quoted string, as in '${v.span.text}'`);
    }
  }

  if (target.kind === 'tag') {
    const { key } = target;
    const test = textTest(c);
    // A missing tag differs from every value, so != matches it; nothing else does.
    return c.op === '!=' ? (e) => !Object.hasOwn(e.tags, key) || test(e.tags[key]!) : (e) => Object.hasOwn(e.tags, key) && test(e.tags[key]!);
  }
  const { name } = target;
  if (type === 'number') {
    const test = numberTest(c.op, c.values[0]!.value as number);
    return (e) => {
      const v = Object.hasOwn(e.attrs, name) ? e.attrs[name] : null;
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return !Number.isNaN(n) && test(n);
    };
  }
  const test = textTest(c);
  return (e) => {
    const v = Object.hasOwn(e.attrs, name) ? e.attrs[name] : null;
    return v !== null && v !== undefined && test(String(v));
  };
}

function textTest(c: SearchComparison): (s: string) => boolean {
  const first = c.values[0]!.value as string;
  switch (c.op) {
    case '=':
      return (s) => s === first;
    case '!=':
      return (s) => s !== first;
    case 'LIKE':
    case 'ILIKE': {
      const re = likePattern(first, c.op === 'ILIKE');
      return (s) => re.test(s);
    }
    case 'IN':
    case 'NOT IN': {
      const set = new Set(c.values.map((v) => v.value as string));
      return c.op === 'IN' ? (s) => set.has(s) : (s) => !set.has(s);
    }
    default:
      throw new Error(`unreachable: ${c.op} on text`);
  }
}

function numberTest(op: SearchOp, x: number): (n: number) => boolean {
  switch (op) {
    case '=':
      return (n) => n === x;
    case '!=':
      return (n) => n !== x;
    case '<':
      return (n) => n < x;
    case '<=':
      return (n) => n <= x;
    case '>':
      return (n) => n > x;
    case '>=':
      return (n) => n >= x;
    default:
      throw new Error(`unreachable: ${op} on a number`);
  }
}
