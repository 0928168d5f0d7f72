/**
 * Signing in, `/login?next=…`: a user name and a password, then back to the page that
 * asked (`next`). A refusal shows in the server's words: a wrong password, or too many
 * tries, with the wait counted down before the next one may go.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { api, ApiError } from '../api.js';
import { safeNext } from '../paths.js';
import { useSession } from '../session.js';

/** Seconds left until `until` (ms), counted down once a second; 0 once it passed. */
function useSecondsLeft(until: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= Date.now()) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

export function LoginPage() {
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [waitUntil, setWaitUntil] = useState(0);
  const wait = useSecondsLeft(waitUntil);

  // Nothing to sign in to, or signed in already: on to the page asked for.
  if (!session.auth || session.user) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const info = await api.signIn(user.trim(), password);
      // Away first: the page behind `next` must not see a signed-out session on its way.
      navigate(next, { replace: true });
      session.signedIn(info);
    } catch (err) {
      setPassword('');
      setError(err instanceof Error ? err : new Error(String(err)));
      if (err instanceof ApiError && err.status === 429 && err.retryAfter !== undefined) setWaitUntil(Date.now() + err.retryAfter * 1000);
      setBusy(false);
    }
  };

  return (
    <main className="login-main">
      <form className="login-card card" data-testid="login-form" onSubmit={(e) => void submit(e)}>
        <h1>Sign in to Reprise</h1>
        <p className="muted">This server asks who you are. An admin gives you a user name and a password (reprise users add).</p>
        <label className="field">
          <span>User name</span>
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={user}
            onChange={(e) => setUser(e.target.value)}
            required
            autoFocus
            data-testid="login-user"
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            data-testid="login-password"
          />
        </label>
        {error ? (
          <div className="load-error" role="alert" data-testid="login-error">
            <strong>{error instanceof ApiError && error.status === 429 ? 'Too many tries.' : 'Not signed in.'}</strong> {error.message}
            {wait > 0 ? (
              <div className="hint" data-testid="login-wait">
                You can try again in {wait} s.
              </div>
            ) : null}
          </div>
        ) : null}
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy || wait > 0 || user.trim() === '' || password === ''} data-testid="login-submit">
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
