/**
 * @module core/model-monitoring
 * Production models watched: the settings each model is monitored under (how many
 * requests are sampled and for how long they are kept, the drift window, the thresholds
 * that raise alerts, the webhooks told), and the records the monitor keeps (sampled
 * predictions, traffic per minute, drift windows, alerts). Pure: the scoring itself is
 * core/drift, the profiles core/feature-profile.
 */
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { RepriseError } from './errors.js';

/** Latency bucket upper bounds in ms (the last bucket is open): p50 and p99 are read from them. */
export const LATENCY_EDGES_MS: readonly number[] = [
  0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
];

export const thresholdsSchema = z.strictObject({
  /** Population stability index of a feature (or the predictions) above which it has drifted. */
  psi: z.number().positive().finite(),
  /** Kolmogorov–Smirnov distance (0..1) of a numeric feature above which it has drifted. */
  ks: z.number().positive().max(1),
  /** Jensen–Shannon distance (0..1, base 2) of a categorical feature above which it has drifted. */
  js: z.number().positive().max(1),
  /** Share of requests answered with an error, per window. */
  errorRate: z.number().positive().max(1),
  /** p99 latency in ms per window; null: not watched. */
  latencyP99Ms: z.number().positive().finite().nullable(),
  /** Accuracy per window below which an alert is raised, where feedback arrives; null: not watched. */
  accuracy: z.number().positive().max(1).nullable(),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const monitorSettingsSchema = z.strictObject({
  /** Share of prediction requests stored (0 stores none; traffic counts are kept for all). */
  sampleRate: z.number().min(0).max(1),
  /** How long sampled requests are kept. */
  retentionMs: z.number().int().positive(),
  /** Length of a drift window. */
  windowMs: z.number().int().min(1000),
  /** A window with fewer sampled rows is not scored (too few to say). */
  minRows: z.number().int().min(1),
  thresholds: thresholdsSchema,
  /** Incoming-webhook URLs told of every alert (Slack- and Teams-style: a JSON body with `text`). */
  webhooks: z.array(z.url({ protocol: /^https?$/ })).max(20),
});
export type MonitorSettings = z.infer<typeof monitorSettingsSchema>;

/** What a model is watched under until someone says otherwise: the usual rules of thumb (PSI 0.2, KS 0.2). */
export const DEFAULT_MONITOR_SETTINGS: MonitorSettings = {
  sampleRate: 1,
  retentionMs: 30 * 24 * 3600_000,
  windowMs: 3600_000,
  minRows: 100,
  thresholds: { psi: 0.2, ks: 0.2, js: 0.2, errorRate: 0.05, latencyP99Ms: null, accuracy: null },
  webhooks: [],
};

/** A change to a model's settings as people type it (`--window 10m`, `--threshold psi=0.25`). */
export interface MonitorSettingsChange {
  readonly sampleRate?: number;
  readonly retention?: string;
  readonly window?: string;
  readonly minRows?: number;
  readonly thresholds?: Readonly<Record<string, number | null>>;
  readonly webhooks?: readonly string[];
}

export const THRESHOLD_NAMES = Object.keys(thresholdsSchema.shape) as (keyof Thresholds)[];

/** The settings after a change, checked whole; each problem names its field. */
export function applySettingsChange(current: MonitorSettings, change: MonitorSettingsChange): MonitorSettings {
  const thresholds: Record<string, number | null> = { ...current.thresholds };
  for (const [k, v] of Object.entries(change.thresholds ?? {})) {
    if (!(THRESHOLD_NAMES as string[]).includes(k)) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `thresholds.${k}: no such threshold (known: ${THRESHOLD_NAMES.join(', ')})`, { details: { field: `thresholds.${k}` } });
    }
    thresholds[k] = v;
  }
  const next = {
    sampleRate: change.sampleRate ?? current.sampleRate,
    retentionMs: change.retention !== undefined ? parseDuration(change.retention, 'retention') : current.retentionMs,
    windowMs: change.window !== undefined ? parseDuration(change.window, 'window') : current.windowMs,
    minRows: change.minRows ?? current.minRows,
    thresholds,
    webhooks: change.webhooks ? [...change.webhooks] : current.webhooks,
  };
  const parsed = monitorSettingsSchema.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new RepriseError('REPRISE_ERR_ARG_INVALID', `${field}: ${issue.message}`, { details: { field } });
  }
  return parsed.data;
}

/** One prediction request as sampled: what came in, what went out, who answered and how fast. */
export interface PredictionSample {
  readonly requestId: string;
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly at: number;
  readonly latencyMs: number;
  /** The request's rows. */
  readonly inputs: unknown[];
  /** One per input row; null when the request failed. */
  readonly outputs: unknown[] | null;
  readonly error: string | null;
  /** Ground truth sent later (`POST …/feedback`), one per input row; null until then. */
  readonly feedback: unknown[] | null;
}

/** Requests answered in one minute by one serving process: counts and a latency histogram. */
export interface TrafficBucket {
  readonly model: string;
  readonly version: number;
  /** The minute's start, UTC ms. */
  readonly start: number;
  /** The serving process that counted them. */
  readonly node: string;
  readonly requests: number;
  readonly errors: number;
  /** Counts per LATENCY_EDGES_MS bucket (one more than the edges: the open last one). */
  readonly latency: number[];
}

