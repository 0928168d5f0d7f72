/**
 * @module core/mlflow/search-tokens
 * What MLflow's search grammars share: comparisons joined by AND (`metrics.rmse < 1 and
 * tags.team = 'vision'`), with no OR and no parentheses, and order_by terms
 * (`` tags.`mlflow.user` DESC ``). This reads the text into identifiers, operators and
 * values; `run-search.ts` and `entity-search.ts` decide what the identifiers mean. Every
 * mistake is a REPRISE_ERR_FILTER_INVALID with a caret under the token at fault.
 */
import { RepriseError } from '../errors.js';
import { excerpt } from '../excerpt.js';
import { FilterLexer, isKeyword, quote, type FilterLexerOptions, type FilterToken } from '../filter-lexer.js';
import { MAX_FILTER_LENGTH } from '../run-filter.js';

export { quote };

/** Where a token stands in the text, and what was typed there. */
export interface Span {
  readonly pos: number;
  readonly text: string;
}

/**
 * `metrics.rmse` → entity `metrics`, key `rmse`; `` tags.`my key` `` → entity `tags`,
 * key `my key`; `name` and `` `run name` `` → no entity. The entity is as typed.
 */
export interface SearchIdentifier {
  readonly span: Span;
  readonly entity: string | undefined;
  readonly key: string;
}

export type SearchOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/** A quoted string (single or double quotes) or a number. */
export interface SearchValue {
  readonly span: Span;
  readonly value: string | number;
}

export interface SearchComparison {
  readonly ident: SearchIdentifier;
  readonly op: SearchOp;
  /** The operator as typed (both words of NOT IN). */
  readonly opSpan: Span;
  /** One value, or the list of IN and NOT IN (never empty). */
  readonly values: readonly SearchValue[];
}

export interface SearchOrderTerm {
  readonly ident: SearchIdentifier;
  readonly desc: boolean;
}

type Token = FilterToken;

/**
 * Any quote opens a string, and the grammar decides where each may stand (backticks name,
 * single quotes are values, double quotes are either); after a dot, `` ` `` or `"` quote the key.
 */
const LEXER: FilterLexerOptions = {
  doubleEquals: false,
  stringQuotes: ["'", '"', '`'],
  keyQuotes: ['`', '"'],
  unterminatedBacktick: 'unterminated quoted name',
  outOfRangeExpected: 'a finite number',
};

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'like', 'ilike', 'asc', 'desc']);
const OPERATORS = '=, !=, <, <=, >, >=, LIKE, ILIKE, IN or NOT IN';
const VALUE_EXPECTED = "a quoted string such as 'adam' or a number such as 0.5";

/** One filter or order_by string, and how its mistakes are reported. */
export class SearchText {
  constructor(
    readonly text: string,
    /** What the text is, as messages name it: `filter`, `order_by` or `order_by[1]`. */
    readonly what: string,
  ) {}

  /** Throws REPRISE_ERR_FILTER_INVALID: the problem, where, what was expected, and the line with a caret. */
  fail(span: Span, problem: string, expected: string): never {
    const message = `${this.what}: ${problem} at ${this.location(span.pos)}; expected ${expected}\n${excerpt(this.text, span.pos, span.text.length)}`;
    throw new RepriseError('REPRISE_ERR_FILTER_INVALID', message, {
      details: { [this.what === 'filter' ? 'filter' : 'orderBy']: this.text, position: span.pos, token: span.text },
    });
  }

  private location(pos: number): string {
    const before = this.text.slice(0, pos);
    const column = pos - (before.lastIndexOf('\n') + 1) + 1;
    if (!this.text.includes('\n')) return `column ${column}`;
    return `line ${before.split('\n').length}, column ${column}`;
  }
}

/**
 * Reads `<comparison> AND <comparison> ...` and hands each comparison to `map` as soon as
 * it is read, so the first mistake in the text is the one reported. Blank text gives [].
 */
export function parseConjunction<T>(text: string, map: (c: SearchComparison, source: SearchText) => T): T[] {
  const p = new Parser(new SearchText(text, 'filter'));
  const out: T[] = [];
  if (p.peek().kind === 'end') return out;
  for (;;) {
    out.push(map(p.comparison(), p.source));
    const t = p.next();
    if (t.kind === 'end') return out;
    if (!p.keyword(t, 'and')) {
      if (p.keyword(t, 'or')) p.source.fail(t, 'OR is not supported', 'AND (MLflow search joins conditions with AND only)');
      p.unexpected(t, 'AND or the end of the filter');
    }
  }
}

/** One order_by string: an identifier, then ASC or DESC (default ASC). `label` names it in messages. */
export function parseOrderTerm(text: string, label = 'order_by'): { term: SearchOrderTerm; source: SearchText } {
  const p = new Parser(new SearchText(text, label));
  const ident = p.identifier('a field to order by, optionally followed by ASC or DESC');
  let desc = false;
  let t = p.next();
  const named = p.keyword(t, 'asc') ? 'asc' : p.keyword(t, 'desc') ? 'desc' : undefined;
  if (named !== undefined) {
    desc = named === 'desc';
    t = p.next();
  }
  if (t.kind !== 'end') p.unexpected(t, `${named === undefined ? 'ASC, DESC or ' : ''}the end of the term (each order_by entry is one field)`);
  return { term: { ident, desc }, source: p.source };
}

