import { describe, expect, it } from 'vitest';
import { RepriseError } from './errors.js';
import { parseIsoTime } from './iso-time.js';
import { RUN_STATUSES } from './run-manifest.js';
import {
  formatField,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  parseRunFilter,
  parseRunOrder,
  RUN_ATTRIBUTES,
  type FilterExpr,
  type FilterField,
} from './run-filter.js';
import { thrown } from '../../test/helpers/errors.js';

/** The error for `filter`, checked for its code, position, column and caret line. */
function filterError(filter: string, position: number, token: string): RepriseError {
  const e = thrown(() => parseRunFilter(filter));
  expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
  expect(e.details).toEqual({ filter, position, token });
  expect(e.message.startsWith('filter: ')).toBe(true);
  expect(e.message).toContain(`at column ${position + 1};`);
  const [, quoted, carets] = e.message.split('\n');
  if (filter.length <= 100) {
    expect(quoted).toBe(`  ${filter}`);
    expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
  } else {
    // Long filters are shown in part; the caret must still sit under the token.
    expect(quoted![carets!.indexOf('^')]).toBe(token[0]);
  }
  return e;
}

const param = (key: string): FilterField => ({ kind: 'param', key });
const metric = (key: string, agg: 'last' | 'min' | 'max' = 'last'): FilterField => ({ kind: 'metric', key, agg });
const attr = (name: (typeof RUN_ATTRIBUTES)[number]): FilterField => ({ kind: 'attr', name });
const A: FilterExpr = { kind: 'cmp', field: param('a'), op: '=', value: 1 };
const B: FilterExpr = { kind: 'cmp', field: param('b'), op: '=', value: 2 };
const C: FilterExpr = { kind: 'cmp', field: param('c'), op: '=', value: 3 };
const D: FilterExpr = { kind: 'cmp', field: param('d'), op: '=', value: 4 };

/** The single comparison a one-predicate filter parses to. */
function cmp(filter: string): FilterExpr {
  const e = parseRunFilter(filter);
  expect(e).toBeDefined();
  return e!;
}

describe('parseRunFilter: structure', () => {
  it('parses the documented example into a flat and', () => {
    expect(parseRunFilter("params.lr < 0.01 and metrics.val_acc >= 0.9 and status = 'succeeded'")).toEqual({
      kind: 'and',
      items: [
        { kind: 'cmp', field: param('lr'), op: '<', value: 0.01 },
        { kind: 'cmp', field: metric('val_acc'), op: '>=', value: 0.9 },
        { kind: 'cmp', field: attr('status'), op: '=', value: 'succeeded' },
      ],
    });
  });

  it('is undefined for an empty or blank filter', () => {
    expect(parseRunFilter('')).toBeUndefined();
    expect(parseRunFilter('   ')).toBeUndefined();
    expect(parseRunFilter('\n\t ')).toBeUndefined();
  });

  it('binds and tighter than or', () => {
    expect(parseRunFilter('params.a = 1 or params.b = 2 and params.c = 3')).toEqual({
      kind: 'or',
      items: [A, { kind: 'and', items: [B, C] }],
    });
    expect(parseRunFilter('params.a = 1 and params.b = 2 or params.c = 3')).toEqual({
      kind: 'or',
      items: [{ kind: 'and', items: [A, B] }, C],
    });
  });

  it('lets parentheses override precedence', () => {
    expect(parseRunFilter('(params.a = 1 or params.b = 2) and params.c = 3')).toEqual({
      kind: 'and',
      items: [{ kind: 'or', items: [A, B] }, C],
    });
    expect(parseRunFilter('((params.a = 1))')).toEqual(A);
  });

  it('flattens nested and/or of the same kind', () => {
    expect(parseRunFilter('params.a = 1 and (params.b = 2 and (params.c = 3 and params.d = 4))')).toEqual({
      kind: 'and',
      items: [A, B, C, D],
    });
    expect(parseRunFilter('(params.a = 1 or params.b = 2) or (params.c = 3 or params.d = 4)')).toEqual({
      kind: 'or',
      items: [A, B, C, D],
    });
  });

  it('binds not tightest', () => {
    expect(parseRunFilter('not params.a = 1 and params.b = 2')).toEqual({
      kind: 'and',
      items: [{ kind: 'not', expr: A }, B],
    });
    expect(parseRunFilter('not (params.a = 1 or params.b = 2)')).toEqual({
      kind: 'not',
      expr: { kind: 'or', items: [A, B] },
    });
    expect(parseRunFilter('not not params.a = 1')).toEqual({ kind: 'not', expr: { kind: 'not', expr: A } });
  });

  it('reads keywords in any case and needs no spaces around symbols', () => {
    expect(parseRunFilter('NOT params.a=1 AND params.b=2 Or params.c=3')).toEqual({
      kind: 'or',
      items: [{ kind: 'and', items: [{ kind: 'not', expr: A }, B] }, C],
    });
    expect(parseRunFilter("(status='failed')or(dev=true)")).toEqual({
      kind: 'or',
      items: [
        { kind: 'cmp', field: attr('status'), op: '=', value: 'failed' },
        { kind: 'cmp', field: attr('dev'), op: '=', value: true },
      ],
    });
  });

  it('reads a filter spread over several lines', () => {
    expect(parseRunFilter("status = 'failed'\n  and params.a = 1")).toEqual({
      kind: 'and',
      items: [{ kind: 'cmp', field: attr('status'), op: '=', value: 'failed' }, A],
    });
  });
});