/** A feature's (or the predictions') drift in one window. */
export interface FeatureDrift {
  readonly feature: string;
  readonly kind: 'number' | 'category';
  readonly rows: number;
  readonly missingRate: number;
  readonly psi: number;
  /** Numbers: Kolmogorov–Smirnov distance; null for categories. */
  readonly ks: number | null;
  /** Categories: Jensen–Shannon distance; null for numbers. */
  readonly js: number | null;
  /** Categories: the chi-square statistic and its p-value; null for numbers. */
  readonly chi2: { statistic: number; pValue: number } | null;
  /** Whether a threshold was crossed, and which. */
  readonly drifted: boolean;
  readonly reasons: string[];
}

/** One closed window of a model, scored against its version's reference profile. */
export interface DriftWindow {
  readonly model: string;
  readonly version: number;
  readonly start: number;
  readonly end: number;
  /** Sampled input rows in the window. */
  readonly rows: number;
  /** Empty when the window had fewer than minRows rows or the version has no reference profile. */
  readonly features: FeatureDrift[];
  readonly prediction: FeatureDrift | null;
  /** Where ground truth arrived: how many rows had it, and accuracy (labels) or mean absolute error (numbers). */
  readonly live: { readonly labelled: number; readonly accuracy: number | null; readonly meanAbsoluteError: number | null };
  /** Why nothing was scored, when nothing was. */
  readonly skipped: string | null;
  readonly computedAt: number;
}

export const ALERT_KINDS = ['drift', 'prediction-drift', 'errors', 'latency', 'accuracy', 'serving'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertDelivery {
  readonly url: string;
  readonly at: number;
  readonly ok: boolean;
  /** The HTTP status, or why it could not be sent. */
  readonly detail: string;
}

export interface Alert {
  readonly id: number;
  readonly model: string;
  readonly version: number | null;
  readonly kind: AlertKind;
  /** The feature that drifted, where one did. */
  readonly subject: string | null;
  readonly message: string;
  /** The measured value and the threshold it crossed. */
  readonly value: number | null;
  readonly threshold: number | null;
  readonly windowStart: number | null;
  readonly raisedAt: number;
  /** Raised again while open: the last time. */
  readonly lastSeenAt: number;
  readonly ackedAt: number | null;
  readonly ackedBy: string | null;
  readonly ackNote: string | null;
  readonly deliveries: AlertDelivery[];
}

export type NewAlert = Omit<Alert, 'id' | 'lastSeenAt' | 'ackedAt' | 'ackedBy' | 'ackNote' | 'deliveries'>;

/** The p-th percentile (0..100) of a latency histogram, as the bucket's upper edge; null when empty. */
export function latencyPercentile(counts: readonly number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return i < LATENCY_EDGES_MS.length ? LATENCY_EDGES_MS[i]! : Infinity;
  }
  return Infinity;
}

/** The bucket of a latency in LATENCY_EDGES_MS. */
export function latencyBucket(ms: number): number {
  let lo = 0;
  let hi = LATENCY_EDGES_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_EDGES_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A model's health in one word, for the production pages and the stakeholder dashboard. */
export type ModelHealth = 'healthy' | 'drifting' | 'failing' | 'idle' | 'unprofiled';

/** One served alias of a model, as a serving process reports it. */
export interface ServedAlias {
  readonly model: string;
  readonly alias: string;
  /** The version answering now. */
  readonly version: number;
  /** When it began answering. */
  readonly since: number;
  readonly runtime: string;
  /** A version the alias moved to that is starting, or failed to start (then `error` says why and the old one keeps serving). */
  readonly pending: { readonly version: number; readonly error: string | null } | null;
}

/** Traffic per minute, every serving process's counts merged. */
export interface TrafficPoint {
  readonly start: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** One production model in a line: what `GET /production` lists and the dashboards show. */
export interface ProductionSummary {
  readonly model: string;
  /** The projects its served versions came from. */
  readonly projects: string[];
  readonly served: ServedAlias[];
  readonly health: ModelHealth;
  /** The health in plain words, e.g. "healthy: 1,204 requests in the last hour, p99 12 ms, no drift". */
  readonly words: string;
  readonly lastHour: { readonly requests: number; readonly errors: number; readonly p99Ms: number | null };
  readonly openAlerts: number;
  readonly lastWindow: DriftWindow | null;
}

/** Everything the production page of one model shows. */
export interface ModelProduction {
  readonly summary: ProductionSummary;
  readonly settings: MonitorSettings;
  /** The reference of the version served under the first alias: its features, or why there is none. */
  readonly reference: {
    readonly version: number;
    readonly madeAt: number | null;
    readonly error: string | null;
    readonly features: { readonly name: string; readonly kind: 'number' | 'category' }[];
    readonly target: string | null;
  } | null;
  readonly traffic: TrafficPoint[];
  readonly windows: DriftWindow[];
  readonly alerts: Alert[];
}

/** Counts added element by element (latency histograms, whatever their lengths). */
export function addCounts(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

/** The latency histogram of several buckets together (every node's, every minute's). */
export function mergedLatency(buckets: readonly Pick<TrafficBucket, 'latency'>[]): number[] {
  return buckets.reduce<number[]>((sum, b) => addCounts(sum, b.latency), new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0));
}

/** A share as people read it: `6.2%`, `40%`. */
export function shareText(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** Settings as answered to anyone who may read them: each webhook by its host only. */
export function settingsShown(s: MonitorSettings): MonitorSettings {
  return { ...s, webhooks: s.webhooks.map(webhookShown) };
}

/** An incoming webhook's URL as shown and recorded: its path is the secret, so only scheme and host. */
export function webhookShown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}
