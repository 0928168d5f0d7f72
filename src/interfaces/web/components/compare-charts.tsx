/**
 * Metric charts with the compared runs overlaid, one chart per metric. Which metrics, the
 * x axis, smoothing, log scale and zoom live in the URL like on a run's page.
 */
import { useMemo } from 'react';
import { api, type History, type RunDetails } from '../api.js';
import { sharedKeys, unionKeys } from '../compare-data.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';
import { ChartControls, useChartSettings, type ChartSettings } from './chart-controls.js';
import { runColor } from './compare-header.js';
import { LoadError } from './empty-state.js';
import { MetricChart, type ChartSeries } from './metric-chart.js';

/** Points per series asked of the server (it keeps the extremes when it thins them out). */
const POINTS = 1500;

/** Per chosen metric, per run: its history, or null where the run has not recorded it. */
type Histories = Map<string, (History | null)[]>;

async function loadHistories(runs: readonly RunDetails[], keys: readonly string[], signal: AbortSignal): Promise<Histories> {
  const loaded = await Promise.all(keys.map((key) => Promise.all(runs.map((d) => (key in d.run.metrics ? api.history(d.run.id, key, POINTS, signal) : null)))));
  return new Map(keys.map((key, i) => [key, loaded[i]!]));
}

export function CompareCharts({ runs }: { runs: readonly RunDetails[] }) {
  const url = useUrlState();
  const available = unionKeys(runs.map((d) => d.run.metrics));
  const shared = sharedKeys(runs.map((d) => Object.keys(d.run.metrics)));
  const fromUrl = url.getList('keys').filter((k) => available.includes(k));
  const keys = fromUrl.length > 0 ? fromUrl : shared;
  const settings = useChartSettings();

  const runIds = runs.map((d) => d.run.id).join(',');
  const { data, error, loading } = useFetch((signal) => loadHistories(runs, keys, signal), [runIds, keys.join(',')]);

  const toggleKey = (key: string, on: boolean) => {
    const next = available.filter((k) => (k === key ? on : keys.includes(k)));
    const isDefault = next.length === shared.length && next.every((k) => shared.includes(k));
    url.set({ keys: isDefault ? null : next });
  };

  return (
    <section data-testid="compare-charts">
      <div className="section-head">
        <h2>Metric charts</h2>
        <span className="muted">One line per run, in the run's colour. Drag across a chart to zoom in; double-click to zoom out.</span>
      </div>
      <ChartControls settings={settings} />
      {available.length > 0 ? (
        <fieldset className="key-picker" data-testid="chart-keys">
          <legend>Metrics to chart</legend>
          {available.map((k) => (
            <label key={k} title={shared.includes(k) ? undefined : 'not recorded by every run'}>
              <input
                type="checkbox"
                checked={keys.includes(k)}
                // The last chart stays: an empty choice could not be told apart from the default in the URL.
                disabled={keys.length === 1 && keys[0] === k}
                onChange={(e) => toggleKey(k, e.target.checked)}
                data-key={k}
              />
              <span className="mono">{k}</span>
              {shared.includes(k) ? null : <span className="muted"> (some runs)</span>}
            </label>
          ))}
        </fieldset>
      ) : null}
      {error ? <LoadError error={error} /> : null}
      {keys.length === 0 ? (
        <p className="muted">{available.length === 0 ? 'None of these runs has reported a metric.' : 'No metric is recorded by every run: tick the ones to chart above.'}</p>
      ) : !data ? (
        <p className="muted">{loading ? 'Loading metric histories…' : ''}</p>
      ) : (
        <div className="charts">
          {keys.map((key) => (
            <OverlaidChart key={key} metric={key} runs={runs} histories={data.get(key) ?? []} settings={settings} />
          ))}
        </div>
      )}
    </section>
  );
}

function OverlaidChart(props: {
  metric: string;
  runs: readonly RunDetails[];
  histories: readonly (History | null)[];
  settings: ChartSettings;
}) {
  const { metric, runs, histories, settings } = props;
  const { xTime } = settings;
  const series = useMemo<ChartSeries[]>(
    () =>
      runs.flatMap((d, i) => {
        const h = histories[i];
        return h && h.values.length > 0 ? [{ label: d.run.name, x: xTime ? h.ts : h.steps, y: h.values, color: runColor(i) }] : [];
      }),
    [runs, histories, xTime],
  );
  if (series.length === 0) return <p className="muted">No points recorded for {metric}.</p>;
  return <MetricChart title={metric} series={series} xTime={xTime} logY={settings.logY} smoothing={settings.smoothing} zoom={settings.zoom} onZoom={settings.onZoom} syncKey="compare" />;
}
