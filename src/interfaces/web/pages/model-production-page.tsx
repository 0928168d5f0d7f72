/**
 * One model in production (`/models/<name>/production?range=`): what serves it (alias →
 * version, runtime, since when; a version starting or that failed to start), its health,
 * the reference its drift is measured against; requests, errors and latency per minute;
 * drift per window as a table; live accuracy where ground truth came back; its alerts,
 * acknowledged by the roles that may; and how it is monitored, changed by admins. The
 * time range (last hour, 24 hours, 7 days) is kept in the address; the page reads itself
 * again every minute.
 */
import { useCallback, useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, type ModelProduction } from '../api.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { ProductionAlerts } from '../components/production-alerts.js';
import { LiveCharts, TrafficCharts } from '../components/production-charts.js';
import { DriftTable } from '../components/production-drift-table.js';
import { HealthBadge, ServedAliases } from '../components/production-health.js';
import { MonitorSettingsPanel } from '../components/production-settings.js';
import { formatAgo, formatNumber, plural } from '../format.js';
import { paths } from '../paths.js';
import { DEFAULT_RANGE, errorRate, formatLatency, RANGES, rangeKey, rangeTimes } from '../production-words.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

const REFRESH_MS = 60_000;
const DAY = 86_400_000;

/** What drift is measured against: the training data of the version served under the first alias. */
function Reference({ reference }: { reference: ModelProduction['reference'] }) {
  if (!reference) return <p className="muted" data-testid="reference">No version is served, so there is no reference to measure drift against.</p>;
  if (reference.error !== null || reference.madeAt === null) {
    return (
      <p className="warn-text" data-testid="reference">
        v{reference.version} has no profile of its training data{reference.error ? `: ${reference.error}` : ''}. Drift cannot be measured until it has one.
      </p>
    );
  }
  return (
    <p className="muted" data-testid="reference">
      Drift is measured against the training data of v{reference.version} ({plural(reference.features.length, 'feature')}
      {reference.target ? `, target ${reference.target}` : ''}), profiled <span title={new Date(reference.madeAt).toISOString()}>{formatAgo(reference.madeAt)}</span>.
    </p>
  );
}

export function ModelProductionPage() {
  const name = useParams().name ?? '';
  const url = useUrlState();
  const range = rangeKey(url.get('range'));
  const session = useSession();
  // The range ends when it is read, so each reload moves it along.
  const loaded = useFetch(
    async (signal) => {
      const times = rangeTimes(range, Date.now());
      return { times, production: await api.modelProduction(name, times, signal) };
    },
    [name, range],
  );
  const { reload } = loaded;

  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  const onAcked = useCallback(() => reload(), [reload]);

  if (loaded.error && !loaded.data) {
    if (loaded.error instanceof ApiError && loaded.error.status === 404) {
      return (
        <EmptyState title={`No model named ${name}`}>
          <p>
            <Link to={paths.production()}>See every model in production</Link>
          </p>
        </EmptyState>
      );
    }
    return <LoadError error={loaded.error} />;
  }
  if (!loaded.data) return <p className="muted">Loading {name} in production…</p>;
  const { times, production: p } = loaded.data;
  const { summary, settings } = p;
  // Acknowledging is `alerts`, changing settings `admin`, in every project the model's versions came from.
  const mayAck = session.may('alerts', summary.projects);
  const mayEdit = session.may('admin', summary.projects);
  const requests = p.traffic.reduce((n, t) => n + t.requests, 0);
  const errors = p.traffic.reduce((n, t) => n + t.errors, 0);
  const rangeLabel = RANGES.find((r) => r.key === range)!.label.toLowerCase();

  return (
    <div className="model-production-page">
      <div className="run-title">
        <h1 data-testid="production-name">{name} in production</h1>
        <HealthBadge health={summary.health} />
        <span className="grow" />
        <Link to={paths.model(name)} data-testid="production-model-link">
          Versions and history
        </Link>
      </div>
      {loaded.error ? <LoadError error={loaded.error} /> : null}
      <p className="dash-sentence" data-testid="production-words">
        {summary.words}
      </p>
      <div className="production-header">
        <div>
          <h3>Served</h3>
          <ServedAliases served={summary.served} long />
        </div>
        <div>
          <h3>Last hour</h3>
          <p data-testid="production-last-hour">
            {plural(summary.lastHour.requests, 'request')}, {formatNumber(summary.lastHour.errors)} with errors ({errorRate(summary.lastHour.requests, summary.lastHour.errors)}), p99{' '}
            {formatLatency(summary.lastHour.p99Ms)}; {plural(summary.openAlerts, 'open alert')}
          </p>
        </div>
      </div>
      <Reference reference={p.reference} />

      <div className="toolbar" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button
            key={r.key}
            type="button"
            className={r.key === range ? 'primary' : undefined}
            aria-pressed={r.key === range}
            data-testid={`range-${r.key}`}
            onClick={() => url.set({ range: r.key === DEFAULT_RANGE ? null : r.key })}
          >
            {r.label}
          </button>
        ))}
        <span className="muted" data-testid="range-totals">
          {plural(requests, 'request')}, {formatNumber(errors)} with errors ({errorRate(requests, errors)}) in the {rangeLabel}
        </span>
      </div>

      <section>
        <h2>Traffic</h2>
        <TrafficCharts traffic={p.traffic} from={times.from} to={times.to} />
      </section>
      <section data-testid="drift">
        <h2>Drift</h2>
        <DriftTable windows={p.windows} thresholds={settings.thresholds} referenceOrder={p.reference?.features.map((f) => f.name) ?? []} multiDay={times.to - times.from > DAY} />
        <LiveCharts windows={p.windows} />
      </section>
      <section data-testid="production-alerts">
        <h2>Alerts</h2>
        <p className="muted">Open and acknowledged, newest first.</p>
        <ProductionAlerts alerts={p.alerts} mayAck={() => mayAck} onAcked={onAcked} />
      </section>
      <section data-testid="monitoring">
        <h2>Monitoring</h2>
        <MonitorSettingsPanel model={name} settings={settings} editable={mayEdit} onSaved={reload} />
      </section>
    </div>
  );
}
