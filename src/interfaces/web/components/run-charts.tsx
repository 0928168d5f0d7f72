/**
 * A run's metrics, one chart per key. Histories load a few at a time, each chart drawn as
 * its data arrives; while the run goes, a key's chart reloads when new points for it are
 * announced (at most once a second per key), and keys first seen in events get charts.
 * Each chart reads its own key from a small store, so new data redraws only that chart.
 */
import { memo, useEffect, useMemo, useState } from 'react';
import { isSystemMetric } from '../../../core/metric-goal.js';
import { api, isActiveStatus, type History, type RunDetails } from '../api.js';
import { useUrlState } from '../url-state.js';
import { useKeyState, useShownKeyLoads, type KeyedStore } from '../keyed-loads.js';
import { EmptyState } from './empty-state.js';
import { MetricChart, PALETTE, type ChartSeries } from './metric-chart.js';
import { ChartControls, useChartSettings, type ChartSettings } from './chart-controls.js';
import { type SubscribeRunEvents } from './run-live.js';

/** About twice a chart's width in pixels; the server keeps each stretch's min and max. */
const POINTS = 1500;
/** Six histories at once; a key reloaded for live news at most once a second. */
const LOADS = { parallel: 6, reloadMs: 1000 } as const;

/** A key's history, for the loader. */
const loadHistory = (runId: string, key: string, signal: AbortSignal) => api.history(runId, key, POINTS, signal);

interface KeyChartSettings extends ChartSettings {
  readonly syncKey: string;
}

function downsampleNote(h: History): string | null {
  if (!h.downsampled) return null;
  return `${h.steps.length.toLocaleString('en-US')} of ${h.total.toLocaleString('en-US')} points drawn (each stretch keeps its min and max)`;
}

const KeyChart = memo(function KeyChart({ metricKey, color, store, settings }: { metricKey: string; color: string; store: KeyedStore<History>; settings: KeyChartSettings }) {
  const state = useKeyState(store, metricKey);
  const history = state?.data;
  const series = useMemo<ChartSeries[] | null>(
    () => (history ? [{ label: metricKey, x: settings.xTime ? history.ts : history.steps, y: history.values, color }] : null),
    [history, metricKey, settings.xTime, color],
  );
  if (!series || !history) {
    return (
      <div className="chart-slot" data-testid="chart-slot" data-key={metricKey}>
        <div className="chart-slot-title">{metricKey}</div>
        {state?.error ? <div className="error-text">Could not load: {state.error.message}</div> : <div className="muted">Loading…</div>}
      </div>
    );
  }
  const note = downsampleNote(history);
  return (
    <div className="chart-slot" data-testid="chart-slot" data-key={metricKey}>
      <MetricChart
        title={metricKey}
        series={series}
        xTime={settings.xTime}
        logY={settings.logY}
        smoothing={settings.smoothing}
        zoom={settings.zoom}
        onZoom={settings.onZoom}
        syncKey={settings.syncKey}
      />
      {note ? <div className="chart-note muted">{note}</div> : null}
      {state.error ? <div className="error-text">Could not reload: {state.error.message}</div> : null}
    </div>
  );
});

/** The metric keys: those recorded, and those first seen in live events. */
function useMetricKeys(details: RunDetails, subscribe: SubscribeRunEvents, active: boolean): string[] {
  const [seen, setSeen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!active) return;
    return subscribe((e) => {
      if (e.type !== 'metrics') return;
      const keys = Object.keys((e['keys'] as Record<string, unknown> | undefined) ?? {});
      setSeen((prev) => (keys.every((k) => prev.has(k)) ? prev : new Set([...prev, ...keys])));
    });
  }, [subscribe, active]);
  const recorded = details.run.metrics;
  return useMemo(() => [...new Set([...Object.keys(recorded), ...seen])].sort(), [recorded, seen]);
}

