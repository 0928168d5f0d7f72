/**
 * TensorBoard's offset view of one histogram key, drawn as SVG: a few steps' histograms as
 * outlines stacked one above the other, the oldest at the back (top), later steps lower and
 * in front, each labelled with its step on the right. Hovering shows the step under the
 * pointer and its bucket there as written (left edge, right edge, count).
 */
import { useMemo, useRef, useState, type MouseEvent } from 'react';
import { niceTicks } from '../sweep-data.js';
import { bucketAt, type RidgelineData } from '../distribution-data.js';
import { formatNumber } from '../format.js';
import type { HistogramBucket } from '../api.js';

const WIDTH = 640;
const M = { top: 8, right: 92, bottom: 30, left: 14 };
const PLOT_W = WIDTH - M.left - M.right;
/** How high the highest bin of all steps stands above its baseline. */
const AMPLITUDE = 64;
/** Room the stacked baselines take at most, and the most between two of them (a few steps are not spread far apart). */
const STACK = 210;
const MAX_OFFSET = 24;
/** Least room between two step labels. */
const LABEL_GAP = 12;

/** Which ridges carry a step label: every `every`-th from the first, and the last (its neighbour dropped when too close). */
function labelledRidges(n: number, every: number): ReadonlySet<number> {
  const out = new Set<number>();
  for (let i = 0; i < n; i += every) out.add(i);
  const last = n - 1;
  const before = last - (last % every);
  if (last >= 0 && !out.has(last)) {
    if (before > 0 && last - before < every) out.delete(before);
    out.add(last);
  }
  return out;
}

interface Hover {
  index: number;
  bucket: HistogramBucket | undefined;
  /** Where the card goes, in pixels within the chart's box. */
  x: number;
  y: number;
  flip: boolean;
}

export function HistogramRidgeline({ title, data, color }: { title: string; data: RidgelineData; color: string }) {
  const { lo, hi, bins, peak, ridges } = data;
  const n = ridges.length;
  const offset = n > 1 ? Math.min(MAX_OFFSET, STACK / (n - 1)) : 0;
  const height = M.top + AMPLITUDE + (n - 1) * offset + M.bottom;
  const baseline = (i: number) => M.top + AMPLITUDE + i * offset;
  const xOf = (v: number) => M.left + ((v - lo) / (hi - lo)) * PLOT_W;
  const labelled = useMemo(() => labelledRidges(n, offset > 0 ? Math.max(1, Math.ceil(LABEL_GAP / offset)) : 1), [n, offset]);

  const paths = useMemo(
    () =>
      ridges.map((r, i) => {
        const base = baseline(i);
        const binW = PLOT_W / bins;
        const pts = Array.from(r.heights, (h, b) => `L${(M.left + (b + 0.5) * binW).toFixed(1)},${(base - (peak > 0 ? (h / peak) * AMPLITUDE : 0)).toFixed(1)}`);
        return `M${M.left},${base.toFixed(1)}${pts.join('')}L${M.left + PLOT_W},${base.toFixed(1)}Z`;
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [ridges, bins, peak, offset],
  );

  const box = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<Hover | undefined>(undefined);

  const onMove = (e: MouseEvent) => {
    const el = svg.current;
    const ctm = el?.getScreenCTM();
    if (!el || !ctm || n === 0) return;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
    if (p.x < M.left || p.x > M.left + PLOT_W) {
      setHover(undefined);
      return;
    }
    // A ridge rises above its baseline: the pointer is on the first whose baseline is at or below it.
    let index = ridges.findIndex((_, i) => baseline(i) + 0.5 >= p.y);
    if (index < 0) index = n - 1;
    const value = lo + ((p.x - M.left) / PLOT_W) * (hi - lo);
    const r = box.current?.getBoundingClientRect();
    const x = e.clientX - (r?.left ?? 0);
    setHover({ index, bucket: bucketAt(ridges[index]!.buckets, value), x, y: e.clientY - (r?.top ?? 0), flip: x > (r?.width ?? 0) - 240 });
  };

  const hovered = hover ? ridges[hover.index] : undefined;
  const ticks = niceTicks(lo, hi, 5);
  return (
    <div className="ridgeline" ref={box}>
      <svg
        ref={svg}
        className="ridgeline-svg"
        viewBox={`0 0 ${WIDTH} ${height}`}
        data-testid="ridgeline"
        data-key={title}
        data-ridges={n}
        data-lo={lo}
        data-hi={hi}
        role="img"
        aria-label={`Histograms of ${title} at ${n} steps, from step ${ridges[0]?.step ?? ''} to step ${ridges[n - 1]?.step ?? ''}`}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(undefined)}
      >
        {ridges.map((r, i) => (
          <g key={r.step} data-testid="ridge" data-step={r.step} className={hover?.index === i ? 'ridge hovered' : 'ridge'}>
            <path
              d={paths[i]}
              stroke={color}
              // Older steps fade, so the latest stand out.
              strokeOpacity={n > 1 ? 0.35 + (0.65 * i) / (n - 1) : 1}
            />
            {labelled.has(i) ? (
              <text className="ridge-step" x={M.left + PLOT_W + 8} y={baseline(i) + 4}>
                step {r.step}
              </text>
            ) : null}
          </g>
        ))}
        {hover && hovered && hover.bucket ? (
          <rect
            className="ridge-bucket"
            x={xOf(Math.max(lo, hover.bucket[0]))}
            width={Math.max(1.5, xOf(Math.min(hi, hover.bucket[1])) - xOf(Math.max(lo, hover.bucket[0])))}
            y={baseline(hover.index) - AMPLITUDE}
            height={AMPLITUDE}
            fill={color}
          />
        ) : null}
        <g className="ridge-axis">
          <line x1={M.left} x2={M.left + PLOT_W} y1={height - M.bottom + 4} y2={height - M.bottom + 4} />
          {ticks.map((t) => (
            <text key={t} x={xOf(t)} y={height - M.bottom + 20} textAnchor="middle">
              {formatNumber(t)}
            </text>
          ))}
        </g>
      </svg>
      {hover && hovered ? (
        <div
          className="chart-hover"
          role="tooltip"
          data-testid="ridge-hover"
          data-step={hovered.step}
          data-left={hover.bucket?.[0]}
          data-right={hover.bucket?.[1]}
          data-count={hover.bucket?.[2]}
          style={{ left: hover.flip ? hover.x - 14 : hover.x + 14, top: hover.y + 14, transform: hover.flip ? 'translateX(-100%)' : undefined }}
        >
          <strong>step {hovered.step}</strong>
          {hover.bucket ? (
            <>
              <div>
                bucket {formatNumber(hover.bucket[0])} to {formatNumber(hover.bucket[1])}
              </div>
              <div>count {formatNumber(hover.bucket[2])}</div>
            </>
          ) : (
            <div className="muted">no buckets</div>
          )}
        </div>
      ) : null}
    </div>
  );
}
