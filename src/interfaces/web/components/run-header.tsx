/** The top of a run's page: what the run is, how it is doing, and why it failed if it did. */
import { Link } from 'react-router-dom';
import { api, isActiveStatus, type RunDetails, type RunStatus } from '../api.js';
import { paths } from '../paths.js';
import { formatAgo, formatDate } from '../format.js';
import { useSession } from '../session.js';
import { CancelButton } from './cancel-button.js';
import { LiveDuration } from './run-live.js';
import { TriggerFact } from './run-trigger.js';
import { StatusBadge } from './status-badge.js';

/** `onChanged` loads the run again, after a cancel. */
export function RunHeader({ details, onChanged }: { details: RunDetails; onChanged?: () => void }) {
  const run = details.run;
  const going = isActiveStatus(run.status);
  const submission = run.manifest.submission;
  const may = useSession().may;
  return (
    <div className="run-header" data-testid="run-header">
      <div className="run-title">
        <h1 data-testid="run-name">{run.name}</h1>
        <StatusBadge status={run.status} dev={run.dev} />
        {/* Only a queued run can be stopped from here: its worker listens for the request; a foreground run belongs to its terminal. */}
        {going && submission && may('run', run.project) ? (
          <CancelButton question="Cancel run?" testId="cancel-run" title={`Cancel ${run.name}`} onConfirm={() => api.cancelRun(run.id)} onDone={() => onChanged?.()} />
        ) : null}
      </div>
      <dl className="run-facts">
        <div>
          <dt>Project</dt>
          <dd>
            <Link to={paths.runs(run.project)} data-testid="run-project">
              {run.project}
            </Link>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd title={new Date(run.createdAt).toISOString()} data-testid="run-created">
            {formatDate(run.createdAt)} <span className="muted">({formatAgo(run.createdAt)})</span>
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd data-testid="run-duration">
            <LiveDuration start={run.startedAt ?? (going ? run.createdAt : null)} end={run.endedAt} going={going} />
            {run.startedAt === null && !going ? <span className="muted">did not start</span> : null}
          </dd>
        </div>
        <div>
          <dt>Host</dt>
          <dd data-testid="run-host">{run.host}</dd>
        </div>
        <div>
          <dt>Id</dt>
          <dd className="mono run-id" data-testid="run-id">
            {run.id}
          </dd>
        </div>
        <TriggerFact details={details} />
      </dl>
      <SubmissionLine details={details} />
    </div>
  );
}

/** How a queued run got here: its queue and submitter, its sweep, its attempt, the worker that took it. */
function SubmissionLine({ details }: { details: RunDetails }) {
  const run = details.run;
  const s = run.manifest.submission;
  if (!s) return null;
  const worker = run.manifest.execution.worker;
  const going = isActiveStatus(run.status);
  const parts: React.ReactNode[] = [
    <span key="queue" data-testid="run-queue">
      queued on <strong>{s.queue}</strong> by {s.by}
      {s.priority !== 0 ? <span className="muted"> (priority {s.priority})</span> : null}
    </span>,
  ];
  if (s.sweep) {
    parts.push(
      <span key="sweep" data-testid="run-sweep">
        sweep{' '}
        <Link to={paths.sweep(run.project, s.sweep.id)}>
          {s.sweep.name} #{s.sweep.index + 1}
        </Link>
      </span>,
    );
  }
  if (s.attempt > 1) {
    parts.push(
      <span key="attempt" data-testid="run-attempt">
        attempt {s.attempt}
        {s.retryOf ? (
          <>
            {' '}
            (retry of{' '}
            <Link to={paths.run(s.retryOf)} className="mono">
              {s.retryOf.slice(0, 10)}
            </Link>
            )
          </>
        ) : null}
      </span>,
    );
  }
  if (s.retriedAs) {
    parts.push(
      <span key="retried" data-testid="run-retried-as">
        retried as{' '}
        <Link to={paths.run(s.retriedAs)} className="mono">
          {s.retriedAs.slice(0, 10)}
        </Link>
      </span>,
    );
  }
  if (worker) {
    parts.push(
      <span key="worker" data-testid="run-worker" title={`${worker.host} · worker ${worker.worker}`}>
        {going ? 'running on' : 'ran on'} <strong>{worker.name}</strong>
        {worker.gpus.length > 0 ? ` (GPU ${worker.gpus.join(', ')})` : ''}
      </span>,
    );
  } else if (run.status === 'queued') {
    parts.push(
      <span key="waiting" className="muted">
        waiting for a worker (<Link to={paths.queue()}>see the queue</Link>)
      </span>,
    );
  }
  return (
    <p className="run-submission" data-testid="run-submission">
      {parts.flatMap((p, i) => (i === 0 ? [p] : [<span key={`sep-${i}`} className="sep"> · </span>, p]))}
    </p>
  );
}

const ENDING_WORDS: Partial<Record<RunStatus, string>> = { lost: 'The run was lost', canceled: 'The run was canceled' };

/** Where and how a failed run stopped: the stage, its exit code, the message, the end of its stderr. */
export function FailureBox({ details, logsHref }: { details: RunDetails; logsHref: (stage: string) => string }) {
  const failure = details.run.manifest.failure;
  if (!failure) return null;
  return (
    <div className="failure" role="alert" data-testid="failure">
      <div className="failure-head">
        <strong>
          {failure.stage ? (
            <>
              Stage <span className="mono">{failure.stage}</span> failed
            </>
          ) : (
            ENDING_WORDS[details.run.status] ?? 'The run failed'
          )}
        </strong>
        {failure.exitCode !== null ? <span data-testid="failure-exit-code">exit code {failure.exitCode}</span> : null}
        {failure.stage ? <Link to={logsHref(failure.stage)}>See its logs</Link> : null}
      </div>
      <p className="failure-message" data-testid="failure-message">
        {failure.message}
      </p>
      {failure.stderrTail.length > 0 ? (
        <>
          <div className="muted">Last lines of stderr:</div>
          <pre className="log failure-tail" data-testid="failure-stderr">
            {failure.stderrTail.join('\n')}
          </pre>
        </>
      ) : null}
    </div>
  );
}
