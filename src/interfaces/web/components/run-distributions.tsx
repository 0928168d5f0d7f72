/**
 * A run's histograms, a card per key, each shown as TensorBoard shows them: as a
 * distribution over steps (percentile bands and the median) or as the histograms of a
 * few steps stacked (`hist=` lists the keys shown so). Histories load a few keys at a
 * time; while the run goes, a key reloads when new points for it are announced (at most
 * once a second per key), and keys first seen in events get cards.
 */
import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { api, isActiveStatus, type HistogramHistory, type HistogramSeriesInfo, type RunDetails } from '../api.js';
import { distributionOf, ridgelineOf } from '../distribution-data.js';
import { plural } from '../format.js';
import { useKeyState, useShownKeyLoads, type KeyedStore } from '../keyed-loads.js';
import { useFetch } from '../use-fetch.js';
import { eventKeys } from '../use-run-events.js';
import { useUrlState } from '../url-state.js';
import { DistributionChart, DistributionTable } from './distribution-chart.js';
import { EmptyState, LoadError } from './empty-state.js';
import { HistogramRidgeline } from './histogram-ridgeline.js';
import { PALETTE } from './metric-chart.js';
import type { SubscribeRunEvents } from './run-live.js';

/** Points per key: enough for a smooth distribution; each point carries every bucket, so not many more. */
const POINTS = 100;
/** Three keys at once: a history of many buckets is heavy. */
const LOADS = { parallel: 3, reloadMs: 1000 } as const;

const loadHistory = (runId: string, key: string, signal: AbortSignal) => api.histogramHistory(runId, key, POINTS, signal);

type View = 'distribution' | 'histograms';

function stepSpan(h: HistogramHistory): string {
  const first = h.points[0]?.step;
  const last = h.points[h.points.length - 1]?.step;
  if (first === undefined || last === undefined) return 'no points yet';
  const span = first === last ? `step ${first}` : `steps ${first} to ${last}`;
  return `${plural(h.total, 'point')}, ${span}`;
}

function ViewToggle({ view, onChange }: { view: View; onChange: (v: View) => void }) {
  return (
    <span className="segmented" role="group" aria-label="Show as">
      <button type="button" data-testid="view-distribution" aria-pressed={view === 'distribution'} onClick={() => onChange('distribution')}>
        Distribution
      </button>
      <button type="button" data-testid="view-histograms" aria-pressed={view === 'histograms'} onClick={() => onChange('histograms')}>
        Histograms
      </button>
    </span>
  );
}

const KeyCard = memo(function KeyCard({
  histKey,
  info,
  color,
  view,
  onView,
  store,
  syncKey,
}: {
  histKey: string;
  info: HistogramSeriesInfo | undefined;
  color: string;
  view: View;
  onView: (key: string, v: View) => void;
  store: KeyedStore<HistogramHistory>;
  syncKey: string;
}) {
  const state = useKeyState(store, histKey);
  const history = state?.data;
  const distribution = useMemo(() => (history && view === 'distribution' ? distributionOf(history.points) : null), [history, view]);
  const ridgeline = useMemo(() => (history && view === 'histograms' ? ridgelineOf(history.points) : null), [history, view]);
  const sampled = history && history.total > history.points.length;

  let body: React.ReactNode;
  if (!history) body = state?.error ? <div className="error-text">Could not load: {state.error.message}</div> : <div className="muted">Loading…</div>;
  else if (history.points.length === 0) body = <div className="muted">No points yet.</div>;
  else if (distribution)
    body = (
      <>
        <DistributionChart title={histKey} data={distribution} color={color} syncKey={syncKey} />
        <DistributionTable title={histKey} data={distribution} />
      </>
    );
  else if (ridgeline) body = <HistogramRidgeline title={histKey} data={ridgeline} color={color} />;

  return (
    <section className="card hist-card" data-testid="histogram-card" data-key={histKey} data-view={view}>
      <div className="hist-card-head">
        <h3 className="mono">{histKey}</h3>
        <ViewToggle view={view} onChange={(v) => onView(histKey, v)} />
      </div>
      <div className="hist-card-meta muted">
        {history ? stepSpan(history) : info ? `${plural(info.count, 'point')}, steps ${info.firstStep} to ${info.lastStep}` : ''}
        {sampled ? ` (${history.points.length} of them shown, spread over the run)` : ''}
        {ridgeline && ridgeline.ridges.length < ridgeline.steps ? `; ${ridgeline.ridges.length} of their ${ridgeline.steps} steps drawn` : ''}
      </div>
      {body}
      {history && state?.error ? <div className="error-text">Could not reload: {state.error.message}</div> : null}
    </section>
  );
});

