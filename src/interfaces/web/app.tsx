/**
 * The web UI's pages and their addresses. Each page keeps its settings in the query of
 * its address, so the address alone reproduces what is on screen.
 */
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useParams } from 'react-router-dom';
import { api } from './api.js';
import { CopyLink } from './components/copy-link.js';
import { EmptyState, LoadError } from './components/empty-state.js';
import { clientLinkTarget } from './mlflow.js';
import { ComparePage } from './pages/compare-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { DataPage } from './pages/data-page.js';
import { DataTablePage } from './pages/data-table-page.js';
import { ModelPage } from './pages/model-page.js';
import { ModelsPage } from './pages/models-page.js';
import { ProjectsPage } from './pages/projects-page.js';
import { QueuePage } from './pages/queue-page.js';
import { RunPage } from './pages/run-page.js';
import { RunsPage } from './pages/runs-page.js';
import { SweepPage } from './pages/sweep-page.js';
import { SweepsPage } from './pages/sweeps-page.js';
import { paths } from './paths.js';
import { useFetch } from './use-fetch.js';

function Header() {
  const { project } = useParams();
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
        <Link to={paths.queue()} data-testid="nav-queue">
          Queue
        </Link>
        <Link to={paths.data()} data-testid="nav-data">
          Data
        </Link>
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
    </header>
  );
}

function Page({ children }: { children: React.ReactNode }) {
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
      <Routes>
        <Route path="/" element={<Page><Home /></Page>} />
        <Route path="/projects/:project" element={<Page><RunsPage /></Page>} />
        <Route path="/projects/:project/dashboard" element={<Page><DashboardPage /></Page>} />
        <Route path="/projects/:project/sweeps" element={<Page><SweepsPage /></Page>} />
        <Route path="/projects/:project/sweeps/:id" element={<Page><SweepPage /></Page>} />
        <Route path="/runs/:id" element={<Page><RunPage /></Page>} />
        <Route path="/compare" element={<Page><ComparePage /></Page>} />
        <Route path="/models" element={<Page><ModelsPage /></Page>} />
        <Route path="/models/:name" element={<Page><ModelPage /></Page>} />
        <Route path="/queue" element={<Page><QueuePage /></Page>} />
        <Route path="/data" element={<Page><DataPage /></Page>} />
        <Route path="/data/:table" element={<Page><DataTablePage /></Page>} />
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
    </BrowserRouter>
  );
}
