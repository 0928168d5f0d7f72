/**
 * What started a run: a person at a terminal (`reprise run`, `reprise submit`), a sweep,
 * a reproduction of another run, a merge to a linked branch, a CI job, or a script through
 * the MLflow client. As a fact of the run page's header, and as a short word in the runs
 * table (the rest in its title).
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, ApiError, type RunDetails } from '../api.js';
import { paths } from '../paths.js';
import { useFetch } from '../use-fetch.js';
import {
  describeTrigger,
  firstLine,
  PROVIDER_LABELS,
  shortCommit,
  triggerOf,
  webHref,
  type CiTrigger,
  type MergeTrigger,
  type MlflowTrigger,
  type TensorboardTrigger,
  type Trigger,
  type TriggerImage,
} from '../triggers.js';

/** Parts of a line, with a dot between each. */
function joined(parts: ReactNode[]): ReactNode[] {
  return parts.flatMap((p, i) => (i === 0 ? [p] : [<span key={`sep-${i}`} className="sep"> · </span>, p]));
}

function By({ who }: { who: string }) {
  return (
    <span>
      by <span data-testid="trigger-by">{who}</span>
    </span>
  );
}

/** A link out to a host's page when it is one; otherwise the text alone. */
function External({ href, children, testId, title }: { href: string | null; children: ReactNode; testId: string; title?: string }) {
  const safe = webHref(href);
  return safe ? (
    <a href={safe} target="_blank" rel="noreferrer" data-testid={testId} title={title}>
      {children}
    </a>
  ) : (
    <span data-testid={testId} title={title}>
      {children}
    </span>
  );
}

/** The original run by name once read; by id before, or when this store does not hold it. */
function OriginalRun({ id }: { id: string }) {
  const { data: name, error } = useFetch((signal) => api.run(id, signal).then((d) => d.run.name), [id]);
  if (error instanceof ApiError && error.status === 404) {
    return (
      <span className="mono" data-testid="trigger-original" title="this run is not in this store">
        {id}
      </span>
    );
  }
  return (
    <Link to={paths.run(id)} data-testid="trigger-original" data-run-id={id} className={name === undefined ? 'mono' : undefined}>
      {name ?? id.slice(0, 10)}
    </Link>
  );
}

function ImageLine({ image }: { image: TriggerImage }) {
  if (image.error !== null) {
    return (
      <div className="trigger-image trigger-image-error" data-testid="trigger-image" data-state="error">
        image <code>{image.ref}</code> not built: <span data-testid="trigger-image-error">{image.error}</span>
        <span className="muted"> (the run was queued all the same)</span>
      </div>
    );
  }
  return (
    <div className="trigger-image" data-testid="trigger-image" data-state="built">
      image <code data-testid="trigger-image-ref">{image.ref}</code>
      {image.digest ? (
        <>
          {' '}
          <code className="trigger-digest" data-testid="trigger-image-digest" title={image.digest}>
            {image.digest}
          </code>
        </>
      ) : null}
      {image.engine ? <span className="muted"> ({image.engine})</span> : null}
    </div>
  );
}

function MergeFact({ t }: { t: MergeTrigger }) {
  const author = t.author.email ? `${t.author.name} <${t.author.email}>` : t.author.name;
  const parts: ReactNode[] = [
    <span key="what">
      <strong data-testid="trigger-what">merge to {t.branch}</strong>
    </span>,
    <span key="commit">
      <External href={t.url} testId="trigger-commit" title={t.commit}>
        <code>{shortCommit(t.commit)}</code>
      </External>{' '}
      <span data-testid="trigger-message" title={t.message}>
        {firstLine(t.message)}
      </span>
    </span>,
    <span key="author">
      by <span data-testid="trigger-author">{author}</span>
    </span>,
    <span key="pusher">
      pushed by <span data-testid="trigger-pusher">{t.by}</span> via {t.provider === 'git' ? 'a ' : ''}
      <span data-testid="trigger-provider" data-provider={t.provider}>
        {PROVIDER_LABELS[t.provider]}
      </span>
    </span>,
  ];
  if (t.delivery !== null) {
    parts.push(
      <span key="delivery" className="trigger-delivery muted" data-testid="trigger-delivery" title="the host's id of the delivery that started the run">
        delivery {t.delivery}
      </span>,
    );
  }
  return (
    <>
      <div title={t.repository}>{joined(parts)}</div>
      {t.image ? <ImageLine image={t.image} /> : null}
    </>
  );
}

function pullRequestText(pr: string): string {
  return /^\d+$/.test(pr) ? `#${pr}` : pr;
}