/** The histogram keys: those the server lists, and those first seen in live events. */
function useHistogramKeys(runId: string, subscribe: SubscribeRunEvents, active: boolean) {
  const listed = useFetch((signal) => api.histograms(runId, signal), [runId]);
  const [seen, setSeen] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    if (!active) return;
    return subscribe((e) => {
      if (e.type !== 'histograms') return;
      const keys = eventKeys(e);
      setSeen((prev) => (keys.every((k) => prev.has(k)) ? prev : new Set([...prev, ...keys])));
    });
  }, [subscribe, active]);
  const infos = listed.data;
  const all = useMemo(() => [...new Set([...(infos ?? []).map((h) => h.key), ...seen])].sort(), [infos, seen]);
  const info = useMemo(() => new Map((infos ?? []).map((h) => [h.key, h])), [infos]);
  return { all, info, loaded: infos !== undefined, error: listed.error, reload: listed.reload };
}

export function RunDistributions({ details, subscribe }: { details: RunDetails; subscribe: SubscribeRunEvents }) {
  const runId = details.run.id;
  const active = isActiveStatus(details.run.status);
  const url = useUrlState();
  const keys = useHistogramKeys(runId, subscribe, active);
  const match = url.get('hmatch');
  const shown = useMemo(() => {
    const needle = match.trim().toLowerCase();
    return needle === '' ? keys.all : keys.all.filter((k) => k.toLowerCase().includes(needle));
  }, [keys.all, match]);
  const histogramsRaw = url.get('hist');
  const asHistograms = useMemo(() => new Set(histogramsRaw.split(',').filter(Boolean)), [histogramsRaw]);

  const store = useShownKeyLoads({
    runId,
    fetchKey: loadHistory,
    loads: LOADS,
    shown,
    active,
    subscribe,
    eventType: 'histograms',
    // Keys first written after the last event get cards too.
    onEnd: keys.reload,
  });

  const set = url.set;
  const onView = useCallback(
    (key: string, v: View) => {
      const next = new Set(asHistograms);
      if (v === 'histograms') next.add(key);
      else next.delete(key);
      set({ hist: [...next].sort() });
    },
    [asHistograms, set],
  );
  const colorOf = useMemo(() => new Map(keys.all.map((k, i) => [k, PALETTE[i % PALETTE.length]!])), [keys.all]);

  if (keys.error && !keys.loaded) return <LoadError error={keys.error} />;
  if (!keys.loaded && keys.all.length === 0) return <p className="muted">Loading histograms…</p>;
  if (keys.all.length === 0) {
    return (
      <EmptyState title="No histograms in this run">
        <p>A histogram records how a tensor's values were spread at a step: weights, gradients, activations. A stage logs one with the Python SDK:</p>
        <pre>{'import reprise\nreprise.log_histogram("layer1/weights", weights, step=epoch)'}</pre>
        <p>
          TensorBoard histograms count too: a stage that writes TensorBoard event files to the folder in <code>REPRISE_TB_DIR</code> has them
          recorded as it goes, and <code>reprise import-tb LOGDIR</code> records the runs of a TensorBoard log directory, histograms included.
        </p>
        <p>{active ? 'They will appear here as they arrive.' : 'Log some in a stage and start a new run with reprise run.'}</p>
      </EmptyState>
    );
  }

  return (
    <div className="run-distributions">
      <div className="toolbar">
        <input
          type="search"
          className="key-filter"
          placeholder="Filter histograms by name"
          value={match}
          data-testid="histogram-filter"
          onChange={(e) => set({ hmatch: e.target.value })}
        />
        <button type="button" data-testid="all-distribution" onClick={() => set({ hist: null })}>
          All as distributions
        </button>
        <button type="button" data-testid="all-histograms" onClick={() => set({ hist: [...keys.all] })}>
          All as histograms
        </button>
      </div>
      <p className="muted chart-help">
        {shown.length === keys.all.length ? `${plural(shown.length, 'histogram')}.` : `${shown.length} of ${plural(keys.all.length, 'histogram')}.`} A distribution shades the
        range of each step's values: the bands hold the middle 38%, 68% and 87% of them, the palest all, the line is the median. Histograms stack the
        steps, the latest in front.
      </p>
      {keys.error ? <LoadError error={keys.error} /> : null}
      {shown.length === 0 ? (
        <p className="muted" data-testid="no-histograms">
          No histogram matches the filter.
        </p>
      ) : (
        <div className="hist-cards" data-testid="histogram-cards">
          {shown.map((k) => (
            <KeyCard
              key={k}
              histKey={k}
              info={keys.info.get(k)}
              color={colorOf.get(k)!}
              view={asHistograms.has(k) ? 'histograms' : 'distribution'}
              onView={onView}
              store={store}
              syncKey={`hist-${runId}`}
            />
          ))}
        </div>
      )}
    </div>
  );
}
