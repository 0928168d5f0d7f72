/**
 * The runs table: only the rows in view are in the DOM (fixed row height, so the scroll
 * height comes from the count alone), rows not loaded yet show a placeholder, and the
 * table asks for rows as the view nears them. Keyboard: arrows, PageUp/PageDown and
 * Home/End move the active row, Space selects it, Enter opens it.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { RunRow } from '../api.js';
import { paths } from '../paths.js';
import { formatAgo, formatDuration, runDuration } from '../format.js';
import {
  DATA_COLUMN_WIDTH,
  FIXED_COLUMNS,
  KIND_WORDS,
  SELECT_COLUMN_WIDTH,
  cellText,
  isNumericCell,
  metricTitle,
  sortField,
  type DataColumn,
  type OptionalColumn,
  type Ordering,
} from '../runs-columns.js';
import { GateBadge, RetentionMark } from './gate-badge.js';
import { TriggerBadge } from './run-trigger.js';
import { StatusBadge } from './status-badge.js';
import { ReproductionMark } from './verdict-badge.js';

const ROW_HEIGHT = 36;
const HEADER_HEIGHT = 40;
/** Rows asked for beyond the last one in view, so scrolling rarely meets a placeholder. */
const PREFETCH_ROWS = 100;
/** What the headers that do not sort say on hover. */
const STATIC_TITLES: Record<string, string> = {
  gate: "How the run met its project's gates: passed, failed (the failing gates in the cell's title) or none declared",
  retention: 'Whether the run keeps its artifacts: kept, flagged for deletion (and from when), deleted, or pinned by a promotion',
};
/** What the headers of optional attributes say on hover. */
const OPTIONAL_TITLES: Record<OptionalColumn['id'], string> = {
  trigger: 'What started the run: run, submit, sweep, merge, reproduction or ci (the details in each cell\'s title); click to sort',
};
/** Relative times ("3 minutes ago") are redrawn this often. */
const CLOCK_MS = 15_000;

export interface RunsTableProps {
  rows: readonly RunRow[];
  count: number;
  /** Optional attributes chosen (`cols=trigger`), shown after the fixed ones. */
  attributes: readonly OptionalColumn[];
  columns: readonly DataColumn[];
  ordering: Ordering;
  onSort: (columnId: string) => void;
  selected: ReadonlySet<string>;
  onSelect: (ids: readonly string[], on: boolean) => void;
  onNeedRows: (lastIndex: number) => void;
  /** The rows are about to be replaced (a new search is loading). */
  stale: boolean;
}

