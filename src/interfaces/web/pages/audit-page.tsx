/**
 * The audit log, `/audit` (admins): who did what when, newest first, filtered by user
 * (`by=`) and by action or family (`action=`), a page at a time; `before=` (the time of
 * the last entry of the page before) opens an older page, all of it in the address.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api, type AuditLogEntry } from '../api.js';
import { AUDIT_FAMILIES, auditDetails, auditTargetPage } from '../access-words.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';
import { useUrlState } from '../url-state.js';

/** Entries a page. */
const PAGE = 50;

export function AuditPage() {
  const session = useSession();
  if (session.auth && !session.may('admin')) {
    return (
      <EmptyState title="The audit log is for admins">
        <p>Your role ({session.user?.role}) may not read it. An admin can: reprise audit, or this page.</p>
      </EmptyState>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const url = useUrlState();
  const by = url.get('by');
  const action = url.get('action');
  const beforeValue = url.getNumber('before', Number.NaN);
  const before = Number.isFinite(beforeValue) ? beforeValue : undefined;
  const loaded = useFetch((signal) => api.audit({ limit: PAGE, by: by || undefined, action: action || undefined, before }, signal), [by, action, before]);
  const entries = loaded.data;
  const last = entries?.at(-1);

  return (
    <div className="audit-page">
      <h1>Audit log</h1>
      <p className="muted">Users, roles, grants and tokens; promotions and alias moves; deletions and gc. Newest first.</p>
      <AuditFilters by={by} action={action} onChange={(next) => url.set({ ...next, before: null }, { push: true })} />
      {loaded.error ? <LoadError error={loaded.error} /> : null}
      {!entries ? (
        loaded.error ? null : <p className="muted">Loading the audit log…</p>
      ) : entries.length === 0 ? (
        <EmptyState title={before !== undefined ? 'No older entries' : by || action ? 'No entries match' : 'Nothing recorded yet'}>
          {by || action ? <p>Change the user or the action above, or show everything.</p> : <p>Adding users and tokens, promoting and gc write here.</p>}
        </EmptyState>
      ) : (
        <AuditTable entries={entries} action={action} />
      )}
      <div className="toolbar audit-paging">
        {before !== undefined ? (
          <button type="button" onClick={() => url.set({ before: null }, { push: true })} data-testid="audit-newest">
            Newest
          </button>
        ) : null}
        {entries && entries.length === PAGE && last ? (
          <button type="button" onClick={() => url.set({ before: last.at }, { push: true })} data-testid="audit-older" title="The entries before the last one shown">
            Older
          </button>
        ) : null}
        {loaded.loading && entries ? <span className="muted">Loading…</span> : null}
      </div>
    </div>
  );
}

/** The user (typed, applied on Enter or on leaving the box) and the action family (applied at once). */
function AuditFilters({ by, action, onChange }: { by: string; action: string; onChange: (next: { by?: string | null; action?: string | null }) => void }) {
  const [typed, setTyped] = useState(by);
  useEffect(() => setTyped(by), [by]);
  // The names to pick from; an admin may read them, and the log's own `by` can be someone else too (root, a run).
  const users = useFetch((signal) => api.users(signal), []);
  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    if (typed.trim() !== by) onChange({ by: typed.trim() || null });
  };
  const known = AUDIT_FAMILIES.some((f) => f.family === action);
  return (
    <form className="toolbar audit-filters" onSubmit={apply} data-testid="audit-filters">
      <label>
        User
        <input value={typed} onChange={(e) => setTyped(e.target.value)} onBlur={() => apply()} list="audit-users" placeholder="anyone" size={16} spellCheck={false} data-testid="audit-by" />
      </label>
      <datalist id="audit-users">
        {(users.data ?? []).map((u) => (
          <option key={u.name} value={u.name} />
        ))}
      </datalist>
      <label>
        Action
        <select value={action} onChange={(e) => onChange({ action: e.target.value || null })} data-testid="audit-action">
          <option value="">every action</option>
          {AUDIT_FAMILIES.map((f) => (
            <option key={f.family} value={f.family}>
              {f.label}
            </option>
          ))}
          {action && !known ? <option value={action}>{action}</option> : null}
        </select>
      </label>
      {by || action ? (
        <button type="button" onClick={() => onChange({ by: null, action: null })} data-testid="audit-clear">
          Show everything
        </button>
      ) : null}
    </form>
  );
}

function AuditTarget({ entry }: { entry: AuditLogEntry }) {
  const page = auditTargetPage(entry);
  if (page?.kind === 'run') return <Link to={paths.run(page.id)} className="mono">{entry.target}</Link>;
  if (page?.kind === 'model') return <Link to={paths.model(page.id)}>{entry.target}</Link>;
  return <span>{entry.target}</span>;
}

function AuditTable({ entries, action }: { entries: readonly AuditLogEntry[]; action: string }) {
  return (
    <div className="table-scroll">
      <table className="plain audit-table" data-testid="audit-table">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Target</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e, i) => (
            <tr key={`${e.at}-${i}`} data-testid="audit-row" data-at={e.at} data-action={e.action} data-by={e.by} data-target={e.target}>
              <td className="nowrap" title={new Date(e.at).toISOString()}>
                {formatDate(e.at)} <span className="muted">({formatAgo(e.at)})</span>
              </td>
              <td>
                <Link to={paths.audit({ by: e.by, action })} title={`Only what ${e.by} did`}>
                  {e.by}
                </Link>
              </td>
              <td>
                <code className="audit-action">{e.action}</code>
              </td>
              <td>
                <AuditTarget entry={e} />
              </td>
              <td className="audit-details">{auditDetails(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
