/**
 * Drift of a production model, window by window: what drifted in the latest scored window
 * said first, then a table with the predictions and each input feature as rows and the
 * windows as columns (oldest on the left), each cell coloured by its PSI against the
 * threshold and its PSI written in it; its title gives KS or JS, the missing rate and why
 * it drifted. The table opens scrolled to the newest windows.
 */
import { useLayoutEffect, useRef } from 'react';
import type { DriftWindow, MonitorSettings } from '../api.js';
import { formatDate, formatNumber, plural } from '../format.js';
import { driftBucket, driftedIn, driftRows, driftTitle, latestScored, windowLabel } from '../production-words.js';

export interface DriftTableProps {
  readonly windows: readonly DriftWindow[];
  readonly thresholds: MonitorSettings['thresholds'];
  /** The reference's features, in its order. */
  readonly referenceOrder?: readonly string[];
  /** Windows over several days: headers carry the day. */
  readonly multiDay: boolean;
}

/** "petal_length (PSI 0.84)", what drifted in the latest scored window, or that nothing did. */
function DriftCallout({ windows }: { windows: readonly DriftWindow[] }) {
  const latest = latestScored(windows);
  if (!latest) return null;
  const drifted = driftedIn(latest);
  const when = `${formatDate(latest.start)} to ${new Date(latest.end).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
  if (drifted.length === 0) {
    return (
      <p className="drift-callout drift-callout-none" data-testid="drift-callout" data-drifted="">
        Nothing drifted in the latest window ({when}).
      </p>
    );
  }
  return (
    <p className="drift-callout" data-testid="drift-callout" data-drifted={drifted.map((d) => d.feature).join(',')}>
      Drifted in the latest window ({when}):{' '}
      {drifted.map((d, i) => (
        <span key={d.feature}>
          {i > 0 ? ', ' : ''}
          <strong data-testid="drift-callout-feature">{d.feature}</strong> (PSI {formatNumber(d.psi, 2)}
          {d.reasons.length > 0 ? `; ${d.reasons.join('; ')}` : ''})
        </span>
      ))}
      .
    </p>
  );
}

export function DriftTable({ windows, thresholds, referenceOrder, multiDay }: DriftTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = driftRows(windows, referenceOrder);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollLeft = el.scrollWidth;
  }, [windows.length]);

  if (windows.length === 0) return <p className="muted" data-testid="drift-none">No drift window closed in this time range.</p>;
  return (
    <>
      <DriftCallout windows={windows} />
      <div className="table-scroll drift-scroll" ref={scroller}>
        <table className="drift-table" data-testid="drift-table">
          <thead>
            <tr>
              <th className="drift-feature">Feature</th>
              {windows.map((w) => (
                <th key={w.start} data-testid="drift-window" data-start={w.start} title={`${new Date(w.start).toISOString()} to ${new Date(w.end).toISOString()}, version ${w.version}`}>
                  {windowLabel(w.start, multiDay)}
                </th>
              ))}
            </tr>
            <tr className="drift-rows">
              <th className="drift-feature muted">rows sampled</th>
              {windows.map((w) => (
                <td key={w.start} className="num muted" title={w.skipped ?? undefined} data-testid="drift-window-rows">
                  {w.skipped ? <span className="drift-skipped">{formatNumber(w.rows)}*</span> : formatNumber(w.rows)}
                </td>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.prediction}:${row.feature}`} data-testid="drift-row" data-feature={row.feature} data-prediction={row.prediction}>
                <th className="drift-feature">{row.prediction ? <em>predictions</em> : row.feature}</th>
                {row.cells.map((d, i) => {
                  const bucket = driftBucket(d, thresholds.psi);
                  return (
                    <td key={windows[i]!.start} className={`drift-cell drift-${bucket}`} data-testid="drift-cell" data-bucket={bucket} title={d ? driftTitle(d, thresholds) : (windows[i]!.skipped ?? 'not scored')}>
                      {d ? formatNumber(d.psi, 2) : '·'}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted drift-legend">
        Each cell is the population stability index (PSI) of the feature in that window against the training data, coloured against the threshold of{' '}
        {formatNumber(thresholds.psi)}: <span className="drift-cell drift-low">under half</span> <span className="drift-cell drift-watch">half of it or more</span>{' '}
        <span className="drift-cell drift-drifted">drifted</span> (a threshold crossed). Hover a cell for KS or JS and the missing rate.
        {windows.some((w) => w.skipped) ? ` * not scored: ${plural(windows.filter((w) => w.skipped).length, 'window')} had too few rows or no reference.` : ''}
      </p>
    </>
  );
}
