/**
 * @module interfaces/http/routes/runs
 * Runs: search and listing, one run, creating and updating runs (what a runner reports),
 * params and tags.
 */
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { gateOutcomeSchema } from '../../../core/gates.js';
import { SUBMISSION_VIA } from '../../../core/queue.js';
import { retentionMarkSchema } from '../../../core/retention.js';
import { runPatchSchema, runRecordSchema, type RunRecord } from '../../../core/run.js';
import { triggerSchema } from '../../../core/trigger-schema.js';
import { RUN_STATUSES, type RunStatus } from '../../../core/run-manifest.js';
import { VERDICTS, type Verification } from '../../../core/verification.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { startedBy } from '../authentication.js';
import { workerOf } from './queue.js';
import type { RunSearch } from '../../../services/run-catalog.js';
import { rowRelatedIds, runJson, runRowJson } from '../run-json.js';
import { artifactJson, errorJson, metricSummaryJson, paramValue, queryBoolean, queryInt, runIdParams, runJson as runJsonSchema } from '../schemas.js';
import { metricsView } from '../../run-views.js';
import { READ, runParam, runRecordsInBody } from '../access-rule.js';

const listQuery = z.object({
  filter: z.string().optional().describe("e.g. params.lr < 0.01 and metrics.val_acc >= 0.9 and status = 'succeeded'"),
  order: z.string().optional().describe('one field and asc or desc, e.g. "metrics.val_acc desc"; default "created desc"'),
  project: z.string().optional(),
  status: z.string().optional().describe(`comma-separated: ${RUN_STATUSES.join(', ')}`),
  dev: queryBoolean.optional(),
  ref: z.string().optional().describe('a run id, id prefix or name: the runs it may mean (at most limit)'),
  limit: queryInt(1, 10_000).optional().describe('page size, default 50'),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
  view: z.enum(['full', 'row']).optional().describe('full (default): records with manifests; row: what a table shows, params flattened'),
});

const countQuery = listQuery.pick({ filter: true, project: true, status: true, dev: true });

const rowJson = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  status: z.enum(RUN_STATUSES),
  dev: z.boolean(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  code: z.object({ commit: z.string(), branch: z.string().nullable(), dirty: z.boolean() }).nullable(),
  params: z.record(z.string(), paramValue),
  metrics: z.record(z.string(), metricSummaryJson),
  tags: z.record(z.string(), z.string()),
  reproduces: z.string().nullable().describe('the id of the run this one reproduces (`reprise reproduce`)'),
  verification: z
    .object({ original: z.string(), reproduction: z.string(), verdict: z.enum(VERDICTS) })
    .nullable()
    .describe('the newest check this run is part of, as original or as reproduction (GET /runs/{id}/verifications has them all)'),
  relatedNames: z.record(z.string(), z.string()).describe('names of the other runs reproduces and verification name, by id (a run not in this store left out)'),
  gate: gateOutcomeSchema.nullable().describe("the gates' outcome; null until the run succeeded"),
  retention: retentionMarkSchema.nullable().describe('whether its artifacts stay; null while it runs'),
  submission: z
    .object({
      via: z.enum(SUBMISSION_VIA),
      by: z.string(),
      queue: z.string(),
      priority: z.number().int(),
      attempt: z.number().int(),
      retries: z.number().int(),
      retryOf: z.string().nullable(),
      retriedAs: z.string().nullable(),
      sweep: z.object({ id: z.string(), name: z.string(), index: z.number().int() }).nullable(),
      worker: z.object({ id: z.string(), name: z.string(), host: z.string(), gpus: z.array(z.string()) }).nullable(),
    })
    .nullable()
    .describe('how a queued run was submitted (queue, priority, attempt, sweep) and the worker that ran it; null for a run started in the foreground'),
  trigger: triggerSchema.describe('what started the run: a person (run, submit), a sweep, a merge, a reproduction, or CI'),
});
/** What an MLflow client said the run read (`mlflow.log_input`) and which logged models it took in or put out. */
const clientInputsJson = z
  .object({
    datasets: z.array(
      z.object({
        name: z.string(),
        digest: z.string(),
        sourceType: z.string().describe('e.g. local, http, s3, code'),
        source: z.string().describe('JSON text saying where the data came from'),
        schema: z.string().nullable().describe('JSON text, when the client sent one'),
        hasProfile: z.boolean().describe('whether the client sent a profile (up to 16 MB; not repeated here, as this answer is read again and again while a run goes on)'),
        tags: z.record(z.string(), z.string()).describe('e.g. mlflow.data.context = training'),
      }),
    ),
    models: z.array(z.object({ modelId: z.string(), direction: z.enum(['input', 'output']), step: z.number().int() })),
  })
  .describe('datasets and models an MLflow client logged for the run (empty for runs that logged none)');
const pageJson = z.object({ runs: z.array(z.union([runJsonSchema, rowJson])), nextCursor: z.string().nullable() });
const updateBody = runPatchSchema.extend({
  ifStatus: z.array(z.enum(RUN_STATUSES)).optional().describe('apply only while the run has one of these statuses'),
});

