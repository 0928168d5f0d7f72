/**
 * Who is signed in, for every page: the session as GET /session answered it, and what the
 * user's role allows where. A server without sign-in (auth off) lets everyone do
 * everything, so every page shows every control, as it did before sign-in existed.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { mayDo, roleIn } from '../../core/access.js';
import { api, ApiError, sessionStore, type Action, type Role, type SessionInfo, type SessionUser } from './api.js';
import { LoadError } from './components/empty-state.js';

export interface Session {
  /** Whether the server asks who calls. */
  readonly auth: boolean;
  /** Null when signed out, and always without auth. */
  readonly user: SessionUser | null;
  /**
   * Whether the user may take an action: in a project (or in every one of several) when
   * given, a grant there counting, else by the server role. Always, without auth.
   */
  may(action: Action, project?: string | readonly string[]): boolean;
  /** The user's role in a project (its grant there, else its server role); null signed out or without auth. */
  roleIn(project?: string): Role | null;
  /** Keeps what a sign-in answered. */
  signedIn(info: SessionInfo): void;
  /** Forgets the user on screen, once the server ended its session (DELETE /session). */
  signedOut(): void;
}

const NO_AUTH: SessionInfo = { auth: false, user: null, csrfToken: null };

function sessionOf(info: SessionInfo, apply: (next: SessionInfo) => void): Session {
  const { auth, user } = info;
  return {
    auth,
    user,
    may: (action, project) => {
      if (!auth) return true;
      if (!user) return false;
      const projects = project === undefined ? [] : typeof project === 'string' ? [project] : project;
      return mayDo(user, action, projects);
    },
    roleIn: (project) => (auth && user ? roleIn(user, project) : null),
    signedIn: apply,
    signedOut: () => apply({ auth, user: null, csrfToken: null }),
  };
}

/** Without a provider (a page on its own), as a server without sign-in: everything allowed. */
const SessionContext = createContext<Session>(sessionOf(NO_AUTH, () => undefined));

export function useSession(): Session {
  return useContext(SessionContext);
}

/** Reads the session before any page shows, and forgets the user when the server stops taking its session. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<SessionInfo | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const apply = useCallback((next: SessionInfo) => {
    // Set here rather than in an effect: the requests of the next render must already carry it.
    sessionStore.set(next);
    setInfo(next);
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    api.session(ctl.signal).then(apply, (e: Error) => {
      if (ctl.signal.aborted) return;
      // A server from before sign-in has no /session: it asks no one.
      if (e instanceof ApiError && e.status === 404) apply(NO_AUTH);
      else setError(e);
    });
    return () => ctl.abort();
  }, [apply]);

  useEffect(
    () =>
      sessionStore.onAuthLost(() => {
        sessionStore.set({ auth: true, csrfToken: null });
        setInfo((i) => (i?.user ? { ...i, user: null, csrfToken: null } : i));
      }),
    [],
  );

  const session = useMemo(() => (info ? sessionOf(info, apply) : undefined), [info, apply]);
  if (!session) {
    return <main>{error ? <LoadError error={error} /> : <p className="muted">Loading…</p>}</main>;
  }
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
