/**
 * @module core/excerpt
 * The line of a text (a filter, a SQL query) holding a position, with carets under what
 * is wrong there: how messages point at a mistake.
 */

const EXCERPT_WIDTH = 100;

/** The line holding `pos`, at most EXCERPT_WIDTH characters of it, with carets under the token. */
export function excerpt(text: string, pos: number, length: number): string {
  const lineStart = pos === 0 ? 0 : text.lastIndexOf('\n', pos - 1) + 1;
  const nl = text.indexOf('\n', pos);
  const line = text.slice(lineStart, nl < 0 ? text.length : nl);
  const col = pos - lineStart;
  let from = 0;
  let to = line.length;
  if (line.length > EXCERPT_WIDTH) {
    from = Math.max(0, Math.min(col - 40, line.length - EXCERPT_WIDTH));
    to = from + EXCERPT_WIDTH;
  }
  const lead = from > 0 ? '...' : '';
  const tail = to < line.length ? '...' : '';
  // Control characters (tabs included) would shift the caret; show them as spaces.
  const shown = line.slice(from, to).replace(/[\u0000-\u001f\u007f]/g, ' ');
  const carets = Math.max(1, Math.min(length, to - col));
  return `  ${lead}${shown}${tail}\n  ${' '.repeat(lead.length + col - from)}${'^'.repeat(carets)}`;
}
