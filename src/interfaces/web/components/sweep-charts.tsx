/**
 * The sweep page's two pictures, drawn as SVG: parallel coordinates (an axis per swept
 * param and one for the metric, a line per run coloured from worst to best) and a
 * scatter of one param against the metric. Hovering a run shows what it is; clicking
 * opens it.
 */
import { useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import type { RunRow } from '../api.js';
import { formatNumber, formatParam } from '../format.js';
import { paths } from '../paths.js';
import {
  GRADIENT_STOPS,
  axisPosition,
  metricLabel,
  metricValue,
  niceTicks,
  paramOf,
  quality,
  qualityColour,
  type Agg,
  type Axis,
} from '../sweep-data.js';
import type { MetricGoal } from '../../../core/metric-goal.js';

/** What both charts are given. */
export interface SweepChartProps {
  rows: readonly RunRow[];
  /** One axis per swept param, in the spec's order. */
  axes: readonly Axis[];
  /** The metric's axis (its range over the runs that logged it). */
  metricAxis: Axis;
  metric: string;
  agg: Agg;
  goal: MetricGoal;
}

/** Drawn for a run that did not log the metric (yet). */
const NO_METRIC = '#9ca3af';
const WIDTH = 1000;
const HEIGHT = 380;

function colourOf(v: number | undefined, axis: Axis, goal: MetricGoal): string {
  return v === undefined ? NO_METRIC : qualityColour(quality(v, axis.min, axis.max, goal));
}

interface Hover {
  row: RunRow;
  x: number;
  y: number;
  /** Near the right edge the card opens to the left of the pointer. */
  flip: boolean;
}

/** A hover card that follows the pointer within the chart's box. */
function useHover() {
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover | undefined>(undefined);
  const at = (row: RunRow) => (e: MouseEvent) => {
    const r = box.current?.getBoundingClientRect();
    const x = e.clientX - (r?.left ?? 0);
    setHover({ row, x, y: e.clientY - (r?.top ?? 0), flip: x > (r?.width ?? 0) - 260 });
  };
  return { box, hover, at, leave: () => setHover(undefined) };
}

function HoverCard({ hover, lines }: { hover: Hover | undefined; lines: (row: RunRow) => ReactNode }) {
  if (!hover) return null;
  return (
    <div className="chart-hover" role="tooltip" data-testid="sweep-hover" style={{ left: hover.flip ? hover.x - 14 : hover.x + 14, top: hover.y + 14, transform: hover.flip ? 'translateX(-100%)' : undefined }}>
      <strong>{hover.row.name}</strong>
      {lines(hover.row)}
    </div>
  );
}

function Legend({ rows, metric, agg, goal, axis }: { rows: readonly RunRow[]; metric: string; agg: Agg; goal: MetricGoal; axis: Axis }) {
  if (!metric) return <p className="muted sweep-note">No run has logged a metric yet.</p>;
  if (!rows.some((r) => metricValue(r, metric, agg) !== undefined)) return <p className="muted sweep-note">No run has a value of {metricLabel(metric, agg)} yet.</p>;
  const [low, high] = goal === 'max' ? [axis.min, axis.max] : [axis.max, axis.min];
  return (
    <div className="sweep-legend">
      <span className="muted">{metricLabel(metric, agg)}</span>
      <span>{formatNumber(low)}</span>
      <span className="gradient" style={{ background: `linear-gradient(to right, ${GRADIENT_STOPS.worst}, ${GRADIENT_STOPS.best})` }} aria-hidden />
      <span>{formatNumber(high)}</span>
      <span className="muted">({goal === 'max' ? 'higher' : 'lower'} is better)</span>
      <span className="legend-none">
        <span className="swatch" style={{ background: NO_METRIC }} aria-hidden /> no value
      </span>
    </div>
  );
}

function paramLines(axes: readonly Axis[], metric: string, agg: Agg) {
  return function Lines(row: RunRow) {
    const v = metricValue(row, metric, agg);
    return (
      <>
        {axes.map((a) => (
          <div key={a.key}>
            {a.key} = {formatParam(paramOf(row, a.key))}
          </div>
        ))}
        <div>
          {metricLabel(metric, agg)} = {v === undefined ? 'none' : formatNumber(v)}
        </div>
      </>
    );
  };
}

/** Tick labels of an axis with where each sits (0 bottom to 1 top). */
function axisTicks(axis: Axis): { label: string; at: number }[] {
  if (axis.kind === 'category') return axis.categories.map((c) => ({ label: c.length > 14 ? `${c.slice(0, 13)}…` : c, at: axisPosition(axis, c) ?? 0.5 }));
  return (axis.values ?? niceTicks(axis.min, axis.max, 4)).map((t) => ({ label: formatNumber(t), at: axisPosition(axis, t) ?? 0.5 }));
}

const PC = { top: 44, bottom: 24, left: 70, right: 90 };
/** Longer axis titles are cut, the whole name in their tooltip. */
const TITLE_CHARS = 40;

function AxisTitle({ text, x, y, anchor }: { text: string; x: number; y: number; anchor: 'start' | 'middle' | 'end' }) {
  const shown = text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS - 1)}…` : text;
  const dx = anchor === 'start' ? -10 : anchor === 'end' ? 10 : 0;
  return (
    <text className="axis-title" x={x + dx} y={y} textAnchor={anchor}>
      {shown !== text ? <title>{text}</title> : null}
      {shown}
    </text>
  );
}

export function ParallelCoordinates({ rows, axes, metricAxis, metric, agg, goal }: SweepChartProps) {
  const navigate = useNavigate();
  const { box, hover, at, leave } = useHover();
  // Without a metric (none logged yet) only the params are drawn.
  const all = metric ? [...axes, metricAxis] : [...axes];
  const plotH = HEIGHT - PC.top - PC.bottom;
  const xOf = (i: number) => (all.length === 1 ? WIDTH / 2 : PC.left + (i * (WIDTH - PC.left - PC.right)) / (all.length - 1));
  const yOf = (pos: number) => PC.top + (1 - pos) * plotH;

  const lines = rows.map((row) => {
    const v = metricValue(row, metric, agg);
    const points: string[] = [];
    axes.forEach((a, i) => {
      const pos = axisPosition(a, paramOf(row, a.key));
      if (pos !== undefined) points.push(`${xOf(i).toFixed(1)},${yOf(pos).toFixed(1)}`);
    });
    // A run without the metric is drawn over the params only.
    const mpos = v === undefined ? undefined : axisPosition(metricAxis, v);
    if (mpos !== undefined) points.push(`${xOf(axes.length).toFixed(1)},${yOf(mpos).toFixed(1)}`);
    return { row, v, points: points.join(' '), colour: colourOf(v, metricAxis, goal) };
  });
  // The best runs are drawn last, so they stay on top where lines cross.
  const order = [...lines].sort((a, b) => (a.v === undefined ? -1 : b.v === undefined ? 1 : quality(a.v, metricAxis.min, metricAxis.max, goal) - quality(b.v, metricAxis.min, metricAxis.max, goal)));
  const hovered = hover ? lines.find((l) => l.row.id === hover.row.id) : undefined;

  return (
    <div className="sweep-chart" ref={box}>
      <svg className={`sweep-svg${hovered ? ' has-hover' : ''}`} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} data-testid="sweep-parallel" role="img" aria-label={`Parallel coordinates of ${axes.map((a) => a.key).join(', ')} and ${metric}`}>
        {all.map((a, i) => (
          <g key={`axis-${a.key}-${i}`} className={`pc-axis${i === axes.length ? ' metric-axis' : ''}`}>
            <line x1={xOf(i)} x2={xOf(i)} y1={PC.top} y2={PC.top + plotH} />
            <AxisTitle
              text={i === axes.length ? metricLabel(metric, agg) : a.key}
              x={xOf(i)}
              y={PC.top - 18}
              // The outer titles grow inwards, so a long name stays inside the picture.
              anchor={all.length > 1 && i === 0 ? 'start' : all.length > 1 && i === all.length - 1 ? 'end' : 'middle'}
            />
            {axisTicks(a).map((t) => (
              <text key={t.label} className="tick" x={xOf(i) - 6} y={yOf(t.at) + 4} textAnchor="end">
                {t.label}
              </text>
            ))}
          </g>
        ))}
        {order.map((l) => (
          <g key={l.row.id} className="pc-run" onMouseMove={at(l.row)} onMouseLeave={leave} onClick={() => navigate(paths.run(l.row.id))}>
            <polyline className="hit" points={l.points} />
            <polyline
              className={`pc-line${l.v === undefined ? ' no-metric' : ''}${hovered?.row.id === l.row.id ? ' hovered' : ''}`}
              points={l.points}
              stroke={l.colour}
              data-testid={`pc-line-${l.row.id}`}
              data-run-name={l.row.name}
              aria-label={l.row.name}
            />
          </g>
        ))}
      </svg>
      <HoverCard hover={hover} lines={paramLines(axes, metric, agg)} />
      <Legend rows={rows} metric={metric} agg={agg} goal={goal} axis={metricAxis} />
    </div>
  );
}

const SC = { top: 20, bottom: 56, left: 80, right: 30 };

export function Scatter({ rows, axes, metricAxis, metric, agg, goal, x }: SweepChartProps & { x: Axis | undefined }) {
  const navigate = useNavigate();
  const { box, hover, at, leave } = useHover();
  if (!x) return <p className="muted">This sweep varies no param to plot the metric against.</p>;
  if (!metric) return <p className="muted">No run has logged a metric yet.</p>;
  const plotW = WIDTH - SC.left - SC.right;
  const plotH = HEIGHT - SC.top - SC.bottom;
  // Points keep clear of the axes: categories more, as they are where most points pile up.
  const xOf = (pos: number) => SC.left + (x.kind === 'category' ? 0.1 + 0.8 * pos : 0.04 + 0.92 * pos) * plotW;
  const yOf = (pos: number) => SC.top + (0.96 - 0.92 * pos) * plotH;
  const points = rows.flatMap((row) => {
    const v = metricValue(row, metric, agg);
    const pv = paramOf(row, x.key);
    const px = axisPosition(x, pv);
    const py = v === undefined ? undefined : axisPosition(metricAxis, v);
    return px === undefined || py === undefined || v === undefined ? [] : [{ row, v, pv, cx: xOf(px), cy: yOf(py) }];
  });
  const missing = rows.length - points.length;
  const yTicks = axisTicks(metricAxis);
  const xTicks = axisTicks(x);

  return (
    <div className="sweep-chart" ref={box}>
      <svg className="sweep-svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} data-testid="sweep-scatter" role="img" aria-label={`${metric} against ${x.key}`}>
        {yTicks.map((t) => (
          <g key={`y-${t.label}`} className="grid">
            <line x1={SC.left} x2={SC.left + plotW} y1={yOf(t.at)} y2={yOf(t.at)} />
            <text className="tick" x={SC.left - 8} y={yOf(t.at) + 4} textAnchor="end">
              {t.label}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x-${t.label}`} className="tick" x={xOf(t.at)} y={SC.top + plotH + 18} textAnchor="middle">
            {t.label}
          </text>
        ))}
        <line className="axis" x1={SC.left} x2={SC.left + plotW} y1={SC.top + plotH} y2={SC.top + plotH} />
        <line className="axis" x1={SC.left} x2={SC.left} y1={SC.top} y2={SC.top + plotH} />
        <text className="axis-title" x={SC.left + plotW / 2} y={HEIGHT - 12} textAnchor="middle">
          {x.key}
        </text>
        <text className="axis-title" transform={`translate(18 ${SC.top + plotH / 2}) rotate(-90)`} textAnchor="middle">
          {metricLabel(metric, agg)}
        </text>
        {points.map((p) => (
          <circle
            key={p.row.id}
            className={`pt${hover?.row.id === p.row.id ? ' hovered' : ''}`}
            cx={p.cx}
            cy={p.cy}
            r={7}
            fill={colourOf(p.v, metricAxis, goal)}
            data-testid={`pt-${p.row.id}`}
            data-run-name={p.row.name}
            onMouseMove={at(p.row)}
            onMouseLeave={leave}
            onClick={() => navigate(paths.run(p.row.id))}
          >
            <title>{`${p.row.name}\n${x.key} = ${formatParam(p.pv)}\n${metricLabel(metric, agg)} = ${formatNumber(p.v)}`}</title>
          </circle>
        ))}
      </svg>
      <HoverCard hover={hover} lines={paramLines(axes, metric, agg)} />
      <Legend rows={rows} metric={metric} agg={agg} goal={goal} axis={metricAxis} />
      {missing > 0 ? (
        <p className="muted sweep-note" data-testid="scatter-missing">
          {missing === 1 ? '1 run has' : `${missing} runs have`} no value of {metricLabel(metric, agg)} or {x.key} yet, so {missing === 1 ? 'it is' : 'they are'} not shown.
        </p>
      ) : null}
    </div>
  );
}
