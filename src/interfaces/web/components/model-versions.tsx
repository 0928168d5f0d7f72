/**
 * A registered model's versions, newest first: each with its aliases, the run it came
 * from (its lineage), who registered it and when, the note, its size, how it met its
 * gates and the run's final metrics (headline metrics first, the best of each in bold).
 */
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { headlineMetrics, isBetter, metricGoal } from '../../../core/metric-goal.js';
import { num, type ModelVersion } from '../api.js';
import { formatAgo, formatBytes, formatDate, formatNumber, plural } from '../format.js';
import { paths } from '../paths.js';
import { GateBadge } from './gate-badge.js';

/** Metric keys of every version: headline metrics first, then the rest by name. */
function metricKeys(versions: readonly ModelVersion[]): string[] {
  const all = [...new Set(versions.flatMap((v) => Object.keys(v.lineage.metrics)))].sort();
  const head = headlineMetrics(all);
  return [...head, ...all.filter((k) => !head.includes(k))];
}

/** The version holding the best final value of each metric (when more than one version has it). */
function bestVersions(versions: readonly ModelVersion[], keys: readonly string[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const key of keys) {
    const goal = metricGoal(key);
    let value: number | undefined;
    let at: number | undefined;
    let seen = 0;
    for (const v of versions) {
      const m = v.lineage.metrics[key];
      if (!m) continue;
      seen++;
      const n = num(m.last);
      if (!Number.isNaN(n) && isBetter(goal, n, value)) {
        value = n;
        at = v.version;
      }
    }
    if (seen > 1 && at !== undefined) best.set(key, at);
  }
  return best;
}

interface ModelVersionsProps {
  versions: readonly ModelVersion[];
  selected: number | undefined;
  onSelect: (version: number | undefined) => void;
}

export function ModelVersions({ versions, selected, onSelect }: ModelVersionsProps) {
  const keys = useMemo(() => metricKeys(versions), [versions]);
  const best = useMemo(() => bestVersions(versions, keys), [versions, keys]);
  return (
    <div className="table-scroll">
      <table className="plain model-versions" data-testid="model-versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Aliases</th>
            <th>Run</th>
            <th>Gate</th>
            <th>Created by</th>
            <th>Created</th>
            <th>Note</th>
            <th className="num">Size</th>
            {keys.map((k) => (
              <th key={k} className="num mono" data-testid="version-metric-head" title={`final value of ${k} (${metricGoal(k) === 'max' ? 'higher' : 'lower'} is better)`}>
                {k}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const isSelected = v.version === selected;
            return (
              <tr key={v.version} data-testid="version-row" data-version={v.version} className={isSelected ? 'selected' : undefined} aria-selected={isSelected}>
                <td>
                  <button
                    type="button"
                    className="link-button version-number"
                    data-testid="version-open"
                    title={isSelected ? 'Hide its files and lineage' : 'Show its files and lineage'}
                    onClick={() => onSelect(isSelected ? undefined : v.version)}
                  >
                    v{v.version}
                  </button>
                </td>
                <td data-testid="version-aliases">
                  {v.aliases.map((a) => (
                    <span key={a} className="alias-chip" data-testid="version-alias">
                      {a}
                    </span>
                  ))}
                </td>
                <td>
                  <Link to={paths.run(v.runId)} data-testid="version-run" title={`from run ${v.runId} of ${v.project}`}>
                    {v.runName}
                  </Link>
                  <span className="muted"> {v.project}</span>
                </td>
                <td>
                  <GateBadge gate={v.lineage.gate} />
                </td>
                <td data-testid="version-by">{v.createdBy}</td>
                <td title={new Date(v.createdAt).toISOString()}>
                  {formatDate(v.createdAt)} <span className="muted">({formatAgo(v.createdAt)})</span>
                </td>
                <td className="version-note" data-testid="version-note">
                  {v.note ?? ''}
                </td>
                <td className="num" title={plural(v.files.length, 'file')}>
                  {formatBytes(v.bytes)}
                </td>
                {keys.map((k) => {
                  const m = v.lineage.metrics[k];
                  return (
                    <td key={k} className={`num${best.get(k) === v.version ? ' best' : ''}`} data-testid="version-metric" data-key={k} title={m ? `at step ${m.lastStep}; min ${formatNumber(m.min)}, max ${formatNumber(m.max)}` : undefined}>
                      {m ? formatNumber(m.last) : ''}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
