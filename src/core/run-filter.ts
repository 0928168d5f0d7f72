/**
 * @module core/run-filter
 * The run-search filter (`params.lr < 0.01 and status = 'succeeded'`) and the one-field
 * ordering (`metrics.val_acc desc`). Text becomes a typed AST that the store compiles
 * into SQL with bound parameters, so values are checked and converted here (statuses,
 * dates to UTC milliseconds), and every mistake is reported with a caret under the
 * token at fault.
 */
import { RepriseError } from './errors.js';
import { excerpt } from './excerpt.js';
import { FilterLexer, isKeyword, quote, type FilterLexerOptions, type FilterToken } from './filter-lexer.js';
import { parseIsoTime } from './iso-time.js';
import { GATE_STATUSES } from './gates.js';
import { RUN_STATUSES } from './run-manifest.js';
import { TRIGGER_KINDS } from './trigger.js';

export const RUN_ATTRIBUTES = [
  'id',
  'name',
  'project',
  'status',
  'dev',
  'created',
  'started',
  'ended',
  'duration',
  'commit',
  'host',
  'env',
  'gate',
  'queue',
  'sweep',
  'trigger',
] as const;
export type RunAttribute = (typeof RUN_ATTRIBUTES)[number];
export type MetricAggregate = 'last' | 'min' | 'max';
export type FilterField =
  | { readonly kind: 'attr'; readonly name: RunAttribute }
  | { readonly kind: 'param'; readonly key: string }
  | { readonly kind: 'tag'; readonly key: string }
  | { readonly kind: 'metric'; readonly key: string; readonly agg: MetricAggregate };
export type FilterValue = string | number | boolean;
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like' | 'not like';
export type FilterExpr =
  | { readonly kind: 'and'; readonly items: readonly FilterExpr[] }
  | { readonly kind: 'or'; readonly items: readonly FilterExpr[] }
  | { readonly kind: 'not'; readonly expr: FilterExpr }
  | {
      readonly kind: 'cmp';
      readonly field: FilterField;
      readonly op: CompareOp;
      readonly value: FilterValue;
      /**
       * Only with `like` and `not like`: letters must match in case, as MLflow's LIKE asks
       * (Reprise's own grammar never sets it, and its `like` ignores ASCII case).
       */
      readonly caseSensitive?: true;
    }
  | { readonly kind: 'in'; readonly field: FilterField; readonly values: readonly FilterValue[]; readonly negated: boolean }
  /** `field is null` / `field is not null`. */
  | { readonly kind: 'null'; readonly field: FilterField; readonly negated: boolean };
export interface RunOrder {
  readonly field: FilterField;
  readonly direction: 'asc' | 'desc';
}

/** Longer filters are refused: nobody types them, and they only cost the server. */
export const MAX_FILTER_LENGTH = 10_000;
/** Parentheses and `not` nest at most this deep, so hostile input cannot overflow the stack. */
export const MAX_FILTER_DEPTH = 64;

type Mode = 'filter' | 'order';
type OpName = CompareOp | 'in' | 'not in' | 'is null' | 'is not null';

type Token = FilterToken;

/** Characters a key may use unquoted; anything else needs backticks. */
const KEY_CHARS = /^[A-Za-z0-9_.\-/:]+$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'in', 'is', 'null', 'true', 'false']);
const AGGREGATES = new Set<string>(['last', 'min', 'max']);
const PREFIXES: Readonly<Record<string, 'attr' | 'param' | 'tag' | 'metric'>> = {
  attributes: 'attr',
  attribute: 'attr',
  attr: 'attr',
  params: 'param',
  param: 'param',
  tags: 'tag',
  tag: 'tag',
  metrics: 'metric',
  metric: 'metric',
};
const TIME_ATTRIBUTES = new Set<RunAttribute>(['created', 'started', 'ended']);

const ALL_OPS: readonly OpName[] = ['=', '!=', '<', '<=', '>', '>=', 'like', 'not like', 'in', 'not in', 'is null', 'is not null'];
const NUMERIC_OPS: readonly OpName[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'is null', 'is not null'];
const STATUS_OPS: readonly OpName[] = ['=', '!=', 'in', 'not in'];
const DEV_OPS: readonly OpName[] = ['=', '!='];

