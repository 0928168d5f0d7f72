import { describe, expect, it } from 'vitest';
import { RepriseError } from '../errors.js';
import { MAX_FILTER_LENGTH, type FilterExpr, type FilterField } from '../run-filter.js';
import { RUN_STATUSES } from '../run-manifest.js';
import { MLFLOW_RUN_STATUSES, parseMlflowRunFilter, parseMlflowRunOrder } from './run-search.js';
import { thrown } from '../../../test/helpers/errors.js';

/** The error for `filter`, checked for its code, details, column and caret line. */
function filterError(filter: string, position: number, token: string): RepriseError {
  const e = thrown(() => parseMlflowRunFilter(filter));
  expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
  expect(e.details).toEqual({ filter, position, token });
  expect(e.message.startsWith('filter: ')).toBe(true);
  expect(e.message).toContain(`at column ${position + 1};`);
  const [, quoted, carets] = e.message.split('\n');
  expect(quoted).toBe(`  ${filter}`);
  expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
  return e;
}

/** The error for an order_by list whose entry `entry` is at fault. */
function orderError(orderBy: string[], entry: number, position: number, token: string): RepriseError {
  const e = thrown(() => parseMlflowRunOrder(orderBy));
  expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
  expect(e.details).toEqual({ orderBy: orderBy[entry], position, token });
  expect(e.message.startsWith(orderBy.length > 1 ? `order_by[${entry}]: ` : 'order_by: ')).toBe(true);
  const [, quoted, carets] = e.message.split('\n');
  expect(quoted).toBe(`  ${orderBy[entry]}`);
  expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
  return e;
}

const metric = (key: string): FilterField => ({ kind: 'metric', key, agg: 'last' });
const param = (key: string): FilterField => ({ kind: 'param', key });
const tag = (key: string): FilterField => ({ kind: 'tag', key });
const created: FilterField = { kind: 'attr', name: 'created' };

