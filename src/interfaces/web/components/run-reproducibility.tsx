/**
 * Whether a run was reproduced: every check it is part of (as the original or as the
 * reproduction) with its verdict, what differed and how the environments differed; a
 * reproduction not checked yet as pending; otherwise how to reproduce it.
 */
import { memo, useEffect } from 'react';
import { Link } from 'react-router-dom';
import { shellQuote } from '../../../core/shell-quote.js';
import { api, ApiError, isActiveStatus, type JsonNumber, type RunDetails, type Verification } from '../api.js';
import { formatAgo, formatDate, formatNumber, plural } from '../format.js';
import { paths } from '../paths.js';
import { useFetch } from '../use-fetch.js';
import { CopyCommand } from './copy-link.js';
import { LoadError } from './empty-state.js';
import { NotRecorded } from './run-trigger.js';
import { VerdictBadge } from './verdict-badge.js';

type Difference = Verification['differences'][number];
type EnvironmentDifference = Verification['environment'][number];

/** Names of the other runs by id; null for a run this store does not hold (an imported reproduction's original). */
type Names = ReadonlyMap<string, string | null>;

interface Checks {
  verifications: Verification[];
  names: Names;
}

/** A reproduction's check is saved just after it ends: until then the list is read again this often, for this long. */
const PENDING_POLL_MS = 3000;
const PENDING_POLL_FOR_MS = 60_000;

async function loadChecks(runId: string, reproduces: string | undefined, signal: AbortSignal): Promise<Checks> {
  const verifications = await api.verifications(runId, signal);
  const others = new Set<string>(verifications.flatMap((v) => [v.original, v.reproduction]));
  if (reproduces !== undefined) others.add(reproduces);
  others.delete(runId);
  const named = await Promise.all(
    [...others].map((id) =>
      api.run(id, signal).then(
        (d): [string, string | null] => [id, d.run.name],
        (e: unknown): [string, string | null] => {
          if (e instanceof ApiError && e.status === 404) return [id, null];
          throw e;
        },
      ),
    ),
  );
  return { verifications, names: new Map(named) };
}

function RunLink({ id, names }: { id: string; names: Names }) {
  const name = names.get(id);
  if (name === null) {
    return (
      <span className="mono" data-testid="repro-run" title="this run is not in this store">
        {id}
      </span>
    );
  }
  return (
    <Link to={paths.run(id)} data-testid="repro-run" data-run-id={id}>
      {name ?? id}
    </Link>
  );
}

/** A compared value: a metric's number (NaN and ±Infinity arrive as strings), an artifact's hash, a status. */
function DiffValue({ kind, value }: { kind: Difference['kind']; value: number | string | null }) {
  if (value === null) return <span className="muted">missing</span>;
  if (kind === 'metric') return <span title={String(value)}>{formatNumber(value as JsonNumber, 8)}</span>;
  if (kind === 'artifact' || kind === 'data') {
    return <span className="mono" title={`${kind === 'data' ? 'content hash' : 'sha256'} ${value}`}>{String(value).slice(0, 12)}…</span>;
  }
  return <>{String(value)}</>;
}

function formatDelta(delta: number | string | null): string {
  if (delta === null) return '';
  const text = formatNumber(delta as JsonNumber);
  return typeof delta === 'number' && delta > 0 ? `+${text}` : text;
}