function KeyPicker({ all, chosen, onChange }: { all: string[]; chosen: ReadonlySet<string>; onChange: (keys: string[]) => void }) {
  return (
    <details className="key-picker" data-testid="key-picker">
      <summary>
        Choose metrics ({all.filter((k) => chosen.has(k)).length} of {all.length} chosen)
      </summary>
      <div className="key-picker-actions">
        <button type="button" onClick={() => onChange(all)} data-testid="keys-all">
          All
        </button>
        <button type="button" onClick={() => onChange([])} data-testid="keys-none">
          None
        </button>
      </div>
      <div className="key-picker-list">
        {all.map((k) => (
          <label key={k}>
            <input
              type="checkbox"
              data-testid="key-toggle"
              data-key={k}
              checked={chosen.has(k)}
              onChange={(e) => onChange(e.target.checked ? [...all.filter((x) => chosen.has(x)), k] : all.filter((x) => x !== k && chosen.has(x)))}
            />
            <span className="mono">{k}</span>
          </label>
        ))}
      </div>
    </details>
  );
}

export function RunCharts({ details, subscribe }: { details: RunDetails; subscribe: SubscribeRunEvents }) {
  const runId = details.run.id;
  const status = details.run.status;
  const active = isActiveStatus(status);
  const url = useUrlState();
  const allKeys = useMetricKeys(details, subscribe, active);

  const chartSettings = useChartSettings();
  const match = url.get('match');
  const chosenRaw = url.get('keys');

  // Chosen keys: the run's own metrics by default (system/* samples are picked when
  // wanted); `keys=` names them; `keys=-` is an explicit empty choice.
  const byDefault = useMemo(() => allKeys.filter((k) => !isSystemMetric(k)), [allKeys]);
  const chosen = useMemo<ReadonlySet<string>>(() => {
    if (chosenRaw === '') return new Set(byDefault);
    if (chosenRaw === '-') return new Set();
    return new Set(chosenRaw.split(','));
  }, [chosenRaw, byDefault]);
  const shown = useMemo(() => {
    const needle = match.trim().toLowerCase();
    return allKeys.filter((k) => chosen.has(k) && (needle === '' || k.toLowerCase().includes(needle)));
  }, [allKeys, chosen, match]);

  const store = useShownKeyLoads({ runId, fetchKey: loadHistory, loads: LOADS, shown, active, subscribe, eventType: 'metrics' });

  const set = url.set;
  const settings = useMemo<KeyChartSettings>(() => ({ ...chartSettings, syncKey: `run-${runId}` }), [chartSettings, runId]);
  // The run's own metrics take the palette first, so samples of the machine never change their colours.
  const colorOf = useMemo(
    () => new Map([...byDefault, ...allKeys.filter((k) => !byDefault.includes(k))].map((k, i) => [k, PALETTE[i % PALETTE.length]!])),
    [allKeys, byDefault],
  );

  const choose = (keys: string[]) => {
    const all = keys.length === byDefault.length && byDefault.every((k) => keys.includes(k));
    set({ keys: all ? null : keys.length === 0 ? '-' : keys });
  };

  if (allKeys.length === 0) {
    return (
      <EmptyState title="No metrics in this run">
        <p>Metrics are lines a stage writes with the Python SDK while it runs, for example:</p>
        <pre>{'import reprise\nreprise.log(step=epoch, loss=loss, accuracy=acc)'}</pre>
        <p>{active ? 'They will appear here as they arrive.' : 'Add such a line to a stage and start a new run with reprise run.'}</p>
      </EmptyState>
    );
  }

  return (
    <div className="run-charts">
      <ChartControls settings={chartSettings}>
        <input
          type="search"
          className="key-filter"
          placeholder="Filter metrics by name"
          value={match}
          data-testid="key-filter"
          onChange={(e) => set({ match: e.target.value })}
        />
      </ChartControls>
      <KeyPicker all={allKeys} chosen={chosen} onChange={choose} />
      <p className="muted chart-help">
        {shown.length === allKeys.length ? `${shown.length} charts.` : `${shown.length} of ${allKeys.length} charts.`} Drag across a chart to zoom every chart in; double-click to zoom out.
      </p>
      {shown.length === 0 ? (
        <p className="muted" data-testid="no-charts">
          No metric matches the filter or the choice above.
        </p>
      ) : (
        <div className="charts" data-testid="charts">
          {shown.map((k) => (
            <KeyChart key={k} metricKey={k} color={colorOf.get(k)!} store={store} settings={settings} />
          ))}
        </div>
      )}
    </div>
  );
}
