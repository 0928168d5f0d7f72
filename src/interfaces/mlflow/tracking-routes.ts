/**
 * @module interfaces/mlflow/tracking-routes
 * MLflow's tracking API over Reprise: experiments are projects, runs are runs. Writes go
 * through the services every other interface uses (metric points through the same bulk
 * append as the native API); reads gather a page's metrics, params, tags and inputs in a
 * few queries, whatever the page's size.
 */
import { RepriseError } from '../../core/errors.js';
import { compileEntityFilter, compileEntityOrder, EXPERIMENT_SEARCH } from '../../core/mlflow/entity-search.js';
import {
  checkBatchSize,
  checkKey,
  checkValueLength,
  MAX_EXPERIMENT_TAG_VALUE_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_SEARCH_RUNS,
  MAX_TAG_VALUE_LENGTH,
} from '../../core/mlflow/logging-limits.js';
import { parseMlflowRunFilter, parseMlflowRunOrder } from '../../core/mlflow/run-search.js';
import type { MetricBatch } from '../../core/metric-series.js';
import type { ProjectRecord } from '../../core/project-record.js';
import type { RunRecord } from '../../core/run.js';
import type { RunDataset } from '../../core/client-records.js';
import type { RunQuery } from '../../ports/metadata-store.js';
import { READ, type AccessRule } from '../http/access-rule.js';
import { mlflowExperiment, mlflowRun, requester, type MlflowDeps, type MlflowRoute } from './mlflow-route.js';
import { invalid, MlflowFields } from './request.js';
import { CLIENT_STATUSES, experimentJson, metricJson, runInfoJson, runJson } from './wire.js';

/** The tag the client names a run by; Reprise keeps the name itself, never the tag. */
const RUN_NAME_TAG = 'mlflow.runName';
/** Writing to the run named by `run_id`: a run token may, for its own run. */
const WRITE_RUN: AccessRule = { action: 'run', scope: mlflowRun };
const EXPERIMENT_WRITE: AccessRule = { action: 'run', scope: mlflowExperiment };
/** Deleting or restoring an experiment takes a whole project and its runs with it. */
const EXPERIMENT_ADMIN: AccessRule = { action: 'admin', scope: mlflowExperiment };
const VIEW_TYPES: Readonly<Record<string, RunQuery['deleted']>> = { ACTIVE_ONLY: 'exclude', DELETED_ONLY: 'only', ALL: 'include', '1': 'exclude', '2': 'only', '3': 'include' };

/** Offset pages for lists held whole (experiments, registry searches): the token is the offset. */
export function offsetPage<T>(items: readonly T[], f: MlflowFields, defaultMax: number, cap: number): { page: T[]; next: string | undefined } {
  const max = f.int('max_results') ?? defaultMax;
  if (max < 1 || max > cap) throw invalid(`Invalid value ${max} for parameter 'max_results': expected 1 to ${cap}`, 'max_results');
  const token = f.str('page_token');
  let offset = 0;
  if (token) {
    const n = Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isSafeInteger(n) || n < 0) throw invalid(`Invalid page token ${JSON.stringify(token)}`, 'page_token');
    offset = n;
  }
  const page = items.slice(offset, offset + max);
  const end = offset + page.length;
  return { page, next: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined };
}

function viewType(f: MlflowFields, name: string): RunQuery['deleted'] {
  const v = f.str(name);
  if (v === undefined) return 'exclude';
  const t = VIEW_TYPES[v.toUpperCase()];
  if (!t) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': expected ACTIVE_ONLY, DELETED_ONLY or ALL`, name);
  return t;
}

/** Runs in MLflow's shape, their data read in one query per kind. */
async function runsJson(d: MlflowDeps, runs: readonly RunRecord[]) {
  const ids = runs.map((r) => r.id);
  const [metrics, params, tags, inputs, projects] = await Promise.all([
    d.store.metricSummaries(ids),
    d.store.paramsOf(ids),
    d.store.tagsOf(ids),
    d.store.runInputs(ids),
    d.store.projectRecords(),
  ]);
  const idOf = new Map(projects.map((p) => [p.name, p.id]));
  return runs.map((r) =>
    runJson(r, idOf.get(r.project) ?? 0, { metrics: metrics.get(r.id) ?? {}, params: params.get(r.id) ?? {}, tags: tags.get(r.id) ?? {}, inputs: inputs.get(r.id) }),
  );
}