describe('parseRunFilter: operators', () => {
  it.each([
    ['=', '='],
    ['==', '='],
    ['!=', '!='],
    ['<>', '!='],
    ['<', '<'],
    ['<=', '<='],
    ['>', '>'],
    ['>=', '>='],
  ] as const)('reads %s as %s', (written, op) => {
    expect(cmp(`params.x ${written} 5`)).toEqual({ kind: 'cmp', field: param('x'), op, value: 5 });
    expect(cmp(`params.x${written}5`)).toEqual({ kind: 'cmp', field: param('x'), op, value: 5 });
  });

  it('reads like and not like', () => {
    expect(cmp("name like 'resnet%'")).toEqual({ kind: 'cmp', field: attr('name'), op: 'like', value: 'resnet%' });
    expect(cmp("tags.team NOT LIKE 'vision_%'")).toEqual({
      kind: 'cmp',
      field: { kind: 'tag', key: 'team' },
      op: 'not like',
      value: 'vision_%',
    });
  });

  it('reads in and not in lists', () => {
    expect(cmp("status in ('failed', 'lost')")).toEqual({
      kind: 'in',
      field: attr('status'),
      values: ['failed', 'lost'],
      negated: false,
    });
    expect(cmp("params.opt Not In ('adam',1,true)")).toEqual({
      kind: 'in',
      field: param('opt'),
      values: ['adam', 1, true],
      negated: true,
    });
    expect(cmp('metrics.acc in (0.5)')).toEqual({ kind: 'in', field: metric('acc'), values: [0.5], negated: false });
  });

  it('reads is null and is not null', () => {
    expect(cmp('ended is null')).toEqual({ kind: 'null', field: attr('ended'), negated: false });
    expect(cmp('metrics.loss IS NOT NULL')).toEqual({ kind: 'null', field: metric('loss'), negated: true });
    expect(cmp('tags.note is not null')).toEqual({ kind: 'null', field: { kind: 'tag', key: 'note' }, negated: true });
  });
});

