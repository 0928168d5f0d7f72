/**
 * Runs per week as stacked bars in plain HTML (succeeded, failed, the rest), with each
 * week's share of succeeded runs underneath: large enough to read on a projector.
 */
import type { Dashboard } from '../api.js';
import { plural } from '../format.js';
import { percent } from './dashboard-headline.js';

type Week = Dashboard['weeks'][number];

/** At most this many week labels fit under the bars; the others are in each bar's tooltip. */
const MAX_LABELS = 16;

/** "23 Nov": the week's Monday, in UTC as the server counts weeks. */
export function weekDay(weekStart: number, withYear = false): string {
  return new Date(weekStart).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}), timeZone: 'UTC' });
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function other(w: Week): number {
  return w.canceled + w.active;
}

function weekRate(w: Week): number | null {
  const finished = w.succeeded + w.failed;
  return finished === 0 ? null : w.succeeded / finished;
}

function weekTitle(w: Week): string {
  const rate = weekRate(w);
  const parts = [`${w.succeeded} succeeded`, `${w.failed} failed`];
  if (w.canceled) parts.push(`${w.canceled} canceled`);
  if (w.active) parts.push(`${w.active} still going`);
  return `Week of ${weekDay(w.weekStart, true)}: ${plural(w.runs, 'run')} (${parts.join(', ')})${rate === null ? '' : `; ${percent(rate)} of finished runs succeeded`}`;
}

function Bar({ week, max, labelled }: { week: Week; max: number; labelled: boolean }) {
  const rate = weekRate(week);
  const share = (n: number) => `${(100 * n) / Math.max(week.runs, 1)}%`;
  return (
    <div className="week-col" data-testid="week-bar" data-week={isoDay(week.weekStart)} title={weekTitle(week)}>
      <div className="week-plot">
        <span className="week-count">{week.runs > 0 ? week.runs : ''}</span>
        <div className="week-stack" style={{ height: `${(100 * week.runs) / max}%` }}>
          {week.succeeded ? <div className="seg seg-ok" style={{ height: share(week.succeeded) }} /> : null}
          {week.failed ? <div className="seg seg-bad" style={{ height: share(week.failed) }} /> : null}
          {other(week) ? <div className="seg seg-other" style={{ height: share(other(week)) }} /> : null}
        </div>
      </div>
      <div className="week-label">
        {labelled ? (
          <>
            <span className="muted">week of</span> {weekDay(week.weekStart)}
          </>
        ) : null}
      </div>
      <div className="week-rate" data-testid="week-rate">
        {rate === null ? '–' : percent(rate)}
      </div>
    </div>
  );
}

export function RunsPerWeek({ weeks }: { weeks: Dashboard['weeks'] }) {
  const max = Math.max(1, ...weeks.map((w) => w.runs));
  const every = Math.ceil(weeks.length / MAX_LABELS);
  return (
    <section data-testid="runs-per-week" className="dash-section">
      <h2>Runs per week</h2>
      {weeks.length === 0 ? (
        <p className="muted">No run counts yet. Weeks appear here once runs other than quick dev runs are started.</p>
      ) : (
        <>
          <ul className="week-legend" aria-label="legend">
            <li>
              <span className="seg-ok key" /> succeeded
            </li>
            <li>
              <span className="seg-bad key" /> failed
            </li>
            <li>
              <span className="seg-other key" /> canceled or still going
            </li>
          </ul>
          <div className="week-chart" style={{ gridTemplateColumns: `max-content repeat(${weeks.length}, minmax(36px, 96px))` }}>
            <div className="week-axis">
              <div className="week-plot" />
              <div className="week-label" />
              <div className="week-rate muted" title="share of the week's finished runs that succeeded">succeeded</div>
            </div>
            {weeks.map((w, i) => (
              // Label the latest week always, and every n-th going back from it.
              <Bar key={w.weekStart} week={w} max={max} labelled={(weeks.length - 1 - i) % every === 0} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
