/**
 * A production model's traffic as charts (uPlot, as every chart of the UI): requests and
 * errors per minute, p50 and p99 latency per minute; and, where ground truth came back,
 * live accuracy or mean absolute error per drift window. Minutes without requests count
 * as none; latency has a gap there. The charts move their cursors together.
 */
import { useMemo } from 'react';
import type { DriftWindow, TrafficPoint } from '../api.js';
import { liveColumns, trafficColumns } from '../production-words.js';
import { MetricChart, type ChartSeries } from './metric-chart.js';

const SYNC = 'production';
const HEIGHT = 240;

export function TrafficCharts({ traffic, from, to }: { traffic: readonly TrafficPoint[]; from: number; to: number }) {
  const columns = useMemo(() => trafficColumns(traffic, from, to), [traffic, from, to]);
  const counts: ChartSeries[] = useMemo(
    () => [
      { label: 'requests', x: columns.x, y: columns.requests, color: '#2563eb' },
      { label: 'errors', x: columns.x, y: columns.errors, color: '#dc2626' },
    ],
    [columns],
  );
  const latency: ChartSeries[] = useMemo(
    () => [
      { label: 'p50 ms', x: columns.x, y: columns.p50, color: '#16a34a' },
      { label: 'p99 ms', x: columns.x, y: columns.p99, color: '#ea580c' },
    ],
    [columns],
  );
  return (
    <div className="charts production-charts" data-testid="traffic-charts">
      <MetricChart title="Requests and errors per minute" series={counts} xTime height={HEIGHT} syncKey={SYNC} />
      <MetricChart title="Latency per minute (ms)" series={latency} xTime height={HEIGHT} syncKey={SYNC} />
    </div>
  );
}

/** Live accuracy and mean absolute error per window; nothing where no ground truth came back. */
export function LiveCharts({ windows }: { windows: readonly DriftWindow[] }) {
  const live = useMemo(() => liveColumns(windows), [windows]);
  const accuracy: ChartSeries[] = useMemo(() => (live.accuracy ? [{ label: 'accuracy', ...live.accuracy, color: '#9333ea' }] : []), [live]);
  const error: ChartSeries[] = useMemo(() => (live.meanAbsoluteError ? [{ label: 'mean absolute error', ...live.meanAbsoluteError, color: '#0891b2' }] : []), [live]);
  if (accuracy.length === 0 && error.length === 0) return null;
  return (
    <div className="charts production-charts" data-testid="live-charts">
      {accuracy.length > 0 ? <MetricChart title="Live accuracy per window" series={accuracy} xTime height={HEIGHT} /> : null}
      {error.length > 0 ? <MetricChart title="Mean absolute error per window" series={error} xTime height={HEIGHT} /> : null}
    </div>
  );
}
