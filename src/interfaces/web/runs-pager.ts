/**
 * The rows of one search (project, filter, order), loaded in cursor pages as the table
 * scrolls toward them. Pages come one after another (a cursor needs the page before it),
 * and a pager that was replaced by a newer search is aborted, so a late answer never
 * lands in a newer view.
 */
import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { api, type RunRow } from './api.js';

const FIRST_PAGE = 200;
/** Pages fetched while catching up with a far jump (End key, dragged scrollbar). */
const CATCH_UP_PAGE = 1000;

export interface RunQuery {
  readonly project: string;
  readonly filter: string;
  readonly order: string;
}

export interface PagerView {
  /** Runs the search matches; undefined until the server says. */
  readonly count: number | undefined;
  /** Rows 0…n-1 of the search, in order. */
  readonly rows: readonly RunRow[];
  /** Whether every matching row is loaded. */
  readonly complete: boolean;
  readonly firstPageLoaded: boolean;
  readonly error: Error | undefined;
}

const NO_ROWS: PagerView = { count: undefined, rows: [], complete: false, firstPageLoaded: false, error: undefined };

export class RunPager {
  private view: PagerView = NO_ROWS;
  private cursor: string | null = null;
  /** The highest row index the table wants on screen. */
  private wanted = FIRST_PAGE - 1;
  private refreshWanted = false;
  private pumping = false;
  private readonly ctl = new AbortController();
  private listener: ((view: PagerView) => void) | undefined;

  constructor(
    private readonly query: RunQuery,
    private readonly knownCount?: number,
  ) {}

  subscribe(listener: (view: PagerView) => void): void {
    this.listener = listener;
  }

  start(): void {
    if (this.knownCount === undefined) void this.loadCount();
    else this.update({ count: this.knownCount });
    void this.pump();
  }

  /** Loads pages until row `index` is loaded (or the search ends). */
  ensure(index: number): void {
    if (index <= this.wanted) return;
    this.wanted = index;
    void this.pump();
  }

  /** Reloads the count and every loaded row (live runs change status and metrics). */
  refresh(): void {
    this.refreshWanted = true;
    void this.loadCount();
    void this.pump();
  }

  dispose(): void {
    this.listener = undefined;
    this.ctl.abort();
  }

  private get filter(): string | undefined {
    return this.query.filter || undefined;
  }

  private update(change: Partial<PagerView>): void {
    if (this.ctl.signal.aborted) return;
    this.view = { ...this.view, ...change };
    this.listener?.(this.view);
  }

  private async loadCount(): Promise<void> {
    try {
      const count = await api.count({ project: this.query.project, filter: this.filter }, this.ctl.signal);
      this.update({ count });
    } catch (error) {
      // Once rows are on screen, a failed recount keeps the last count; the rows' own requests report errors.
      if (!this.view.firstPageLoaded) this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.ctl.signal.aborted || this.view.error) return;
    this.update({ error: error instanceof Error ? error : new Error(String(error)) });
  }

  /** The one loop that talks to the server for this search, so pages never interleave. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.ctl.signal.aborted && !this.view.error) {
        if (this.refreshWanted) {
          this.refreshWanted = false;
          await this.reloadLoaded().catch(() => {
            // A missed refresh keeps the rows on screen; the next one tries again.
          });
        } else if (!this.view.complete && this.view.rows.length <= this.wanted) {
          await this.loadNext();
        } else {
          break;
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  private async fetchPage(cursor: string | undefined, limit: number) {
    const { project, order } = this.query;
    return api.rows({ project, filter: this.filter, order, cursor, limit }, this.ctl.signal);
  }

  private async loadNext(): Promise<void> {
    const loaded = this.view.rows.length;
    const limit = loaded > 0 && this.wanted - loaded >= FIRST_PAGE ? CATCH_UP_PAGE : FIRST_PAGE;
    const page = await this.fetchPage(loaded > 0 ? (this.cursor ?? undefined) : undefined, limit);
    this.cursor = page.nextCursor;
    this.update({ rows: loaded > 0 ? [...this.view.rows, ...page.runs] : page.runs, complete: page.nextCursor === null, firstPageLoaded: true });
  }

  /** Walks the loaded stretch again from the top and swaps it in whole. */
  private async reloadLoaded(): Promise<void> {
    const loaded = this.view.rows.length;
    if (loaded === 0) return;
    const fresh: RunRow[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: RunRow[]; nextCursor: string | null } = await this.fetchPage(cursor ?? undefined, Math.min(CATCH_UP_PAGE, Math.max(FIRST_PAGE, loaded - fresh.length)));
      fresh.push(...page.runs);
      cursor = page.nextCursor;
    } while (cursor !== null && fresh.length < loaded);
    this.cursor = cursor;
    this.update({ rows: fresh, complete: cursor === null });
  }
}

/** A count the filter box already fetched while checking a filter, reused by the next pager. */
export interface KnownCount {
  project: string;
  filter: string;
  count: number;
}

/**
 * The rows of the current search. While a new search loads its first page, the previous
 * rows stay on screen (`pending`), so a new filter or order never flashes an empty table.
 * `viewKey` names the search whose rows are shown.
 */
export function useRunPages(query: RunQuery, knownCount: RefObject<KnownCount | undefined>) {
  const { project, filter, order } = query;
  const [shown, setShown] = useState<{ view: PagerView; key: string }>({ view: NO_ROWS, key: '' });
  const [pending, setPending] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const pagerRef = useRef<RunPager | undefined>(undefined);

  useEffect(() => {
    const known = knownCount.current;
    const seed = known && known.project === project && known.filter === filter ? known.count : undefined;
    knownCount.current = undefined;
    const pager = new RunPager({ project, filter, order }, seed);
    pagerRef.current = pager;
    setPending(true);
    setError(undefined);
    pager.subscribe((view) => {
      setError(view.error);
      if (view.firstPageLoaded) {
        setShown({ view, key: JSON.stringify([project, filter, order]) });
        setPending(false);
      } else if (view.error) {
        setPending(false);
      }
    });
    pager.start();
    return () => pager.dispose();
  }, [project, filter, order, knownCount]);

  const ensure = useCallback((index: number) => pagerRef.current?.ensure(index), []);
  const refresh = useCallback(() => pagerRef.current?.refresh(), []);
  return { view: shown.view, viewKey: shown.key, pending, error, ensure, refresh };
}