describe('parseRunFilter: fields', () => {
  const field = (text: string): FilterField => {
    const e = cmp(`${text} is null`);
    if (e.kind !== 'null') throw new Error(`expected a null test, got ${e.kind}`);
    return e.field;
  };

  it('reads every attribute, bare or with an MLflow-style prefix', () => {
    for (const name of ['id', 'name', 'project', 'created', 'started', 'ended', 'duration', 'commit', 'host', 'env'] as const) {
      expect(field(name)).toEqual(attr(name));
    }
    expect(field('attributes.ended')).toEqual(attr('ended'));
    expect(field('attribute.host')).toEqual(attr('host'));
    expect(field('attr.commit')).toEqual(attr('commit'));
    expect(cmp("attributes.status = 'lost'")).toMatchObject({ field: attr('status') });
  });

  it('reads params, tags and metrics with their singular aliases', () => {
    expect(field('params.lr')).toEqual(param('lr'));
    expect(field('param.lr')).toEqual(param('lr'));
    expect(field('tags.team')).toEqual({ kind: 'tag', key: 'team' });
    expect(field('tag.team')).toEqual({ kind: 'tag', key: 'team' });
    expect(field('metrics.loss')).toEqual(metric('loss'));
    expect(field('metric.loss')).toEqual(metric('loss'));
  });

  it('keeps dots, slashes, dashes and colons in keys', () => {
    expect(field('params.optimizer.lr')).toEqual(param('optimizer.lr'));
    expect(field('metrics.train/loss')).toEqual(metric('train/loss'));
    expect(field('tags.mlflow:run-name')).toEqual({ kind: 'tag', key: 'mlflow:run-name' });
    expect(field('params.0_layers')).toEqual(param('0_layers'));
  });

  it('keeps the case of keys', () => {
    expect(field('params.LR')).toEqual(param('LR'));
    expect(field('PARAMS.LR')).toEqual(param('LR'));
  });

  it('reads backtick-quoted keys, a doubled backtick standing for one', () => {
    expect(field('params.`my key`')).toEqual(param('my key'));
    expect(field('tags.`a``b`')).toEqual({ kind: 'tag', key: 'a`b' });
    expect(field('metrics.`val acc (%)`')).toEqual(metric('val acc (%)'));
    expect(field('params.model.`head size`')).toEqual(param('model.head size'));
    expect(cmp('params.`my key`=1')).toEqual({ kind: 'cmp', field: param('my key'), op: '=', value: 1 });
  });

  it('reads metric aggregates', () => {
    expect(field('min(metrics.loss)')).toEqual(metric('loss', 'min'));
    expect(field('MAX(metric.val_acc)')).toEqual(metric('val_acc', 'max'));
    expect(field('last(metrics.train/loss)')).toEqual(metric('train/loss', 'last'));
    expect(field('min ( metrics.`a b` )')).toEqual(metric('a b', 'min'));
    expect(cmp('max(metrics.acc) > 0.9')).toEqual({ kind: 'cmp', field: metric('acc', 'max'), op: '>', value: 0.9 });
  });
});

