/**
 * A project at a glance for people who do not train models (/projects/:project/dashboard):
 * how much is being tried, how often it works, and how the best results moved over the
 * weeks, in plain sentences and large figures, and how its models in production do. Quick
 * dev runs are left out of every figure.
 */
import { useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, api, type Dashboard } from '../api.js';
import { paths } from '../paths.js';
import { DashboardHeadline } from '../components/dashboard-headline.js';
import { MetricPicker, MetricProgress } from '../components/dashboard-metric.js';
import { RepositoryPanel } from '../components/dashboard-repository.js';
import { RunsPerWeek } from '../components/dashboard-weeks.js';
import { InProduction } from '../components/production-dashboard.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { headlineMetrics } from '../../../core/metric-goal.js';
import { formatAgo } from '../format.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

/** A dashboard left open on a screen stays current. */
const REFRESH_MS = 60_000;

function Promotions({ promotions }: { promotions: Dashboard['promotions'] }) {
  return (
    <section data-testid="promotions" className="dash-section">
      <h2>Promoted models</h2>
      {promotions.length === 0 ? (
        <>
          <p className="dash-sentence">No model of this project has been promoted yet.</p>
          <p className="muted">Models chosen for use will be listed here, with when each was promoted.</p>
        </>
      ) : (
        <ul className="dash-promotions">
          {promotions.map((p) => (
            <li key={`${p.model}@${p.version}`}>
              <Link to={paths.model(p.model, p.version)}>
                {p.model} version {p.version}
              </Link>
              {p.aliases.length > 0 ? ` (${p.aliases.join(', ')})` : ''}: run <Link to={paths.run(p.runId)}>{p.runName}</Link>, promoted by {p.createdBy} {formatAgo(p.createdAt)}.
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function NoRuns({ project }: { project: string }) {
  return (
    <EmptyState title={`No runs in ${project} yet`}>
      <p>This page fills in once the project has runs. To start one, go to the project's folder (where its reprise.yaml is) and run:</p>
      <pre>reprise run</pre>
      <p>
        <Link to={paths.projects()}>See all projects</Link>
      </p>
    </EmptyState>
  );
}

export function DashboardPage() {
  const { project = '' } = useParams();
  const url = useUrlState();
  const chosen = url.getList('metrics');
  const { data, error, loading, reload } = useFetch((signal) => api.dashboard(project, chosen.length > 0 ? chosen : undefined, signal), [project, chosen.join(',')]);

  useEffect(() => {
    const timer = window.setInterval(reload, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  if (error instanceof ApiError && error.code === 'REPRISE_ERR_PROJECT_NOT_FOUND') return <NoRuns project={project} />;
  if (error && !data) {
    return (
      <>
        <LoadError error={error} />
        {chosen.length > 0 ? (
          <p>
            <Link to={paths.dashboard(project)}>Show the usual metrics instead</Link>
          </p>
        ) : null}
      </>
    );
  }
  if (!data) return <p className="muted">{loading ? 'Loading the dashboard…' : ''}</p>;

  const shown = data.metrics.map((m) => m.key);
  const setMetrics = (next: string[]) => {
    const usual = headlineMetrics(data.availableMetrics);
    const isUsual = next.length === usual.length && next.every((k) => usual.includes(k));
    url.set({ metrics: isUsual ? null : next });
  };

  return (
    <div data-testid="dashboard" className="dashboard">
      <h1>{data.project}: how the work is going</h1>
      <p className="muted">
        Figures updated {formatAgo(data.generatedAt)}; this page refreshes every minute.
        {data.totals.devRuns > 0 ? ' Quick dev runs (short tries, not real experiments) are left out of every figure.' : ''}
      </p>
      {error ? <LoadError error={error} /> : null}
      <DashboardHeadline data={data} />
      <RunsPerWeek weeks={data.weeks} />
      <section className="dash-section" data-testid="dash-metrics">
        <h2>Best results over time</h2>
        <p className="muted">For each metric: the best value any finished run has reached, and how it moved week by week.</p>
        {data.availableMetrics.length > 0 ? <MetricPicker available={data.availableMetrics} chosen={shown} onChange={setMetrics} /> : null}
        {data.metrics.length === 0 ? (
          <p className="muted">No run has reported a metric yet. Runs that record metrics (like accuracy or loss) show their progress here.</p>
        ) : (
          <div className="dash-metrics">
            {data.metrics.map((m) => (
              <MetricProgress key={m.key} m={m} now={data.generatedAt} />
            ))}
          </div>
        )}
      </section>
      <InProduction project={data.project} />
      <Promotions promotions={data.promotions} />
      <RepositoryPanel project={data.project} />
    </div>
  );
}
