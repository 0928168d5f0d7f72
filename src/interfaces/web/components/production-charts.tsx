/**
 * A production model's traffic as charts (uPlot, as every chart of the UI): requests and
 * errors per minute, p50 and p99 latency per minute; and, where ground truth came back,
 * live accuracy or mean absolute error per drift window. Minutes without requests count
 * as none; latency is left blank there rather than drawn across, so a quiet hour does not
 * read as a slow one. The charts move their cursors together; drag to zoom, double-click
 * to zoom out.
 */
import { useEffect, useMemo } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DriftWindow, TrafficPoint } from '../api.js';
import { finiteOrGap } from '../chart-data.js';
import { liveColumns, trafficColumns } from '../production-words.js';
import { useUplot } from '../use-uplot.js';

const SYNC = 'production';
const HEIGHT = 240;

interface Line {
  readonly label: string;
  readonly y: Float64Array;
  readonly color: string;
}

/** Time ticks in the reader's clock, day before month: times within two days, dates with times beyond. */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const { min = 0, max = 0 } = u.scales.x ?? {};
  const format: Intl.DateTimeFormatOptions = max - min > 2 * 86_400 ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
  return splits.map((s) => new Date(s * 1000).toLocaleString('en-GB', format));
}

/** One chart over time (x in UTC ms); `points` marks each value, for series of a few points a window. */
function TimeChart({ title, x, lines, points = false, sync }: { title: string; x: Float64Array; lines: readonly Line[]; points?: boolean; sync?: boolean }) {
  const data = useMemo<uPlot.AlignedData>(() => [Float64Array.from(x, (v) => v / 1000), ...lines.map((l) => finiteOrGap(l.y))], [x, lines]);
  const shape = `${title}|${lines.map((l) => l.label).join('\u0000')}|${points}`;
  const { box, plot } = useUplot(
    shape,
    HEIGHT,
    () => ({
      title,
      scales: { x: { time: true } },
      series: [{ label: 'time' }, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, spanGaps: false, points: { show: points, size: 6, fill: l.color } }))],
      axes: [{ values: timeTicks }, {}],
      cursor: { drag: { x: true, y: false }, ...(sync ? { sync: { key: SYNC } } : {}) },
      legend: { show: true, live: true },
    }),
    data,
  );
  useEffect(() => {
    plot.current?.setData(data);
  }, [data, plot]);
  return <div className="chart" ref={box} data-testid="production-chart" data-title={title} />;
}

export function TrafficCharts({ traffic, from, to }: { traffic: readonly TrafficPoint[]; from: number; to: number }) {
  const columns = useMemo(() => trafficColumns(traffic, from, to), [traffic, from, to]);
  const counts = useMemo<Line[]>(
    () => [
      { label: 'requests', y: columns.requests, color: '#2563eb' },
      { label: 'errors', y: columns.errors, color: '#dc2626' },
    ],
    [columns],
  );
  const latency = useMemo<Line[]>(
    () => [
      { label: 'p50 ms', y: columns.p50, color: '#16a34a' },
      { label: 'p99 ms', y: columns.p99, color: '#ea580c' },
    ],
    [columns],
  );
  return (
    <div className="charts production-charts" data-testid="traffic-charts">
      <TimeChart title="Requests and errors per minute" x={columns.x} lines={counts} sync />
      <TimeChart title="Latency per minute (ms)" x={columns.x} lines={latency} sync />
    </div>
  );
}

/** Live accuracy and mean absolute error per window; nothing where no ground truth came back. */
export function LiveCharts({ windows }: { windows: readonly DriftWindow[] }) {
  const live = useMemo(() => liveColumns(windows), [windows]);
  const accuracy = useMemo<Line[]>(() => (live.accuracy ? [{ label: 'accuracy', y: live.accuracy.y, color: '#9333ea' }] : []), [live]);
  const error = useMemo<Line[]>(() => (live.meanAbsoluteError ? [{ label: 'mean absolute error', y: live.meanAbsoluteError.y, color: '#0891b2' }] : []), [live]);
  if (!live.accuracy && !live.meanAbsoluteError) return null;
  return (
    <div className="charts production-charts" data-testid="live-charts">
      {live.accuracy ? <TimeChart title="Live accuracy per window" x={live.accuracy.x} lines={accuracy} points /> : null}
      {live.meanAbsoluteError ? <TimeChart title="Mean absolute error per window" x={live.meanAbsoluteError.x} lines={error} points /> : null}
    </div>
  );
}
