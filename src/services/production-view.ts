/**
 * @module services/production-view
 * Production models as the observability team and stakeholders read them: which models
 * are in production (served here, with traffic in the last day, or with open alerts),
 * each one's health in a word and in plain words, and a model's page (traffic and latency
 * per minute, drift windows, alerts, settings). Also the settings and alerts commands,
 * which `reprise alerts`, `reprise models monitor` and the API share.
 */
import { LATENCY_EDGES_MS, latencyPercentile, mergedLatency, settingsShown, shareText, type Alert, type DriftWindow, type ModelHealth, type ModelProduction, type MonitorSettings, type MonitorSettingsChange, type ProductionSummary, type ServedAlias, type TrafficBucket, type TrafficPoint } from '../core/model-monitoring.js';
import { RepriseError } from '../core/errors.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import type { AlertService } from './alert-service.js';
import type { MonitorSettingsSource } from './monitor-settings.js';
import type { ModelService } from './model-service.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What `reprise alerts`, `reprise models monitor` and `reprise production` do, embedded or through a server. */
export interface MonitoringCommands {
  summaries(): Promise<ProductionSummary[]>;
  model(name: string, range?: { from?: number; to?: number }): Promise<ModelProduction>;
  settings(model: string): Promise<MonitorSettings>;
  changeSettings(model: string, change: MonitorSettingsChange, by: string): Promise<MonitorSettings>;
  alerts(q: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]>;
  ack(id: number, by: string, note: string | null): Promise<Alert>;
}

export class ProductionView implements MonitoringCommands {
  constructor(
    private readonly d: {
      readonly store: MetadataStore;
      readonly monitoring: MonitoringStore;
      readonly models: ModelService;
      readonly settingsSource: MonitorSettingsSource;
      readonly alertService: AlertService;
      /** The aliases this process serves (none outside `reprise serve` and `server --serve`). */
      readonly served: () => ServedAlias[];
      readonly now?: () => number;
    },
  ) {}

  async summaries(): Promise<ProductionSummary[]> {
    const now = this.#now();
    const names = new Set(this.d.served().map((s) => s.model));
    for (const a of await this.d.monitoring.alerts({ open: true, limit: 1000 })) names.add(a.model);
    for (const m of await this.d.models.list()) {
      if (names.has(m.name)) continue;
      if ((await this.d.monitoring.traffic({ model: m.name, from: now - DAY, to: now + 60_000 })).length > 0) names.add(m.name);
    }
    const out: ProductionSummary[] = [];
    for (const name of [...names].sort()) out.push(await this.#summary(name, now));
    return out;
  }

  async model(name: string, range: { from?: number; to?: number } = {}): Promise<ModelProduction> {
    const now = this.#now();
    await this.d.models.show(name); // an unknown model is REPRISE_ERR_MODEL_NOT_FOUND
    const to = range.to ?? now + 60_000;
    const from = range.from ?? to - DAY;
    const [summary, settings, buckets, windows, alerts] = await Promise.all([
      this.#summary(name, now),
      this.d.settingsSource.get(name),
      this.d.monitoring.traffic({ model: name, from, to }),
      this.d.monitoring.driftWindows({ model: name, from, to }),
      this.d.monitoring.alerts({ model: name, limit: 100 }),
    ]);
    // The version served, else the one last scored, else the newest.
    const version = summary.served[0]?.version ?? windows.at(-1)?.version ?? (await this.d.store.modelVersions(name))?.model.latestVersion ?? null;
    let reference: ModelProduction['reference'] = null;
    if (version !== null && version > 0) {
      const stored = await this.d.monitoring.referenceProfile(name, version);
      const p = stored?.profile as { features?: { name: string; kind: 'number' | 'category' }[]; target?: { name: string } | null } | null | undefined;
      reference = {
        version,
        madeAt: stored?.madeAt ?? null,
        error: stored ? stored.error : 'not profiled yet: it is profiled when the version is promoted or first serves',
        features: (p?.features ?? []).map((f) => ({ name: f.name, kind: f.kind })),
        target: p?.target?.name ?? null,
      };
    }
    return { summary, settings: settingsShown(settings), reference, traffic: perMinute(buckets), windows, alerts };
  }

  settings(model: string): Promise<MonitorSettings> {
    return this.d.settingsSource.get(model);
  }

  async changeSettings(model: string, change: MonitorSettingsChange, by: string): Promise<MonitorSettings> {
    await this.d.models.show(model);
    return this.d.settingsSource.change(model, change, by);
  }

  alerts(q: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]> {
    return this.d.alertService.list(q);
  }

  ack(id: number, by: string, note: string | null): Promise<Alert> {
    return this.d.alertService.ack(id, by, note);
  }

  alert(id: number): Promise<Alert | undefined> {
    return this.d.monitoring.alert(id);
  }

  /** Records the ground truth of a sampled request (one value per input row); false when no sample of the model has that id. */
  async feedback(model: string, requestId: string, truth: readonly unknown[]): Promise<boolean> {
    const sample = await this.d.monitoring.sample(requestId);
    if (!sample || sample.model !== model) return false;
    if (truth.length !== sample.inputs.length) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `truth: ${truth.length} values for a request of ${sample.inputs.length} input rows (one per row, null where unknown)`, { details: { field: 'truth' } });
    }
    return this.d.monitoring.addFeedback(requestId, truth, this.#now());
  }

