/**
 * @module adapters/metadata-store/store-errors
 * The errors the SQL stores (SQLite and PostgreSQL) raise, worded once so that either
 * store says the same thing with the same details; and the one check of retention marks
 * both apply before they write one.
 */
import { RepriseError } from '../../core/errors.js';
import type { HookDelivery } from '../../core/repository-link.js';
import type { RetentionMark } from '../../core/retention.js';

export function runNotFound(runId: string): RepriseError {
  return new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(runId)}`, { details: { ref: runId } });
}

/** A run that a promotion or a retention mark names, not found (worded apart from a run looked up by its id). */
export function missingRun(runId: string): RepriseError {
  return new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run ${runId}`, { details: { run: runId } });
}

export function unknownModel(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `no registered model ${JSON.stringify(name)}`, { details: { model: name } });
}

/** A version asked for that does not exist: the model has no such version, or there is no such model. */
export function versionNotFound(model: string, version: number, modelKnown: boolean): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', modelKnown ? `${model} has no version ${version}` : `no registered model ${JSON.stringify(model)}`, {
    details: { model, version },
  });
}

/** A promotion of a run that is a version of the model already. */
export function alreadyAVersion(run: { readonly id: string; readonly name: string }, model: string, version: number, alias: string | null): RepriseError {
  return new RepriseError('REPRISE_ERR_PROMOTION_REFUSED', `run ${run.name} (${run.id}) is already version ${version} of ${model}`, {
    hint: `point an alias at it instead: reprise models alias ${model} ${version} ${alias ?? 'ALIAS'}`,
    details: { run: run.id, model, version },
  });
}

export function modelExists(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_EXISTS', `a registered model named ${JSON.stringify(name)} exists already`, { details: { field: 'name', model: name } });
}

/** A param logged again with another value (`storedJson` and `json`: the values as stored). */
export function paramImmutable(runId: string, key: string, storedJson: string, json: string, value: unknown): RepriseError {
  return new RepriseError('REPRISE_ERR_PARAM_IMMUTABLE', `param ${JSON.stringify(key)} of run ${runId} is ${storedJson}; it cannot become ${json}`, {
    hint: 'params are fixed once set; log the new value under another key, or start a new run',
    details: { run: runId, key, old: JSON.parse(storedJson) as unknown, new: value },
  });
}

/**
 * Why the run's current mark cannot be replaced by `mark`, or undefined when it can: a
 * pinned run takes no other mark, and artifacts gc deleted cannot be kept again.
 */
export function retentionRefusal(runId: string, current: { readonly state: string; readonly reason: string; readonly at: number } | undefined, mark: RetentionMark): RepriseError | undefined {
  if (current?.state === 'pinned' && mark.state !== 'pinned') {
    return new RepriseError('REPRISE_ERR_RUN_PINNED', `run ${runId} is pinned (${current.reason}): its artifacts are never collected`, { details: { run: runId } });
  }
  if (current?.state === 'deleted' && mark.state !== 'deleted') {
    return new RepriseError('REPRISE_ERR_RETENTION_INVALID', `the artifacts of run ${runId} were deleted by gc on ${new Date(current.at).toISOString()}`, { details: { run: runId } });
  }
  return undefined;
}

export function deliverySeen(delivery: HookDelivery): RepriseError {
  return new RepriseError('REPRISE_ERR_HOOK_DELIVERY_SEEN', `delivery ${delivery.id} from ${delivery.provider} already started runs of project ${delivery.project}`, {
    details: { provider: delivery.provider, delivery: delivery.id, project: delivery.project },
  });
}

export function workerNotFound(worker: string): RepriseError {
  return new RepriseError('REPRISE_ERR_WORKER_NOT_FOUND', `no worker ${JSON.stringify(worker)} is registered here`, { details: { worker } });
}

/** A project made with a name taken (`taken`: the project that has it, when it was found). */
export function projectExists(name: string, taken: { readonly id: number; readonly deletedAt: number | null } | undefined): RepriseError {
  return new RepriseError('REPRISE_ERR_PROJECT_EXISTS', `a project named ${JSON.stringify(name)} exists already${taken?.deletedAt != null ? ' (deleted; restore it, or choose another name)' : ''}`, {
    details: { field: 'name', name, id: taken?.id },
  });
}

export function projectNotFound(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project named ${JSON.stringify(name)}`, { details: { project: name } });
}
