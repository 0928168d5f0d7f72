/**
 * @module core/filter-lexer
 * The tokens of the filter grammars: Reprise's run filter (`run-filter.ts`) and MLflow's
 * search (`mlflow/search-tokens.ts`). Both read the same words, numbers, operators and
 * quoting; a `FilterLexerOptions` says where they differ. Mistakes go to the grammar's
 * own `fail`, so each keeps its messages and caret.
 */

export type CompareToken = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type QuoteChar = "'" | '"' | '`';

export type FilterToken =
  /** A name or keyword; `quoted` is a quoted key right after a trailing dot (`` tags.`a b` ``). */
  | { readonly kind: 'word'; readonly pos: number; readonly text: string; readonly word: string; readonly quoted: string | undefined }
  | { readonly kind: 'string'; readonly pos: number; readonly text: string; readonly value: string; readonly quote: QuoteChar }
  | { readonly kind: 'number'; readonly pos: number; readonly text: string; readonly value: number }
  | { readonly kind: 'op'; readonly pos: number; readonly text: string; readonly op: CompareToken }
  | { readonly kind: '(' | ')' | ',' | 'bad' | 'end'; readonly pos: number; readonly text: string };

/** What sets one grammar's tokens apart from the other's. */
export interface FilterLexerOptions {
  /** Whether `==` reads as `=`; otherwise it is two `=` tokens. */
  readonly doubleEquals: boolean;
  /** Quotes that open a string token; any other quote is a bad character where a token starts. */
  readonly stringQuotes: readonly QuoteChar[];
  /** Quotes that may follow a trailing dot to quote the rest of a key (`` tags.`my key` ``). */
  readonly keyQuotes: readonly QuoteChar[];
  /** The problem named for an unclosed backtick (an unclosed ' or " is an unterminated string). */
  readonly unterminatedBacktick: string;
  /** What is expected instead of a number too large for a double. */
  readonly outOfRangeExpected: string;
}

/** Reports a mistake at a token (its place and text, for the caret) and does not return. */
export type FilterLexerFail = (at: { readonly pos: number; readonly text: string }, problem: string, expected: string) => never;

const WORD_START = /[A-Za-z_]/;
/** Key characters allowed unquoted (letters, digits, `_ - . / :`); a space needs quotes. */
const WORD_CHAR = /[A-Za-z0-9_.\-/:]/;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;

/**
 * Tokens are read one at a time, as the grammar asks for them, so the first mistake is
 * the one reported even when a later one would also fail to lex.
 */
export class FilterLexer {
  private pos = 0;
  private ahead: FilterToken | undefined;

  constructor(
    readonly text: string,
    private readonly options: FilterLexerOptions,
    private readonly fail: FilterLexerFail,
  ) {}

  peek(): FilterToken {
    this.ahead ??= this.read();
    return this.ahead;
  }

  next(): FilterToken {
    const t = this.peek();
    this.ahead = undefined;
    return t;
  }

  private read(): FilterToken {
    const s = this.text;
    let i = this.pos;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) {
      this.pos = i;
      // The caret goes right after the last thing typed, not after trailing blanks.
      return { kind: 'end', pos: s.trimEnd().length, text: '' };
    }
    const c = s[i]!;
    const start = i;
    const done = <T extends FilterToken>(t: T): T => {
      this.pos = start + t.text.length;
      return t;
    };

    if (c === '(' || c === ')' || c === ',') return done({ kind: c, pos: start, text: c });

    if (c === '=' || c === '<' || c === '>' || c === '!') {
      const two = s.slice(i, i + 2);
      if (two === '==' && this.options.doubleEquals) return done({ kind: 'op', pos: start, text: two, op: '=' });
      if (two === '!=' || two === '<>') return done({ kind: 'op', pos: start, text: two, op: '!=' });
      if (two === '<=' || two === '>=') return done({ kind: 'op', pos: start, text: two, op: two });
      if (c !== '!') return done({ kind: 'op', pos: start, text: c, op: c });
    }

    const open = this.options.stringQuotes.find((q) => q === c);
    if (open !== undefined) {
      const q = this.quoted(start);
      return done({ kind: 'string', pos: start, text: s.slice(start, q.end), value: q.value, quote: open });
    }

    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(s);
      if (m) {
        const raw = m[0];
        const after = s[i + raw.length];
        if (after !== undefined && WORD_CHAR.test(after)) {
          const bad = /^[A-Za-z0-9_.\-+/:]+/.exec(s.slice(i))![0];
          this.fail({ pos: start, text: bad }, `invalid number ${quote(bad)}`, 'a number such as 3, -0.5 or 1e-3');
        }
        const value = Number(raw);
        if (!Number.isFinite(value)) this.fail({ pos: start, text: raw }, `number out of range ${quote(raw)}`, this.options.outOfRangeExpected);
        return done({ kind: 'number', pos: start, text: raw, value });
      }
    }

    if (WORD_START.test(c)) {
      while (i < s.length && WORD_CHAR.test(s[i]!)) i++;
      const word = s.slice(start, i);
      let quoted: string | undefined;
      if (word.endsWith('.') && this.options.keyQuotes.some((q) => q === s[i])) {
        const q = this.quoted(i);
        quoted = q.value;
        i = q.end;
      }
      return done({ kind: 'word', pos: start, text: s.slice(start, i), word, quoted });
    }

    return done({ kind: 'bad', pos: start, text: String.fromCodePoint(s.codePointAt(i)!) });
  }

  /**
   * A quoted string or key from its opening quote: the quote doubled stands for itself.
   * Outside backticks `\\`, `\'` and `\"` are escapes and any other backslash stays, so
   * `\%` and `\_` reach a like pattern as written.
   */
  private quoted(start: number): { value: string; end: number } {
    const s = this.text;
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
    const problem = q === '`' ? this.options.unterminatedBacktick : 'unterminated string';
    return this.fail({ pos: start, text: q }, problem, `a closing ${q}`);
  }
}

/** Whether `t` is the unquoted keyword `word` (given in lower case), in any case. */
export function isKeyword(t: FilterToken, word: string): boolean {
  return t.kind === 'word' && t.quoted === undefined && t.word.toLowerCase() === word;
}

/** JSON quoting, shortened: a message should name the token, not repeat a page of it. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