describe('parseRunFilter: values', () => {
  const value = (text: string): unknown => {
    const e = cmp(`params.x = ${text}`);
    if (e.kind !== 'cmp') throw new Error(`expected a comparison, got ${e.kind}`);
    return e.value;
  };

  it('reads single- and double-quoted strings with their escapes', () => {
    expect(value("'adam'")).toBe('adam');
    expect(value('"adam"')).toBe('adam');
    expect(value("''")).toBe('');
    expect(value("'it''s'")).toBe("it's");
    expect(value('"say ""hi"""')).toBe('say "hi"');
    expect(value("'it\\'s'")).toBe("it's");
    expect(value('"a \\"b\\""')).toBe('a "b"');
    expect(value("'C:\\\\data'")).toBe('C:\\data');
    expect(value(`"it's"`)).toBe("it's");
    expect(value(`'say "hi"'`)).toBe('say "hi"');
    expect(value("'and or not ( ) ; $'")).toBe('and or not ( ) ; $');
  });

  it('keeps other backslashes as written, for like patterns', () => {
    expect(value("'50\\%'")).toBe('50\\%');
    expect(value("'a\\_b'")).toBe('a\\_b');
  });

  it('reads numbers: integers, decimals, exponents, negatives', () => {
    expect(value('42')).toBe(42);
    expect(value('0.01')).toBe(0.01);
    expect(value('.5')).toBe(0.5);
    expect(value('-7')).toBe(-7);
    expect(value('-1.5e-3')).toBe(-0.0015);
    expect(value('1E3')).toBe(1000);
    expect(value('2e+2')).toBe(200);
  });

  it('reads true and false in any case', () => {
    expect(value('true')).toBe(true);
    expect(value('FALSE')).toBe(false);
    expect(cmp('dev != True')).toEqual({ kind: 'cmp', field: attr('dev'), op: '!=', value: true });
  });

  it('turns numbers and booleans given to tags into their text as typed', () => {
    expect(cmp('tags.version = 1.10')).toMatchObject({ value: '1.10' });
    expect(cmp('tags.seed = -3')).toMatchObject({ value: '-3' });
    expect(cmp('tags.ok = true')).toMatchObject({ value: 'true' });
    expect(cmp("tags.seed in (1, 'two', false)")).toMatchObject({ values: ['1', 'two', 'false'] });
  });

  it('accepts every run status', () => {
    for (const s of RUN_STATUSES) expect(cmp(`status != '${s}'`)).toMatchObject({ value: s });
  });

  it('converts ISO dates and times to UTC milliseconds', () => {
    expect(cmp("created >= '2026-11-01'")).toMatchObject({ value: Date.UTC(2026, 10, 1) });
    expect(cmp("started < '2026-11-01T12:00:00Z'")).toMatchObject({ value: Date.UTC(2026, 10, 1, 12) });
    expect(cmp("ended > '2026-11-01T12:30'")).toMatchObject({ value: Date.UTC(2026, 10, 1, 12, 30) });
    expect(cmp("ended > '2026-11-01 12:30:15.250'")).toMatchObject({ value: Date.UTC(2026, 10, 1, 12, 30, 15, 250) });
    expect(cmp("created = '2026-11-01T12:00:00+02:00'")).toMatchObject({ value: Date.UTC(2026, 10, 1, 10) });
    expect(cmp("created = '2026-11-01T12:00:00-0130'")).toMatchObject({ value: Date.UTC(2026, 10, 1, 13, 30) });
    expect(cmp('created > 1700000000000')).toMatchObject({ value: 1_700_000_000_000 });
    expect(cmp("created in ('2026-01-01', 0)")).toMatchObject({ values: [Date.UTC(2026, 0, 1), 0] });
  });

  it('parseIsoTime refuses impossible dates instead of rolling them over', () => {
    expect(parseIsoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTime('2026-02-29')).toBeUndefined();
    expect(parseIsoTime('2026-04-31')).toBeUndefined();
    expect(parseIsoTime('2026-13-01')).toBeUndefined();
    expect(parseIsoTime('2026-11-01T24:00')).toBeUndefined();
    expect(parseIsoTime('2026-11-01T12:60')).toBeUndefined();
    expect(parseIsoTime('November 1')).toBeUndefined();
    expect(new Date(parseIsoTime('0099-03-01')!).toISOString()).toBe('0099-03-01T00:00:00.000Z');
  });

  it('takes durations and metrics as numbers', () => {
    expect(cmp('duration > 60000')).toMatchObject({ value: 60_000 });
    expect(cmp('metrics.loss <= -0.5')).toMatchObject({ value: -0.5 });
  });
});

