/** The audit log of registered models: every promotion and alias move, who made it and when, newest first. */
import { Link } from 'react-router-dom';
import type { AuditEntry } from '../api.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';

function VersionLink({ model, version }: { model: string; version: number }) {
  return <Link to={paths.model(model, version)}>v{version}</Link>;
}

interface ModelAuditProps {
  entries: readonly AuditEntry[];
  /** Show which model each entry is about (the log of every model). */
  showModel?: boolean;
  /** Run names by id: with them, a Run column links each entry to its run by name. */
  runNames?: ReadonlyMap<string, string>;
}

export function ModelAudit({ entries, showModel = false, runNames }: ModelAuditProps) {
  if (entries.length === 0) return <p className="muted" data-testid="audit-empty">No promotions or alias moves yet.</p>;
  return (
    <table className="plain model-audit" data-testid="model-audit">
      <thead>
        <tr>
          <th>When</th>
          <th>Who</th>
          {showModel ? <th>Model</th> : null}
          <th>What</th>
          <th>Alias</th>
          <th>Version</th>
          {runNames ? <th>Run</th> : null}
          <th>Note</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id} data-testid="audit-entry" data-action={e.action} data-alias={e.alias} data-model={e.model}>
            <td title={new Date(e.at).toISOString()}>
              {formatDate(e.at)} <span className="muted">({formatAgo(e.at)})</span>
            </td>
            <td data-testid="audit-by">{e.by}</td>
            {showModel ? (
              <td>
                <Link to={paths.model(e.model)}>{e.model}</Link>
              </td>
            ) : null}
            <td>{e.action === 'promote' ? 'promoted' : 'moved alias'}</td>
            <td>
              <span className="alias-chip">{e.alias}</span>
            </td>
            <td data-testid="audit-change">
              {e.fromVersion !== null ? (
                <>
                  <VersionLink model={e.model} version={e.fromVersion} /> →{' '}
                </>
              ) : (
                <span className="muted">none → </span>
              )}
              <VersionLink model={e.model} version={e.toVersion} />
            </td>
            {runNames ? <td>{e.runId ? <Link to={paths.run(e.runId)}>{runNames.get(e.runId) ?? e.runId}</Link> : null}</td> : null}
            <td className="audit-note" data-testid="audit-note">
              {e.note ?? ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
