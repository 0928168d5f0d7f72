/**
 * @module services/alert-service
 * Alerts of production models: raised once while open (a breach seen again updates the
 * open alert instead of raising another), sent to the model's webhooks as a JSON body
 * whose `text` Slack- and Teams-style incoming webhooks show as it is (the structured
 * alert rides along under `alert`), each delivery's outcome kept with the alert, and
 * acknowledged by someone whose name is kept.
 */
import { webhookShown, type Alert, type NewAlert } from '../core/model-monitoring.js';
import type { MonitoringStore } from '../ports/monitoring-store.js';
import type { MonitorSettingsSource } from './monitor-settings.js';

const WEBHOOK_TIMEOUT_MS = 5_000;

export class AlertService {
  constructor(
    private readonly d: {
      readonly monitoring: MonitoringStore;
      readonly settings: MonitorSettingsSource;
      /** Where the web UI is, for a link in the message. */
      readonly publicUrl?: string;
      readonly say?: (message: string) => void;
    },
  ) {}

  /** Raises an alert, or sees an open one again; a new one is sent to the model's webhooks. */
  async raise(a: NewAlert): Promise<{ alert: Alert; raised: boolean }> {
    const r = await this.d.monitoring.raiseAlert(a);
    if (r.raised) {
      this.d.say?.(`alert ${r.alert.id} on ${a.model}: ${a.message}`);
      const { webhooks } = await this.d.settings.get(a.model);
      await Promise.all(webhooks.map((url) => this.#deliver(r.alert, url)));
    }
    return r;
  }

  list(q: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]> {
    return this.d.monitoring.alerts(q);
  }

  ack(id: number, by: string, note: string | null): Promise<Alert> {
    return this.d.monitoring.ackAlert(id, by, note, Date.now());
  }

  async #deliver(alert: Alert, url: string): Promise<void> {
    const link = this.d.publicUrl ? ` ${this.d.publicUrl.replace(/\/$/, '')}/models/${encodeURIComponent(alert.model)}/production` : '';
    const text = `Reprise alert on ${alert.model}${alert.version !== null ? ` v${alert.version}` : ''}: ${alert.message}${link}`;
    let ok = false;
    let detail: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, alert }),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      ok = res.ok;
      detail = `HTTP ${res.status}`;
    } catch (e) {
      detail = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
    }
    if (!ok) this.d.say?.(`alert ${alert.id}: the webhook ${webhookShown(url)} was not told (${detail})`);
    await this.d.monitoring.addAlertDelivery(alert.id, { url: webhookShown(url), at: Date.now(), ok, detail }).catch(() => undefined);
  }
}

