/** Params of the compared runs, one row per key, differing rows marked. */
import type { RunDetails } from '../api.js';
import { unionKeys, valuesDiffer } from '../compare-data.js';
import { formatParam } from '../format.js';
import { RunHeadCells } from './compare-header.js';

const MISSING = '—';

export function CompareParams({ runs, onlyDifferences, onOnlyDifferences }: { runs: readonly RunDetails[]; onlyDifferences: boolean; onOnlyDifferences: (on: boolean) => void }) {
  const rows = unionKeys(runs.map((d) => d.params)).map((key) => {
    const values = runs.map((d) => (key in d.params ? d.params[key] : undefined));
    return { key, values, differs: valuesDiffer(values) };
  });
  const differing = rows.filter((r) => r.differs).length;
  const shown = onlyDifferences ? rows.filter((r) => r.differs) : rows;
  return (
    <section data-testid="compare-params">
      <div className="section-head">
        <h2>Params</h2>
        <span className="muted">
          {rows.length === 0 ? 'No run has params.' : differing === 0 ? `All ${rows.length} params are the same.` : `${differing} of ${rows.length} params differ.`}
        </span>
        <label className="toggle">
          <input type="checkbox" checked={onlyDifferences} onChange={(e) => onOnlyDifferences(e.target.checked)} data-testid="only-differences" />
          Only differences
        </label>
      </div>
      {shown.length > 0 ? (
        <div className="table-scroll">
          <table className="plain compare-table">
            <thead>
              <tr>
                <th scope="col">Param</th>
                <RunHeadCells runs={runs} />
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.key} data-testid="param-row" data-key={r.key} data-differs={String(r.differs)} className={r.differs ? 'differs' : undefined}>
                  <td className="mono row-key">{r.key}</td>
                  {r.values.map((v, i) => (
                    <td key={i} className={typeof v === 'number' ? 'num' : undefined}>
                      {v === undefined ? <span className="muted">{MISSING}</span> : formatParam(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : onlyDifferences && rows.length > 0 ? (
        <p className="muted">No param differs between these runs.</p>
      ) : null}
    </section>
  );
}
