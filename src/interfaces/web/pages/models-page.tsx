/** Every registered model: its versions, where each alias points, when it last changed; and the latest promotions and alias moves. */
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { ModelAudit } from '../components/model-audit.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useFetch } from '../use-fetch.js';

/** Entries of the log shown under the list. */
const RECENT_CHANGES = 20;

export function ModelsPage() {
  const models = useFetch((signal) => api.models(signal), []);
  const audit = useFetch((signal) => api.modelAudit({ limit: RECENT_CHANGES }, signal), []);
  if (models.error) return <LoadError error={models.error} />;
  if (!models.data) return <p className="muted">{models.loading ? 'Loading models…' : ''}</p>;
  if (models.data.length === 0) {
    return (
      <EmptyState title="No registered models yet">
        <p>A model version is the model a run wrote, promoted once the run succeeded and passed its gates. Press Promote on a run's page, or:</p>
        <pre>reprise promote &lt;run&gt; --model &lt;name&gt;</pre>
      </EmptyState>
    );
  }
  return (
    <div className="models-page">
      <h1>Models</h1>
      <table className="plain models-table" data-testid="models-table">
        <thead>
          <tr>
            <th>Model</th>
            <th className="num">Versions</th>
            <th>Latest</th>
            <th>Aliases</th>
            <th>Updated</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {models.data.map((m) => (
            <tr key={m.name} data-testid="model-row" data-model={m.name}>
              <td>
                <Link to={paths.model(m.name)} data-testid="model-link" className="model-name">
                  {m.name}
                </Link>
              </td>
              <td className="num" data-testid="model-versions-count">
                {m.versions}
              </td>
              <td>
                <Link to={paths.model(m.name, m.latestVersion)}>v{m.latestVersion}</Link>
              </td>
              <td data-testid="model-row-aliases">
                {Object.entries(m.aliases)
                  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                  .map(([alias, version]) => (
                    <span key={alias} className="alias-pair" data-testid="model-row-alias" data-alias={alias} data-version={version}>
                      <span className="alias-chip">{alias}</span> v{version}
                    </span>
                  ))}
              </td>
              <td title={new Date(m.updatedAt).toISOString()}>{formatAgo(m.updatedAt)}</td>
              <td>{formatDate(m.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Recent changes</h2>
      {audit.error ? <LoadError error={audit.error} /> : audit.data ? <ModelAudit entries={audit.data} showModel /> : <p className="muted">Loading…</p>}
    </div>
  );
}
