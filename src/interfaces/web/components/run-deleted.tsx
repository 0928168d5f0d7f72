/**
 * A run the MLflow API deleted (`delete_run`, or its experiment's deletion) is left out of
 * every list, but its link still opens it: the page then says so, when, and how to bring it
 * back, so a reader does not take it for a run like the others.
 */
import { api, type RunDetails } from '../api.js';
import { formatDate } from '../format.js';
import { useFetch } from '../use-fetch.js';

export function RunDeletedBanner({ details }: { details: RunDetails }) {
  const { deletedAt, id, project } = details.run;
  if (deletedAt === undefined || deletedAt === null) return null;
  return (
    <div className="run-deleted" role="status" data-testid="run-deleted" data-deleted-at={deletedAt}>
      <strong>Deleted</strong> through the MLflow API on{' '}
      <time dateTime={new Date(deletedAt).toISOString()} title={new Date(deletedAt).toISOString()} data-testid="run-deleted-at">
        {formatDate(deletedAt)}
      </time>
      ; restore it with mlflow's <code>restore_run</code>: <code className="run-deleted-call">{`mlflow.MlflowClient().restore_run("${id}")`}</code>
      <DeletedExperiment project={project} />
    </div>
  );
}

/** When the run went with its experiment, restoring the experiment brings the run back with it. */
function DeletedExperiment({ project }: { project: string }) {
  // Only a deleted run asks; a failed read leaves the banner as it is.
  const { data } = useFetch((signal) => api.projectRecords(signal), [project]);
  const record = data?.find((p) => p.name === project);
  if (!record || record.deletedAt === null) return null;
  return (
    <div className="run-deleted-experiment" data-testid="run-deleted-experiment">
      Its experiment <strong>{project}</strong> (id {record.id}) is deleted too: <code>{`mlflow.MlflowClient().restore_experiment("${record.id}")`}</code> restores it with
      the runs deleted along with it.
    </div>
  );
}
