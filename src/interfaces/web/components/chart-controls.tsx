/**
 * The settings every page of metric charts shares, kept in the URL so a link shows the
 * same charts: x axis (`x=time`, step by default), smoothing (`smooth=0.6`), log scale
 * (`log=1`) and the zoomed x range (`zoom=min,max`).
 */
import { useCallback, useMemo } from 'react';
import { useUrlState } from '../url-state.js';

export interface ChartSettings {
  readonly xTime: boolean;
  readonly logY: boolean;
  readonly smoothing: number;
  readonly zoom: readonly [number, number] | null;
  readonly onZoom: (range: [number, number] | null) => void;
}

function parseZoom(raw: string): readonly [number, number] | null {
  const [a, b] = raw.split(',').map(Number);
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && a < b ? [a, b] : null;
}

export function useChartSettings(): ChartSettings {
  const url = useUrlState();
  const xTime = url.get('x') === 'time';
  const logY = url.getFlag('log');
  const smoothing = Math.min(0.99, Math.max(0, url.getNumber('smooth', 0)));
  const zoomRaw = url.get('zoom');
  const zoom = useMemo(() => parseZoom(zoomRaw), [zoomRaw]);
  const set = url.set;
  // Rounded so the address stays short: whole milliseconds on a time axis, 8 digits on steps.
  const onZoom = useCallback(
    (range: [number, number] | null) => set({ zoom: range ? range.map((v) => (xTime ? Math.round(v) : Number(v.toPrecision(8)))).join(',') : null }),
    [set, xTime],
  );
  return useMemo(() => ({ xTime, logY, smoothing, zoom, onZoom }), [xTime, logY, smoothing, zoom, onZoom]);
}

/** The toolbar that changes them; `children` adds a page's own controls. */
export function ChartControls({ settings, children }: { settings: ChartSettings; children?: React.ReactNode }) {
  const { set } = useUrlState();
  const { xTime, logY, smoothing, zoom } = settings;
  return (
    <div className="toolbar chart-controls">
      <label>
        X axis
        <select data-testid="x-axis" value={xTime ? 'time' : 'step'} onChange={(e) => set({ x: e.target.value === 'time' ? 'time' : null, zoom: null })}>
          <option value="step">step</option>
          <option value="time">wall time</option>
        </select>
      </label>
      <label>
        Smoothing
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={smoothing}
          data-testid="smoothing"
          onChange={(e) => set({ smooth: Number(e.target.value) > 0 ? e.target.value : null })}
        />
        <span className="mono smoothing-value">{smoothing.toFixed(2)}</span>
      </label>
      <label>
        <input type="checkbox" data-testid="log-scale" checked={logY} onChange={(e) => set({ log: e.target.checked })} />
        Log scale
      </label>
      {children}
      <button type="button" data-testid="reset-zoom" disabled={zoom === null} onClick={() => set({ zoom: null })}>
        Reset zoom
      </button>
    </div>
  );
}
