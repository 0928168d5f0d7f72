/**
 * @module adapters/metadata-store/sql-like
 * LIKE patterns as both SQL stores write them: text matched literally, for an id typed
 * as a prefix or an artifact folder. SQLite and PostgreSQL read the same escape.
 */

/** `%`, `_` and `\` of a LIKE pattern taken literally (with `escape '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[%_\\]/g, (c) => `\\${c}`);
}
