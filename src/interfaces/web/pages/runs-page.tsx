/**
 * A project's runs as one long table: filter with the server's grammar, sort by any
 * column, pick param, metric and tag columns, select runs to compare. Every setting
 * lives in the URL (filter, order, cols, sel), so a copied link opens the same view.
 */
import { type RefObject, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api, isActiveStatus, type RunKeys, type RunRow } from '../api.js';
import { paths } from '../paths.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { ColumnPicker } from '../components/runs-column-picker.js';
import { RunsFilter } from '../components/runs-filter.js';
import { RunsTable } from '../components/runs-table.js';
import {
  DEFAULT_ORDER,
  NO_COLUMNS,
  defaultColumns,
  keysOfRows,
  nextOrdering,
  optionalColumn,
  parseColumnId,
  parseOrdering,
  type DataColumn,
  type OptionalColumn,
} from '../runs-columns.js';
import { useRunPages, type KnownCount } from '../runs-pager.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

const LIVE_REFRESH_MS = 3000;
const FILTER_INVALID = 'REPRISE_ERR_FILTER_INVALID';

export function RunsPage() {
  const { project = '' } = useParams();
  // A project of its own starts from a clean slate: no rows, keys or errors of another.
  return <ProjectRuns key={project} project={project} />;
}

function ProjectRuns({ project }: { project: string }) {
  const url = useUrlState();
  const navigate = useNavigate();
  const filter = url.get('filter');
  const order = url.get('order') || DEFAULT_ORDER;
  const selParam = url.get('sel');
  const selection = useMemo(() => selParam.split(',').filter(Boolean), [selParam]);
  const knownCount = useRef<KnownCount | undefined>(undefined);
  // Rows are asked for before keys, so the server answers them first.
  const pages = useRunPages({ project, filter, order }, knownCount);
  const { view } = pages;
  const keys = useFetch((signal) => api.keys(project, signal), [project]);
  const chosen = useChosenColumns(url.get('cols'), keys.data, view.rows);
  const columns = useMemo(() => chosen.map(parseColumnId).filter((c): c is DataColumn => c !== undefined), [chosen]);
  const attributes = useMemo(() => chosen.map(optionalColumn).filter((c): c is OptionalColumn => c !== undefined), [chosen]);
  const ordering = useMemo(() => parseOrdering(order), [order]);
  const selected = useMemo(() => new Set(selection), [selection]);

  const filterCheck = useFilterCheck(project, filter, knownCount, (text) => url.set({ filter: text }, { push: true }));
  const anyActive = useMemo(() => view.rows.some((r) => isActiveStatus(r.status)), [view.rows]);
  useLiveRefresh(anyActive, pages.refresh);

  const setColumns = (next: readonly string[]) => {
    const isDefault = keys.data !== undefined && sameList(next, defaultColumns(keys.data, view.rows));
    url.set({ cols: isDefault ? null : next.length === 0 ? NO_COLUMNS : [...next] });
  };
  const toggleColumn = (id: string) => setColumns(chosen.includes(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
  const sortBy = (columnId: string) => {
    const next = nextOrdering(ordering, columnId);
    url.set({ order: next === DEFAULT_ORDER ? null : next });
  };
  const select = (ids: readonly string[], on: boolean) => {
    const changing = new Set(ids);
    url.set({ sel: on ? [...selection, ...ids.filter((id) => !selected.has(id))] : selection.filter((id) => !changing.has(id)) });
  };

  const filterError = filterCheck.error ?? (isFilterError(pages.error) ? pages.error : undefined);
  const loadError = pages.error && !isFilterError(pages.error) ? pages.error : undefined;
  const count = view.count ?? view.rows.length;

  return (
    <>
      <div className="runs-title">
        <h1>{project}</h1>
        <span className="run-count" data-testid="run-count">
          {view.count !== undefined ? countText(view.count, filter !== '') : pages.error ? '' : 'Counting runs…'}
        </span>
        <span className="grow" />
        <Link to={paths.dashboard(project)} data-testid="dashboard-link">
          Project dashboard
        </Link>
      </div>
      <div className="toolbar runs-toolbar">
        <RunsFilter applied={filter} onApply={filterCheck.apply} error={filterError} checking={filterCheck.checking} />
        <ColumnPicker keys={keys.data} chosen={chosen} onToggle={toggleColumn} onReset={() => url.set({ cols: null })} />
        <button type="button" className="primary" data-testid="compare-button" disabled={selection.length < 2} onClick={() => navigate(paths.compare(selection))}>
          Compare {selection.length} {selection.length === 1 ? 'run' : 'runs'}
        </button>
        {selection.length > 0 ? (
          <button type="button" data-testid="clear-selection" onClick={() => url.set({ sel: null })}>
            Clear selection
          </button>
        ) : null}
      </div>
      {loadError ? <LoadError error={loadError} /> : null}
      {keys.error ? <LoadError error={keys.error} /> : null}
      {view.firstPageLoaded && count === 0 ? (
        <NoRuns project={project} filtered={filter !== ''} onClearFilter={() => filterCheck.apply('')} />
      ) : view.firstPageLoaded ? (
        <>
          <RunsTable
            key={pages.viewKey}
            rows={view.rows}
            count={count}
            attributes={attributes}
            columns={columns}
            ordering={ordering}
            onSort={sortBy}
            selected={selected}
            onSelect={select}
            onNeedRows={pages.ensure}
            stale={pages.pending}
          />
          <p className="runs-keys-hint muted">
            Keys: <kbd>/</kbd> filter · <kbd>↑</kbd> <kbd>↓</kbd> move · <kbd>Space</kbd> select · <kbd>Shift</kbd>+click select a range · <kbd>Enter</kbd> open
          </p>
        </>
      ) : pages.pending ? (
        <p className="muted">Loading runs…</p>
      ) : null}
    </>
  );
}

/**
 * The chosen columns: the URL's, or the project's defaults when the URL names none
 * (guessed from the loaded rows until the project's keys arrive).
 */
function useChosenColumns(colsParam: string, keys: RunKeys | undefined, rows: readonly RunRow[]): string[] {
  return useMemo(() => {
    if (colsParam === NO_COLUMNS) return [];
    if (colsParam) return colsParam.split(',').filter(Boolean);
    return defaultColumns(keys ?? keysOfRows(rows), rows);
  }, [colsParam, keys, rows]);
}

/**
 * A typed filter goes into the URL only once the server accepts it, so a mistake shows
 * its message while the table keeps the rows of the last good filter. The count the
 * check fetched is handed to the next search rather than asked for twice.
 */
function useFilterCheck(project: string, applied: string, knownCount: RefObject<KnownCount | undefined>, accept: (filter: string) => void) {
  const [error, setError] = useState<Error | undefined>(undefined);
  const [checking, setChecking] = useState(false);
  const attempt = useRef(0);
  useEffect(() => setError(undefined), [project, applied]);

  const apply = async (text: string) => {
    const mine = ++attempt.current;
    setError(undefined);
    if (text === applied) return;
    if (text === '') {
      accept('');
      return;
    }
    setChecking(true);
    try {
      const count = await api.count({ project, filter: text });
      if (mine !== attempt.current) return;
      knownCount.current = { project, filter: text, count };
      accept(text);
    } catch (e) {
      if (mine === attempt.current) setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (mine === attempt.current) setChecking(false);
    }
  };
  return { apply: (text: string) => void apply(text), error, checking };
}

/** While any loaded run is still going, its status and metrics are reloaded every few seconds. */
function useLiveRefresh(live: boolean, refresh: () => void) {
  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(refresh, LIVE_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [live, refresh]);
}

function NoRuns({ project, filtered, onClearFilter }: { project: string; filtered: boolean; onClearFilter: () => void }) {
  if (filtered) {
    return (
      <EmptyState title="No run matches this filter">
        <p>Loosen the filter, or show every run of {project}.</p>
        <button type="button" data-testid="empty-clear-filter" onClick={onClearFilter}>
          Clear the filter
        </button>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="No runs in this project yet">
      <p>Start one from the project's folder (the one with its reprise.yaml):</p>
      <pre>reprise run</pre>
      <p>Its runs show up here as they start, and update while they run.</p>
    </EmptyState>
  );
}

function countText(count: number, filtered: boolean): string {
  const n = count.toLocaleString('en-US');
  if (filtered) return count === 1 ? '1 run matches' : `${n} runs match`;
  return count === 1 ? '1 run' : `${n} runs`;
}

function isFilterError(error: Error | undefined): error is ApiError {
  return error instanceof ApiError && error.code === FILTER_INVALID;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
