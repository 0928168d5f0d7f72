/**
 * One registered model, `/models/<name>`: where its aliases point, every version with the
 * run it came from and that run's final metrics, the version chosen (`version=`) with its
 * files and lineage, and the log of its promotions and alias moves; a link to how it does in
 * production.
 */
import { useCallback, useMemo } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../api.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { ModelAliasForm, ModelAliasList } from '../components/model-aliases.js';
import { ModelAudit } from '../components/model-audit.js';
import { ModelVersionDetail } from '../components/model-version-detail.js';
import { ModelVersions } from '../components/model-versions.js';
import { formatAgo, formatDate, plural } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

const AUDIT_LIMIT = 200;

export function ModelPage() {
  const name = useParams().name ?? '';
  const url = useUrlState();
  const loaded = useFetch((signal) => api.model(name, signal), [name]);
  const audit = useFetch((signal) => api.modelAudit({ model: name, limit: AUDIT_LIMIT }, signal), [name]);
  const { reload: reloadModel } = loaded;
  const { reload: reloadAudit } = audit;
  const reload = useCallback(() => {
    reloadModel();
    reloadAudit();
  }, [reloadModel, reloadAudit]);
  const versions = loaded.data?.versions;
  const runNames = useMemo(() => new Map((versions ?? []).map((v) => [v.runId, v.runName])), [versions]);
  const chosen = url.getNumber('version', Number.NaN);
  const selected = versions?.some((v) => v.version === chosen) ? chosen : undefined;
  // Moving an alias is promote in every project the model's versions came from, as the server weighs it.
  const projects = useMemo(() => [...new Set((versions ?? []).map((v) => v.project))], [versions]);
  const mayMoveAliases = useSession().may('promote', projects);

  if (loaded.error && !loaded.data) {
    if (loaded.error instanceof ApiError && loaded.error.status === 404) {
      return (
        <EmptyState title={`No model named ${name}`}>
          <p>
            <Link to={paths.models()}>See every registered model</Link>
          </p>
        </EmptyState>
      );
    }
    return <LoadError error={loaded.error} />;
  }
  if (!loaded.data || !versions) return <p className="muted">Loading model…</p>;
  const { model } = loaded.data;
  return (
    <div className="model-page">
      <div className="run-title">
        <h1 data-testid="model-name">{model.name}</h1>
        <span className="muted" data-testid="model-summary">
          {plural(model.versions, 'version')}, latest v{model.latestVersion}; registered {formatDate(model.createdAt)}, last change{' '}
          <span title={new Date(model.updatedAt).toISOString()}>{formatAgo(model.updatedAt)}</span>
        </span>
        <span className="grow" />
        <Link to={paths.modelProduction(model.name)} data-testid="model-production-link" title="Traffic, drift, alerts and monitoring of the versions served">
          Production
        </Link>
      </div>
      {loaded.error ? <LoadError error={loaded.error} /> : null}
      <section>
        <h2>Aliases</h2>
        <ModelAliasList model={model} />
        {mayMoveAliases ? <ModelAliasForm model={model} versions={versions.map((v) => v.version)} onMoved={reload} /> : null}
      </section>
      <section>
        <h2>Versions</h2>
        <ModelVersions versions={versions} selected={selected} onSelect={(v) => url.set({ version: v ?? null }, { push: true })} />
      </section>
      {selected !== undefined ? <ModelVersionDetail key={selected} model={model.name} version={selected} fallback={versions.find((v) => v.version === selected)} /> : null}
      <section>
        <h2>History</h2>
        <p className="muted">Every promotion and alias move, newest first.</p>
        {audit.error ? <LoadError error={audit.error} /> : audit.data ? <ModelAudit entries={audit.data} runNames={runNames} /> : <p className="muted">Loading…</p>}
      </section>
    </div>
  );
}
