/**
 * Every model in production (`/production`): what each serves (alias → version, a new
 * version starting or failed to start), its health in a word and in a sentence, the last
 * hour's requests, errors and p99 latency, its open alerts; then the open alerts of every
 * model, with Acknowledge for the roles that may. The page reads itself again every
 * minute, so it can stay on a screen.
 */
import { useEffect, useMemo } from 'react';
import { Link } from 'react-router-dom';
import { alertEvents, api, type Alert } from '../api.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { ProductionAlerts } from '../components/production-alerts.js';
import { HealthBadge, ServedAliases } from '../components/production-health.js';
import { formatNumber } from '../format.js';
import { paths } from '../paths.js';
import { errorRate, formatLatency } from '../production-words.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';

const REFRESH_MS = 60_000;
/** Open alerts listed across models. */
const OPEN_ALERTS = 100;

export function ProductionPage() {
  const session = useSession();
  const models = useFetch((signal) => api.production(signal), []);
  const alerts = useFetch((signal) => api.alerts({ open: true, limit: OPEN_ALERTS }, signal), []);
  const { reload: reloadModels } = models;
  const { reload: reloadAlerts } = alerts;

  useEffect(() => {
    const timer = window.setInterval(() => {
      reloadModels();
      reloadAlerts();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reloadModels, reloadAlerts]);
  // An acknowledgement changes the counts of the table above the alerts.
  useEffect(() => alertEvents.onChange(reloadModels), [reloadModels]);

  // Acknowledging is `alerts` in every project the model's versions came from, as the server weighs it.
  const projectsOf = useMemo(() => new Map((models.data ?? []).map((m) => [m.model, m.projects])), [models.data]);
  const mayAck = (a: Alert) => session.may('alerts', projectsOf.get(a.model) ?? []);

  if (models.error && !models.data) return <LoadError error={models.error} />;
  if (!models.data) return <p className="muted">{models.loading ? 'Loading production models…' : ''}</p>;
  if (models.data.length === 0) {
    return (
      <EmptyState title="No model in production">
        <p>A model is in production once a promoted version is served and answers requests. Serve one with:</p>
        <pre>reprise serve NAME@ALIAS</pre>
        <p>
          or start the server with <code>reprise server --serve NAME@ALIAS</code>. <Link to={paths.models()}>See the registered models</Link>
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="production-page">
      <h1>Production</h1>
      <p className="muted">Models served, with recent requests, or with open alerts. This page refreshes every minute.</p>
      {models.error ? <LoadError error={models.error} /> : null}
      <div className="table-scroll">
        <table className="plain production-table" data-testid="production-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Served</th>
              <th>Health</th>
              <th className="num" title="requests in the last hour">
                Requests, 1 h
              </th>
              <th className="num" title="requests answered with an error in the last hour">
                Errors
              </th>
              <th className="num" title="99th percentile latency in the last hour">
                p99
              </th>
              <th className="num">Open alerts</th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.model} data-testid="production-row" data-model={m.model} data-health={m.health}>
                <td>
                  <Link to={paths.modelProduction(m.model)} data-testid="production-model" className="model-name">
                    {m.model}
                  </Link>
                  {m.projects.length > 0 ? <div className="muted small">{m.projects.join(', ')}</div> : null}
                </td>
                <td>
                  <ServedAliases served={m.served} />
                </td>
                <td className="production-health-cell">
                  <HealthBadge health={m.health} />
                  <div className="production-words" data-testid="production-words">
                    {m.words}
                  </div>
                </td>
                <td className="num" data-testid="production-requests">
                  {formatNumber(m.lastHour.requests)}
                </td>
                <td className="num" data-testid="production-errors" title={`${errorRate(m.lastHour.requests, m.lastHour.errors)} of requests`}>
                  {formatNumber(m.lastHour.errors)}
                </td>
                <td className="num" data-testid="production-p99">
                  {formatLatency(m.lastHour.p99Ms)}
                </td>
                <td className="num" data-testid="production-open-alerts">
                  {m.openAlerts > 0 ? <strong className="alert-count">{formatNumber(m.openAlerts)}</strong> : <span className="muted">0</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <section data-testid="open-alerts">
        <h2>Open alerts</h2>
        <p className="muted">Alerts nobody has acknowledged yet, newest first, of every model.</p>
        {alerts.error ? <LoadError error={alerts.error} /> : alerts.data ? <ProductionAlerts alerts={alerts.data} showModel mayAck={mayAck} /> : <p className="muted">Loading…</p>}
      </section>
    </div>
  );
}
