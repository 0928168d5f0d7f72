/**
 * @module adapters/metadata-store/run-cursor
 * The keyset cursors of run searches, shared by the SQL stores: both read an order in
 * segments (`sqlite/sqlite-run-query.ts`, `postgres/postgres-run-query.ts`), and a cursor
 * names the order it belongs to, the segment of the page's last run, that run's sort
 * value and its id, as base64url JSON that clients pass back unchanged.
 */
import { RepriseError } from '../../core/errors.js';
import { formatField, type RunOrder } from '../../core/run-filter.js';

/** Newest first: a search's order when it names none. */
export const DEFAULT_ORDER: RunOrder = { field: { kind: 'attr', name: 'created' }, direction: 'desc' };

export interface Cursor {
  /** The ordering the cursor belongs to. */
  readonly o: string;
  /** The segment of the last row. */
  readonly s: number;
  readonly v: string | number | null;
  readonly id: string;
  /** ±1 when the value is ±Infinity, which JSON cannot hold. */
  readonly inf?: 1 | -1;
}

export function orderLabel(order: RunOrder): string {
  return `${formatField(order.field)} ${order.direction}`;
}

export function encodeCursor(order: RunOrder, segment: number, value: unknown, id: string): string {
  const v = typeof value === 'number' || typeof value === 'string' ? value : null;
  const o = orderLabel(order);
  const c: Cursor = typeof v === 'number' && !Number.isFinite(v) ? { o, s: segment, v: 0, id, inf: v > 0 ? 1 : -1 } : { o, s: segment, v, id };
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function badCursor(text: string): RepriseError {
  return new RepriseError('REPRISE_ERR_ARG_INVALID', `cursor ${JSON.stringify(text.slice(0, 40))} is not a cursor this server gave out`, {
    hint: 'pass the nextCursor of the previous page unchanged',
  });
}

/** A cursor read back for `order`, which has `segments` segments; REPRISE_ERR_ARG_INVALID when it is not one of them. */
export function decodeCursor(text: string, order: RunOrder, segments: number): Cursor {
  let c: Cursor | undefined;
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    c = undefined;
  }
  if (
    typeof c?.id !== 'string' ||
    c.id === '' ||
    typeof c.o !== 'string' ||
    !Number.isInteger(c.s) ||
    c.s < 0 ||
    c.s >= segments ||
    !(c.v === null || ['string', 'number'].includes(typeof c.v))
  ) {
    throw badCursor(text);
  }
  if (c.o !== orderLabel(order)) {
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `cursor: it belongs to the order "${c.o}", not "${orderLabel(order)}"`, {
      hint: 'keep the same order (and filter) for every page',
    });
  }
  return c.inf === 1 || c.inf === -1 ? { ...c, v: c.inf * Infinity } : c;
}
