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
import { MAX_FILTER_LENGTH } from '../run-filter.js';

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

type CompareToken = '=' | '!=' | '<' | '<=' | '>' | '>=';
type Token =
  /** A name or keyword; `quoted` is a quoted key right after a trailing dot (`` tags.`a b` ``). */
  | { readonly kind: 'word'; readonly pos: number; readonly text: string; readonly word: string; readonly quoted: string | undefined }
  | { readonly kind: 'string'; readonly pos: number; readonly text: string; readonly value: string; readonly quote: "'" | '"' | '`' }
  | { readonly kind: 'number'; readonly pos: number; readonly text: string; readonly value: number }
  | { readonly kind: 'op'; readonly pos: number; readonly text: string; readonly op: CompareToken }
  | { readonly kind: '(' | ')' | ',' | 'bad' | 'end'; readonly pos: number; readonly text: string };

const WORD_START = /[A-Za-z_]/;
/** Key characters MLflow allows in names (letters, digits, `_ - . / :`); a space needs quotes. */
const WORD_CHAR = /[A-Za-z0-9_.\-/:]/;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
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
  private pos = 0;
  private ahead: Token | undefined;

  constructor(readonly source: SearchText) {
    const text = source.text;
    if (text.length > MAX_FILTER_LENGTH) {
      source.fail({ pos: MAX_FILTER_LENGTH, text: '' }, `too long (${text.length} characters)`, `at most ${MAX_FILTER_LENGTH} characters`);
    }
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
    return t.kind === 'word' && t.quoted === undefined && t.word.toLowerCase() === word;
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
    this.ahead ??= this.lex();
    return this.ahead;
  }

  next(): Token {
    const t = this.peek();
    this.ahead = undefined;
    return t;
  }

  /** One token, read when the grammar asks for it. */
  private lex(): Token {
    const s = this.source.text;
    let i = this.pos;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) {
      this.pos = i;
      // The caret goes right after the last thing typed, not after trailing blanks.
      return { kind: 'end', pos: s.trimEnd().length, text: '' };
    }
    const c = s[i]!;
    const start = i;
    const done = <T extends Token>(t: T): T => {
      this.pos = start + t.text.length;
      return t;
    };

    if (c === '(' || c === ')' || c === ',') return done({ kind: c, pos: start, text: c });

    if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = s.slice(i, i + 2);
      if (two === '!=' || two === '<>') return done({ kind: 'op', pos: start, text: two, op: '!=' });
      if (two === '<=' || two === '>=') return done({ kind: 'op', pos: start, text: two, op: two });
      if (c !== '!') return done({ kind: 'op', pos: start, text: c, op: c });
    }

    if (c === "'" || c === '"' || c === '`') {
      const q = this.quoted(start);
      return done({ kind: 'string', pos: start, text: s.slice(start, q.end), value: q.value, quote: c });
    }

    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(s);
      if (m) {
        const raw = m[0];
        const after = s[i + raw.length];
        if (after !== undefined && WORD_CHAR.test(after)) {
          const bad = /^[A-Za-z0-9_.\-+/:]+/.exec(s.slice(i))![0];
          this.source.fail({ pos: start, text: bad }, `invalid number ${quote(bad)}`, 'a number such as 3, -0.5 or 1e-3');
        }
        const value = Number(raw);
        if (!Number.isFinite(value)) this.source.fail({ pos: start, text: raw }, `number out of range ${quote(raw)}`, 'a finite number');
        return done({ kind: 'number', pos: start, text: raw, value });
      }
    }

    if (WORD_START.test(c)) {
      while (i < s.length && WORD_CHAR.test(s[i]!)) i++;
      const word = s.slice(start, i);
      let quoted: string | undefined;
      if (word.endsWith('.') && (s[i] === '`' || s[i] === '"')) {
        const q = this.quoted(i);
        quoted = q.value;
        i = q.end;
      }
      return done({ kind: 'word', pos: start, text: s.slice(start, i), word, quoted });
    }

    return done({ kind: 'bad', pos: start, text: String.fromCodePoint(s.codePointAt(i)!) });
  }

  /**
   * A quoted string or name from its opening quote: the quote doubled stands for itself;
   * `\\`, `\'` and `\"` are escapes, any other backslash stays (so `\%` reaches a pattern).
   */
  private quoted(start: number): { value: string; end: number } {
    const s = this.source.text;
    const q = s[start]!;
    let out = '';
    let i = start + 1;
    while (i < s.length) {
      const ch = s[i]!;
      if (ch === '\\' && q !== '`') {
        const n = s[i + 1];
        if (n === '\\' || n === "'" || n === '"') {
          out += n;
          i += 2;
          continue;
        }
      } else if (ch === q) {
        if (s[i + 1] !== q) return { value: out, end: i + 1 };
        i++;
      }
      out += ch;
      i++;
    }
    return this.source.fail({ pos: start, text: q }, q === '`' ? 'unterminated quoted name' : 'unterminated string', `a closing ${q}`);
  }
}

/** JSON quoting, shortened: a message should name the token, not repeat a page of it. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