describe('parseMlflowRunFilter', () => {
  it('gives undefined for an empty or blank filter', () => {
    expect(parseMlflowRunFilter('')).toBeUndefined();
    expect(parseMlflowRunFilter('  \n\t')).toBeUndefined();
  });

  it('compares the latest value of a metric with a number, with every ordering operator', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) {
      expect(parseMlflowRunFilter(`metrics.rmse ${op} 0.5`)).toEqual({ kind: 'cmp', field: metric('rmse'), op, value: 0.5 });
    }
    expect(parseMlflowRunFilter('metrics.loss <> -1.5e-3')).toEqual({ kind: 'cmp', field: metric('loss'), op: '!=', value: -0.0015 });
    expect(parseMlflowRunFilter('metric.acc>=.9')).toEqual({ kind: 'cmp', field: metric('acc'), op: '>=', value: 0.9 });
  });

  it('compares params and tags with quoted text: =, !=, LIKE (case-sensitive) and ILIKE (not)', () => {
    expect(parseMlflowRunFilter("params.lr = '0.01'")).toEqual({ kind: 'cmp', field: param('lr'), op: '=', value: '0.01' });
    expect(parseMlflowRunFilter('params.optimizer != "adam"')).toEqual({ kind: 'cmp', field: param('optimizer'), op: '!=', value: 'adam' });
    expect(parseMlflowRunFilter("tags.team LIKE 'vis%'")).toEqual({ kind: 'cmp', field: tag('team'), op: 'like', value: 'vis%', caseSensitive: true });
    expect(parseMlflowRunFilter("tags.team ILIKE 'VIS%'")).toEqual({ kind: 'cmp', field: tag('team'), op: 'like', value: 'VIS%' });
    expect(parseMlflowRunFilter("params.model like 'res_et'")).toEqual({ kind: 'cmp', field: param('model'), op: 'like', value: 'res_et', caseSensitive: true });
  });

  it('knows every alias of metrics, params, tags and attributes, in any case', () => {
    for (const e of ['metrics', 'metric', 'METRICS']) expect(parseMlflowRunFilter(`${e}.m > 1`)).toEqual({ kind: 'cmp', field: metric('m'), op: '>', value: 1 });
    for (const e of ['params', 'param', 'parameter', 'parameters', 'Params']) {
      expect(parseMlflowRunFilter(`${e}.p = 'x'`)).toEqual({ kind: 'cmp', field: param('p'), op: '=', value: 'x' });
    }
    for (const e of ['tags', 'tag']) expect(parseMlflowRunFilter(`${e}.t = 'x'`)).toEqual({ kind: 'cmp', field: tag('t'), op: '=', value: 'x' });
    for (const e of ['attributes', 'attribute', 'attr', 'run']) {
      expect(parseMlflowRunFilter(`${e}.start_time > 5`)).toEqual({ kind: 'cmp', field: created, op: '>', value: 5 });
    }
  });

  it('reads keys quoted with backticks or double quotes, and dotted keys as written', () => {
    expect(parseMlflowRunFilter("tags.`mlflow.user` = 'ada'")).toEqual({ kind: 'cmp', field: tag('mlflow.user'), op: '=', value: 'ada' });
    expect(parseMlflowRunFilter('metrics."my key" < 2')).toEqual({ kind: 'cmp', field: metric('my key'), op: '<', value: 2 });
    expect(parseMlflowRunFilter('metrics.`a ``b``` < 2')).toEqual({ kind: 'cmp', field: metric('a `b`'), op: '<', value: 2 });
    expect(parseMlflowRunFilter("tags.mlflow.source.type = 'LOCAL'")).toEqual({ kind: 'cmp', field: tag('mlflow.source.type'), op: '=', value: 'LOCAL' });
    expect(parseMlflowRunFilter('metrics.train/loss < 1')).toEqual({ kind: 'cmp', field: metric('train/loss'), op: '<', value: 1 });
  });

  it('reads values in single or double quotes, with doubled quotes and backslash escapes', () => {
    const value = (text: string): unknown => (parseMlflowRunFilter(`tags.t = ${text}`) as Extract<FilterExpr, { kind: 'cmp' }>).value;
    expect(value("'it''s'")).toBe("it's");
    expect(value("'it\\'s'")).toBe("it's");
    expect(value('"say ""hi"""')).toBe('say "hi"');
    expect(value("'a\\\\b'")).toBe('a\\b');
    // Any other backslash stays, so a pattern keeps it.
    expect(value("'50\\%'")).toBe('50\\%');
    expect(value("''")).toBe('');
  });

  it('joins comparisons with AND in any case', () => {
    const a: FilterExpr = { kind: 'cmp', field: metric('a'), op: '>', value: 1 };
    const b: FilterExpr = { kind: 'cmp', field: param('b'), op: '=', value: 'x' };
    const c: FilterExpr = { kind: 'cmp', field: tag('c'), op: '!=', value: 'y' };
    for (const and of ['AND', 'and', 'And', 'aNd']) {
      expect(parseMlflowRunFilter(`metrics.a > 1 ${and} params.b = 'x' ${and} tags.c != 'y'`)).toEqual({ kind: 'and', items: [a, b, c] });
    }
    expect(parseMlflowRunFilter("metrics.a>1 and\nparams.b='x'")).toEqual({ kind: 'and', items: [a, b] });
  });

  it('maps run_id, run_name and its quoted aliases, user_id, start_time, created and end_time', () => {
    expect(parseMlflowRunFilter("run_id = '01j0000000000000000000000a'")).toEqual({
      kind: 'cmp', field: { kind: 'attr', name: 'id' }, op: '=', value: '01j0000000000000000000000a',
    });
    expect(parseMlflowRunFilter("attributes.run_id IN ('a', 'b')")).toEqual({ kind: 'in', field: { kind: 'attr', name: 'id' }, values: ['a', 'b'], negated: false });
    expect(parseMlflowRunFilter("run_id not in ('a')")).toEqual({ kind: 'in', field: { kind: 'attr', name: 'id' }, values: ['a'], negated: true });
    const named: FilterExpr = { kind: 'cmp', field: { kind: 'attr', name: 'name' }, op: '=', value: 'x' };
    for (const name of ['run_name', '`run name`', '`Run name`', '`Run Name`', '"Run Name"', 'attributes.`run name`']) {
      expect(parseMlflowRunFilter(`${name} = 'x'`), name).toEqual(named);
    }
    expect(parseMlflowRunFilter("user_id = 'ada'")).toEqual({ kind: 'cmp', field: tag('mlflow.user'), op: '=', value: 'ada' });
    expect(parseMlflowRunFilter("user_id ILIKE 'A%'")).toEqual({ kind: 'cmp', field: tag('mlflow.user'), op: 'like', value: 'A%' });
    for (const name of ['start_time', 'created', 'Created', 'attribute.created']) {
      expect(parseMlflowRunFilter(`${name} >= 1700000000000`), name).toEqual({ kind: 'cmp', field: created, op: '>=', value: 1700000000000 });
    }
    expect(parseMlflowRunFilter('end_time < 10')).toEqual({ kind: 'cmp', field: { kind: 'attr', name: 'ended' }, op: '<', value: 10 });
  });

  it('maps each MLflow status onto the Reprise statuses it stands for, negating for != and NOT IN', () => {
    const status: FilterField = { kind: 'attr', name: 'status' };
    const is = (values: string[], negated = false): FilterExpr => ({ kind: 'in', field: status, values, negated });
    expect(parseMlflowRunFilter("status = 'RUNNING'")).toEqual(is(['running', 'preparing']));
    expect(parseMlflowRunFilter("status = 'SCHEDULED'")).toEqual(is(['queued']));
    expect(parseMlflowRunFilter("status = 'FINISHED'")).toEqual(is(['succeeded']));
    expect(parseMlflowRunFilter("status = 'FAILED'")).toEqual(is(['failed', 'lost']));
    expect(parseMlflowRunFilter("attributes.status = 'KILLED'")).toEqual(is(['canceled']));
    expect(parseMlflowRunFilter("status != 'FAILED'")).toEqual(is(['failed', 'lost'], true));
    expect(parseMlflowRunFilter("status IN ('FINISHED', 'KILLED')")).toEqual(is(['succeeded', 'canceled']));
    expect(parseMlflowRunFilter("status NOT IN ('RUNNING', 'SCHEDULED')")).toEqual(is(['running', 'preparing', 'queued'], true));
    // A pattern is matched against MLflow's names.
    expect(parseMlflowRunFilter("status LIKE 'F%'")).toEqual(is(['succeeded', 'failed', 'lost']));
    expect(parseMlflowRunFilter("status LIKE 'f%'")).toEqual(is([]));
    expect(parseMlflowRunFilter("status ILIKE 'f%ed'")).toEqual(is(['succeeded', 'failed', 'lost']));
  });

  it('covers every Reprise status exactly once across the five MLflow statuses', () => {
    const all = Object.values(MLFLOW_RUN_STATUSES).flat();
    expect([...all].sort()).toEqual([...RUN_STATUSES].sort());
  });

  it('names the token and puts a caret under it for each mistake', () => {
    expect(filterError("status = 'finished'", 9, "'finished'").message).toContain('RUNNING, SCHEDULED, FINISHED, FAILED, KILLED');
    expect(filterError("status IN ('FAILED', 'DONE')", 21, "'DONE'").message).toContain('unknown status "DONE"');
    expect(filterError("artifact_uri = 'x'", 0, 'artifact_uri').message).toContain('"artifact_uri" is not supported');
    expect(filterError("datasets.name = 'x'", 0, 'datasets.name').message).toContain('not supported');
    expect(filterError("dataset.digest = 'x'", 0, 'dataset.digest').message).toContain('not supported');
    expect(filterError("lifecycle_stage = 'active'", 0, 'lifecycle_stage').message).toContain('not supported');
    expect(filterError("experiment_id = '1'", 0, 'experiment_id').message).toContain('unknown attribute "experiment_id"');
    expect(filterError("Status = 'FAILED'", 0, 'Status').message).toContain('unknown attribute "Status"');
    expect(filterError("models.x = 'a'", 0, 'models.x').message).toContain('unknown field "models.x"');
    expect(filterError("tags. = 'a'", 0, 'tags.').message).toContain('empty key after tags.');
    expect(filterError("'lr' = 'a'", 0, "'lr'").message).toContain('single quotes');
  });

  it('refuses values of the wrong type', () => {
    expect(filterError("metrics.acc > '0.9'", 14, "'0.9'").message).toContain('metrics are numbers');
    expect(filterError("start_time > '2026-01-01'", 13, "'2026-01-01'").message).toContain('milliseconds');
    expect(filterError('params.lr = 0.01', 12, '0.01').message).toContain("a quoted string, as in '0.01'");
    expect(filterError('tags.t = 1', 9, '1').message).toContain('compared with text');
    expect(filterError('run_id = 7', 9, '7').message).toContain('compared with text');
    expect(filterError('params.lr = adam', 12, 'adam').message).toContain("quote text, as in 'adam'");
    expect(filterError('params.lr = `adam`', 12, '`adam`').message).toContain('backticks');
    expect(filterError("run_id IN ('a', 2)", 16, '2').message).toContain('compared with text');
  });

  it('refuses operators a field does not take', () => {
    expect(filterError("metrics.acc LIKE '9%'", 12, 'LIKE').message).toContain('LIKE does not apply to metrics.acc');
    expect(filterError("params.lr < '0.1'", 10, '<').message).toContain('one of =, !=, LIKE, ILIKE');
    expect(filterError("params.lr IN ('0.1')", 10, 'IN').message).toContain('IN does not apply');
    expect(filterError("run_name NOT IN ('a')", 9, 'NOT IN').message).toContain('NOT IN does not apply');
    expect(filterError("status > 'FAILED'", 7, '>').message).toContain('> does not apply to status');
    expect(filterError('end_time IN (1, 2)', 9, 'IN').message).toContain('IN does not apply to end_time');
  });

  it('refuses OR, parentheses, NOT and broken syntax', () => {
    expect(filterError("tags.a = 'x' OR tags.b = 'y'", 13, 'OR').message).toContain('OR is not supported');
    expect(filterError("(tags.a = 'x')", 0, '(').message).toContain('parentheses are not supported');
    expect(filterError("tags.a NOT LIKE 'x'", 11, 'LIKE').message).toContain('IN after NOT');
    expect(filterError("tags.a = 'x' tags.b = 'y'", 13, 'tags.b').message).toContain('expected AND or the end of the filter');
    expect(filterError("tags.a = 'x' AND", 16, '').message).toContain('unexpected end of the filter');
    expect(filterError('metrics.a', 9, '').message).toContain('an operator after metrics.a');
    expect(filterError('metrics.a ~ 1', 10, '~').message).toContain('unexpected character "~"');
    expect(filterError('metrics.a == 1', 11, '=').message).toContain('unexpected "="');
    expect(filterError("tags.a = 'x", 9, "'").message).toContain('unterminated string');
    expect(filterError('tags.`a = 1', 5, '`').message).toContain('unterminated quoted name');
    expect(filterError('metrics.a > 1x', 12, '1x').message).toContain('invalid number "1x"');
    expect(filterError('metrics.a > 1e999', 12, '1e999').message).toContain('out of range');
    expect(filterError("run_id IN 'a'", 10, "'a'").message).toContain('( to start the list');
    expect(filterError("run_id IN ()", 11, ')').message).toContain('unexpected ")"');
    expect(filterError("run_id IN ('a' 'b')", 15, "'b'").message).toContain(', or ) to close the list');
    expect(filterError("AND tags.a = 'x'", 0, 'AND').message).toContain('expected a field');
  });

  it('gives the line and column of a mistake in a filter of several lines', () => {
    const e = thrown(() => parseMlflowRunFilter("tags.a = 'x'\nAND metrics.b > 'y'"));
    expect(e.message).toContain('at line 2, column 17;');
    expect(e.message).toContain("\n  AND metrics.b > 'y'\n                  ^^^");
  });

  it('refuses a filter longer than the limit before reading it', () => {
    const long = `tags.a = '${'x'.repeat(MAX_FILTER_LENGTH)}'`;
    const e = thrown(() => parseMlflowRunFilter(long));
    expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
    expect(e.message).toContain(`too long (${long.length} characters)`);
  });
});