function statuses(text: string | undefined): RunStatus[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `status: ${JSON.stringify(bad)} is not one of ${RUN_STATUSES.join(', ')}`, { details: { field: 'status' } });
  return list as RunStatus[];
}

/** The conditions of a search as the query string gives them. */
function searchOf(query: z.infer<typeof countQuery>): RunSearch {
  const st = statuses(query.status);
  return {
    ...(query.filter !== undefined ? { filter: query.filter } : {}),
    ...(query.project !== undefined ? { project: query.project } : {}),
    ...(st ? { statuses: st } : {}),
    ...(query.dev !== undefined ? { dev: query.dev } : {}),
  };
}

async function getRunOr404(d: ApiDeps, id: string): Promise<RunRecord> {
  const run = await d.store.getRun(id.toLowerCase());
  if (!run) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(id)}`, { details: { ref: id } });
  return run;
}

/** Names of the runs a page's rows point to (reproduced or checked against): the page's own, the rest looked up. */
async function namesOf(d: ApiDeps, runs: readonly RunRecord[], checks: ReadonlyMap<string, readonly Verification[]>): Promise<Map<string, string>> {
  const names = new Map(runs.map((r) => [r.id, r.name]));
  const missing = new Set(runs.flatMap((r) => rowRelatedIds(r, checks.get(r.id) ?? [])).filter((id) => !names.has(id)));
  const found = await Promise.all([...missing].map((id) => d.store.getRun(id)));
  for (const r of found) if (r) names.set(r.id, r.name);
  return names;
}

export function runRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/runs',
      access: READ,
      tag: 'runs',
      summary: 'Search runs: filter, order, pages',
      query: listQuery,
      answers: { 200: { description: 'a page of runs', schema: pageJson }, 400: { description: 'a bad filter, order or cursor', schema: errorJson } },
      async handler({ query }) {
        if (query.ref !== undefined) {
          const found = await d.store.findRuns(query.ref, query.limit ?? 20);
          const ids = found.map((r) => r.id);
          const [m, t] = await Promise.all([d.store.metricSummaries(ids), d.store.tagsOf(ids)]);
          return { runs: found.map((r) => runJson(r, m.get(r.id) ?? {}, t.get(r.id) ?? {})), nextCursor: null };
        }
        const page = await d.catalog.search({
          ...searchOf(query),
          ...(query.order !== undefined ? { order: query.order } : {}),
          limit: query.limit ?? 50,
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        });
        if (query.view === 'row') {
          const ids = page.runs.map((l) => l.run.id);
          const [params, checks] = await Promise.all([d.store.paramsOf(ids), d.store.verificationsOf(ids)]);
          const names = await namesOf(d, page.runs.map((l) => l.run), checks);
          return {
            runs: page.runs.map((l) =>
              runRowJson(l.run, l.metrics, l.tags, params.get(l.run.id) ?? {}, l.retention, { verifications: checks.get(l.run.id) ?? [], names }),
            ),
            nextCursor: page.nextCursor,
          };
        }
        return { runs: page.runs.map((l) => runJson(l.run, l.metrics, l.tags)), nextCursor: page.nextCursor };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/count',
      access: READ,
      tag: 'runs',
      summary: 'How many runs a search matches',
      query: countQuery,
      answers: { 200: { description: 'the count', schema: z.object({ count: z.number().int() }) }, 400: { description: 'a bad filter', schema: errorJson } },
      async handler({ query }) {
        return { count: await d.catalog.count(searchOf(query)) };
      },
    }),
    route({
      method: 'POST',
      path: '/runs',
      access: { action: 'run', scope: runRecordsInBody() },
      tag: 'runs',
      summary: 'Record a new run (what a runner does when it starts)',
      body: runRecordSchema,
      answers: { 201: { description: 'recorded', schema: z.object({ id: z.string() }) }, 409: { description: 'the id exists', schema: errorJson } },
      async handler({ body, reply, request }) {
        if (await d.store.getRun(body.id)) {
          throw new RepriseError('REPRISE_ERR_RUN_STATE_CONFLICT', `a run with the id ${body.id} exists already`, { details: { id: body.id } });
        }
        await d.tracking.createRun(startedBy(request, body as RunRecord));
        void reply.code(201);
        return { id: body.id };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id',
      access: READ,
      tag: 'runs',
      summary: 'One run: record, manifest, final metrics, tags, params, artifacts',
      params: runIdParams,
      answers: {
        200: {
          description: 'the run',
          schema: z.object({
            run: runJsonSchema,
            params: z.record(z.string(), paramValue),
            artifacts: z.array(artifactJson),
            gate: gateOutcomeSchema.nullable().describe("the gates' outcome once the run succeeded (also manifest.outputs.gate)"),
            retention: retentionMarkSchema.nullable().describe('whether its artifacts stay; null while it runs'),
            models: z.array(z.object({ model: z.string(), version: z.number().int(), aliases: z.array(z.string()) })).describe('model versions made from it'),
            clientInputs: clientInputsJson,
          }),
        },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params }) {
        const run = await getRunOr404(d, params.id);
        // What MLflow clients logged is kept by the server's own store alone (d.store here; a remote store refuses runInputs).
        const [det, inputs] = await Promise.all([d.catalog.detailsOf(run), d.store.runInputs([run.id])]);
        const logged = inputs.get(run.id);
        return {
          run: runJson(det.run, det.metrics, det.tags),
          params: det.params,
          artifacts: det.artifacts,
          gate: det.run.manifest.outputs.gate ?? null,
          retention: det.retention,
          models: det.models,
          clientInputs: {
            datasets: (logged?.datasets ?? []).map(({ profile, ...d }) => ({ ...d, hasProfile: profile !== null })),
            models: logged?.models ?? [],
          },
        };
      },
    }),
    route({
      method: 'PATCH',
      path: '/runs/:id',
      access: { action: 'run', scope: runParam() },
      tag: 'runs',
      summary: "Change a run's status, times, heartbeat or manifest",
      params: runIdParams,
      body: updateBody,
      answers: {
        200: { description: 'whether it applied (false: the run had none of ifStatus)', schema: z.object({ updated: z.boolean() }) },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, body , request }) {
        const { ifStatus, ...patch } = body;
        const updated = await d.tracking.updateRun(params.id.toLowerCase(), patch as never, ifStatus, workerOf(request));
        return { updated };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/params',
      access: READ,
      tag: 'runs',
      summary: 'Every param of a run, under its dotted key',
      params: runIdParams,
      answers: { 200: { description: 'params', schema: z.object({ params: z.record(z.string(), paramValue) }) } },
      async handler({ params }) {
        await getRunOr404(d, params.id);
        return { params: await d.store.runParams(params.id.toLowerCase()) };
      },
    }),
    route({
      method: 'POST',
      path: '/runs/:id/params',
      access: { action: 'run', scope: runParam() },
      tag: 'runs',
      summary: 'Log params; a param already set keeps its value (409 for another one)',
      params: runIdParams,
      body: z.object({ params: z.record(z.string().min(1).max(250), paramValue) }),
      answers: { 200: { description: 'logged', schema: z.object({ params: z.number() }) }, 409: { description: 'a param would change', schema: errorJson } },
      async handler({ params, body , request }) {
        await d.tracking.logParams(params.id.toLowerCase(), body.params, workerOf(request));
        return { params: Object.keys(body.params).length };
      },
    }),
    route({
      method: 'PUT',
      path: '/runs/:id/tags',
      access: { action: 'run', scope: runParam() },
      tag: 'runs',
      summary: 'Set tags (replacing the values of keys already set)',
      params: runIdParams,
      body: z.object({ tags: z.record(z.string().min(1).max(250), z.string().max(5000)) }),
      answers: { 200: { description: 'the run\'s tags now', schema: z.object({ tags: z.record(z.string(), z.string()) }) } },
      async handler({ params, body }) {
        const id = params.id.toLowerCase();
        await d.tracking.setTags(id, body.tags);
        return { tags: (await d.store.tagsOf([id])).get(id) ?? {} };
      },
    }),
    route({
      method: 'DELETE',
      path: '/runs/:id/tags/:key',
      access: { action: 'run', scope: runParam() },
      tag: 'runs',
      summary: 'Remove a tag',
      params: runIdParams.extend({ key: z.string().min(1) }),
      answers: { 200: { description: 'whether it existed', schema: z.object({ deleted: z.boolean() }) } },
      async handler({ params }) {
        return { deleted: await d.tracking.deleteTag(params.id.toLowerCase(), params.key) };
      },
    }),
    route({
      method: 'POST',
      path: '/run-tags',
      access: READ,
      tag: 'runs',
      summary: 'The tags of many runs at once',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: { 200: { description: 'per run (runs without tags left out)', schema: z.object({ tags: z.record(z.string(), z.record(z.string(), z.string())) }) } },
      async handler({ body }) {
        return { tags: Object.fromEntries(await d.store.tagsOf(body.runIds.map((i) => i.toLowerCase()))) };
      },
    }),
    route({
      method: 'POST',
      path: '/run-params',
      access: READ,
      tag: 'runs',
      summary: 'The params of many runs at once',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: { 200: { description: 'per run (runs without params left out)', schema: z.object({ params: z.record(z.string(), z.record(z.string(), paramValue)) }) } },
      async handler({ body }) {
        return { params: Object.fromEntries(await d.store.paramsOf(body.runIds.map((i) => i.toLowerCase()))) };
      },
    }),
    route({
      method: 'POST',
      path: '/metric-summaries',
      access: READ,
      tag: 'metrics',
      summary: 'Final metrics (last, min, max, count) of many runs at once',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: { 200: { description: 'per run, per key', schema: z.object({ summaries: z.record(z.string(), z.record(z.string(), metricSummaryJson)) }) } },
      async handler({ body }) {
        const m = await d.store.metricSummaries(body.runIds.map((i) => i.toLowerCase()));
        return { summaries: Object.fromEntries([...m].map(([id, s]) => [id, metricsView(s)])) };
      },
    }),
  ];
}

export { getRunOr404 };
