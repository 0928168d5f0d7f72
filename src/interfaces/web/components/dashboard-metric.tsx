/** How the best value of one metric moved, week by week, in a sentence and a chart. */
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { num, type Dashboard } from '../api.js';
import { paths } from '../paths.js';
import { formatDay, formatNumber } from '../format.js';
import { MetricChart } from './metric-chart.js';
import { weekDay } from './dashboard-weeks.js';

type Progress = Dashboard['metrics'][number];

/** Three significant digits: what a reader takes in at a glance. */
const figure = (v: number) => formatNumber(v, 3);

function BestSentence({ m }: { m: Progress }) {
  const better = m.goal === 'max' ? 'higher is better' : 'lower is better';
  if (!m.best) {
    return (
      <p data-testid="metric-best" className="dash-sentence">
        No succeeded run has reported {m.key} yet ({better}).
      </p>
    );
  }
  return (
    <p data-testid="metric-best" className="dash-sentence">
      Best {m.key} so far: <strong className="dash-value">{figure(num(m.best.value))}</strong> ({better}), reached on {formatDay(m.best.at)} by{' '}
      <Link to={paths.run(m.best.runId)}>{m.best.runName}</Link>
    </p>
  );
}

/** Where the best started, and the last week it got better. */
function trend(m: Progress): string {
  const weeks = m.weeks;
  if (weeks.length === 0) return '';
  if (weeks.length === 1) return `All results so far are from the week of ${weekDay(weeks[0]!.weekStart, true)}.`;
  const first = weeks[0]!;
  let improved = first;
  for (const w of weeks) if (num(w.bestSoFar) !== num(improved.bestSoFar)) improved = w;
  if (improved === first) return `No better value since the week of ${weekDay(first.weekStart, true)}.`;
  const direction = num(improved.bestSoFar) > num(first.bestSoFar) ? 'Up' : 'Down';
  return `${direction} from ${figure(num(first.bestSoFar))} in the week of ${weekDay(first.weekStart, true)}; last improved in the week of ${weekDay(improved.weekStart, true)}.`;
}

/**
 * The two lines of the chart. The best so far holds until now, so its line goes on to
 * `now`: that also makes a single week show as a line rather than an invisible point.
 */
function progressSeries(m: Progress, now: number) {
  const weeks = m.weeks;
  const last = weeks[weeks.length - 1];
  const extend = last !== undefined && now > last.weekStart;
  const x = Float64Array.from([...weeks.map((w) => w.weekStart), ...(extend ? [now] : [])]);
  const best = Float64Array.from([...weeks.map((w) => num(w.best)), ...(extend ? [Number.NaN] : [])]);
  const soFar = Float64Array.from([...weeks.map((w) => num(w.bestSoFar)), ...(extend ? [num(last.bestSoFar)] : [])]);
  // The weekly line first, so the best-so-far line is drawn over it where they meet.
  return [
    { label: "that week's best", x, y: best, color: '#9ca3af' },
    { label: 'best so far', x, y: soFar, color: '#1d4ed8' },
  ];
}

export function MetricProgress({ m, now }: { m: Progress; now: number }) {
  const series = useMemo(() => progressSeries(m, now), [m, now]);
  const sentence = trend(m);
  return (
    <section className="card dash-metric" data-testid="metric-progress" data-key={m.key}>
      <BestSentence m={m} />
      {sentence ? <p className="muted">{sentence}</p> : null}
      {m.weeks.length > 0 ? <MetricChart title={`${m.key}: best so far, and each week's best`} series={series} xTime height={240} /> : null}
    </section>
  );
}

/** Which metrics the dashboard follows; the project's headline metrics unless chosen. */
export function MetricPicker({ available, chosen, onChange }: { available: readonly string[]; chosen: readonly string[]; onChange: (next: string[]) => void }) {
  const toggle = (key: string, on: boolean) => onChange(on ? [...chosen, key] : chosen.filter((k) => k !== key));
  return (
    <fieldset className="key-picker" data-testid="metric-picker">
      <legend>Metrics to follow</legend>
      {available.map((k) => (
        <label key={k}>
          <input
            type="checkbox"
            checked={chosen.includes(k)}
            // One metric stays: with none the dashboard would fall back to its usual ones.
            disabled={chosen.length === 1 && chosen[0] === k}
            onChange={(e) => toggle(k, e.target.checked)}
            data-key={k}
          />
          <span className="mono">{k}</span>
        </label>
      ))}
    </fieldset>
  );
}