/** LIKE's pattern (`%` any text, `_` one character, anchored at both ends) as a regular expression. */
export function likePattern(pattern: string, ignoreCase: boolean): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'isu' : 'su');
}

class Parser {
  private readonly tokens: FilterLexer;

  constructor(readonly source: SearchText) {
    const text = source.text;
    if (text.length > MAX_FILTER_LENGTH) {
      source.fail({ pos: MAX_FILTER_LENGTH, text: '' }, `too long (${text.length} characters)`, `at most ${MAX_FILTER_LENGTH} characters`);
    }
    this.tokens = new FilterLexer(text, LEXER, (at, problem, expected) => source.fail(at, problem, expected));
  }

  comparison(): SearchComparison {
    const head = this.peek();
    if (head.kind === '(') this.source.fail(head, 'parentheses are not supported', 'a comparison (MLflow search joins comparisons with AND, without grouping)');
    const ident = this.identifier('a field such as metrics.rmse, params.lr, tags.`my tag` or an attribute name');
    const first = this.next();
    let op: SearchOp;
    let opSpan: Span = first;
    if (first.kind === 'op') op = first.op;
    else if (this.keyword(first, 'like')) op = 'LIKE';
    else if (this.keyword(first, 'ilike')) op = 'ILIKE';
    else if (this.keyword(first, 'in')) op = 'IN';
    else if (this.keyword(first, 'not')) {
      const second = this.next();
      if (!this.keyword(second, 'in')) this.unexpected(second, 'IN after NOT (NOT only forms NOT IN)');
      op = 'NOT IN';
      opSpan = { pos: first.pos, text: this.source.text.slice(first.pos, second.pos + second.text.length) };
    } else {
      return this.unexpected(first, `an operator after ${ident.span.text}: ${OPERATORS}`);
    }
    if (op !== 'IN' && op !== 'NOT IN') return { ident, op, opSpan, values: [this.value()] };

    const open = this.next();
    if (open.kind !== '(') this.unexpected(open, `( to start the list after ${op}`);
    const values: SearchValue[] = [];
    for (;;) {
      values.push(this.value());
      const t = this.next();
      if (t.kind === ')') break;
      if (t.kind !== ',') this.unexpected(t, `, or ) to close the list that starts at column ${open.pos + 1}`);
    }
    return { ident, op, opSpan, values };
  }

  identifier(expected: string): SearchIdentifier {
    const t = this.next();
    if (t.kind === 'string' && t.quote !== "'") {
      // `run name` and "run name" name an attribute; single quotes are for values.
      if (t.value === '') this.source.fail(t, 'empty name', expected);
      return { span: t, entity: undefined, key: t.value };
    }
    if (t.kind === 'string') {
      return this.source.fail(t, `${t.text} is a value in single quotes`, `${expected} (quote names with backticks or double quotes)`);
    }
    if (t.kind !== 'word' || (t.quoted === undefined && KEYWORDS.has(t.word.toLowerCase()))) return this.unexpected(t, expected);
    const dot = t.word.indexOf('.');
    if (dot < 0) return { span: t, entity: undefined, key: t.word };
    const entity = t.word.slice(0, dot);
    const key = t.word.slice(dot + 1) + (t.quoted ?? '');
    if (key === '') this.source.fail(t, `empty key after ${entity}.`, `a key, as in ${entity}.lr or ${entity}.\`my key\``);
    return { span: t, entity, key };
  }

  private value(): SearchValue {
    const t = this.next();
    if (t.kind === 'number') return { span: t, value: t.value };
    if (t.kind === 'string' && t.quote !== '`') return { span: t, value: t.value };
    if (t.kind === 'string') return this.source.fail(t, `${t.text} is a name in backticks`, `${VALUE_EXPECTED} (quote values with ' or ")`);
    if (t.kind === 'word' && t.quoted === undefined && !KEYWORDS.has(t.word.toLowerCase())) {
      return this.unexpected(t, `${VALUE_EXPECTED}; quote text, as in '${t.word}'`);
    }
    return this.unexpected(t, VALUE_EXPECTED);
  }

  keyword(t: Token, word: string): boolean {
    return isKeyword(t, word);
  }

  unexpected(t: Token, expected: string): never {
    const problem =
      t.kind === 'end'
        ? `unexpected end of the ${this.source.what === 'filter' ? 'filter' : 'order_by entry'}`
        : t.kind === 'bad'
          ? `unexpected character ${quote(t.text)}`
          : `unexpected ${quote(t.text)}`;
    return this.source.fail(t, problem, expected);
  }

  peek(): Token {
    return this.tokens.peek();
  }

  next(): Token {
    return this.tokens.next();
  }
}