function DifferencesTable({ differences }: { differences: readonly Difference[] }) {
  if (differences.length === 0) return <p className="muted">None: every metric and artifact compared is the same.</p>;
  return (
    <table className="plain repro-differences" data-testid="repro-differences">
      <thead>
        <tr>
          <th>Kind</th>
          <th>Name</th>
          <th className="num">Original</th>
          <th className="num">Reproduction</th>
          <th className="num">Delta</th>
          <th className="num">Tolerance</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {differences.map((d) => (
          <tr key={`${d.kind}:${d.name}`} data-testid="repro-difference" data-kind={d.kind} data-name={d.name} data-outcome={d.outcome}>
            <td>{d.kind}</td>
            <td className="mono">{d.name}</td>
            <td className="num">
              <DiffValue kind={d.kind} value={d.original} />
            </td>
            <td className="num">
              <DiffValue kind={d.kind} value={d.reproduction} />
            </td>
            <td className="num" title={d.delta === null ? undefined : String(d.delta)}>
              {formatDelta(d.delta)}
            </td>
            <td className="num">{d.tolerance === null ? '' : `± ${formatNumber(d.tolerance)}`}</td>
            <td>
              <span className={`outcome outcome-${d.outcome}`}>{d.outcome === 'within_tolerance' ? 'within tolerance' : 'diverged'}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EnvironmentTable({ environment }: { environment: readonly EnvironmentDifference[] }) {
  if (environment.length === 0) return <p className="muted">Same interpreter, OS, CPU, GPUs and packages.</p>;
  const value = (v: string | null) => (v === null ? <span className="muted">none</span> : v);
  return (
    <table className="plain repro-environment" data-testid="repro-environment">
      <thead>
        <tr>
          <th>What</th>
          <th>Original</th>
          <th>Reproduction</th>
        </tr>
      </thead>
      <tbody>
        {environment.map((e) => (
          <tr key={e.what} data-testid="repro-env-row" data-what={e.what}>
            <td className="mono">{e.what}</td>
            <td className="mono">{value(e.original)}</td>
            <td className="mono">{value(e.reproduction)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What was compared: counts, names the rules left out, tolerances declared. */
function ComparedLine({ v }: { v: Verification }) {
  const tolerances = Object.entries(v.rules.tolerance);
  return (
    <p className="muted" data-testid="repro-compared">
      Compared {plural(v.compared.metrics, 'metric')} and {plural(v.compared.artifacts, 'artifact')}
      {v.ignored.length > 0 ? (
        <>
          ; ignored: <span className="mono">{v.ignored.join(', ')}</span>
        </>
      ) : null}
      {tolerances.length > 0 ? (
        <>
          ; tolerances: <span className="mono">{tolerances.map(([k, t]) => `${k} ± ${formatNumber(t)}`).join(', ')}</span>
        </>
      ) : null}
      .
    </p>
  );
}

function Check({ v, runId, names }: { v: Verification; runId: string; names: Names }) {
  const role = v.reproduction === runId ? 'reproduction' : 'original';
  return (
    <article className={`repro-check verdict-edge-${v.verdict}`} data-testid="repro-check" data-role={role} data-verdict={v.verdict}>
      <div className="repro-head">
        <span className="repro-direction" data-testid="repro-direction">
          {role === 'reproduction' ? 'reproduces' : 'reproduced by'} <RunLink id={role === 'reproduction' ? v.original : v.reproduction} names={names} />
        </span>
        <VerdictBadge verdict={v.verdict} />
        <span className="muted" title={new Date(v.checkedAt).toISOString()} data-testid="repro-checked">
          checked {formatDate(v.checkedAt)} ({formatAgo(v.checkedAt)})
        </span>
        <span className="grow" />
        <Link to={paths.compare([v.original, v.reproduction])} data-testid="repro-compare">
          Compare the two runs
        </Link>
      </div>
      <ComparedLine v={v} />
      <h3>Differences</h3>
      <DifferencesTable differences={v.differences} />
      <h3>Environment differences</h3>
      <EnvironmentTable environment={v.environment} />
    </article>
  );
}

/** A reproduction whose check is not recorded (yet). */
function PendingCheck({ original, names, active }: { original: string; names: Names; active: boolean }) {
  return (
    <article className="repro-check verdict-edge-pending" data-testid="repro-check" data-role="reproduction" data-verdict="pending">
      <div className="repro-head">
        <span className="repro-direction" data-testid="repro-direction">
          reproduces <RunLink id={original} names={names} />
        </span>
        <VerdictBadge verdict="pending" />
      </div>
      <p className="muted">{active ? 'The two runs are compared when this one finishes.' : 'No check of the two runs was recorded.'}</p>
    </article>
  );
}

function HowToReproduce({ details }: { details: RunDetails }) {
  const m = details.run.manifest;
  // `reprise reproduce` refuses such a run, so it is not suggested.
  if (!m.code || !m.environment) {
    return (
      <p className="muted" data-testid="repro-none">
        Cannot be reproduced: its code and environment were <NotRecorded manifest={m} />.
      </p>
    );
  }
  if (isActiveStatus(details.run.status)) return <p className="muted" data-testid="repro-none">Not reproduced: a run can be reproduced once it finishes.</p>;
  return (
    <p className="muted" data-testid="repro-none">
      Not reproduced yet. To run it again from its recorded code, params and environment and compare the outcome, run in its project's folder:{' '}
      <CopyCommand command={`reprise reproduce ${shellQuote(details.run.name)}`} testId="repro-command" />
    </p>
  );
}

/** While a finished reproduction has no check, reads the checks again for a short while. */
function usePendingPoll(pending: boolean, endedAt: number | null, reload: () => void) {
  useEffect(() => {
    if (!pending || endedAt === null || Date.now() - endedAt > PENDING_POLL_FOR_MS) return;
    const timer = window.setTimeout(reload, PENDING_POLL_MS);
    return () => window.clearTimeout(timer);
  });
}

export const RunReproducibility = memo(function RunReproducibility({ details }: { details: RunDetails }) {
  const run = details.run;
  const reproduces = run.manifest.run.reproduces;
  const active = isActiveStatus(run.status);
  const { data, error, reload } = useFetch((signal) => loadChecks(run.id, reproduces, signal), [run.id, reproduces, run.status]);
  const pending = data !== undefined && reproduces !== undefined && !data.verifications.some((v) => v.original === reproduces && v.reproduction === run.id);
  usePendingPoll(pending && !active, run.endedAt, reload);

  return (
    <section className="reproducibility" data-testid="reproducibility">
      <h2>Reproducibility</h2>
      {error && !data ? <LoadError error={error} /> : null}
      {!data ? (
        error ? null : <p className="muted">Loading checks…</p>
      ) : (
        <>
          {pending && reproduces !== undefined ? <PendingCheck original={reproduces} names={data.names} active={active} /> : null}
          {data.verifications.map((v) => (
            <Check key={`${v.original}:${v.reproduction}`} v={v} runId={run.id} names={data.names} />
          ))}
          {data.verifications.length === 0 && reproduces === undefined ? <HowToReproduce details={details} /> : null}
        </>
      )}
    </section>
  );
});