describe('parseRunFilter: errors', () => {
  it('reports the documented example exactly', () => {
    const e = filterError('params.lr < 0.01 an metrics.x > 1', 17, 'an');
    expect(e.message).toBe(
      'filter: unexpected "an" at column 18; expected and, or or the end of the filter\n' +
        '  params.lr < 0.01 an metrics.x > 1\n' +
        '                   ^^',
    );
  });

  it('names an unknown attribute and lists the known ones and the prefixes', () => {
    const e = filterError('lr < 0.01', 0, 'lr');
    expect(e.message).toContain('unknown attribute "lr"');
    expect(e.message).toContain(RUN_ATTRIBUTES.join(', '));
    expect(e.message).toContain('params., tags. or metrics.');
    expect(filterError("attributes.colour = 'red'", 0, 'attributes.colour').message).toContain('unknown attribute "colour"');
    expect(filterError('param_s.lr = 1', 0, 'param_s.lr').message).toContain('unknown field "param_s.lr"');
    expect(filterError('metrics < 1', 0, 'metrics').message).toContain('unknown attribute "metrics"');
  });

  it('reports an unterminated string at its opening quote', () => {
    expect(filterError("name = 'abc", 7, "'").message).toContain("unterminated string at column 8; expected a closing '");
    expect(filterError('name = "abc\'', 7, '"').message).toContain('expected a closing "');
    filterError("name = 'it\\'", 7, "'");
  });

  it('reports a value missing at the end', () => {
    expect(filterError('params.lr <', 11, '').message).toContain(
      'unexpected end of the filter at column 12; expected a value',
    );
    filterError('params.lr <   ', 11, '');
  });

  it('reports a missing closing parenthesis, naming the open one', () => {
    const e = filterError("(status = 'failed' or dev = true", 32, '');
    expect(e.message).toContain('expected and, or or ) to close the ( at column 1');
    filterError("((status = 'failed') and dev = true", 35, '');
    filterError("(status = 'failed'))", 19, ')');
  });

  it('reports an unexpected character', () => {
    expect(filterError('params.lr < 0.01; drop table runs', 16, ';').message).toContain('unexpected character ";"');
    expect(filterError('name = $x', 7, '$').message).toContain('expected a value');
    filterError('params.x ! 1', 9, '!');
    filterError('params.x = 1 & params.y = 2', 13, '&');
    filterError('params.x = 1 🙂', 13, '🙂');
  });

  it('reports a trailing operator', () => {
    expect(filterError('params.x = 1 and', 16, '').message).toContain('expected a field');
    expect(filterError('params.x = 1 or ', 15, '').message).toContain('unexpected end of the filter');
    filterError('not', 3, '');
    filterError('params.x = 1 and and params.y = 2', 17, 'and');
  });

  it('reports an empty key', () => {
    expect(filterError('params. = 1', 0, 'params.').message).toContain('empty key after params.');
    filterError('tags.`` = 1', 0, 'tags.``');
    filterError('max(metrics.) > 1', 4, 'metrics.');
  });

  it('reports an unterminated quoted key', () => {
    expect(filterError('params.`my key = 1', 7, '`').message).toContain('unterminated quoted key');
  });

  it('reports an operator the field does not take, at the operator', () => {
    expect(filterError("status < 'failed'", 7, '<').message).toContain(
      '< does not apply to status at column 8; expected one of =, !=, in, not in',
    );
    filterError("status like 'f%'", 7, 'like');
    filterError('status is null', 7, 'is null');
    filterError('dev > true', 4, '>');
    filterError('dev not in (true)', 4, 'not in');
    expect(filterError("metrics.acc like '9%'", 12, 'like').message).toContain('like does not apply to metrics.acc');
    filterError("created not like '2026%'", 8, 'not like');
    filterError("duration like '1'", 9, 'like');
  });

  it('reports a value of the wrong type, at the value', () => {
    const status = filterError("status = 'done'", 9, "'done'");
    expect(status.message).toContain('unknown status "done"');
    expect(status.message).toContain(RUN_STATUSES.join(', '));
    filterError("status in ('failed', 'Failed')", 21, "'Failed'");
    filterError('status = 1', 9, '1');
    expect(filterError("dev = 'yes'", 6, "'yes'").message).toContain('expected true or false');
    expect(filterError("created > '2026-13-01'", 10, "'2026-13-01'").message).toContain('unreadable date "2026-13-01"');
    filterError("started < 'yesterday'", 10, "'yesterday'");
    filterError('ended < true', 8, 'true');
    filterError("duration > '1h'", 11, "'1h'");
    expect(filterError("metrics.acc > 'high'", 14, "'high'").message).toContain('metrics are numbers');
    filterError('min(metrics.loss) = true', 20, 'true');
    expect(filterError('params.opt like 3', 16, '3').message).toContain('like needs a quoted pattern');
    filterError('tags.v not like 1', 16, '1');
    expect(filterError('params.flag < true', 14, 'true').message).toContain('< cannot compare with true');
    filterError('tags.ok >= false', 11, 'false');
    expect(filterError('name = 5', 7, '5').message).toContain("expected a quoted string, as in '5'");
  });

  it('asks for quotes around a bare word value', () => {
    expect(filterError('status = succeeded', 9, 'succeeded').message).toContain("quote text, as in 'succeeded'");
  });

  it('points null used as a value at is null', () => {
    expect(filterError('params.x = null', 11, 'null').message).toContain('write params.x is null');
  });

  it('reports broken operators and lists', () => {
    expect(filterError('params.x between 1', 9, 'between').message).toContain('expected an operator after params.x');
    expect(filterError('params.x not between (1)', 13, 'between').message).toContain('like or in after not');
    expect(filterError('params.x is 1', 12, '1').message).toContain('null or not null after is');
    filterError('params.x is not 1', 16, '1');
    expect(filterError('params.x in 1', 12, '1').message).toContain('( to start the list');
    filterError('params.x in ()', 13, ')');
    filterError('params.x in (1,)', 15, ')');
    filterError('params.x in (1', 14, '');
    expect(filterError('params.x in (1 2)', 15, '2').message).toContain(', or ) to close the list that starts at column 13');
  });

  it('reports a misused aggregate', () => {
    expect(filterError('min(params.lr) > 1', 4, 'params.lr').message).toContain('expected metrics.<key> inside min(');
    filterError('max(min(metrics.x)) > 1', 4, 'min');
    filterError('max(metrics.x > 1', 14, '>');
    filterError('min > 1', 0, 'min');
  });

  it('reports a field missing where one is needed', () => {
    filterError("'status' = 'failed'", 0, "'status'");
    filterError('1 = params.x', 0, '1');
    filterError('and params.x = 1', 0, 'and');
    filterError('()', 1, ')');
  });

  it('reports malformed numbers', () => {
    expect(filterError('params.x = 1abc', 11, '1abc').message).toContain('invalid number "1abc"');
    filterError('params.x = 1.2.3', 11, '1.2.3');
    expect(filterError('params.x = 1e999', 11, '1e999').message).toContain('number out of range');
    filterError('params.x = -', 11, '-');
  });

  it('gives line and column for a filter over several lines', () => {
    const filter = "status = 'failed'\n  and lr > 1";
    const e = thrown(() => parseRunFilter(filter));
    expect(e.details).toMatchObject({ position: 24, token: 'lr' });
    expect(e.message).toContain('at line 2, column 7;');
    expect(e.message.split('\n').slice(1)).toEqual(['    and lr > 1', '        ^^']);
  });

  it('shows only part of a long line, with the caret still under the token', () => {
    const filter = `name = '${'x'.repeat(500)}' ; params.y = ${'9'.repeat(300)}`;
    const e = thrown(() => parseRunFilter(filter));
    expect(e.details).toMatchObject({ position: 510, token: ';' });
    const [, shown, carets] = e.message.split('\n');
    expect(shown!.length).toBeLessThanOrEqual(110);
    expect(shown!.startsWith('  ...')).toBe(true);
    expect(shown!.endsWith('...')).toBe(true);
    expect(shown![carets!.indexOf('^')]).toBe(';');
  });

  it('keeps the caret aligned past a tab', () => {
    const e = thrown(() => parseRunFilter('params.x\t= 1 ;'));
    const [, shown, carets] = e.message.split('\n');
    expect(shown).toBe('  params.x = 1 ;');
    expect(carets).toBe(`  ${' '.repeat(13)}^`);
  });
});