  async #summary(model: string, now: number): Promise<ProductionSummary> {
    const served = this.d.served().filter((s) => s.model === model);
    const [lastHourBuckets, open, lastStart, versions] = await Promise.all([
      this.d.monitoring.traffic({ model, from: now - HOUR, to: now + 60_000 }),
      this.d.monitoring.alerts({ model, open: true, limit: 1000 }),
      this.d.monitoring.lastDriftWindow(model),
      this.d.store.modelVersions(model),
    ]);
    const lastWindow = lastStart !== undefined ? ((await this.d.monitoring.driftWindows({ model, from: lastStart, to: lastStart + 1 }))[0] ?? null) : null;
    const merged = mergedLatency(lastHourBuckets);
    const lastHour = {
      requests: lastHourBuckets.reduce((a, b) => a + b.requests, 0),
      errors: lastHourBuckets.reduce((a, b) => a + b.errors, 0),
      p99Ms: latencyPercentile(merged, 99),
    };
    const settings = await this.d.settingsSource.get(model);
    const servedVersions = new Set(served.map((s) => s.version));
    if (lastWindow) servedVersions.add(lastWindow.version);
    const projects = [...new Set((versions?.versions ?? []).filter((v) => servedVersions.size === 0 || servedVersions.has(v.version)).map((v) => v.project))].sort();
    // The version answering: served here, else scored last, else counted last, else the newest.
    const current = served[0]?.version ?? lastWindow?.version ?? lastHourBuckets.at(-1)?.version ?? versions?.model.latestVersion;
    const reference = current !== undefined ? await this.d.monitoring.referenceProfile(model, current) : undefined;
    const noReference = reference && reference.profile === null ? `version ${current} has no reference profile: ${reference.error ?? 'none was made'}` : null;
    const { health, words } = healthOf({ served, lastHour, lastWindow, open, errorRate: settings.thresholds.errorRate, noReference });
    return { model, projects, served, health, words, lastHour, openAlerts: open.length, lastWindow };
  }

  #now(): number {
    return (this.d.now ?? Date.now)();
  }
}

/** A model's health in a word and in a sentence anyone can read. */
export function healthOf(x: {
  served: readonly ServedAlias[];
  lastHour: ProductionSummary['lastHour'];
  lastWindow: DriftWindow | null;
  open: readonly Alert[];
  errorRate: number;
  /** Why the version answering has no reference profile, when it has none. */
  noReference: string | null;
}): { health: ModelHealth; words: string } {
  const traffic = x.lastHour.requests === 0 ? 'no requests in the last hour' : `${count(x.lastHour.requests)} requests in the last hour${x.lastHour.p99Ms !== null ? `, p99 ${fmtMs(x.lastHour.p99Ms)}` : ''}`;
  const failedStart = x.served.find((s) => s.pending?.error);
  const rate = x.lastHour.requests > 0 ? x.lastHour.errors / x.lastHour.requests : 0;
  if (x.lastHour.requests >= 20 && rate > x.errorRate) return { health: 'failing', words: `failing: ${shareText(rate)} of the ${count(x.lastHour.requests)} requests in the last hour failed` };
  if (failedStart) {
    return { health: 'failing', words: `failing to move: version ${failedStart.pending!.version} did not start, version ${failedStart.version} still serves (${failedStart.pending!.error}); ${traffic}` };
  }
  const drifted = x.lastWindow?.features.filter((f) => f.drifted) ?? [];
  const openDrift = x.open.filter((a) => a.kind === 'drift' || a.kind === 'prediction-drift');
  if (drifted.length > 0 || x.lastWindow?.prediction?.drifted) {
    const what = drifted.map((f) => `${f.feature} (PSI ${f.psi.toFixed(2)})`);
    if (x.lastWindow?.prediction?.drifted) what.push(`the predictions (PSI ${x.lastWindow.prediction.psi.toFixed(2)})`);
    return { health: 'drifting', words: `drifting: ${what.join(', ')} shifted from the training data in the last window; ${traffic}` };
  }
  if (openDrift.length > 0) return { health: 'drifting', words: `drifting: ${openDrift.length} drift alert${openDrift.length > 1 ? 's' : ''} not yet acknowledged (${openDrift.map((a) => a.subject ?? 'predictions').join(', ')}); ${traffic}` };
  if (x.lastHour.requests === 0) return { health: 'idle', words: `idle: ${traffic}` };
  if (x.noReference) return { health: 'unprofiled', words: `answering, drift not measured (${x.noReference}); ${traffic}` };
  const checked = x.lastWindow && x.lastWindow.features.length > 0 ? 'no drift in the last window' : 'no window scored yet';
  return { health: 'healthy', words: `healthy: ${traffic}, ${checked}` };
}


/** Every node's counts of a minute merged into one point. */
function perMinute(buckets: readonly TrafficBucket[]): TrafficPoint[] {
  const by = new Map<number, TrafficBucket[]>();
  for (const b of buckets) by.set(b.start, [...(by.get(b.start) ?? []), b]);
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, bs]) => {
      const merged = mergedLatency(bs);
      return { start, requests: bs.reduce((a, b) => a + b.requests, 0), errors: bs.reduce((a, b) => a + b.errors, 0), p50Ms: latencyPercentile(merged, 50), p99Ms: latencyPercentile(merged, 99) };
    });
}


function count(n: number): string {
  return n.toLocaleString('en-US');
}


function fmtMs(ms: number): string {
  return ms === Infinity ? `over ${LATENCY_EDGES_MS.at(-1)! / 1000} s` : ms < 1 ? `${ms} ms` : `${Math.round(ms)} ms`;
}
