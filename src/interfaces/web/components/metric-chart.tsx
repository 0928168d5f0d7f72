/**
 * One chart of metric series, drawn by uPlot on a canvas: many series overlaid, x as step
 * or wall time, smoothing (the raw line stays, faint), a log y axis, drag to zoom on x
 * and double-click to zoom out. Series arrive already downsampled by the server.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { finiteOrGap, forLogAxis, smooth } from '../chart-data.js';
import { useUplot } from '../use-uplot.js';

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export interface ChartSeries {
  readonly label: string;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly color?: string;
}

export interface MetricChartProps {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** x values are epoch milliseconds (wall time) rather than steps. */
  readonly xTime?: boolean;
  readonly logY?: boolean;
  /** 0 (none) to 0.99. */
  readonly smoothing?: number;
  readonly height?: number;
  /** An x range to show, e.g. from the URL; changed by dragging. */
  readonly zoom?: readonly [number, number] | null;
  readonly onZoom?: (range: [number, number] | null) => void;
  /** Charts with the same key move their cursors together. */
  readonly syncKey?: string;
}

/** A series of one point draws no line: its point is shown instead (a short run's system samples). */
function lonePoint(u: uPlot, seriesIdx: number): boolean {
  let n = 0;
  for (const v of u.data[seriesIdx] ?? []) if (v !== null && v !== undefined && ++n > 1) return false;
  return n === 1;
}

function aligned(series: readonly ChartSeries[], xTime: boolean, logY: boolean, smoothing: number): uPlot.AlignedData {
  const shown = (y: ArrayLike<number>) => (logY ? forLogAxis(y) : finiteOrGap(y));
  const tables: uPlot.AlignedData[] = series.map((s) => {
    const x = xTime ? Float64Array.from(s.x, (v) => v / 1000) : s.x;
    return smoothing > 0 ? [x, shown(s.y), shown(smooth(s.y, smoothing))] : [x, shown(s.y)];
  });
  if (tables.length === 1) return tables[0]!;
  if (tables.length === 0) return [[]];
  // Series have their own x values; join puts them on one x, gaps where a series has none.
  return uPlot.join(tables);
}

/** Time ticks in the reader's clock, day before month: times within two days, dates beyond, both in between. */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const { min = 0, max = 0 } = u.scales.x ?? {};
  const span = max - min;
  const DAY = 86_400;
  const format: Intl.DateTimeFormatOptions =
    span > 20 * DAY
      ? { day: 'numeric', month: 'short' }
      : span > 2 * DAY
        ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }
        : { hour: '2-digit', minute: '2-digit', ...(span < 600 ? { second: '2-digit' } : {}) };
  return splits.map((s) => new Date(s * 1000).toLocaleString('en-GB', format));
}

export function MetricChart(props: MetricChartProps) {
  const { title, series, xTime = false, logY = false, smoothing = 0, height = 260, zoom, onZoom, syncKey } = props;
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const shownZoom = useRef<readonly [number, number] | null>(zoom ?? null);
  shownZoom.current = zoom ?? null;
  const data = useMemo(() => aligned(series, xTime, logY, smoothing), [series, xTime, logY, smoothing]);
  const shape = `${series.map((s) => s.label).join('\u0000')}|${xTime}|${logY}|${smoothing > 0}|${height}|${title}`;

  // A new uPlot when what the series are changes; only new data otherwise.
  const { box, plot } = useUplot(
    shape,
    height,
    () => {
      const lines: uPlot.Series[] = [{ label: xTime ? 'time' : 'step' }];
      series.forEach((s, i) => {
        const color = s.color ?? PALETTE[i % PALETTE.length]!;
        if (smoothing > 0) {
          lines.push({ label: `${s.label} (raw)`, stroke: `${color}44`, width: 1, spanGaps: true, points: { show: false } });
          lines.push({ label: s.label, stroke: color, width: 2, spanGaps: true, points: { show: false } });
        } else {
          lines.push({ label: s.label, stroke: color, width: 1.5, spanGaps: true, points: { show: lonePoint, size: 7, fill: color } });
        }
      });
      return {
        title,
        scales: { x: { time: xTime }, y: logY ? { distr: 3 } : {} },
        series: lines,
        axes: [xTime ? { values: timeTicks } : { label: 'step' }, {}],
        cursor: { drag: { x: true, y: false }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
        legend: { show: true, live: true },
        hooks: {
          setScale: [
            (u, key) => {
              if (key !== 'x' || !zoomRef.current) return;
              const xs = u.data[0];
              const { min, max } = u.scales.x ?? {};
              if (!xs || xs.length === 0 || min === undefined || max === undefined) return;
              const full = min <= (xs[0] as number) && max >= (xs[xs.length - 1] as number);
              const scale = xTime ? 1000 : 1;
              const next: [number, number] | null = full ? null : [min * scale, max * scale];
              const cur = shownZoom.current;
              // Applying the zoom we were given fires this hook too: no echo back.
              if (next === null ? cur === null : cur !== null && Math.abs(cur[0] - next[0]) < 1e-9 && Math.abs(cur[1] - next[1]) < 1e-9) return;
              zoomRef.current(next);
            },
          ],
        },
      };
    },
    data,
  );

  const [zoomMin, zoomMax] = zoom ?? [undefined, undefined];
  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data, zoomMin === undefined);
    if (zoomMin !== undefined && zoomMax !== undefined) {
      const scale = xTime ? 1000 : 1;
      u.setScale('x', { min: zoomMin / scale, max: zoomMax / scale });
    }
  }, [data, zoomMin, zoomMax, xTime, shape]);

  return <div className="chart" ref={box} data-testid="metric-chart" data-title={title} />;
}