export function RunsTable({ rows, count, attributes, columns, ordering, onSort, selected, onSelect, onNeedRows, stale }: RunsTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const anchor = useRef<number | undefined>(undefined);
  const tick = useClock();
  const navigate = useNavigate();

  const gridTemplate = useMemo(
    () =>
      [SELECT_COLUMN_WIDTH, ...FIXED_COLUMNS.map((c) => c.width), ...attributes.map((c) => c.width), ...columns.map(() => DATA_COLUMN_WIDTH)].map((w) => `${w}px`).join(' '),
    [attributes, columns],
  );
  const totalWidth =
    SELECT_COLUMN_WIDTH + FIXED_COLUMNS.reduce((s, c) => s + c.width, 0) + attributes.reduce((s, c) => s + c.width, 0) + columns.length * DATA_COLUMN_WIDTH;

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    paddingStart: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const lastInView = items.length > 0 ? items[items.length - 1]!.index : 0;
  useEffect(() => {
    onNeedRows(lastInView + PREFETCH_ROWS);
  }, [lastInView, onNeedRows]);

  // Handlers read the latest rows and selection through a ref, so memoized rows keep them.
  const latest = useRef({ rows, selected, onSelect });
  latest.current = { rows, selected, onSelect };

  const toggle = useCallback((index: number, range: boolean) => {
    const { rows: loaded, selected: chosen, onSelect: select } = latest.current;
    const row = loaded[index];
    if (!row) return;
    const on = !chosen.has(row.id);
    const from = range && anchor.current !== undefined ? Math.min(anchor.current, index) : index;
    const to = range && anchor.current !== undefined ? Math.max(anchor.current, index) : index;
    select(loaded.slice(from, to + 1).map((r) => r.id), on);
    anchor.current = index;
  }, []);

  const scrollToRow = (index: number) => {
    const el = scrollRef.current;
    if (!el) return;
    const top = HEADER_HEIGHT + index * ROW_HEIGHT;
    if (top - HEADER_HEIGHT < el.scrollTop) el.scrollTop = top - HEADER_HEIGHT;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const el = scrollRef.current;
    if (!el || count === 0 || (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox')) return;
    const onTable = e.target === e.currentTarget;
    const pageRows = Math.max(1, Math.floor((el.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    const from = Math.max(active, 0);
    let next: number;
    switch (e.key) {
      case 'ArrowDown':
        next = active < 0 ? 0 : from + 1;
        break;
      case 'ArrowUp':
        next = from - 1;
        break;
      case 'PageDown':
        next = from + pageRows;
        break;
      case 'PageUp':
        next = from - pageRows;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = count - 1;
        break;
      case ' ':
        if (!onTable || active < 0) return;
        e.preventDefault();
        toggle(active, e.shiftKey);
        return;
      case 'Enter': {
        const row = rows[active];
        if (!onTable || !row) return;
        e.preventDefault();
        navigate(paths.run(row.id));
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    next = Math.min(Math.max(next, 0), count - 1);
    setActive(next);
    scrollToRow(next);
  };

  const selectedLoaded = useMemo(() => rows.reduce((n, r) => n + (selected.has(r.id) ? 1 : 0), 0), [rows, selected]);
  const allLoadedSelected = rows.length > 0 && selectedLoaded === rows.length;
  const selectLoaded = () => onSelect(rows.map((r) => r.id), !allLoadedSelected);

  return (
    <div
      ref={scrollRef}
      className={`runs-table${stale ? ' stale' : ''}`}
      data-testid="runs-table"
      tabIndex={0}
      role="grid"
      aria-rowcount={count + 1}
      aria-multiselectable
      aria-busy={stale}
      aria-label="Runs"
      onKeyDown={onKeyDown}
    >
      <div className="runs-canvas" style={{ height: virtualizer.getTotalSize(), width: totalWidth }}>
        <div className="runs-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: gridTemplate, height: HEADER_HEIGHT }}>
          <div role="columnheader" className="cell select">
            <input
              type="checkbox"
              data-testid="select-all"
              aria-label={allLoadedSelected ? 'Deselect the loaded runs' : 'Select the loaded runs'}
              title={allLoadedSelected ? 'Deselect the loaded runs' : `Select the ${rows.length.toLocaleString('en-US')} loaded runs`}
              checked={allLoadedSelected}
              ref={(el) => {
                if (el) el.indeterminate = selectedLoaded > 0 && !allLoadedSelected;
              }}
              onChange={selectLoaded}
            />
          </div>
          {FIXED_COLUMNS.map((c) =>
            c.sortable ? (
              <HeaderCell key={c.id} id={c.id} label={c.label} title={`Sort by ${c.label.toLowerCase()}`} ordering={ordering} onSort={onSort} numeric={c.id === 'duration'} />
            ) : (
              <div key={c.id} role="columnheader" data-testid="col-header" data-col={c.id} className="cell head-static" title={STATIC_TITLES[c.id]}>
                {c.label}
              </div>
            ),
          )}
          {attributes.map((c) => (
            <HeaderCell key={c.id} id={c.id} label={c.label} title={OPTIONAL_TITLES[c.id]} ordering={ordering} onSort={onSort} numeric={false} />
          ))}
          {columns.map((c) => (
            <HeaderCell key={c.id} id={c.id} label={c.key} title={`${KIND_WORDS[c.kind]} ${c.key}: click to sort`} ordering={ordering} onSort={onSort} numeric={c.kind === 'metrics'} kind={c.kind} />
          ))}
        </div>
        {items.map((item) => {
          const row = rows[item.index];
          return row ? (
            <RunRowView
              key={item.key}
              row={row}
              index={item.index}
              top={item.start}
              gridTemplate={gridTemplate}
              attributes={attributes}
              columns={columns}
              selected={selected.has(row.id)}
              active={item.index === active}
              tick={tick}
              onToggle={toggle}
              onActivate={setActive}
            />
          ) : (
            <PlaceholderRow key={item.key} index={item.index} top={item.start} active={item.index === active} />
          );
        })}
      </div>
    </div>
  );
}

/** A number that changes every CLOCK_MS, so rows redraw their relative times. */
function useClock(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((t) => t + 1), CLOCK_MS);
    return () => window.clearInterval(timer);
  }, []);
  return tick;
}

function ariaSort(ordering: Ordering, id: string): 'ascending' | 'descending' | 'none' {
  if (ordering.field !== sortField(id)) return 'none';
  return ordering.direction === 'desc' ? 'descending' : 'ascending';
}

interface HeaderCellProps {
  id: string;
  label: string;
  title: string;
  ordering: Ordering;
  onSort: (columnId: string) => void;
  numeric: boolean;
  kind?: DataColumn['kind'];
}

function HeaderCell({ id, label, title, ordering, onSort, numeric, kind }: HeaderCellProps) {
  const sort = ariaSort(ordering, id);
  return (
    <div
      role="columnheader"
      data-testid="col-header"
      data-col={id}
      aria-sort={sort}
      className={`cell head${numeric ? ' num' : ''}${kind ? ` kind-${kind}` : ''}`}
      onClick={() => onSort(id)}
    >
      <button type="button" className="sort-button" title={title}>
        <span className="label">{label}</span>
        <span className="sort-mark" aria-hidden>
          {sort === 'descending' ? '▼' : sort === 'ascending' ? '▲' : ''}
        </span>
      </button>
    </div>
  );
}

interface RunRowViewProps {
  row: RunRow;
  index: number;
  top: number;
  gridTemplate: string;
  attributes: readonly OptionalColumn[];
  columns: readonly DataColumn[];
  selected: boolean;
  active: boolean;
  /** Changes when relative times must be redrawn; times are read from the clock when a row draws. */
  tick: number;
  onToggle: (index: number, range: boolean) => void;
  onActivate: (index: number) => void;
}

const RunRowView = memo(function RunRowView({ row, index, top, gridTemplate, attributes, columns, selected, active, onToggle, onActivate }: RunRowViewProps) {
  const onCheck = (e: MouseEvent<HTMLInputElement>) => onToggle(index, e.shiftKey);
  return (
    <div
      role="row"
      className={`runs-row${row.dev ? ' dev' : ''}`}
      data-testid="run-row"
      data-run-id={row.id}
      data-index={index}
      data-active={active ? 'true' : undefined}
      aria-rowindex={index + 2}
      aria-selected={selected}
      style={{ transform: `translateY(${top}px)`, gridTemplateColumns: gridTemplate, height: ROW_HEIGHT }}
      onClick={() => onActivate(index)}
    >
      <div role="gridcell" className="cell select">
        <input type="checkbox" data-testid="select-run" aria-label={`Select ${row.name}`} checked={selected} onClick={onCheck} readOnly />
      </div>
      <div role="gridcell" className="cell name">
        <Link to={paths.run(row.id)} title={row.name}>
          {row.name}
        </Link>
        <ReproductionMark row={row} />
      </div>
      <div role="gridcell" className="cell">
        <StatusBadge status={row.status} dev={row.dev} />
      </div>
      <div role="gridcell" className="cell" data-testid="gate-cell">
        <GateBadge gate={row.gate} />
      </div>
      <div role="gridcell" className="cell" data-testid="retention-cell">
        <RetentionMark retention={row.retention} />
      </div>
      <div role="gridcell" className="cell" title={new Date(row.createdAt).toLocaleString('en-GB')}>
        {formatAgo(row.createdAt)}
      </div>
      <div role="gridcell" className="cell num">
        {formatDuration(runDuration(row))}
      </div>
      <div role="gridcell" className="cell">
        <CommitText code={row.code} />
      </div>
      {attributes.map((c) => (
        <div key={c.id} role="gridcell" className="cell" data-testid={`${c.id}-cell`}>
          <OptionalCell row={row} column={c} />
        </div>
      ))}
      {columns.map((c) => (
        <div key={c.id} role="gridcell" className={`cell${isNumericCell(row, c) ? ' num' : ''}`} title={c.kind === 'metrics' ? metricTitle(row, c.key) : undefined}>
          {cellText(row, c)}
        </div>
      ))}
    </div>
  );
});

function OptionalCell({ row, column }: { row: RunRow; column: OptionalColumn }) {
  switch (column.id) {
    case 'trigger':
      return <TriggerBadge trigger={row.trigger} />;
  }
}

function CommitText({ code }: { code: RunRow['code'] }) {
  if (!code) return <span className="muted">no git</span>;
  return (
    <span title={`${code.commit}${code.branch ? ` on ${code.branch}` : ''}${code.dirty ? ', with uncommitted changes' : ''}`}>
      <code>{code.commit.slice(0, 7)}</code>
      {code.branch ? <span className="muted"> {code.branch}</span> : null}
      {code.dirty ? <span className="dirty"> + changes</span> : null}
    </span>
  );
}

const PlaceholderRow = memo(function PlaceholderRow({ index, top, active }: { index: number; top: number; active: boolean }) {
  return (
    <div
      className="runs-row placeholder"
      data-testid="run-row-placeholder"
      data-index={index}
      data-active={active ? 'true' : undefined}
      aria-hidden
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <span className="bar" />
    </div>
  );
});
