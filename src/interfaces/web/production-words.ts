/**
 * Production models in words and figures, shared by the production pages and the
 * dashboard so each says it the same way: a health in one word with what it means, alert
 * kinds and values as people read them, how far a feature drifted against its threshold
 * (the colour of a drift cell), latencies, shares and durations, the drift table's rows,
 * and traffic as chart columns.
 */
import type { Alert, AlertDelivery, AlertKind, DriftWindow, FeatureDrift, ModelHealth, ServedAlias, Thresholds, TrafficPoint } from './api.js';
import { formatAgo, formatNumber, plural } from './format.js';

const MINUTE = 60_000;

// ---- health ----------------------------------------------------------------------------

/** What each health word means, for the badge's title. */
const HEALTH_MEANING: Record<ModelHealth, string> = {
  healthy: 'answering within its thresholds, its inputs like its training data',
  drifting: 'its inputs or predictions no longer look like its training data, or a drift alert is still open',
  failing: 'more requests fail than its threshold allows, or a new version failed to start',
  idle: 'no requests in the last hour',
  unprofiled: 'no profile of its training data, so drift cannot be measured',
};

/** A health as a badge: the word, its class (the colour; the word is always shown too) and what it means. */
export function healthBadge(health: ModelHealth): { text: string; className: string; title: string } {
  const meaning = HEALTH_MEANING[health] as string | undefined;
  return { text: health, className: `health health-${meaning ? health : 'unknown'}`, title: meaning ?? health };
}

// ---- alerts ----------------------------------------------------------------------------

const ALERT_KIND_WORDS: Record<AlertKind, string> = {
  drift: 'input drift',
  'prediction-drift': 'prediction drift',
  errors: 'error rate',
  latency: 'latency',
  accuracy: 'accuracy',
  serving: 'serving',
};

/** An alert's kind as people say it ("input drift"); a kind this UI does not know, as the server named it. */
export function alertKindText(kind: string): string {
  return (ALERT_KIND_WORDS as Record<string, string>)[kind] ?? kind;
}

/** An alert's measure in its unit: error rates as shares, latencies in ms, the rest as numbers. */
function alertFigure(kind: string, v: number): string {
  if (kind === 'errors') return formatShare(v);
  if (kind === 'latency') return formatLatency(v);
  return formatNumber(v, 3);
}

/** "0.84 (threshold 0.2)", "6.2% (threshold 5%)"; empty for an alert without a measure (a version that failed to start). */
export function alertValueText(a: Pick<Alert, 'kind' | 'value' | 'threshold'>): string {
  if (a.value === null) return a.threshold === null ? '' : `threshold ${alertFigure(a.kind, a.threshold)}`;
  const value = alertFigure(a.kind, a.value);
  return a.threshold === null ? value : `${value} (threshold ${alertFigure(a.kind, a.threshold)})`;
}

/** How the webhooks were told: "2 ok, 1 failed", "none" when no webhook was told. */
export function deliveriesText(deliveries: readonly AlertDelivery[]): string {
  if (deliveries.length === 0) return 'none';
  const ok = deliveries.filter((d) => d.ok).length;
  const failed = deliveries.length - ok;
  return [ok > 0 ? `${ok} ok` : '', failed > 0 ? `${failed} failed` : ''].filter(Boolean).join(', ');
}

/** Each delivery on a line, for the title: `ok https://hooks… (200)`. */
export function deliveriesTitle(deliveries: readonly AlertDelivery[]): string {
  return deliveries.map((d) => `${d.ok ? 'ok' : 'failed'} ${d.url} (${d.detail}) at ${new Date(d.at).toISOString()}`).join('\n');
}

/** "by olga 3 minutes ago: a retrain is planned"; empty while open. */
export function ackText(a: Pick<Alert, 'ackedAt' | 'ackedBy' | 'ackNote'>, now = Date.now()): string {
  if (a.ackedAt === null) return '';
  return `by ${a.ackedBy ?? 'someone'} ${formatAgo(a.ackedAt, now)}${a.ackNote ? `: ${a.ackNote}` : ''}`;
}

// ---- numbers ---------------------------------------------------------------------------

/** The last latency edge (core/model-monitoring): a p99 in the open bucket above it is only known to be over it. */
const SLOWEST_EDGE_MS = 30_000;

