/** Every project: its runs by status, when it last did anything, its best headline metric. */
import { Link } from 'react-router-dom';
import { api, type Project, type RunStatus } from '../api.js';
import { paths } from '../paths.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { formatAgo, formatNumber } from '../format.js';
import { useFetch } from '../use-fetch.js';

const ORDER: RunStatus[] = ['running', 'preparing', 'queued', 'succeeded', 'failed', 'lost', 'canceled'];

function Counts({ p }: { p: Project }) {
  return (
    <div className="counts">
      {ORDER.filter((s) => p.byStatus[s]).map((s) => (
        <span key={s} className={`status status-${s}`} data-testid={`count-${s}`}>
          {p.byStatus[s]} {s}
        </span>
      ))}
    </div>
  );
}

export function ProjectsPage() {
  const { data, error, loading } = useFetch((signal) => api.projects(signal), []);
  if (error) return <LoadError error={error} />;
  if (!data) return <p className="muted">{loading ? 'Loading projects…' : ''}</p>;
  if (data.length === 0) {
    return (
      <EmptyState title="No runs yet">
        <p>Runs recorded in this server's store show up here, grouped by project. In a project folder with a reprise.yaml:</p>
        <pre>reprise run</pre>
        <p>
          New project? <code>reprise init</code> writes a starting reprise.yaml.
        </p>
      </EmptyState>
    );
  }
  return (
    <>
      <h1>Projects</h1>
      <div className="cards">
        {data.map((p) => (
          <div className="card" key={p.name} data-testid="project-card" data-project={p.name}>
            <h2>
              <Link to={paths.runs(p.name)}>{p.name}</Link>
            </h2>
            <p>
              <strong>{p.runs.toLocaleString('en-US')}</strong> {p.runs === 1 ? 'run' : 'runs'}{p.devRuns ? <span className="muted"> ({p.devRuns} dev)</span> : null} · last activity{' '}
              <span title={new Date(p.lastActivityAt).toISOString()}>{formatAgo(p.lastActivityAt)}</span>
            </p>
            <Counts p={p} />
            <p data-testid="best-metric">
              {p.best ? (
                <>
                  Best {p.best.key}: <strong>{formatNumber(p.best.value)}</strong>{' '}
                  <span className="muted">
                    ({p.best.goal === 'max' ? 'higher' : 'lower'} is better) by <Link to={paths.run(p.best.runId)}>{p.best.runName}</Link>
                  </span>
                </>
              ) : (
                <span className="muted">No succeeded run has reported a metric yet.</span>
              )}
            </p>
            <p>
              <Link to={paths.runs(p.name)}>Runs</Link> · <Link to={paths.dashboard(p.name)}>Dashboard</Link>
            </p>
          </div>
        ))}
      </div>
    </>
  );
}
