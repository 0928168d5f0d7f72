/**
 * A view's settings live in its URL's query, so a copied link opens the same view:
 * filters, columns, selection, chart settings. Defaults are left out of the URL.
 */
import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';

export type UrlUpdate = Record<string, string | number | boolean | string[] | null | undefined>;

export function useUrlState() {
  const [params, setParams] = useSearchParams();
  const get = useCallback((key: string, fallback = ''): string => params.get(key) ?? fallback, [params]);
  const getList = useCallback((key: string): string[] => (params.get(key) ?? '').split(',').filter(Boolean), [params]);
  const getNumber = useCallback(
    (key: string, fallback: number): number => {
      const v = params.get(key);
      const n = v === null ? Number.NaN : Number(v);
      return Number.isFinite(n) ? n : fallback;
    },
    [params],
  );
  const getFlag = useCallback((key: string): boolean => params.get(key) === '1', [params]);
  /** Sets (or, with null/undefined/''/false/[], removes) keys; `push` adds a history entry. */
  const set = useCallback(
    (update: UrlUpdate, opts: { push?: boolean } = {}) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(update)) {
            if (v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0)) next.delete(k);
            else next.set(k, Array.isArray(v) ? v.join(',') : v === true ? '1' : String(v));
          }
          return next;
        },
        { replace: !opts.push },
      );
    },
    [setParams],
  );
  return { params, get, getList, getNumber, getFlag, set };
}
