/**
 * The web UI's pages and their addresses. Each page keeps its settings in the query of
 * its address, so the address alone reproduces what is on screen. On a server that asks
 * who calls, the session is read first and every page but the sign-in needs one.
 */
import { useEffect, useState } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useNavigate, useParams } from 'react-router-dom';
import { alertEvents, api } from './api.js';
import { CopyLink } from './components/copy-link.js';
import { EmptyState, LoadError } from './components/empty-state.js';
import { clientLinkTarget } from './mlflow.js';
import { AccountPage } from './pages/account-page.js';
import { AuditPage } from './pages/audit-page.js';
import { ComparePage } from './pages/compare-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { DataPage } from './pages/data-page.js';
import { DataTablePage } from './pages/data-table-page.js';
import { LoginPage } from './pages/login-page.js';
import { ModelPage } from './pages/model-page.js';
import { ModelProductionPage } from './pages/model-production-page.js';
import { ModelsPage } from './pages/models-page.js';
import { ProductionPage } from './pages/production-page.js';
import { ProjectsPage } from './pages/projects-page.js';
import { QueuePage } from './pages/queue-page.js';
import { RunPage } from './pages/run-page.js';
import { RunsPage } from './pages/runs-page.js';
import { SweepPage } from './pages/sweep-page.js';
import { SweepsPage } from './pages/sweeps-page.js';
import { paths } from './paths.js';
import { SessionProvider, useSession } from './session.js';
import { useFetch } from './use-fetch.js';