describe('parseRunFilter: limits', () => {
  it(`accepts ${MAX_FILTER_LENGTH} characters and refuses more`, () => {
    const at = (n: number): string => `name = '${'x'.repeat(n - 9)}'`;
    expect(at(MAX_FILTER_LENGTH)).toHaveLength(MAX_FILTER_LENGTH);
    expect(parseRunFilter(at(MAX_FILTER_LENGTH))).toMatchObject({ kind: 'cmp' });
    const long = at(MAX_FILTER_LENGTH + 1);
    const e = thrown(() => parseRunFilter(long));
    expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
    expect(e.details).toEqual({ filter: long, position: MAX_FILTER_LENGTH, token: '' });
    expect(e.message).toContain(`too long (${MAX_FILTER_LENGTH + 1} characters)`);
    expect(e.message.length).toBeLessThan(400);
  });

  it(`accepts ${MAX_FILTER_DEPTH} levels of nesting and refuses more`, () => {
    const parens = (n: number): string => `${'('.repeat(n)}params.a = 1${')'.repeat(n)}`;
    expect(parseRunFilter(parens(MAX_FILTER_DEPTH))).toEqual(A);
    const e = filterError(parens(MAX_FILTER_DEPTH + 1), MAX_FILTER_DEPTH, '(');
    expect(e.message).toContain(`nested deeper than ${MAX_FILTER_DEPTH} levels`);

    const nots = (n: number): string => `${'not '.repeat(n)}params.a = 1`;
    expect(parseRunFilter(nots(MAX_FILTER_DEPTH))).toMatchObject({ kind: 'not' });
    filterError(nots(MAX_FILTER_DEPTH + 1), MAX_FILTER_DEPTH * 4, 'not');
  });

  it('refuses hostile nesting with its own error, not a stack overflow', () => {
    expect(thrown(() => parseRunFilter('('.repeat(MAX_FILTER_LENGTH))).code).toBe('REPRISE_ERR_FILTER_INVALID');
    expect(thrown(() => parseRunFilter('not '.repeat(2_500))).code).toBe('REPRISE_ERR_FILTER_INVALID');
    expect(thrown(() => parseRunFilter('(not '.repeat(2_000))).code).toBe('REPRISE_ERR_FILTER_INVALID');
  });

  it('parses a long flat chain without deep recursion', () => {
    const chain = Array.from({ length: 400 }, (_, i) => `params.p${i} = ${i}`).join(' or ');
    const e = parseRunFilter(chain);
    expect(e).toMatchObject({ kind: 'or' });
    expect(e?.kind === 'or' ? e.items.length : 0).toBe(400);
  });
});

