/**
 * The runs table's columns: fixed run attributes, then chosen params, metrics and tags.
 * A column's id is what the URL's `cols` holds (`params.optim.lr`); its sort field is
 * the name the server's order grammar gives it (see docs/search.md).
 */
import { headlineMetrics } from '../../core/metric-goal.js';
import { isSystemMetric } from '../../core/metric-goal.js';
import type { RunKeys, RunRow } from './api.js';
import { formatNumber, formatParam } from './format.js';

export type DataKind = 'params' | 'metrics' | 'tags';

export interface DataColumn {
  readonly id: string;
  readonly kind: DataKind;
  readonly key: string;
}

/**
 * Attributes shown before the chosen columns. Sortable ones sort under their own name;
 * gate and retention only show: retention is no field of the order grammar, and an
 * order by gate would only rank the words passed, failed and none.
 */
export const FIXED_COLUMNS = [
  { id: 'name', label: 'Name', width: 190, sortable: true },
  { id: 'status', label: 'Status', width: 140, sortable: true },
  { id: 'gate', label: 'Gate', width: 80, sortable: false },
  { id: 'retention', label: 'Retention', width: 180, sortable: false },
  { id: 'created', label: 'Created', width: 130, sortable: true },
  { id: 'duration', label: 'Duration', width: 100, sortable: true },
  { id: 'commit', label: 'Commit', width: 200, sortable: true },
] as const;

/**
 * Attributes a reader may add with the column picker (`cols=trigger`), shown after the
 * fixed ones: most projects have runs of one kind, so the column would mostly repeat itself.
 */
export const OPTIONAL_COLUMNS = [{ id: 'trigger', label: 'Started by', width: 130 }] as const;
export type OptionalColumn = (typeof OPTIONAL_COLUMNS)[number];

export function optionalColumn(id: string): OptionalColumn | undefined {
  return OPTIONAL_COLUMNS.find((c) => c.id === id);
}

export const SELECT_COLUMN_WIDTH = 44;
export const DATA_COLUMN_WIDTH = 140;
export const DEFAULT_ORDER = 'created desc';
/** What `cols` holds when every chosen column was removed (an absent `cols` means the defaults). */
export const NO_COLUMNS = 'none';

const KINDS: readonly DataKind[] = ['params', 'metrics', 'tags'];
/** Characters a key may use unquoted in the grammar; anything else needs backticks. */
const KEY_CHARS = /^[A-Za-z0-9_.\-/:]+$/;

export const KIND_WORDS: Record<DataKind, string> = { params: 'param', metrics: 'metric', tags: 'tag' };

export function columnId(kind: DataKind, key: string): string {
  return `${kind}.${key}`;
}

export function parseColumnId(id: string): DataColumn | undefined {
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot) as DataKind;
  if (dot < 0 || !KINDS.includes(kind) || dot === id.length - 1) return undefined;
  return { id, kind, key: id.slice(dot + 1) };
}

/** Rows looked at to see which params vary. */
const SAMPLE_ROWS = 200;

/**
 * The columns a project opens with: the headline metrics, then three params, those that
 * differ between the first rows before those that do not (what sets runs apart is what
 * a reader compares).
 */
export function defaultColumns(keys: RunKeys, rows: readonly RunRow[] = []): string[] {
  const sample = rows.slice(0, SAMPLE_ROWS);
  const varies = (k: string) => new Set(sample.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1;
  const params = [...keys.params.filter(varies), ...keys.params.filter((k) => !varies(k))].slice(0, 3);
  // Metrics first: on a laptop screen they are what must show without scrolling sideways.
  // The machine's samples (system/) say nothing of how good a run is; the column picker still offers them.
  const judged = keys.metrics.filter((k) => !isSystemMetric(k));
  return [...headlineMetrics(judged).map((k) => columnId('metrics', k)), ...params.map((k) => columnId('params', k))];
}

/**
 * The keys the loaded rows use, sorted as the server sorts a project's keys: a stand-in
 * for the project's keys while those load, so the default columns come with the first rows.
 */
export function keysOfRows(rows: readonly RunRow[]): RunKeys {
  const params = new Set<string>();
  const metrics = new Set<string>();
  const tags = new Set<string>();
  for (const r of rows) {
    for (const k in r.params) params.add(k);
    for (const k in r.metrics) metrics.add(k);
    for (const k in r.tags) tags.add(k);
  }
  return { params: [...params].sort(), metrics: [...metrics].sort(), tags: [...tags].sort() };
}

/** The field the server orders by for a column (fixed ids are attribute names already). */
export function sortField(columnIdText: string): string {
  const col = parseColumnId(columnIdText);
  if (!col) return columnIdText;
  return `${col.kind}.${KEY_CHARS.test(col.key) ? col.key : `\`${col.key.replaceAll('`', '``')}\``}`;
}

export interface Ordering {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

/** `metrics.val_acc desc` → field and direction; the grammar's direction defaults to asc. */
export function parseOrdering(order: string): Ordering {
  const m = /^(.*?)(?:\s+(asc|desc))?\s*$/i.exec(order.trim());
  const direction = m?.[2]?.toLowerCase() === 'desc' ? 'desc' : 'asc';
  return { field: m?.[1] ?? '', direction };
}

/** A header click: the column descending first, then flipping. */
export function nextOrdering(current: Ordering, columnIdText: string): string {
  const field = sortField(columnIdText);
  const direction = current.field === field && current.direction === 'desc' ? 'asc' : 'desc';
  return `${field} ${direction}`;
}

/** What a chosen column's cell shows for a run. */
export function cellText(row: RunRow, col: DataColumn): string {
  switch (col.kind) {
    case 'params':
      return formatParam(row.params[col.key]);
    case 'metrics':
      return formatNumber(row.metrics[col.key]?.last);
    case 'tags':
      return row.tags[col.key] ?? '';
  }
}

/** Hover text of a metric cell: where its last value is from, and its range. */
export function metricTitle(row: RunRow, key: string): string | undefined {
  const m = row.metrics[key];
  if (!m) return undefined;
  return `last ${formatNumber(m.last, 8)} at step ${m.lastStep} · min ${formatNumber(m.min)} · max ${formatNumber(m.max)} · ${m.count} points`;
}

/** Numbers line up on the right: every metric, and params whose value is a number. */
export function isNumericCell(row: RunRow, col: DataColumn): boolean {
  return col.kind === 'metrics' || (col.kind === 'params' && typeof row.params[col.key] === 'number');
}