/** The signed-in user, its role (in the project shown, where a grant makes it another), and Sign out. */
function SessionBox({ project }: { project: string | undefined }) {
  const session = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<string | undefined>(undefined);
  const user = session.user;
  if (!session.auth || !user) return null;
  const role = session.roleIn(project) ?? user.role;
  const signOut = async () => {
    setError(undefined);
    try {
      await api.signOut();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return;
    }
    // Both at once: the page left must not see a signed-out session and ask to come back to it.
    navigate(paths.login(), { replace: true });
    session.signedOut();
  };
  return (
    <span className="session-box" data-testid="session-box">
      <Link to={paths.account()} data-testid="session-user" title="Your role, grants and tokens">
        {user.name}
      </Link>
      <span className={`role-chip role-${role}`} data-testid="session-role" title={role === user.role ? `${role} on this server` : `${role} in ${project ?? ''} (${user.role} elsewhere)`}>
        {role}
      </span>
      <button type="button" onClick={() => void signOut()} data-testid="sign-out">
        Sign out
      </button>
      {error ? (
        <span className="error-text" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** Open alerts counted for the header: past this many it says "99+". */
const ALERT_COUNT_LIMIT = 100;
const ALERT_COUNT_REFRESH_MS = 60_000;

/** Production in the header, with how many alerts are open; read again every minute and after an acknowledgement. */
function ProductionNav() {
  const { data, reload } = useFetch((signal) => api.alerts({ open: true, limit: ALERT_COUNT_LIMIT }, signal), []);
  useEffect(() => alertEvents.onChange(reload), [reload]);
  useEffect(() => {
    const timer = window.setInterval(reload, ALERT_COUNT_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);
  const open = data?.length ?? 0;
  return (
    <Link to={paths.production()} data-testid="nav-production" title={open > 0 ? `${open >= ALERT_COUNT_LIMIT ? 'more than 99' : open} open alerts` : 'models in production'}>
      Production
      {open > 0 ? (
        <span className="nav-count" data-testid="nav-alert-count" data-count={open}>
          {open >= ALERT_COUNT_LIMIT ? '99+' : open}
        </span>
      ) : null}
    </Link>
  );
}

function Header() {
  const { project } = useParams();
  const session = useSession();
  return (
    <header className="top">
      <Link to="/" className="brand">
        Reprise
      </Link>
      <nav>
        <Link to="/">Projects</Link>
        <Link to={paths.models()} data-testid="nav-models">
          Models
        </Link>
        <ProductionNav />
        <Link to={paths.queue()} data-testid="nav-queue">
          Queue
        </Link>
        <Link to={paths.data()} data-testid="nav-data">
          Data
        </Link>
        {session.auth && session.user && session.may('admin') ? (
          <Link to={paths.audit()} data-testid="nav-audit">
            Audit
          </Link>
        ) : null}
        {project ? (
          <>
            <span className="sep">/</span>
            <Link to={paths.runs(project)}>{project}</Link>
            <Link to={paths.dashboard(project)}>Dashboard</Link>
            <Link to={paths.sweeps(project)} data-testid="nav-sweeps">
              Sweeps
            </Link>
          </>
        ) : null}
      </nav>
      <span className="grow" />
      <CopyLink />
      <SessionBox project={project} />
    </header>
  );
}

/** A page of the UI; on a server that asks who calls, the sign-in page first (back here after). */
function Page({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.auth && !session.user) return <Navigate to={paths.login(`${location.pathname}${location.search}${location.hash}`)} replace />;
  return (
    <>
      <Header />
      <main>{children}</main>
    </>
  );
}

/** An MLflow experiment's page (`#/experiments/E`) is its project's runs; the experiment id is the project record's number. */
function ExperimentLink({ experiment }: { experiment: string }) {
  const { data, error } = useFetch((signal) => api.projectRecords(signal), []);
  if (error) return <LoadError error={error} />;
  if (!data) return <p className="muted">Opening experiment {experiment}…</p>;
  const project = data.find((p) => String(p.id) === experiment);
  if (!project) {
    return (
      <EmptyState title={`No experiment with id ${experiment}`}>
        <p>This link was printed by the MLflow client for another server, or its experiment was never recorded here.</p>
        <p>
          <Link to={paths.projects()}>See all projects</Link>
        </p>
      </EmptyState>
    );
  }
  return <Navigate to={paths.runs(project.name)} replace />;
}

/**
 * The projects page, unless the address is one the MLflow client printed ("View run … at
 * http://host/#/experiments/1/runs/<id>"): then the run's or the project's page, in place
 * of this entry in the history, so going back does not land here and bounce forward again.
 */
function Home() {
  const target = clientLinkTarget(useLocation().hash);
  if (!target) return <ProjectsPage />;
  // The MLflow run id is the Reprise run id.
  if (target.kind === 'run') return <Navigate to={paths.run(target.runId)} replace />;
  return <ExperimentLink experiment={target.experiment} />;
}

export function App() {
  return (
    // Without transitions a control bound to the URL shows its new state at once (a
    // checkbox would otherwise flip back until the transition commits).
    <BrowserRouter useTransitions={false}>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/" element={<Page><Home /></Page>} />
          <Route path="/projects/:project" element={<Page><RunsPage /></Page>} />
          <Route path="/projects/:project/dashboard" element={<Page><DashboardPage /></Page>} />
          <Route path="/projects/:project/sweeps" element={<Page><SweepsPage /></Page>} />
          <Route path="/projects/:project/sweeps/:id" element={<Page><SweepPage /></Page>} />
          <Route path="/runs/:id" element={<Page><RunPage /></Page>} />
          <Route path="/compare" element={<Page><ComparePage /></Page>} />
          <Route path="/models" element={<Page><ModelsPage /></Page>} />
          <Route path="/models/:name" element={<Page><ModelPage /></Page>} />
          <Route path="/models/:name/production" element={<Page><ModelProductionPage /></Page>} />
          <Route path="/production" element={<Page><ProductionPage /></Page>} />
          <Route path="/queue" element={<Page><QueuePage /></Page>} />
          <Route path="/data" element={<Page><DataPage /></Page>} />
          <Route path="/data/:table" element={<Page><DataTablePage /></Page>} />
          <Route path="/audit" element={<Page><AuditPage /></Page>} />
          <Route path="/account" element={<Page><AccountPage /></Page>} />
          <Route
            path="*"
            element={
              <Page>
                <EmptyState title="No such page">
                  <p>
                    <Link to="/">See all projects</Link>
                  </p>
                </EmptyState>
              </Page>
            }
          />
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}
