/** Final metric values of the compared runs: the best per metric in bold, each against the first run. */
import { num, type RunDetails } from '../api.js';
import { bestIndexes, formatDelta, unionKeys, valuesDiffer } from '../compare-data.js';
import { isBetter, metricGoal } from '../../../core/metric-goal.js';
import { formatNumber } from '../format.js';
import { RunHeadCells } from './compare-header.js';

export function CompareMetrics({ runs }: { runs: readonly RunDetails[] }) {
  const rows = unionKeys(runs.map((d) => d.run.metrics)).map((key) => {
    const values = runs.map((d) => {
      const m = d.run.metrics[key];
      return m === undefined ? undefined : num(m.last);
    });
    const goal = metricGoal(key);
    const differs = valuesDiffer(values);
    // When every run has the same value there is no best to point at.
    return { key, goal, values, best: differs ? bestIndexes(values, goal) : [], differs };
  });
  const first = runs[0]?.run.name ?? 'the first run';
  return (
    <section data-testid="compare-metrics">
      <div className="section-head">
        <h2>Final metrics</h2>
        <span className="muted">Each run's last value; the best in bold; in brackets, the difference to {first}.</span>
      </div>
      {rows.length === 0 ? (
        <p className="muted">None of these runs has reported a metric.</p>
      ) : (
        <div className="table-scroll">
          <table className="plain compare-table">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <RunHeadCells runs={runs} />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-testid="metric-row" data-key={r.key} data-differs={String(r.differs)} className={r.differs ? 'differs' : undefined}>
                  <td className="row-key">
                    <span className="mono">{r.key}</span> <span className="muted goal">{r.goal === 'max' ? 'higher is better' : 'lower is better'}</span>
                  </td>
                  {r.values.map((v, i) => {
                    const base = r.values[0];
                    const delta = i === 0 ? '' : formatDelta(v, base);
                    const better = v !== undefined && base !== undefined && isBetter(r.goal, v, base);
                    const worse = v !== undefined && base !== undefined && isBetter(r.goal, base, v);
                    return (
                      <td key={i} className="num" data-best={r.best.includes(i) ? 'true' : undefined}>
                        {v === undefined ? (
                          <span className="muted">—</span>
                        ) : r.best.includes(i) ? (
                          <strong title="best of these runs">{formatNumber(v)}</strong>
                        ) : (
                          formatNumber(v)
                        )}
                        {delta ? (
                          <span className={`delta${better ? ' better' : worse ? ' worse' : ''}`} title={better ? `better than ${first}` : worse ? `worse than ${first}` : `same as ${first}`}>
                            {' '}
                            ({delta})
                          </span>
                        ) : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
