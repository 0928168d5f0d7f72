/** The top of a run's page: what the run is, how it is doing, and why it failed if it did. */
import { Link } from 'react-router-dom';
import { isActiveStatus, type RunDetails, type RunStatus } from '../api.js';
import { paths } from '../paths.js';
import { formatAgo, formatDate } from '../format.js';
import { LiveDuration } from './run-live.js';
import { StatusBadge } from './status-badge.js';

export function RunHeader({ details }: { details: RunDetails }) {
  const run = details.run;
  const going = isActiveStatus(run.status);
  return (
    <div className="run-header" data-testid="run-header">
      <div className="run-title">
        <h1 data-testid="run-name">{run.name}</h1>
        <StatusBadge status={run.status} dev={run.dev} />
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
      </dl>
    </div>
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