async function oneRunJson(d: MlflowDeps, run: RunRecord) {
  return (await runsJson(d, [run]))[0]!;
}

function experimentId(f: MlflowFields, name = 'experiment_id'): number {
  const raw = f.requiredStr(name);
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id)) {
    throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no experiment has the id ${JSON.stringify(raw)}`, { details: { field: name } });
  }
  return id;
}

/** Tags of a request, checked; the run-name tag taken out (the run's name holds it). */
function runTags(f: MlflowFields, field = 'tags'): { tags: Record<string, string>; runName: string | undefined } {
  const tags: Record<string, string> = {};
  let runName: string | undefined;
  f.objects(field).forEach((t, i) => {
    const key = checkKey(t.requiredStr('key'), `${field}[${i}].key`, 'tag');
    const value = checkValueLength(t.str('value') ?? '', MAX_TAG_VALUE_LENGTH, `${field}[${i}].value`, `the value of tag ${key}`);
    if (key === RUN_NAME_TAG) runName = value;
    else tags[key] = value;
  });
  return { tags, runName };
}

/** Where a field of the i-th entry of a list is (`metrics[3].key`); a request of one entry names its fields alone (`key`). */
function fieldAt(list: string | null, i: number, name: string): string {
  return list === null ? name : `${list}[${i}].${name}`;
}

function metricBatches(list: readonly MlflowFields[], field: string | null): MetricBatch[] {
  const byKey = new Map<string, { steps: number[]; ts: number[]; values: number[] }>();
  list.forEach((m, i) => {
    const key = checkKey(m.requiredStr('key'), fieldAt(field, i, 'key'), 'metric');
    const value = m.num('value');
    if (value === undefined) throw invalid(`Missing value for required parameter '${fieldAt(field, i, 'value')}'`, fieldAt(field, i, 'value'));
    const timestamp = m.int('timestamp');
    if (timestamp === undefined) throw invalid(`Missing value for required parameter '${fieldAt(field, i, 'timestamp')}'`, fieldAt(field, i, 'timestamp'));
    const b = byKey.get(key) ?? { steps: [], ts: [], values: [] };
    b.steps.push(m.int('step') ?? 0);
    b.ts.push(timestamp);
    b.values.push(value);
    byKey.set(key, b);
  });
  return [...byKey].map(([key, b]) => ({ key, steps: Float64Array.from(b.steps), ts: Float64Array.from(b.ts), values: Float64Array.from(b.values) }));
}

function paramsOf(list: readonly MlflowFields[], field: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  list.forEach((p, i) => {
    const key = checkKey(p.requiredStr('key'), fieldAt(field, i, 'key'), 'param');
    const value = checkValueLength(p.str('value') ?? '', MAX_PARAM_VALUE_LENGTH, fieldAt(field, i, 'value'), `the value of param ${key}`);
    if (key in out && out[key] !== value) {
      throw invalid(`Duplicate parameter keys have been submitted: ${JSON.stringify(key)} with different values`, fieldAt(field, i, 'key'));
    }
    out[key] = value;
  });
  return out;
}

/** The points not already stored with the same step, time and value. */
async function withoutStoredPoints(d: MlflowDeps, runId: string, batches: readonly MetricBatch[]): Promise<MetricBatch[]> {
  const out: MetricBatch[] = [];
  for (const b of batches) {
    const stored = await d.store.metricSeries(runId.toLowerCase(), b.key);
    const seen = new Set<string>();
    for (let i = 0; i < stored.steps.length; i++) seen.add(`${stored.steps[i]}|${stored.ts[i]}|${stored.values[i]}`);
    const keep: number[] = [];
    for (let i = 0; i < b.steps.length; i++) if (!seen.has(`${b.steps[i]}|${b.ts[i]}|${b.values[i]}`)) keep.push(i);
    if (keep.length === 0) continue;
    out.push({ key: b.key, steps: Float64Array.from(keep, (i) => b.steps[i]!), ts: Float64Array.from(keep, (i) => b.ts[i]!), values: Float64Array.from(keep, (i) => b.values[i]!) });
  }
  return out;
}

async function setRunTags(d: MlflowDeps, runId: string, tags: Record<string, string>, runName: string | undefined): Promise<void> {
  if (runName !== undefined) await d.runs.rename(runId, runName);
  if (Object.keys(tags).length > 0) await d.runs.log(runId, { tags });
}

export function trackingRoutes(d: MlflowDeps): MlflowRoute[] {
  const experimentOf = async (f: MlflowFields, name?: string): Promise<ProjectRecord> => d.projects.get({ id: experimentId(f, name) });
  return [
    // Experiments.
    {
      method: 'POST',
      path: '/experiments/create',
      access: { action: 'run' },
      async handler(f) {
        const name = f.requiredStr('name');
        if (name.length > 500) throw invalid(`experiment name is ${name.length} characters; the limit is 500`, 'name');
        const tags = f.pairs('tags');
        for (const [k, v] of Object.entries(tags)) checkValueLength(v, MAX_EXPERIMENT_TAG_VALUE_LENGTH, `tags.${k}`, `the value of experiment tag ${k}`);
        const p = await d.projects.create({ name, tags });
        return { experiment_id: String(p.id) };
      },
    },
    {
      method: 'GET',
      path: '/experiments/get',
      access: READ,
      async handler(f) {
        return { experiment: experimentJson(await experimentOf(f)) };
      },
    },
    {
      method: 'GET',
      path: '/experiments/get-by-name',
      access: READ,
      async handler(f) {
        return { experiment: experimentJson(await d.projects.get({ name: f.requiredStr('experiment_name') })) };
      },
    },
    ...(['GET', 'POST'] as const).map(
      (method): MlflowRoute => ({
        method,
        path: '/experiments/search',
        access: READ,
        async handler(f) {
          const deleted = viewType(f, 'view_type');
          const matches = compileEntityFilter(f.str('filter') ?? '', EXPERIMENT_SEARCH);
          const order = compileEntityOrder(f.strings('order_by'), EXPERIMENT_SEARCH, [
            { key: 'creation_time', desc: true },
            { key: 'experiment_id', desc: false },
          ]);
          const all = (await d.projects.list())
            .filter((p) => (deleted === 'include' ? true : deleted === 'only' ? p.deletedAt !== null : p.deletedAt === null))
            .map((p) => ({ p, e: { attrs: { name: p.name, experiment_id: p.id, creation_time: p.createdAt, last_update_time: p.updatedAt }, tags: p.tags } }))
            .filter((x) => matches(x.e))
            .sort((a, b) => order(a.e, b.e));
          const { page, next } = offsetPage(all, f, 1000, 50_000);
          return { experiments: page.map((x) => experimentJson(x.p)), ...(next ? { next_page_token: next } : {}) };
        },
      }),
    ),
    {
      method: 'POST',
      path: '/experiments/update',
      access: EXPERIMENT_WRITE,
      async handler() {
        // A project's name is in every run, link and model lineage that refers to it.
        throw new RepriseError('REPRISE_ERR_ARG_INVALID', 'Reprise keeps a project\'s name: renaming an experiment is not supported (its runs, links and model lineage refer to it by name)', {
          details: { field: 'new_name' },
        });
      },
    },
    {
      method: 'POST',
      path: '/experiments/delete',
      access: EXPERIMENT_ADMIN,
      async handler(f, { request }) {
        await d.projects.setDeleted(experimentId(f), true, requester(request));
        return {};
      },
    },
    {
      method: 'POST',
      path: '/experiments/restore',
      access: EXPERIMENT_ADMIN,
      async handler(f, { request }) {
        await d.projects.setDeleted(experimentId(f), false, requester(request));
        return {};
      },
    },
    {
      method: 'POST',
      path: '/experiments/set-experiment-tag',
      access: EXPERIMENT_WRITE,
      async handler(f) {
        const key = checkKey(f.requiredStr('key'), 'key', 'tag');
        await d.projects.setTags(experimentId(f), { [key]: checkValueLength(f.str('value') ?? '', MAX_EXPERIMENT_TAG_VALUE_LENGTH, 'value', `the value of tag ${key}`) });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/experiments/delete-experiment-tag',
      access: EXPERIMENT_WRITE,
      async handler(f) {
        await d.projects.setTags(experimentId(f), {}, [f.requiredStr('key')]);
        return {};
      },
    },

    // Runs.
    {
      method: 'POST',
      path: '/runs/create',
      access: { action: 'run', scope: mlflowExperiment },
      async handler(f, { request }) {
        const project = await d.projects.get({ id: experimentId(f) });
        if (project.deletedAt !== null) throw invalid(`experiment ${project.id} (${project.name}) is deleted: restore it before creating runs in it`, 'experiment_id');
        const { tags, runName: tagName } = runTags(f);
        const given = f.str('run_name') || undefined;
        if (given !== undefined && tagName !== undefined && given !== tagName) {
          throw invalid(`Both 'run_name' (${JSON.stringify(given)}) and tag '${RUN_NAME_TAG}' (${JSON.stringify(tagName)}) were given and differ`, 'run_name');
        }
        const name = given ?? tagName;
        if (name !== undefined && (name.length > 100 || name.trim() === '')) throw invalid(`run_name ${JSON.stringify(name.slice(0, 120))}: a run name is 1 to 100 characters`, 'run_name');
        const run = await d.runs.open({
          project: project.name,
          ...(name !== undefined ? { name } : {}),
          // Who the server knows, when it asks; else who the client says it is.
          by: request.principal?.name ?? tags['mlflow.user'] ?? f.str('user_id') ?? 'unknown',
          startedAt: f.int('start_time') ?? Date.now(),
          tags,
          source: tags['mlflow.source.name'] ?? null,
          commit: tags['mlflow.source.git.commit'] ?? null,
        });
        return { run: await oneRunJson(d, run) };
      },
    },
    {
      method: 'GET',
      path: '/runs/get',
      access: READ,
      async handler(f) {
        return { run: await oneRunJson(d, await d.runs.get(f.runId())) };
      },
    },
    {
      method: 'POST',
      path: '/runs/update',
      access: WRITE_RUN,
      async handler(f) {
        const id = f.runId();
        const s = f.str('status');
        let status;
        if (s !== undefined) {
          status = CLIENT_STATUSES[s.toUpperCase()];
          if (!status) throw invalid(`Invalid value ${JSON.stringify(s)} for parameter 'status': expected RUNNING, FINISHED, FAILED or KILLED`, 'status');
        }
        const name = f.str('run_name');
        if (name) await d.runs.rename(id, name);
        const run = await d.runs.setStatus(id, status, f.int('end_time'));
        const tags = (await d.store.tagsOf([run.id])).get(run.id) ?? {};
        const project = await d.store.projectRecord({ name: run.project });
        return { run_info: runInfoJson(run, project?.id ?? 0, tags) };
      },
    },
    {
      method: 'POST',
      path: '/runs/delete',
      access: WRITE_RUN,
      async handler(f, { request }) {
        await d.runs.delete(f.runId(), requester(request));
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/restore',
      access: WRITE_RUN,
      async handler(f, { request }) {
        await d.runs.restore(f.runId(), requester(request));
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/search',
      access: READ,
      async handler(f) {
        const names: string[] = [];
        for (const raw of f.strings('experiment_ids')) {
          const p = /^\d+$/.test(raw) ? await d.store.projectRecord({ id: Number(raw) }) : undefined;
          if (p) names.push(p.name);
        }
        const max = f.int('max_results') ?? 1000;
        if (max < 1 || max > MAX_SEARCH_RUNS) throw invalid(`Invalid value ${max} for parameter 'max_results': expected 1 to ${MAX_SEARCH_RUNS}`, 'max_results');
        const filter = parseMlflowRunFilter(f.str('filter') ?? '');
        const order = parseMlflowRunOrder(f.strings('order_by'));
        const token = f.str('page_token');
        const page = await d.store.listRuns({
          projects: names,
          deleted: viewType(f, 'run_view_type'),
          ...(filter ? { filter } : {}),
          ...(order ? { order } : {}),
          limit: max,
          ...(token ? { cursor: token } : {}),
        });
        return { runs: await runsJson(d, page.runs), ...(page.nextCursor ? { next_page_token: page.nextCursor } : {}) };
      },
    },

    // Logging.
    {
      method: 'POST',
      path: '/runs/log-metric',
      access: WRITE_RUN,
      async handler(f) {
        await d.runs.log(f.runId(), { metrics: metricBatches([f], null) });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/log-parameter',
      access: WRITE_RUN,
      async handler(f) {
        await d.runs.log(f.runId(), { params: paramsOf([f], null) });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/set-tag',
      access: WRITE_RUN,
      async handler(f) {
        const { tags, runName } = runTags(new MlflowFields({ tags: [{ key: f.requiredStr('key'), value: f.str('value') ?? '' }] }));
        await setRunTags(d, f.runId(), tags, runName);
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/delete-tag',
      access: WRITE_RUN,
      async handler(f) {
        const key = f.requiredStr('key');
        if (!(await d.runs.deleteTag(f.runId(), key))) {
          throw new RepriseError('REPRISE_ERR_ARG_INVALID', `run ${f.runId()} has no tag ${JSON.stringify(key)}`, { details: { field: 'key' } });
        }
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/log-batch',
      access: WRITE_RUN,
      async handler(f) {
        const metrics = f.objects('metrics');
        const params = f.objects('params');
        const tagList = f.objects('tags');
        checkBatchSize(metrics.length, params.length, tagList.length);
        // Everything is checked before anything is written.
        const batch = { metrics: metricBatches(metrics, 'metrics'), params: paramsOf(params, 'params') };
        const { tags, runName } = runTags(f);
        const id = f.runId();
        // MLflow 3 re-sends a run's metrics with the id of a model it just logged: the points are there already.
        if (metrics.some((m) => m.has('model_id'))) batch.metrics = await withoutStoredPoints(d, id, batch.metrics);
        await d.runs.log(id, batch);
        await setRunTags(d, id, tags, runName);
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/log-inputs',
      access: WRITE_RUN,
      async handler(f) {
        const datasets: RunDataset[] = f.objects('datasets').map((input, i) => {
          const ds = input.object('dataset');
          if (!ds) throw invalid(`Missing value for required parameter 'datasets[${i}].dataset'`, `datasets[${i}].dataset`);
          const need = (name: string, limit: number) => checkValueLength(ds.requiredStr(name), limit, `datasets[${i}].dataset.${name}`, `dataset ${name}`);
          return {
            name: need('name', 500),
            digest: need('digest', 36),
            sourceType: ds.requiredStr('source_type'),
            source: need('source', 65_535),
            schema: ds.str('schema') ?? null,
            profile: ds.str('profile') ?? null,
            tags: input.pairs('tags'),
          };
        });
        const models = f.objects('models').map((m) => ({ modelId: m.requiredStr('model_id'), direction: 'input' as const, step: 0 }));
        await d.runs.logInputs(f.runId(), { datasets, models });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/outputs',
      access: WRITE_RUN,
      async handler(f) {
        const models = f.objects('models').map((m) => ({ modelId: m.requiredStr('model_id'), direction: 'output' as const, step: m.int('step') ?? 0 }));
        await d.runs.logInputs(f.runId(), { models });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/runs/log-model',
      access: WRITE_RUN,
      async handler(f) {
        // MLflow 1.x's record of a logged model: kept as the tag MLflow keeps it in.
        const id = f.runId();
        const model = f.requiredStr('model_json');
        const tags = (await d.store.tagsOf([id])).get(id) ?? {};
        const history = tags['mlflow.log-model.history'] ? (JSON.parse(tags['mlflow.log-model.history']) as unknown[]) : [];
        history.push(JSON.parse(model) as unknown);
        await d.runs.log(id, { tags: { 'mlflow.log-model.history': JSON.stringify(history) } });
        return {};
      },
    },

    // Metric history.
    {
      method: 'GET',
      path: '/metrics/get-history',
      access: READ,
      async handler(f) {
        const run = await d.runs.get(f.runId());
        const key = f.requiredStr('metric_key');
        const c = await d.store.metricSeries(run.id, key);
        // MLflow orders a history by time, then step, then value.
        const order = Array.from({ length: c.steps.length }, (_, i) => i);
        order.sort((a, b) => c.ts[a]! - c.ts[b]! || c.steps[a]! - c.steps[b]! || c.values[a]! - c.values[b]! || a - b);
        const points = order.map((i) => metricJson(key, c.values[i]!, c.ts[i]!, c.steps[i]!));
        if (!f.has('max_results')) return { metrics: points };
        const { page, next } = offsetPage(points, f, 25_000, 25_000_000);
        return { metrics: page, ...(next ? { next_page_token: next } : {}) };
      },
    },
  ];
}
