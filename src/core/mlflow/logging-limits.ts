/**
 * @module core/mlflow/logging-limits
 * What the MLflow API accepts in one request, as MLflow's own server does: how many
 * metrics, params and tags a batch holds, how long keys and values may be, which names
 * are legal. A request over a limit is refused whole, naming the field and the limit.
 */
import { RepriseError } from '../errors.js';

export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_ENTITIES = 1000;
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000;
export const MAX_SEARCH_RUNS = 50_000;

/** Letters, digits, `_ - . space / :`, and no path tricks (`a/../b`, a leading `/`). */
const NAME = /^[\w\-. /:]+$/;

function refuse(message: string, field: string): RepriseError {
  return new RepriseError('REPRISE_ERR_REQUEST_INVALID', message, { details: { field } });
}

/** A metric, param or tag key. `field` names where it came from (`metrics[3].key`). */
export function checkKey(key: string, field: string, what: string): string {
  if (key === '') throw refuse(`Missing value for required parameter '${field}'`, field);
  if (key.length > MAX_KEY_LENGTH) throw refuse(`${what} name ${JSON.stringify(key.slice(0, 40))}… at ${field} is ${key.length} characters; the limit is ${MAX_KEY_LENGTH}`, field);
  const segments = key.split('/');
  if (!NAME.test(key) || key.startsWith('/') || segments.some((s) => s === '.' || s === '..')) {
    throw refuse(
      `Invalid ${what} name ${JSON.stringify(key)} at ${field}: names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), slashes (/) and colons (:), and may not be a path that leaves its folder`,
      field,
    );
  }
  return key;
}

export function checkValueLength(value: string, limit: number, field: string, what: string): string {
  if (value.length > limit) throw refuse(`${what} at ${field} is ${value.length} characters; the limit is ${limit}`, field);
  return value;
}

/** The counts of one `runs/log-batch`, before anything is written. */
export function checkBatchSize(metrics: number, params: number, tags: number): void {
  const over = (n: number, limit: number, field: string) => {
    if (n > limit) throw refuse(`A batch logging request can contain at most ${limit} ${field}; got ${n}`, field);
  };
  over(metrics, MAX_BATCH_METRICS, 'metrics');
  over(params, MAX_BATCH_PARAMS, 'params');
  over(tags, MAX_BATCH_TAGS, 'tags');
  over(metrics + params + tags, MAX_BATCH_ENTITIES, 'metrics, params and tags in total');
}