function CiFact({ t }: { t: CiTrigger }) {
  const parts: ReactNode[] = [
    <span key="what">
      <strong data-testid="trigger-what">CI</strong> <span data-testid="trigger-system">{t.system}</span>
    </span>,
  ];
  if (t.url) {
    parts.push(
      <External key="job" href={t.url} testId="trigger-job" title={t.url}>
        the job
      </External>,
    );
  }
  if (t.ref) {
    parts.push(
      <span key="ref">
        on <code data-testid="trigger-ref">{t.ref}</code>
      </span>,
    );
  }
  if (t.pullRequest) {
    parts.push(
      <span key="pr">
        pull request{' '}
        <External href={t.pullRequest} testId="trigger-pull-request">
          {pullRequestText(t.pullRequest)}
        </External>
      </span>,
    );
  }
  parts.push(<By key="by" who={t.by} />);
  return <>{joined(parts)}</>;
}

/** A run `reprise import-tb` made from a TensorBoard run's event files. */
function TensorboardFact({ t }: { t: TensorboardTrigger }) {
  return (
    <>
      <span>
        <strong data-testid="trigger-what">reprise import-tb</strong>
      </span>{' '}
      <span>
        from <code data-testid="trigger-source">{t.run === '.' ? t.logdir : `${t.logdir}/${t.run}`}</code>
      </span>{' '}
      <By who={t.by} />{' '}
      <span className="muted" data-testid="trigger-note">
        TensorBoard event files: no pipeline, code or environment recorded
      </span>
    </>
  );
}

/** A run a script opened with the MLflow client: what the client said of itself, and that Reprise ran nothing. */
function MlflowFact({ t }: { t: MlflowTrigger }) {
  const parts: ReactNode[] = [
    <span key="what">
      <strong data-testid="trigger-what">the MLflow client</strong>
    </span>,
  ];
  if (t.source) {
    parts.push(
      <span key="source">
        from <code data-testid="trigger-source">{t.source}</code>
      </span>,
    );
  }
  if (t.commit) {
    parts.push(
      <span key="commit">
        at commit{' '}
        <code data-testid="trigger-commit" title={t.commit}>
          {shortCommit(t.commit)}
        </code>
      </span>,
    );
  }
  parts.push(<By key="by" who={t.by} />);
  parts.push(
    <span key="note" className="muted" data-testid="trigger-note">
      outside <code>reprise run</code>: no pipeline, code or environment recorded
    </span>,
  );
  return <>{joined(parts)}</>;
}

function TriggerBody({ t, details }: { t: Trigger; details: RunDetails }) {
  switch (t.kind) {
    case 'run':
    case 'submit':
      return (
        <>
          <span data-testid="trigger-what">reprise {t.kind}</span> <By who={t.by} />
        </>
      );
    case 'sweep': {
      const sweep = details.run.manifest.submission?.sweep;
      return (
        <>
          <span data-testid="trigger-what">
            sweep{' '}
            {sweep ? (
              <Link to={paths.sweep(details.run.project, sweep.id)} data-testid="trigger-sweep">
                {t.sweep}
              </Link>
            ) : (
              <span data-testid="trigger-sweep">{t.sweep}</span>
            )}
          </span>{' '}
          <By who={t.by} />
        </>
      );
    }
    case 'reproduction':
      return (
        <>
          <span data-testid="trigger-what">
            reproduction of <OriginalRun id={t.of} />
          </span>{' '}
          <By who={t.by} />
        </>
      );
    case 'merge':
      return <MergeFact t={t} />;
    case 'ci':
      return <CiFact t={t} />;
    case 'mlflow':
      return <MlflowFact t={t} />;
    case 'tensorboard':
      return <TensorboardFact t={t} />;
  }
}

/** Said in place of the code or environment a run did not record (see notRecordedText). */
export function NotRecorded({ manifest }: { manifest: RunDetails['run']['manifest'] }) {
  return (
    <>
      not recorded
      {manifest.trigger?.kind === 'mlflow' ? (
        <>
          : logged through the MLflow client, outside <code>reprise run</code>
        </>
      ) : manifest.trigger?.kind === 'tensorboard' ? (
        <>: imported from TensorBoard event files</>
      ) : null}
    </>
  );
}

/** The "Started by" fact of a run's header; a full row of its own, since a merge says a lot. */
export function TriggerFact({ details }: { details: RunDetails }) {
  const t = triggerOf(details.run.manifest);
  return (
    <div className="run-trigger">
      <dt>Started by</dt>
      <dd data-testid="run-trigger" data-kind={t.kind}>
        <TriggerBody t={t} details={details} />
      </dd>
    </div>
  );
}

/** The kind as one short word for a table cell, the whole of it in the title. */
export function TriggerBadge({ trigger }: { trigger: Trigger | undefined }) {
  if (!trigger) return null;
  return (
    <span className={`trigger-badge trigger-${trigger.kind}`} data-testid="trigger" data-kind={trigger.kind} title={describeTrigger(trigger)}>
      {trigger.kind}
    </span>
  );
}
