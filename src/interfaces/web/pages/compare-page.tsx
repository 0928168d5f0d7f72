/**
 * Runs side by side (/compare?runs=a,b,c): params, final metrics, overlaid metric charts,
 * artifacts by hash and environment differences. The runs and every view setting are in
 * the URL, so a copied link shows the same comparison.
 */
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { api, type RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { AddRun } from '../components/compare-add-run.js';
import { CompareArtifacts } from '../components/compare-artifacts.js';
import { CompareCharts } from '../components/compare-charts.js';
import { CompareEnv } from '../components/compare-env.js';
import { CompareHeader } from '../components/compare-header.js';
import { CompareMetrics } from '../components/compare-metrics.js';
import { CompareParams } from '../components/compare-params.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

type Loaded = { id: string; details: RunDetails } | { id: string; error: Error };

/** Every run on its own, so one unknown id does not hide the others. */
async function loadRuns(ids: readonly string[], signal: AbortSignal): Promise<Loaded[]> {
  const settled = await Promise.allSettled(ids.map((id) => api.run(id, signal)));
  return settled.map((s, i) => (s.status === 'fulfilled' ? { id: ids[i]!, details: s.value } : { id: ids[i]!, error: s.reason as Error }));
}

export function ComparePage() {
  const url = useUrlState();
  const ids = [...new Set(url.getList('runs'))];
  const idsKey = ids.join(',');
  const { data, error, loading } = useFetch((signal) => loadRuns(ids, signal), [idsKey]);
  const runs = useMemo(() => (data ?? []).flatMap((l) => ('details' in l ? [l.details] : [])), [data]);
  const failed = (data ?? []).flatMap((l) => ('error' in l ? [l] : []));

  const setRuns = (next: readonly string[]) => url.set({ runs: [...next] }, { push: true });
  const remove = (id: string) => setRuns(ids.filter((x) => x !== id));
  const add = (id: string) => setRuns([...ids, id]);
  const projects = [...new Set(runs.map((d) => d.run.project))];
  const project = projects[0];

  return (
    <div className="compare-page" data-testid="compare-page">
      <h1>
        Compare runs
        {projects.length > 0 ? (
          <span className="muted h1-note">
            {' '}
            of{' '}
            {projects.map((p, i) => (
              <span key={p}>
                {i > 0 ? ', ' : ''}
                <Link to={paths.runs(p)}>{p}</Link>
              </span>
            ))}
          </span>
        ) : null}
      </h1>
      {error ? <LoadError error={error} /> : null}
      {failed.map((f) => (
        <div className="load-error" role="alert" data-testid="load-error" key={f.id}>
          <strong>Run {f.id} could not be loaded.</strong> {f.error.message}{' '}
          <button type="button" onClick={() => remove(f.id)}>
            Remove it
          </button>
        </div>
      ))}
      {runs.length > 0 ? <CompareHeader runs={runs} onRemove={remove} /> : null}
      <AddRun present={ids} onAdd={add} />
      {ids.length === 0 || (data && runs.length < 2) ? (
        <EmptyState title={runs.length === 1 ? 'Add one more run to compare' : 'Pick runs to compare'}>
          <p>
            In a project's runs table, tick the runs you want and press <strong>Compare</strong>; or type a run's id or name in <em>Add run</em> above.
          </p>
          {project ? (
            <p>
              <Link to={paths.runs(project)}>Runs of {project}</Link>
            </p>
          ) : (
            <p>
              <Link to={paths.projects()}>See all projects</Link>
            </p>
          )}
        </EmptyState>
      ) : !data ? (
        <p className="muted">{loading ? 'Loading runs…' : ''}</p>
      ) : (
        <>
          <CompareParams runs={runs} onlyDifferences={url.getFlag('diff')} onOnlyDifferences={(on) => url.set({ diff: on })} />
          <CompareMetrics runs={runs} />
          <CompareCharts runs={runs} />
          <CompareArtifacts runs={runs} />
          <CompareEnv runs={runs} />
        </>
      )}
    </div>
  );
}