/** "12 ms", "0.5 ms", "1.5 s"; "over 30 s" for the open last bucket; "—" when nothing was measured. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (!Number.isFinite(ms)) return `over ${SLOWEST_EDGE_MS / 1000} s`;
  if (ms < 1000) return `${formatNumber(ms, 3)} ms`;
  return `${formatNumber(ms / 1000, 3)} s`;
}

/** A share as a percentage with one decimal where it matters: "0%", "<0.1%", "2.5%", "100%". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return '—';
  if (share > 0 && share < 0.001) return '<0.1%';
  const p = share * 100;
  return `${Number(p.toFixed(p >= 10 ? 0 : 1))}%`;
}

/** The share of requests that failed, "—" without requests. */
export function errorRate(requests: number, errors: number): string {
  return requests > 0 ? formatShare(errors / requests) : '—';
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** A duration as the settings take it back: the largest unit it is a whole number of ("30d", "1h", "90m"). */
export function durationText(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}

// ---- drift -----------------------------------------------------------------------------

/** How far a feature drifted against its threshold: the colour of its cell. */
export type DriftBucket = 'none' | 'low' | 'watch' | 'drifted';

/** A PSI at half its threshold or more is worth watching before it crosses it. */
const WATCH_SHARE = 0.5;

/**
 * A drift cell's bucket: `none` where the window scored nothing, `drifted` where a
 * threshold was crossed (PSI, or KS or JS while PSI stayed under), else by PSI against its
 * threshold: `watch` from half of it, `low` below.
 */
export function driftBucket(d: FeatureDrift | null | undefined, psiThreshold: number): DriftBucket {
  if (!d || Number.isNaN(d.psi)) return d?.drifted ? 'drifted' : 'none';
  if (d.drifted || d.psi >= psiThreshold) return 'drifted';
  return d.psi >= psiThreshold * WATCH_SHARE ? 'watch' : 'low';
}

/** A drift cell's title: "PSI 0.84 (threshold 0.2) · KS 0.31 (threshold 0.2) · 2% missing · 500 rows", and why it drifted. */
export function driftTitle(d: FeatureDrift, t: Pick<Thresholds, 'psi' | 'ks' | 'js'>): string {
  const parts = [`PSI ${formatNumber(d.psi, 3)} (threshold ${formatNumber(t.psi, 3)})`];
  if (d.ks !== null) parts.push(`KS ${formatNumber(d.ks, 3)} (threshold ${formatNumber(t.ks, 3)})`);
  if (d.js !== null) parts.push(`JS ${formatNumber(d.js, 3)} (threshold ${formatNumber(t.js, 3)})`);
  parts.push(`${formatShare(d.missingRate)} missing`, plural(d.rows, 'row'));
  const title = parts.join(' · ');
  return d.drifted && d.reasons.length > 0 ? `${title}\ndrifted: ${d.reasons.join('; ')}` : title;
}

/** One row of the drift table: a feature (or the predictions) and its drift in each window, null where not scored. */
export interface DriftRow {
  readonly feature: string;
  readonly prediction: boolean;
  readonly cells: readonly (FeatureDrift | null)[];
}

/**
 * The drift table's rows, a column per window as given (oldest first): the predictions
 * first, then the features in the reference's order, then any the reference does not
 * name, in the order they first appear.
 */
export function driftRows(windows: readonly DriftWindow[], referenceOrder: readonly string[] = []): DriftRow[] {
  const names: string[] = [...referenceOrder];
  const known = new Set(names);
  for (const w of windows) {
    for (const f of w.features) {
      if (!known.has(f.feature)) {
        known.add(f.feature);
        names.push(f.feature);
      }
    }
  }
  const rows: DriftRow[] = [];
  const predictions = windows.map((w) => w.prediction);
  const predictionName = predictions.find((p) => p !== null)?.feature;
  if (predictionName !== undefined) rows.push({ feature: predictionName, prediction: true, cells: predictions });
  for (const name of names) {
    const cells = windows.map((w) => w.features.find((f) => f.feature === name) ?? null);
    // A reference feature never seen in these windows has nothing to show.
    if (cells.some((c) => c !== null)) rows.push({ feature: name, prediction: false, cells });
  }
  return rows;
}

/** The latest window that was scored (the latest may have been skipped for want of rows). */
export function latestScored(windows: readonly DriftWindow[]): DriftWindow | undefined {
  for (let i = windows.length - 1; i >= 0; i--) if (windows[i]!.features.length > 0 || windows[i]!.prediction) return windows[i];
  return undefined;
}

/** What drifted in a window: the predictions first, then its features, most drifted first. */
export function driftedIn(w: DriftWindow): FeatureDrift[] {
  const features = w.features.filter((f) => f.drifted).sort((a, b) => b.psi - a.psi);
  return w.prediction?.drifted ? [w.prediction, ...features] : features;
}

/** A window's column header: its start's time of day, with the day when the view spans several. */
export function windowLabel(start: number, multiDay: boolean, timeZone?: string): string {
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', ...(timeZone ? { timeZone } : {}) };
  return new Date(start).toLocaleString('en-GB', multiDay ? { day: 'numeric', month: 'short', ...time } : time);
}

// ---- serving ---------------------------------------------------------------------------

/** "production → v3". */
export function servedText(s: Pick<ServedAlias, 'alias' | 'version'>): string {
  return `${s.alias} → v${s.version}`;
}

/** A version the alias moved to: "v4 starting", or "v4 failed to start: <why>" (the old one keeps answering). */
export function pendingText(p: NonNullable<ServedAlias['pending']>): string {
  return p.error === null ? `v${p.version} starting` : `v${p.version} failed to start: ${p.error}`;
}

// ---- ranges and charts -----------------------------------------------------------------

export const RANGES = [
  { key: '1h', label: 'Last hour', ms: 3_600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];
/** What the production page shows when the address names no range. */
export const DEFAULT_RANGE: RangeKey = '24h';

/** A range from the address; the default for anything else. */
export function rangeKey(text: string | null | undefined): RangeKey {
  return RANGES.find((r) => r.key === text)?.key ?? DEFAULT_RANGE;
}

/** The times a range covers, ending now. */
export function rangeTimes(key: RangeKey, now: number): { from: number; to: number } {
  const ms = RANGES.find((r) => r.key === key)!.ms;
  return { from: now - ms, to: now };
}

/** Traffic as chart columns, a point a minute over the range: no requests where a minute has none, a gap in latencies. */
export interface TrafficColumns {
  readonly x: Float64Array;
  readonly requests: Float64Array;
  readonly errors: Float64Array;
  readonly p50: Float64Array;
  readonly p99: Float64Array;
}

export function trafficColumns(points: readonly TrafficPoint[], from: number, to: number): TrafficColumns {
  const byMinute = new Map(points.map((p) => [p.start, p]));
  const starts = points.map((p) => p.start);
  const first = Math.floor(Math.min(from, ...starts) / MINUTE) * MINUTE;
  const end = Math.max(to, ...starts.map((s) => s + 1));
  const minutes: number[] = [];
  for (let m = first; m < end; m += MINUTE) minutes.push(m);
  // Points off the minute grid (none expected) still show, in time order.
  const offGrid = starts.filter((s) => s % MINUTE !== 0);
  if (offGrid.length > 0) minutes.push(...offGrid);
  minutes.sort((a, b) => a - b);
  const latency = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? Number.NaN : v);
  return {
    x: Float64Array.from(minutes),
    requests: Float64Array.from(minutes, (m) => byMinute.get(m)?.requests ?? 0),
    errors: Float64Array.from(minutes, (m) => byMinute.get(m)?.errors ?? 0),
    p50: Float64Array.from(minutes, (m) => latency(byMinute.get(m)?.p50Ms)),
    p99: Float64Array.from(minutes, (m) => latency(byMinute.get(m)?.p99Ms)),
  };
}

/** Live accuracy and mean absolute error per window, where ground truth arrived; null where none did. */
export function liveColumns(windows: readonly DriftWindow[]): { accuracy: { x: Float64Array; y: Float64Array } | null; meanAbsoluteError: { x: Float64Array; y: Float64Array } | null } {
  const pick = (value: (w: DriftWindow) => number | null) => {
    const shown = windows.filter((w) => w.live.labelled > 0 && value(w) !== null && Number.isFinite(value(w)));
    return shown.length === 0 ? null : { x: Float64Array.from(shown, (w) => w.start), y: Float64Array.from(shown, (w) => value(w)!) };
  };
  return { accuracy: pick((w) => w.live.accuracy), meanAbsoluteError: pick((w) => w.live.meanAbsoluteError) };
}
