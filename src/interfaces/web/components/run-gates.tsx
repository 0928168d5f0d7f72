/**
 * How a run met its gates (`gates:` of reprise.yaml): each gate's aggregate, operator,
 * threshold and the value it was checked against, passed or failed and why.
 */
import { memo } from 'react';
import { isActiveStatus, type RunDetails } from '../api.js';
import { formatDate, formatNumber } from '../format.js';
import { gateActual } from '../lifecycle.js';
import { GateBadge } from './gate-badge.js';

function NoOutcome({ details }: { details: RunDetails }) {
  const { status } = details.run;
  if (isActiveStatus(status)) return <p className="muted">The gates are checked once the run succeeds.</p>;
  if (status !== 'succeeded') return <p className="muted">Not checked: gates are checked only for a run that succeeded, and this one {status === 'failed' ? 'failed' : `was ${status}`}.</p>;
  return <p className="muted">No gate outcome was recorded for this run.</p>;
}

export const RunGates = memo(function RunGates({ details }: { details: RunDetails }) {
  const gate = details.gate;
  return (
    <section className="run-gates" data-testid="run-gates">
      <h2>
        Gates <GateBadge gate={gate} />
      </h2>
      {!gate ? (
        <NoOutcome details={details} />
      ) : gate.status === 'none' ? (
        <p className="muted">
          No gates: reprise.yaml declares none. A gate holds a run back from promotion unless a metric meets a threshold, e.g.{' '}
          <code>{'gates: [{ metric: val_accuracy, op: ">=", value: 0.9 }]'}</code>.
        </p>
      ) : (
        <>
          <p className="muted" data-testid="gates-summary">
            {gate.status === 'passed'
              ? `Passed ${gate.results.length === 1 ? 'its gate' : `all ${gate.results.length} gates`}`
              : `Failed ${gate.results.filter((r) => !r.passed).length} of ${gate.results.length} gates`}
            ; checked {formatDate(gate.evaluatedAt)}.
          </p>
          <table className="plain gates-table" data-testid="gates-table">
            <thead>
              <tr>
                <th>Metric</th>
                <th>Aggregate</th>
                <th>Operator</th>
                <th className="num">Threshold</th>
                <th className="num">Actual</th>
                <th>Outcome</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {gate.results.map((r, i) => (
                <tr key={`${r.metric}:${r.agg}:${r.op}:${i}`} data-testid="gate-row" data-metric={r.metric} data-passed={r.passed ? 'true' : 'false'} className={r.passed ? undefined : 'gate-failed-row'}>
                  <td className="mono">{r.metric}</td>
                  <td>{r.agg}</td>
                  <td className="mono">{r.op}</td>
                  <td className="num">{formatNumber(r.value, 8)}</td>
                  <td className={`num${r.actual === null ? ' muted' : ''}`}>{gateActual(r)}</td>
                  <td>
                    <span className={`gate gate-${r.passed ? 'passed' : 'failed'}`}>{r.passed ? 'passed' : 'failed'}</span>
                  </td>
                  <td data-testid="gate-reason">{r.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
});