describe('parseRunOrder', () => {
  it('reads one field with an optional direction, asc by default', () => {
    expect(parseRunOrder('metrics.val_acc desc')).toEqual({ field: metric('val_acc'), direction: 'desc' });
    expect(parseRunOrder('created')).toEqual({ field: attr('created'), direction: 'asc' });
    expect(parseRunOrder('min(metrics.loss) asc')).toEqual({ field: metric('loss', 'min'), direction: 'asc' });
    expect(parseRunOrder('  params.`batch size`  DESC ')).toEqual({ field: param('batch size'), direction: 'desc' });
    expect(parseRunOrder('attributes.duration Asc')).toEqual({ field: attr('duration'), direction: 'asc' });
    expect(parseRunOrder('tags.team')).toEqual({ field: { kind: 'tag', key: 'team' }, direction: 'asc' });
  });

  /** The error for `order`, checked like filterError. */
  function orderError(order: string, position: number, token: string): RepriseError {
    const e = thrown(() => parseRunOrder(order));
    expect(e.code).toBe('REPRISE_ERR_FILTER_INVALID');
    expect(e.details).toEqual({ order, position, token });
    expect(e.message.startsWith('order: ')).toBe(true);
    expect(e.message).toContain(`at column ${position + 1};`);
    const [, , carets] = e.message.split('\n');
    expect(carets).toBe(`  ${' '.repeat(position)}${'^'.repeat(Math.max(1, token.length))}`);
    return e;
  }

  it('refuses an empty order', () => {
    expect(orderError('', 0, '').message).toContain('nothing to order by');
    orderError('   ', 0, '');
  });

  it('refuses a second field', () => {
    expect(orderError('created, name', 7, ',').message).toContain('runs are ordered by one field');
    expect(orderError('created desc, name', 12, ',').message).toContain('expected the end of the order');
    orderError('created name', 8, 'name');
  });

  it('refuses anything after the direction, and a bad field', () => {
    orderError('created desc asc', 13, 'asc');
    orderError('created desc;', 12, ';');
    expect(orderError('lr desc', 0, 'lr').message).toContain('unknown attribute "lr"');
    orderError('desc', 0, 'desc');
    orderError('created > 1', 8, '>');
    orderError('max(metrics.loss', 16, '');
  });
});

