/**
 * TensorBoard's distribution view of one histogram key, drawn by uPlot: over steps, bands
 * between symmetric percentiles (the widest palest, so the middle is darkest) and the
 * median as a line on top. The numbers drawn are also in a table that only screen readers
 * see (and tests read).
 */
import { useEffect, useMemo, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { finiteOrGap } from '../chart-data.js';
import { BAND_PAIRS, DISTRIBUTION_PERCENTILES, MEDIAN_INDEX, percentileLabel, type DistributionData } from '../distribution-data.js';
import { formatNumber } from '../format.js';
import { useUplot } from '../use-uplot.js';

/** Each band's fill; nested bands add up, so the inner ones come out darker. */
const BAND_ALPHA = '2e';
const EDGE_ALPHA = '40';

export function DistributionChart({ title, data, color, height = 260, syncKey }: { title: string; data: DistributionData; color: string; height?: number; syncKey?: string }) {
  const aligned = useMemo<uPlot.AlignedData>(() => [data.steps, ...data.percentiles.map((col) => finiteOrGap(col))], [data]);
  const shape = `${title}|${color}|${height}|${syncKey ?? ''}`;
  const [cursorIdx, setCursorIdx] = useState<number | null>(null);

  const { box, plot } = useUplot(
    shape,
    height,
    () => {
      // A lone step has no band to fill: its median is shown as a point.
      const lone = (u: uPlot) => (u.data[0]?.length ?? 0) === 1;
      const series: uPlot.Series[] = [
        { label: 'step' },
        ...DISTRIBUTION_PERCENTILES.map((p, i): uPlot.Series => {
          const median = i === MEDIAN_INDEX;
          return {
            label: percentileLabel(p),
            stroke: median ? color : `${color}${EDGE_ALPHA}`,
            width: median ? 2 : 1,
            spanGaps: false,
            points: median ? { show: lone, size: 7, fill: color } : { show: false },
          };
        }),
      ];
      // No title inside the chart: its card is headed with the key.
      return {
        series,
        // uPlot counts series from 1 (0 is x); a band fills from its upper edge down to its lower.
        bands: BAND_PAIRS.map(([lo, hi]) => ({ series: [hi + 1, lo + 1], fill: `${color}${BAND_ALPHA}` })),
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, {}],
        cursor: { drag: { x: false, y: false }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
        // Nine entries would crowd the chart: the readout below says what matters in words.
        legend: { show: false },
        hooks: { setCursor: [(u) => setCursorIdx(u.cursor.idx ?? null)] },
      };
    },
    aligned,
  );

  useEffect(() => {
    plot.current?.setData(aligned);
  }, [aligned, shape]);

  return (
    <>
      <div className="chart distribution-chart" ref={box} data-testid="distribution-chart" data-title={title} />
      <Readout data={data} idx={cursorIdx} />
    </>
  );
}

/** What each of BAND_PAIRS holds. */
const BAND_WORDS = ['all', 'middle 87%', 'middle 68%', 'middle 38%'];

/** The values at the step under the pointer, else at the last step, in words. */
function Readout({ data, idx }: { data: DistributionData; idx: number | null }) {
  const n = data.steps.length;
  const j = idx !== null && idx >= 0 && idx < n ? idx : n - 1;
  if (j < 0) return null;
  const at = (i: number) => formatNumber(data.percentiles[i]![j]);
  return (
    <div className="distribution-readout" data-testid="distribution-readout" data-step={data.steps[j]}>
      <span className="readout-step">{idx === null ? 'last step' : 'step'} {data.steps[j]}</span>
      <span>
        median <strong>{at(MEDIAN_INDEX)}</strong>
      </span>
      {/* The narrowest band first, as a reader widens their view. */}
      {[3, 2, 1, 0].map((b) => (
        <span key={b}>
          {BAND_WORDS[b]} {at(BAND_PAIRS[b]![0])} to {at(BAND_PAIRS[b]![1])}
        </span>
      ))}
    </div>
  );
}

/** The chart's numbers, a row per step: for screen readers, and what tests check the bands against. */
export function DistributionTable({ title, data }: { title: string; data: DistributionData }) {
  return (
    <table className="visually-hidden" data-testid="distribution-table" data-key={title}>
      <caption>Percentiles of {title} by step</caption>
      <thead>
        <tr>
          <th scope="col">step</th>
          {DISTRIBUTION_PERCENTILES.map((p) => (
            <th key={p} scope="col">
              {percentileLabel(p)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {Array.from(data.steps, (step, j) => (
          <tr key={step} data-step={step}>
            <th scope="row">{step}</th>
            {data.percentiles.map((col, i) => (
              <td key={i} data-percentile={DISTRIBUTION_PERCENTILES[i]} data-value={String(col[j])}>
                {formatNumber(col[j])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
