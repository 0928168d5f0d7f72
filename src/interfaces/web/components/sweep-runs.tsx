/** A sweep's runs as a table: the params it varies and the chosen metric, best first; tick runs to compare them. */
import { Link } from 'react-router-dom';
import type { RunRow } from '../api.js';
import { formatNumber, formatParam } from '../format.js';
import { paths } from '../paths.js';
import { metricLabel, metricValue, paramOf, type Agg } from '../sweep-data.js';
import { StatusBadge } from './status-badge.js';

export interface SweepRunsProps {
  /** Already in the order shown. */
  rows: readonly RunRow[];
  swept: readonly string[];
  metric: string;
  agg: Agg;
  /** Whether the best run is first (else the worst). */
  bestFirst: boolean;
  onSortMetric: () => void;
  /** The run with the best value, bold. */
  bestId: string | undefined;
  selected: ReadonlySet<string>;
  onSelect: (id: string, on: boolean) => void;
}

export function SweepRuns({ rows, swept, metric, agg, bestFirst, onSortMetric, bestId, selected, onSelect }: SweepRunsProps) {
  return (
    <div className="table-scroll">
      <table className="plain sweep-runs" data-testid="sweep-runs">
        <thead>
          <tr>
            <th aria-label="Select" />
            <th className="num">#</th>
            <th>Run</th>
            <th>Status</th>
            {swept.map((k) => (
              <th key={k} className="param-head" data-testid="sweep-param-head">
                {k}
              </th>
            ))}
            <th className="num" aria-sort={bestFirst ? 'descending' : 'ascending'}>
              {metric ? (
                <button type="button" className="sort-button" data-testid="sort-metric" title={bestFirst ? 'Best first: click for worst first' : 'Worst first: click for best first'} onClick={onSortMetric}>
                  <span className="label">{metricLabel(metric, agg)}</span>
                  <span className="sort-mark" aria-hidden>
                    {bestFirst ? '▼ best' : '▲ worst'}
                  </span>
                </button>
              ) : (
                'Metric'
              )}
            </th>
            <th>Attempt · worker</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const v = metric ? metricValue(r, metric, agg) : undefined;
            const raw = metric ? r.metrics[metric]?.[agg] : undefined;
            const s = r.submission;
            return (
              <tr key={r.id} data-testid="sweep-run" data-run-id={r.id} className={selected.has(r.id) ? 'selected' : undefined}>
                <td>
                  <input type="checkbox" data-testid="select-sweep-run" aria-label={`Select ${r.name}`} checked={selected.has(r.id)} onChange={(e) => onSelect(r.id, e.target.checked)} />
                </td>
                <td className="num muted">{s?.sweep ? s.sweep.index + 1 : ''}</td>
                <td>
                  <Link to={paths.run(r.id)}>{r.name}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} dev={r.dev} />
                </td>
                {swept.map((k) => (
                  <td key={k} data-param={k} className={typeof paramOf(r, k) === 'number' ? 'num' : undefined}>
                    {formatParam(paramOf(r, k))}
                  </td>
                ))}
                <td className={`num${r.id === bestId ? ' best' : ''}`} data-testid="sweep-metric">
                  {/* NaN and infinities are shown as logged; a run without the metric shows a dash. */}
                  {v !== undefined ? formatNumber(v) : raw !== undefined ? formatNumber(raw) : <span className="muted">—</span>}
                </td>
                <td className="muted">
                  {s ? (
                    <>
                      {s.attempt > 1 ? `attempt ${s.attempt}` : ''}
                      {s.attempt > 1 && s.worker ? ' · ' : ''}
                      {s.worker ? `${s.worker.name}${s.worker.gpus.length ? ` (GPU ${s.worker.gpus.join(', ')})` : ''}` : ''}
                    </>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
