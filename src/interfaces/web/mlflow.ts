/**
 * Runs logged through the MLflow client, as the UI reads them: the client's own tags told
 * apart from the user's, the links the client prints (`#/experiments/E/runs/R`) turned
 * into Reprise's pages, and a dataset's source put in a few words.
 */

/** Tags the client sets on its own (`mlflow.user`, `mlflow.source.name`, …). */
export const CLIENT_TAG_PREFIX = 'mlflow.';

/** The input tag saying what a dataset was used for (`training`, `evaluation`). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** A run's tags in two groups, each sorted by key: the user's own, and those the client set for itself. */
export function splitClientTags(tags: Readonly<Record<string, string>>): { own: [string, string][]; client: [string, string][] } {
  const own: [string, string][] = [];
  const client: [string, string][] = [];
  for (const key of Object.keys(tags).sort()) (key.startsWith(CLIENT_TAG_PREFIX) ? client : own).push([key, tags[key]!]);
  return { own, client };
}

/** Where one of the client's printed links points. */
export type ClientLink = { kind: 'run'; experiment: string; runId: string } | { kind: 'experiment'; experiment: string };

/**
 * The page an MLflow UI address names, from the hash of `/`: `#/experiments/1/runs/<id>`
 * (anything after the run id, such as a tab of MLflow's own UI, is ignored) or
 * `#/experiments/1` (and any other page of that experiment). Null for any other hash, so
 * the projects page shows as usual.
 */
export function clientLinkTarget(hash: string): ClientLink | null {
  // The client's links carry no query in the hash, but MLflow's UI adds some (`?o=`).
  const path = hash.replace(/^#/, '').split('?', 1)[0]!;
  const parts = path.split('/');
  if (parts[0] !== '' || parts[1] !== 'experiments') return null;
  const experiment = safeDecode(parts[2] ?? '');
  if (experiment === null || !/^\d+$/.test(experiment)) return null;
  const runId = parts[3] === 'runs' ? safeDecode(parts[4] ?? '') : null;
  // Any other page of an experiment in MLflow's UI (its traces, its models) is its project here.
  if (runId === null || runId === '') return { kind: 'experiment', experiment };
  // Reprise's ids are lowercase; the client prints them as the server gave them.
  return { kind: 'run', experiment, runId: runId.toLowerCase() };
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Where a dataset came from in a few words: the `uri` (or `path`, `url`, `table_name`)
 * that most sources put in their JSON, else the JSON itself; the text as given when it
 * is not JSON.
 */
export function datasetSourceText(source: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return source;
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const o = parsed as Record<string, unknown>;
    for (const key of ['uri', 'path', 'url', 'table_name']) {
      const v = o[key];
      if (typeof v === 'string' && v !== '') return v;
    }
  }
  return JSON.stringify(parsed);
}