const ATTRIBUTE_EXPECTED = `one of ${RUN_ATTRIBUTES.join(', ')}, or a field starting params., tags. or metrics.`;
const VALUE_EXPECTED = 'a value (a quoted string, a number, true or false)';
const DATE_EXPECTED =
  "a date such as '2026-11-01' or '2026-11-01T12:00:00Z' (UTC unless an offset is given), or milliseconds since 1970";
const NUMBER_EXPECTED = 'a number such as 3, -0.5 or 1e-3';

/** Strings are ' or " (either one may be a value); only backticks quote a key, and `==` is `=`. */
const LEXER: FilterLexerOptions = {
  doubleEquals: true,
  stringQuotes: ["'", '"'],
  keyQuotes: ['`'],
  unterminatedBacktick: 'unterminated quoted key',
  outOfRangeExpected: NUMBER_EXPECTED,
};

function isAttribute(name: string): name is RunAttribute {
  return (RUN_ATTRIBUTES as readonly string[]).includes(name);
}

/** undefined for an empty or all-blank filter. */
export function parseRunFilter(text: string): FilterExpr | undefined {
  return new Parser(text, 'filter').filter();
}

/** e.g. `metrics.val_acc desc`, `created`, `min(metrics.loss) asc`; direction defaults to asc. Exactly one field. */
export function parseRunOrder(text: string): RunOrder {
  return new Parser(text, 'order').order();
}

/** A field written back as the user would type it (for messages and cursors): `params.lr`, `max(metrics.loss)`, `status`. */
export function formatField(field: FilterField): string {
  switch (field.kind) {
    case 'attr':
      return field.name;
    case 'param':
      return `params.${formatKey(field.key)}`;
    case 'tag':
      return `tags.${formatKey(field.key)}`;
    case 'metric': {
      const plain = `metrics.${formatKey(field.key)}`;
      return field.agg === 'last' ? plain : `${field.agg}(${plain})`;
    }
  }
}

/** A filter written back as text that parses to the same AST (how a client sends a parsed filter to a server). */
export function formatFilter(e: FilterExpr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.items.map((i) => `(${formatFilter(i)})`).join(` ${e.kind} `);
    case 'not':
      return `not (${formatFilter(e.expr)})`;
    case 'cmp':
      return `${formatField(e.field)} ${e.op} ${formatValue(e.value)}`;
    case 'in':
      return `${formatField(e.field)} ${e.negated ? 'not in' : 'in'} (${e.values.map(formatValue).join(', ')})`;
    case 'null':
      return `${formatField(e.field)} is ${e.negated ? 'not null' : 'null'}`;
  }
}

function formatValue(v: FilterValue): string {
  if (typeof v === 'string') return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return String(v);
}

function formatKey(key: string): string {
  return KEY_CHARS.test(key) ? key : `\`${key.replaceAll('`', '``')}\``;
}

