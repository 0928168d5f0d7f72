/**
 * The dashboard's word on merges: the repository a project is linked to (pushes to its
 * branch run the pipeline) with a link to the runs merges started, or how to link one.
 */
import { Link } from 'react-router-dom';
import { shellQuote } from '../../../core/shell-quote.js';
import { api, ApiError } from '../api.js';
import { formatDate } from '../format.js';
import { paths } from '../paths.js';
import { useSession } from '../session.js';
import { redactRepositoryUrl } from '../../../core/redact-url.js';
import { MERGE_RUNS_FILTER } from '../triggers.js';
import { useFetch } from '../use-fetch.js';
import { Facts } from './facts.js';

export function RepositoryPanel({ project }: { project: string }) {
  const { data: link, error } = useFetch((signal) => api.repositoryLink(project, signal), [project]);
  const mayLink = useSession().may('admin', project);
  if (error && link === undefined) {
    // A server older than repository links has no such route: it has nothing to say here.
    if (error instanceof ApiError && error.status === 404) return null;
    return (
      <p className="muted" data-testid="repo-link-error">
        Could not read the project's repository link: {error.message}
      </p>
    );
  }
  if (link === undefined) return null;
  if (link === null) {
    // Linking is an admin's: the others are not told how.
    if (!mayLink) return null;
    return (
      <p className="muted repo-link-hint" data-testid="repo-link-hint">
        Link a repository so merges to main run the pipeline: <code>reprise hooks link URL --project {shellQuote(project)}</code>
      </p>
    );
  }
  return (
    <section className="dash-section repo-link" data-testid="repo-link">
      <h2>Runs from merges</h2>
      <p className="dash-sentence">
        Every push to <strong>{link.branch}</strong> of this project's repository runs its pipeline.
      </p>
      <Facts
        testId="repo-link-facts"
        rows={[
          ['Repository', <span className="mono">{redactRepositoryUrl(link.url)}</span>],
          ['Branch', <span className="mono">{link.branch}</span>],
          ['Queue', link.queue ?? <span className="muted">as reprise.yaml says</span>],
          ['Folder', link.path ? <span className="mono">{link.path}</span> : <span className="muted">the repository's root</span>],
          ['Linked', `${formatDate(link.createdAt)} by ${link.createdBy}`],
        ]}
      />
      <p>
        <Link to={paths.runs(project, MERGE_RUNS_FILTER)} data-testid="repo-link-runs">
          See the runs merges started
        </Link>
      </p>
    </section>
  );
}