describe('parseMlflowRunOrder', () => {
  it('gives undefined for no order_by', () => {
    expect(parseMlflowRunOrder([])).toBeUndefined();
  });

  it('orders by metrics, params, tags and attributes, ascending unless DESC', () => {
    expect(parseMlflowRunOrder(['metrics.rmse DESC'])).toEqual({ field: metric('rmse'), direction: 'desc' });
    expect(parseMlflowRunOrder(['metrics.rmse desc'])).toEqual({ field: metric('rmse'), direction: 'desc' });
    expect(parseMlflowRunOrder(['params.lr'])).toEqual({ field: param('lr'), direction: 'asc' });
    expect(parseMlflowRunOrder(['tags.`x y` ASC'])).toEqual({ field: tag('x y'), direction: 'asc' });
    expect(parseMlflowRunOrder(['attributes.start_time'])).toEqual({ field: created, direction: 'asc' });
    expect(parseMlflowRunOrder(['created DESC'])).toEqual({ field: created, direction: 'desc' });
    expect(parseMlflowRunOrder(['end_time'])).toEqual({ field: { kind: 'attr', name: 'ended' }, direction: 'asc' });
    expect(parseMlflowRunOrder(['run_id'])).toEqual({ field: { kind: 'attr', name: 'id' }, direction: 'asc' });
    expect(parseMlflowRunOrder(['`Run Name` DESC'])).toEqual({ field: { kind: 'attr', name: 'name' }, direction: 'desc' });
    expect(parseMlflowRunOrder(['status'])).toEqual({ field: { kind: 'attr', name: 'status' }, direction: 'asc' });
    expect(parseMlflowRunOrder(['user_id'])).toEqual({ field: tag('mlflow.user'), direction: 'asc' });
  });

  it("ignores MLflow's own tiebreaks after the first entry", () => {
    const byRmse = { field: metric('rmse'), direction: 'desc' };
    expect(parseMlflowRunOrder(['metrics.rmse DESC', 'start_time DESC'])).toEqual(byRmse);
    expect(parseMlflowRunOrder(['metrics.rmse DESC', 'attributes.start_time ASC', 'run_id'])).toEqual(byRmse);
    expect(parseMlflowRunOrder(['metrics.rmse DESC', 'created', 'attributes.run_id DESC'])).toEqual(byRmse);
    expect(parseMlflowRunOrder(['start_time DESC', 'run_id ASC'])).toEqual({ field: created, direction: 'desc' });
  });

  it('refuses a second field that is not a tiebreak, since Reprise orders runs by one', () => {
    expect(orderError(['metrics.rmse', 'params.lr'], 1, 0, 'params.lr').message).toContain('Reprise orders runs by one field');
    expect(orderError(['metrics.rmse', 'start_time', 'end_time'], 2, 0, 'end_time').message).toContain('Reprise orders runs by one field');
  });

  it('refuses a field named twice, aliases included', () => {
    expect(orderError(['metrics.a', 'metric.a DESC'], 1, 0, 'metric.a').message).toContain('duplicate order_by field "metric.a"');
    expect(orderError(['start_time', 'created'], 1, 0, 'created').message).toContain('duplicate');
    expect(orderError(['run_id', 'start_time', 'attributes.run_id'], 2, 0, 'attributes.run_id').message).toContain('duplicate');
  });

  it('names the mistake in the entry at fault', () => {
    expect(orderError(['metrics.a sideways'], 0, 10, 'sideways').message).toContain('expected ASC, DESC or the end');
    expect(orderError(['metrics.a DESC DESC'], 0, 15, 'DESC').message).toContain('expected the end');
    expect(orderError([''], 0, 0, '').message).toContain('unexpected end of the order_by entry');
    expect(orderError(['artifact_uri'], 0, 0, 'artifact_uri').message).toContain('not supported');
    expect(orderError(['datasets.name'], 0, 0, 'datasets.name').message).toContain('not supported');
    expect(orderError(['metrics.a', 'bogus'], 1, 0, 'bogus').message).toContain('unknown attribute "bogus"');
    expect(orderError(['metrics.a', 'DESC'], 1, 0, 'DESC').message).toContain('expected a field to order by');
  });
});