class Parser {
  private readonly tokens: FilterLexer;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly mode: Mode,
  ) {
    if (text.length > MAX_FILTER_LENGTH) {
      this.fail(MAX_FILTER_LENGTH, '', `too long (${text.length} characters)`, `at most ${MAX_FILTER_LENGTH} characters`);
    }
    this.tokens = new FilterLexer(text, LEXER, (at, problem, expected) => this.fail(at.pos, at.text, problem, expected));
  }

  filter(): FilterExpr | undefined {
    if (this.peek().kind === 'end') return undefined;
    const expr = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'end') this.unexpected(t, 'and, or or the end of the filter');
    return expr;
  }

  order(): RunOrder {
    const first = this.peek();
    if (first.kind === 'end') {
      this.fail(first.pos, '', 'nothing to order by', 'a field, optionally followed by asc or desc, such as created or metrics.val_acc desc');
    }
    const field = this.parseField('a field such as created, params.lr or metrics.val_acc');
    let direction: 'asc' | 'desc' = 'asc';
    let t = this.peek();
    const named = this.keyword(t, 'asc') ? 'asc' : this.keyword(t, 'desc') ? 'desc' : undefined;
    if (named !== undefined) {
      direction = named;
      this.next();
      t = this.peek();
    }
    if (t.kind !== 'end') {
      // Runs are paged by one field (plus the id); a second one would need a compound cursor.
      this.unexpected(t, `${named === undefined ? 'asc, desc or ' : ''}the end of the order (runs are ordered by one field)`);
    }
    return { field, direction };
  }

  // ---- grammar -----------------------------------------------------------------------

  private parseOr(): FilterExpr {
    const items: FilterExpr[] = [];
    for (;;) {
      const e = this.parseAnd();
      if (e.kind === 'or') items.push(...e.items);
      else items.push(e);
      if (!this.keyword(this.peek(), 'or')) break;
      this.next();
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private parseAnd(): FilterExpr {
    const items: FilterExpr[] = [];
    for (;;) {
      const e = this.parseUnary();
      if (e.kind === 'and') items.push(...e.items);
      else items.push(e);
      if (!this.keyword(this.peek(), 'and')) break;
      this.next();
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private parseUnary(): FilterExpr {
    const t = this.peek();
    if (this.keyword(t, 'not')) {
      this.next();
      this.enter(t);
      const expr = this.parseUnary();
      this.depth--;
      return { kind: 'not', expr };
    }
    if (t.kind === '(') {
      this.next();
      this.enter(t);
      const expr = this.parseOr();
      const close = this.peek();
      if (close.kind !== ')') this.unexpected(close, `and, or or ) to close the ( at ${this.location(t.pos)}`);
      this.next();
      this.depth--;
      return expr;
    }
    return this.parsePredicate();
  }

  private parsePredicate(): FilterExpr {
    const field = this.parseField('a field such as status, params.lr or metrics.val_acc, or not, or (');
    const first = this.next();
    let op: OpName;
    let last: Token = first;
    if (first.kind === 'op') {
      op = first.op;
    } else if (this.keyword(first, 'like')) {
      op = 'like';
    } else if (this.keyword(first, 'in')) {
      op = 'in';
    } else if (this.keyword(first, 'not')) {
      last = this.next();
      if (this.keyword(last, 'like')) op = 'not like';
      else if (this.keyword(last, 'in')) op = 'not in';
      else this.unexpected(last, 'like or in after not');
    } else if (this.keyword(first, 'is')) {
      last = this.next();
      let negated = false;
      if (this.keyword(last, 'not')) {
        negated = true;
        last = this.next();
      }
      if (!this.keyword(last, 'null')) this.unexpected(last, negated ? 'null after is not' : 'null or not null after is');
      op = negated ? 'is not null' : 'is null';
    } else {
      this.unexpected(first, `an operator after ${formatField(field)}: ${ALL_OPS.join(', ')}`);
    }

    const allowed = allowedOps(field);
    if (!allowed.includes(op)) {
      const span = this.text.slice(first.pos, last.pos + last.text.length);
      this.fail(first.pos, span, `${op} does not apply to ${formatField(field)}`, `one of ${allowed.join(', ')}`);
    }

    if (op === 'is null' || op === 'is not null') return { kind: 'null', field, negated: op === 'is not null' };
    if (op === 'in' || op === 'not in') {
      const open = this.next();
      if (open.kind !== '(') this.unexpected(open, `( to start the list of values after ${op}`);
      const values: FilterValue[] = [];
      for (;;) {
        values.push(this.parseValue(field, '='));
        const t = this.next();
        if (t.kind === ')') break;
        if (t.kind !== ',') this.unexpected(t, `, or ) to close the list that starts at ${this.location(open.pos)}`);
      }
      return { kind: 'in', field, values, negated: op === 'not in' };
    }
    return { kind: 'cmp', field, op, value: this.parseValue(field, op) };
  }

  private parseField(expected: string): FilterField {
    const t = this.next();
    if (t.kind !== 'word' || (t.quoted === undefined && KEYWORDS.has(t.word.toLowerCase()))) {
      return this.unexpected(t, expected);
    }
    if (t.quoted === undefined && !t.word.includes('.')) {
      const name = t.word.toLowerCase();
      if (AGGREGATES.has(name) && this.peek().kind === '(') return this.parseAggregate(name as MetricAggregate);
      if (isAttribute(name)) return { kind: 'attr', name };
      return this.fail(t.pos, t.text, `unknown attribute ${quote(t.word)}`, ATTRIBUTE_EXPECTED);
    }
    const split = this.splitPrefixed(t);
    if (split === undefined) return this.fail(t.pos, t.text, `unknown field ${quote(t.text)}`, ATTRIBUTE_EXPECTED);
    const { kind, key } = split;
    switch (kind) {
      case 'attr': {
        const name = key.toLowerCase();
        if (!isAttribute(name)) return this.fail(t.pos, t.text, `unknown attribute ${quote(key)}`, ATTRIBUTE_EXPECTED);
        return { kind: 'attr', name };
      }
      case 'param':
        return { kind: 'param', key };
      case 'tag':
        return { kind: 'tag', key };
      case 'metric':
        return { kind: 'metric', key, agg: 'last' };
    }
  }

  /** After `min`, `max` or `last`, with `(` next. */
  private parseAggregate(agg: MetricAggregate): FilterField {
    const open = this.next();
    const inner = this.next();
    const split = inner.kind === 'word' && inner.word.includes('.') ? this.splitPrefixed(inner) : undefined;
    if (split?.kind !== 'metric') this.unexpected(inner, `metrics.<key> inside ${agg}(`);
    const close = this.next();
    if (close.kind !== ')') this.unexpected(close, `) to close the ${agg}( at ${this.location(open.pos)}`);
    return { kind: 'metric', key: split.key, agg };
  }

  /** `params.lr` → param `lr`; undefined for an unknown prefix; an empty key fails. */
  private splitPrefixed(
    t: Extract<Token, { kind: 'word' }>,
  ): { kind: 'attr' | 'param' | 'tag' | 'metric'; key: string } | undefined {
    const dot = t.word.indexOf('.');
    const prefix = t.word.slice(0, dot);
    const kind = PREFIXES[prefix.toLowerCase()];
    if (kind === undefined) return undefined;
    const key = t.word.slice(dot + 1) + (t.quoted ?? '');
    if (key === '') {
      this.fail(t.pos, t.text, `empty key after ${prefix}.`, `a key, as in ${prefix}.lr or ${prefix}.\`my key\``);
    }
    return { kind, key };
  }

  private parseValue(field: FilterField, op: CompareOp): FilterValue {
    const t = this.next();
    let value: FilterValue;
    if (t.kind === 'string' || t.kind === 'number') value = t.value;
    else if (this.keyword(t, 'true')) value = true;
    else if (this.keyword(t, 'false')) value = false;
    else if (this.keyword(t, 'null')) {
      return this.unexpected(t, `a value; to find runs without one, write ${formatField(field)} is null`);
    } else if (t.kind === 'word' && t.quoted === undefined) {
      return this.unexpected(t, `${VALUE_EXPECTED}; quote text, as in '${t.word}'`);
    } else {
      return this.unexpected(t, VALUE_EXPECTED);
    }

    const ordering = op === '<' || op === '<=' || op === '>' || op === '>=';
    if ((op === 'like' || op === 'not like') && typeof value !== 'string') {
      this.fail(t.pos, t.text, `${op} needs a quoted pattern, not ${t.text}`, "a pattern such as 'resnet%'");
    }
    switch (field.kind) {
      case 'metric':
        if (typeof value !== 'number') this.fail(t.pos, t.text, `metrics are numbers, not ${t.text}`, NUMBER_EXPECTED);
        return value;
      case 'param':
        if (ordering && typeof value === 'boolean') this.cannotOrder(t, op);
        return value;
      case 'tag':
        if (ordering && typeof value === 'boolean') this.cannotOrder(t, op);
        // Tags are text: `tags.version = 1.10` means the text as typed, not the number 1.1.
        return typeof value === 'number' ? t.text : String(value);
      case 'attr':
        return this.attributeValue(field.name, t, value);
    }
  }

  private attributeValue(name: RunAttribute, t: Token, value: FilterValue): FilterValue {
    if (name === 'status') {
      if (typeof value !== 'string' || !(RUN_STATUSES as readonly string[]).includes(value)) {
        const problem = typeof value === 'string' ? `unknown status ${quote(value)}` : `unexpected ${t.text}`;
        this.fail(t.pos, t.text, problem, `one of ${RUN_STATUSES.join(', ')}`);
      }
      return value;
    }
    if (name === 'gate') {
      if (typeof value !== 'string' || !(GATE_STATUSES as readonly string[]).includes(value)) {
        this.fail(t.pos, t.text, `unknown gate outcome ${typeof value === 'string' ? quote(value) : t.text}`, `one of ${GATE_STATUSES.join(', ')}`);
      }
      return value;
    }
    if (name === 'trigger') {
      if (typeof value !== 'string' || !(TRIGGER_KINDS as readonly string[]).includes(value)) {
        this.fail(t.pos, t.text, `unknown trigger ${typeof value === 'string' ? quote(value) : t.text}`, `one of ${TRIGGER_KINDS.join(', ')}`);
      }
      return value;
    }
    if (name === 'dev') {
      if (typeof value !== 'boolean') this.fail(t.pos, t.text, `dev is true or false, not ${t.text}`, 'true or false');
      return value;
    }
    if (TIME_ATTRIBUTES.has(name)) {
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const ms = parseIsoTime(value);
        if (ms === undefined) this.fail(t.pos, t.text, `unreadable date ${quote(value)}`, DATE_EXPECTED);
        return ms;
      }
      return this.fail(t.pos, t.text, `${name} is a time, not ${t.text}`, DATE_EXPECTED);
    }
    if (name === 'duration') {
      if (typeof value !== 'number') this.fail(t.pos, t.text, `duration is a number, not ${t.text}`, 'a number of milliseconds');
      return value;
    }
    if (typeof value !== 'string') {
      return this.fail(t.pos, t.text, `${name} is text, not ${t.text}`, `a quoted string, as in '${t.text}'`);
    }
    return value;
  }

  private cannotOrder(t: Token, op: CompareOp): never {
    return this.fail(t.pos, t.text, `${op} cannot compare with ${t.text}`, 'a number or a quoted string (use = or != for true and false)');
  }

  // ---- tokens ------------------------------------------------------------------------

  private keyword(t: Token, word: string): boolean {
    return isKeyword(t, word);
  }

  private peek(): Token {
    return this.tokens.peek();
  }

  private next(): Token {
    return this.tokens.next();
  }

  private enter(t: Token): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      this.fail(t.pos, t.text, `nested deeper than ${MAX_FILTER_DEPTH} levels`, 'fewer nested parentheses and nots');
    }
  }

  // ---- errors ------------------------------------------------------------------------

  private unexpected(t: Token, expected: string): never {
    const problem =
      t.kind === 'end'
        ? `unexpected end of the ${this.mode}`
        : t.kind === 'bad'
          ? `unexpected character ${quote(t.text)}`
          : `unexpected ${quote(t.text)}`;
    return this.fail(t.pos, t.text, problem, expected);
  }

  private location(pos: number): string {
    const before = this.text.slice(0, pos);
    const lineStart = before.lastIndexOf('\n') + 1;
    const column = pos - lineStart + 1;
    if (!this.text.includes('\n')) return `column ${column}`;
    const line = before.split('\n').length;
    return `line ${line}, column ${column}`;
  }

  private fail(pos: number, token: string, problem: string, expected: string): never {
    const message = `${this.mode}: ${problem} at ${this.location(pos)}; expected ${expected}\n${excerpt(this.text, pos, token.length)}`;
    throw new RepriseError('REPRISE_ERR_FILTER_INVALID', message, {
      details: { [this.mode]: this.text, position: pos, token },
    });
  }
}

function allowedOps(field: FilterField): readonly OpName[] {
  if (field.kind === 'metric') return NUMERIC_OPS;
  if (field.kind !== 'attr') return ALL_OPS;
  if (field.name === 'status' || field.name === 'gate') return STATUS_OPS;
  if (field.name === 'dev') return DEV_OPS;
  if (field.name === 'duration' || TIME_ATTRIBUTES.has(field.name)) return NUMERIC_OPS;
  return ALL_OPS;
}
