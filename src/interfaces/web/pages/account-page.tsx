/**
 * The signed-in user's page, `/account`: its role and grants, and its API tokens, made
 * here (the text shown once, to copy) and revoked here. Admins also manage the users:
 * each one's role on the server, and whether it may sign in at all.
 */
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ROLE_ACTIONS, ROLES } from '../../../core/access.js';
import { api, type CreatedToken, type Role, type SessionUser, type TokenRecord, type UserView } from '../api.js';
import { tokenState } from '../access-words.js';
import { CancelButton } from '../components/cancel-button.js';
import { copyText } from '../components/copy-link.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { Facts } from '../components/facts.js';
import { formatAgo, formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { useFetch } from '../use-fetch.js';

/** How long a new token works, as the server takes it (`expiresIn`); '' for until revoked. */
const EXPIRIES: readonly { value: string; label: string }[] = [
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
  { value: '365d', label: '1 year' },
  { value: '', label: 'never (until revoked)' },
];
const DEFAULT_EXPIRY = '30d';

const VIA: Record<SessionUser['via'], string> = { session: 'a web sign-in', token: 'a token', password: 'a password' };

export function AccountPage() {
  const session = useSession();
  const user = session.user;
  if (!session.auth || !user) {
    return (
      <EmptyState title="This server has no sign-in">
        <p>It was started without authentication: one user, on this machine only, may do everything.</p>
        <p>
          Start it with <code>reprise server --auth</code> to have users, roles and tokens.
        </p>
      </EmptyState>
    );
  }
  const grants = Object.entries(user.grants).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <div className="account-page">
      <h1 data-testid="account-name">{user.name}</h1>
      <Facts
        testId="account-facts"
        rows={[
          [
            'Role',
            <>
              <span className={`role-chip role-${user.role}`} data-testid="account-role">
                {user.role}
              </span>{' '}
              <span className="muted">may {ROLE_ACTIONS[user.role].join(', ')}</span>
            </>,
          ],
          [
            'Grants',
            grants.length === 0 ? (
              <span className="muted">none: the role above holds in every project</span>
            ) : (
              <ul className="grant-list" data-testid="account-grants">
                {grants.map(([project, role]) => (
                  <li key={project} data-project={project}>
                    <Link to={paths.runs(project)}>{project}</Link>: <span className={`role-chip role-${role}`}>{role}</span>
                  </li>
                ))}
              </ul>
            ),
          ],
          ['Signed in with', VIA[user.via]],
        ]}
      />
      <Tokens />
      {session.may('admin') ? <Users me={user.name} /> : null}
    </div>
  );
}

// ---- tokens -------------------------------------------------------------------------------

