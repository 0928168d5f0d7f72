/**
 * @module services/monitor-settings
 * Each model's monitoring settings, read from the store and remembered for a few
 * seconds, so the serving path decides whether to sample a request without a read, and
 * a change made on any server reaches the others within that time.
 */
import { applySettingsChange, DEFAULT_MONITOR_SETTINGS, type MonitorSettings, type MonitorSettingsChange } from '../core/model-monitoring.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';

const FRESH_MS = 5_000;

export class MonitorSettingsSource {
  readonly #known = new Map<string, { settings: MonitorSettings; readAt: number }>();
  readonly #reading = new Map<string, Promise<MonitorSettings>>();

  constructor(private readonly d: { readonly monitoring: MonitoringStore; readonly now?: () => number }) {}

  /** A model's settings as read last (the defaults until first read); a read is started when they are stale. */
  cached(model: string): MonitorSettings {
    const k = this.#known.get(model);
    if (!k || this.#now() - k.readAt > FRESH_MS) void this.get(model).catch(() => undefined);
    return k?.settings ?? DEFAULT_MONITOR_SETTINGS;
  }

  /** A model's settings, read from the store when stale. */
  async get(model: string): Promise<MonitorSettings> {
    const k = this.#known.get(model);
    if (k && this.#now() - k.readAt <= FRESH_MS) return k.settings;
    let reading = this.#reading.get(model);
    if (!reading) {
      reading = this.d.monitoring
        .monitorSettings(model)
        .then((s) => {
          const settings = s?.settings ?? DEFAULT_MONITOR_SETTINGS;
          this.#known.set(model, { settings, readAt: this.#now() });
          return settings;
        })
        .finally(() => this.#reading.delete(model));
      this.#reading.set(model, reading);
    }
    return reading;
  }

  /** Applies a change (checked whole) and stores it. */
  async change(model: string, change: MonitorSettingsChange, by: string): Promise<MonitorSettings> {
    const current = (await this.d.monitoring.monitorSettings(model))?.settings ?? DEFAULT_MONITOR_SETTINGS;
    const next = applySettingsChange(current, change);
    await this.d.monitoring.setMonitorSettings(model, next, by, this.#now());
    this.#known.set(model, { settings: next, readAt: this.#now() });
    return next;
  }

  #now(): number {
    return (this.d.now ?? Date.now)();
  }
}