describe('formatField', () => {
  const fields: FilterField[] = [
    ...RUN_ATTRIBUTES.map(attr),
    param('lr'),
    param('optimizer.lr'),
    param('my key'),
    param('a`b'),
    param('日本'),
    { kind: 'tag', key: 'mlflow:run-name' },
    { kind: 'tag', key: 'with space' },
    metric('train/loss'),
    metric('loss', 'min'),
    metric('val acc', 'max'),
    metric('0'),
  ];

  it('writes fields as a user would type them', () => {
    expect(formatField(param('lr'))).toBe('params.lr');
    expect(formatField(metric('loss', 'max'))).toBe('max(metrics.loss)');
    expect(formatField(metric('loss'))).toBe('metrics.loss');
    expect(formatField(attr('status'))).toBe('status');
    expect(formatField(param('my key'))).toBe('params.`my key`');
    expect(formatField(param('a`b'))).toBe('params.`a``b`');
    expect(formatField({ kind: 'tag', key: 'mlflow:run-name' })).toBe('tags.mlflow:run-name');
  });

  it.each(fields.map((f) => [formatField(f), f] as const))('%s parses back to the same field', (text, f) => {
    expect(parseRunOrder(text).field).toEqual(f);
    expect(parseRunOrder(`${text} desc`)).toEqual({ field: f, direction: 'desc' });
  });
});

describe('formatFilter', () => {
  it('writes a filter back as text that parses to the same AST', async () => {
    const { formatFilter } = await import('./run-filter.js');
    const cases = [
      "params.lr < 0.01 and metrics.val_acc >= 0.9 and status = 'succeeded'",
      "not (tags.team = 'it''s \\\\ here' or name like 'run-%') and params.`my key` in (1, 'a', true)",
      "max(metrics.loss) <= -1.5e-3 or params.x is null or tags.y is not null",
      "created >= '2026-11-01' and dev = false and status not in ('failed', 'lost')",
    ];
    for (const text of cases) {
      const ast = parseRunFilter(text)!;
      expect(parseRunFilter(formatFilter(ast))).toEqual(ast);
    }
  });
});

describe('parseRunFilter: gate', () => {
  it('reads a gate outcome, bare or as an attribute', () => {
    expect(cmp("gate = 'passed'")).toEqual({ kind: 'cmp', field: attr('gate'), op: '=', value: 'passed' });
    expect(cmp("attributes.gate != 'failed'")).toEqual({ kind: 'cmp', field: attr('gate'), op: '!=', value: 'failed' });
    expect(cmp("gate in ('passed','none')")).toEqual({ kind: 'in', field: attr('gate'), values: ['passed', 'none'], negated: false });
    expect(cmp("gate not in ('failed')")).toMatchObject({ kind: 'in', negated: true, values: ['failed'] });
  });

  it('refuses an unknown outcome, listing the known ones', () => {
    const e = filterError("gate = 'maybe'", 7, "'maybe'");
    expect(e.message).toContain('unknown gate outcome "maybe"');
    expect(e.message).toContain('one of passed, failed, none');
    expect(filterError("gate in ('passed', 'Passed')", 19, "'Passed'").message).toContain('passed, failed, none');
    expect(filterError('gate = 1', 7, '1').message).toContain('passed, failed, none');
  });

  it('asks for quotes around a bare outcome, as it does for a status', () => {
    expect(filterError('gate = passed', 7, 'passed').message).toContain("quote text, as in 'passed'");
    expect(filterError('gate = maybe', 7, 'maybe').message).toContain("quote text, as in 'maybe'");
  });

  it('takes only the operators status takes', () => {
    expect(filterError('gate < 1', 5, '<').message).toContain('< does not apply to gate at column 6; expected one of =, !=, in, not in');
    filterError("gate like 'p%'", 5, 'like');
    filterError("gate >= 'passed'", 5, '>=');
  });
});
