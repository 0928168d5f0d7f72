/**
 * One run: what it ran (code, params, environment), how it went (stages, logs, metrics,
 * histograms, notes) and what it produced (artifacts). While the run is going the page
 * follows it through the server's events, without reloading.
 */
import { useCallback, useEffect, useRef } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, isActiveStatus, type RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { EmptyState, LoadError } from '../components/empty-state.js';
import { RunArtifacts } from '../components/run-artifacts.js';
import { RunCharts } from '../components/run-charts.js';
import { RunCode } from '../components/run-code.js';
import { RunData } from '../components/run-data.js';
import { RunDeletedBanner } from '../components/run-deleted.js';
import { RunDistributions } from '../components/run-distributions.js';
import { RunEnvironment } from '../components/run-environment.js';
import { FailureBox, RunHeader } from '../components/run-header.js';
import { useRunEventHub, type SubscribeRunEvents } from '../components/run-live.js';
import { RunLogs } from '../components/run-logs.js';
import { RunNotes } from '../components/run-notes.js';
import { RunOverview } from '../components/run-overview.js';
import { RunPromotion } from '../components/run-promotion.js';
import { useFetch } from '../use-fetch.js';
import type { RunEvent } from '../use-run-events.js';
import { useUrlState } from '../url-state.js';

const TABS = ['overview', 'metrics', 'distributions', 'notes', 'logs', 'artifacts', 'code', 'environment', 'data'] as const;
type Tab = (typeof TABS)[number];

/** Stages start and end without an event of their own: while events flow, the record is read again this often at most. */
const DETAILS_REFRESH_MS = 3000;

function tabLabel(tab: Tab, details: RunDetails): string {
  const word = tab[0]!.toUpperCase() + tab.slice(1);
  if (tab === 'metrics') return `${word} (${Object.keys(details.run.metrics).length})`;
  if (tab === 'artifacts') return `${word} (${details.artifacts.length})`;
  return word;
}

/** Reads the run again on a status change at once, and on other news at most every few seconds. */
function useDetailsRefresh(reload: () => void, status: string | undefined) {
  const last = useRef(0);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return useCallback(
    (e: RunEvent) => {
      const now = Date.now();
      if (e.type === 'run' && e['status'] !== status) {
        window.clearTimeout(timer.current);
        timer.current = undefined;
        last.current = now;
        reload();
        return;
      }
      if (timer.current !== undefined) return;
      const wait = Math.max(0, last.current + DETAILS_REFRESH_MS - now);
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        reload();
      }, wait);
    },
    [reload, status],
  );
}

function TabBody({ tab, details, subscribe }: { tab: Tab; details: RunDetails; subscribe: SubscribeRunEvents }) {
  switch (tab) {
    case 'overview':
      return <RunOverview details={details} />;
    case 'metrics':
      return <RunCharts details={details} subscribe={subscribe} />;
    case 'distributions':
      return <RunDistributions details={details} subscribe={subscribe} />;
    case 'notes':
      return <RunNotes details={details} subscribe={subscribe} />;
    case 'logs':
      return <RunLogs details={details} subscribe={subscribe} />;
    case 'artifacts':
      return <RunArtifacts details={details} />;
    case 'code':
      return <RunCode details={details} />;
    case 'environment':
      return <RunEnvironment details={details} />;
    case 'data':
      return <RunData details={details} />;
  }
}

function NoSuchRun({ id, malformed }: { id: string; malformed: boolean }) {
  return (
    <EmptyState title={`No run with id ${id}`}>
      <p>{malformed ? 'That is not a run id: a run id is 26 letters and digits.' : 'The link may be mistyped, or the run was recorded in another store.'}</p>
      <p>
        <Link to={paths.projects()}>See all projects and their runs</Link>
      </p>
    </EmptyState>
  );
}

export function RunPage() {
  const id = useParams().id ?? '';
  const url = useUrlState();
  const { data: details, error, reload } = useFetch((signal) => api.run(id, signal), [id]);
  const status = details?.run.status;
  const active = status !== undefined && isActiveStatus(status);
  const onPageEvent = useDetailsRefresh(reload, status);
  const subscribe = useRunEventHub(details?.run.id, active, onPageEvent);

  const requested = url.get('tab', 'overview');
  const tab: Tab = (TABS as readonly string[]).includes(requested) ? (requested as Tab) : 'overview';
  const logsHref = useCallback((stage: string) => `${paths.run(id)}?tab=logs&stage=${encodeURIComponent(stage)}`, [id]);

  if (error && !details) {
    // The id is this request's only input, so a refused request means a malformed id.
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return <NoSuchRun id={id} malformed={error.status === 400} />;
    return <LoadError error={error} />;
  }
  if (!details) return <p className="muted">Loading run…</p>;
  return (
    <div className="run-page">
      <RunHeader details={details} onChanged={reload} />
      <RunDeletedBanner details={details} />
      <RunPromotion details={details} onChanged={reload} />
      {error ? <LoadError error={error} /> : null}
      <FailureBox details={details} logsHref={logsHref} />
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={t === tab}
            data-testid={`tab-${t}`}
            onClick={() => url.set({ tab: t === 'overview' ? null : t }, { push: true })}
          >
            {tabLabel(t, details)}
          </button>
        ))}
      </div>
      <div role="tabpanel" data-testid={`panel-${tab}`} key={details.run.id}>
        <TabBody tab={tab} details={details} subscribe={subscribe} />
      </div>
    </div>
  );
}