function Tokens() {
  const tokens = useFetch((signal) => api.tokens(signal), []);
  const [created, setCreated] = useState<CreatedToken | undefined>(undefined);
  const { reload } = tokens;
  return (
    <section className="account-tokens">
      <h2>Tokens</h2>
      <p className="muted">
        What scripts, the CLI (<code>REPRISE_TOKEN</code>) and the MLflow client (<code>MLFLOW_TRACKING_TOKEN</code>) sign in with. A token acts as you, with your role.
      </p>
      <CreateToken
        onCreated={(c) => {
          setCreated(c);
          reload();
        }}
      />
      {created ? <NewToken created={created} onDone={() => setCreated(undefined)} /> : null}
      {tokens.error ? <LoadError error={tokens.error} /> : null}
      {!tokens.data ? (
        tokens.error ? null : <p className="muted">Loading tokens…</p>
      ) : tokens.data.length === 0 ? (
        <p className="muted" data-testid="no-tokens">
          No tokens yet.
        </p>
      ) : (
        <TokenTable tokens={tokens.data} onChanged={reload} />
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (created: CreatedToken) => void }) {
  const [expiry, setExpiry] = useState(DEFAULT_EXPIRY);
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.createToken({ ...(expiry ? { expiresIn: expiry } : {}), ...(description.trim() ? { description: description.trim() } : {}) });
      setDescription('');
      onCreated(created);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="toolbar token-form" onSubmit={(e) => void submit(e)} data-testid="token-form">
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={200} placeholder="what it is for (optional)" size={28} data-testid="token-description" />
      </label>
      <label>
        Expires after
        <select value={expiry} onChange={(e) => setExpiry(e.target.value)} data-testid="token-expiry">
          {EXPIRIES.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="token-create">
        {busy ? 'Creating…' : 'Create token'}
      </button>
      {error ? (
        <span className="error-text" role="alert" data-testid="token-error">
          {error}
        </span>
      ) : null}
    </form>
  );
}

/** The text of a token just made: shown this once, with a button that copies it. */
function NewToken({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await copyText(created.token);
    setCopied(true);
  };
  return (
    <div className="new-token" role="status" data-testid="new-token" data-token-id={created.record.id}>
      <p>
        <strong>Token {created.record.id} created.</strong> Copy it now: <strong>it will not be shown again</strong>. Only its hash is kept.
      </p>
      <div className="new-token-row">
        <input readOnly value={created.token} className="mono" aria-label="The new token" onFocus={(e) => e.currentTarget.select()} data-testid="new-token-text" />
        <button type="button" onClick={() => void copy()} data-testid="new-token-copy">
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone} data-testid="new-token-done">
          Done
        </button>
      </div>
    </div>
  );
}

function TokenTable({ tokens, onChanged }: { tokens: readonly TokenRecord[]; onChanged: () => void }) {
  const now = Date.now();
  return (
    <table className="plain token-table" data-testid="token-table">
      <thead>
        <tr>
          <th>ID</th>
          <th>Description</th>
          <th>Created</th>
          <th>State</th>
          <th>Last used</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {tokens.map((t) => {
          const state = tokenState(t, now);
          return (
            <tr key={t.id} data-testid="token-row" data-token-id={t.id} data-state={state.state}>
              <td className="mono">{t.id}</td>
              <td>{t.description ?? <span className="muted">—</span>}</td>
              <td title={new Date(t.createdAt).toISOString()}>
                {formatDate(t.createdAt)} <span className="muted">by {t.createdBy}</span>
              </td>
              <td data-testid="token-state">
                <span className={`token-state token-${state.state}`}>{state.text}</span>
              </td>
              <td>{t.lastUsedAt !== null ? <span title={new Date(t.lastUsedAt).toISOString()}>{formatAgo(t.lastUsedAt)}</span> : <span className="muted">never</span>}</td>
              <td className="actions">
                {state.state === 'active' ? (
                  <CancelButton
                    question="Revoke it?"
                    label="Revoke"
                    busyLabel="Revoking…"
                    testId={`revoke-${t.id}`}
                    title="Refuse this token from the next request on"
                    onConfirm={() => api.revokeToken(t.id)}
                    onDone={onChanged}
                  />
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

// ---- users (admins) -----------------------------------------------------------------------

function Users({ me }: { me: string }) {
  const users = useFetch((signal) => api.users(signal), []);
  const { reload } = users;
  return (
    <section className="account-users">
      <h2>Users</h2>
      <p className="muted">
        Each user's role on the server; a grant gives another role in one project (<code>reprise users role NAME ROLE --project P</code>). Add users with{' '}
        <code>reprise users add NAME --role ROLE --password-stdin</code>.
      </p>
      {users.error ? <LoadError error={users.error} /> : null}
      {!users.data ? (
        users.error ? null : <p className="muted">Loading users…</p>
      ) : (
        <table className="plain users-table" data-testid="users-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Grants</th>
              <th>State</th>
              <th>Password</th>
              <th>Added</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <UserRow key={u.name} user={u} me={u.name === me} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One user: its role as a choice, Disable or Enable; not for yourself, so an admin cannot lock itself out by a click. */
function UserRow({ user, me, onChanged }: { user: UserView; me: boolean; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const update = async (body: { role?: Role; disabled?: boolean }) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.updateUser(user.name, body);
      onChanged();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const grants = Object.entries(user.grants);
  return (
    <tr data-testid="user-row" data-user={user.name} data-role={user.role} data-disabled={user.disabled}>
      <td>
        <Link to={paths.audit({ by: user.name })} title={`What ${user.name} did`}>
          {user.name}
        </Link>
        {me ? <span className="muted"> (you)</span> : null}
      </td>
      <td>
        {me ? (
          <span className={`role-chip role-${user.role}`}>{user.role}</span>
        ) : (
          <select value={user.role} disabled={busy} onChange={(e) => void update({ role: e.target.value as Role })} aria-label={`Role of ${user.name}`} data-testid="user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </td>
      <td>{grants.length === 0 ? <span className="muted">—</span> : grants.map(([p, r]) => `${p}: ${r}`).join(', ')}</td>
      <td data-testid="user-state">{user.disabled ? <span className="token-state token-revoked">disabled</span> : 'enabled'}</td>
      <td>{user.hasPassword ? 'set' : <span className="muted">tokens only</span>}</td>
      <td title={new Date(user.createdAt).toISOString()}>
        {formatDate(user.createdAt)} <span className="muted">by {user.createdBy}</span>
      </td>
      <td className="actions">
        {me ? null : user.disabled ? (
          <button type="button" disabled={busy} onClick={() => void update({ disabled: false })} data-testid="user-enable">
            Enable
          </button>
        ) : (
          <CancelButton
            question={`Disable ${user.name}?`}
            label="Disable"
            busyLabel="Disabling…"
            testId="user-disable"
            title="Its tokens are refused and its sessions end at once"
            onConfirm={() => api.updateUser(user.name, { disabled: true })}
            onDone={onChanged}
          />
        )}
        {error ? (
          <span className="error-text" role="alert" data-testid="user-error">
            {error}
          </span>
        ) : null}
      </td>
    </tr>
  );
}
