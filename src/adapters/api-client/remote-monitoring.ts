/**
 * @module adapters/api-client/remote-monitoring
 * `reprise production`, `reprise alerts` and `reprise models monitor` through a server
 * (REPRISE_SERVER): each a request to its API, as the holder of REPRISE_TOKEN.
 */
import type { Alert, ModelProduction, MonitorSettings, MonitorSettingsChange, ProductionSummary } from '../../core/model-monitoring.js';
import type { MonitoringCommands } from '../../services/production-view.js';
import type { ApiClient } from './api-client.js';

const model = (name: string): string => `/models/${encodeURIComponent(name)}`;

export class RemoteMonitoring implements MonitoringCommands {
  constructor(private readonly api: ApiClient) {}

  async summaries(): Promise<ProductionSummary[]> {
    return (await this.api.json<{ models: ProductionSummary[] }>({ method: 'GET', path: '/production' })).models;
  }

  model(name: string, range: { from?: number; to?: number } = {}): Promise<ModelProduction> {
    const q = new URLSearchParams();
    if (range.from !== undefined) q.set('from', String(range.from));
    if (range.to !== undefined) q.set('to', String(range.to));
    return this.api.json<ModelProduction>({ method: 'GET', path: `${model(name)}/production?${q}` });
  }

  async settings(name: string): Promise<MonitorSettings> {
    return (await this.api.json<{ settings: MonitorSettings }>({ method: 'GET', path: `${model(name)}/monitoring` })).settings;
  }

  async changeSettings(name: string, change: MonitorSettingsChange, by: string): Promise<MonitorSettings> {
    return (await this.api.json<{ settings: MonitorSettings }>({ method: 'PUT', path: `${model(name)}/monitoring`, json: { ...change, by } })).settings;
  }

  async alerts(q: { model?: string; open?: boolean; limit?: number }): Promise<Alert[]> {
    const s = new URLSearchParams();
    if (q.model !== undefined) s.set('model', q.model);
    if (q.open) s.set('open', 'true');
    if (q.limit !== undefined) s.set('limit', String(q.limit));
    return (await this.api.json<{ alerts: Alert[] }>({ method: 'GET', path: `/alerts?${s}` })).alerts;
  }

  async ack(id: number, by: string, note: string | null): Promise<Alert> {
    return (await this.api.json<{ alert: Alert }>({ method: 'POST', path: `/alerts/${id}/ack`, json: { by, ...(note !== null ? { note } : {}) } })).alert;
  }
}
