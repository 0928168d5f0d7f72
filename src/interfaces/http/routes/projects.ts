/**
 * @module interfaces/http/routes/projects
 * Projects: each with its run counts and best headline metric; the keys its runs use
 * (the columns a table can show); when its runs ran; its dashboard.
 */
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { encodeNumber } from '../../../core/json-number.js';
import { RUN_STATUSES } from '../../../core/run-manifest.js';
import { REGISTER_FROM } from '../../../core/project-record.js';
import type { BestValue } from '../../../services/project-overview.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { errorJson } from '../schemas.js';
import { READ, projectFrom } from '../access-rule.js';

const projectParams = z.object({ project: z.string().min(1).max(200) });
const jsonNumber = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
const goal = z.enum(['max', 'min']).describe('max: higher is better');
const bestJson = z.object({ key: z.string(), goal, value: jsonNumber, runId: z.string(), runName: z.string(), at: z.number() });
const statusCounts = z.object(Object.fromEntries(RUN_STATUSES.map((s) => [s, z.number().int().optional()])));

const projectJson = z.object({
  name: z.string(),
  runs: z.number().int(),
  devRuns: z.number().int(),
  byStatus: statusCounts,
  firstRunAt: z.number(),
  lastActivityAt: z.number(),
  best: bestJson.nullable().describe('the best final value of the headline metric among succeeded runs'),
});

const projectRecordJson = z.object({
  id: z.number().int().describe("the project's number: its experiment id in the MLflow-compatible API (0 is Default)"),
  name: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  deletedAt: z.number().nullable(),
  tags: z.record(z.string(), z.string()),
  registerFrom: z.enum(REGISTER_FROM).describe('which runs a model version may be registered from through the MLflow API'),
});

const dashboardJson = z.object({
  project: z.string(),
  generatedAt: z.number(),
  totals: z.object({
    runs: z.number().int(),
    devRuns: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    canceled: z.number().int(),
    active: z.number().int(),
    successRate: z.number().nullable(),
  }),
  lastRun: z.object({ id: z.string(), name: z.string(), status: z.enum(RUN_STATUSES), createdAt: z.number() }).nullable(),
  weeks: z.array(z.object({ weekStart: z.number(), runs: z.number(), succeeded: z.number(), failed: z.number(), canceled: z.number(), active: z.number() })),
  metrics: z.array(
    z.object({
      key: z.string(),
      goal,
      weeks: z.array(z.object({ weekStart: z.number(), best: jsonNumber, bestSoFar: jsonNumber, runName: z.string(), runId: z.string() })),
      best: bestJson.nullable(),
    }),
  ),
  availableMetrics: z.array(z.string()),
  promotions: z.array(z.object({ model: z.string(), version: z.number().int(), aliases: z.array(z.string()), runId: z.string(), runName: z.string(), createdAt: z.number(), createdBy: z.string() })),
});

function bestView(b: BestValue | null) {
  return b && { ...b, value: encodeNumber(b.value) };
}

export function projectRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/project-records',
      access: READ,
      tag: 'projects',
      summary: 'Every project as a record: its number (the MLflow experiment id), tags, deletion and model policy',
      answers: { 200: { description: 'by number', schema: z.object({ projects: z.array(projectRecordJson) }) } },
      async handler() {
        return { projects: await d.store.projectRecords() };
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:project/record',
      access: READ,
      tag: 'projects',
      summary: "A project's record",
      params: projectParams,
      answers: { 200: { description: 'the record', schema: z.object({ project: projectRecordJson }) }, 404: { description: 'no such project', schema: errorJson } },
      async handler({ params }) {
        const project = await d.store.projectRecord({ name: params.project });
        if (!project) throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project named ${JSON.stringify(params.project)}`, { details: { project: params.project } });
        return { project };
      },
    }),
    route({
      method: 'PUT',
      path: '/projects/:project/model-policy',
      access: { action: 'admin', scope: projectFrom('params') },
      tag: 'projects',
      summary: 'Which runs of the project a model version may be registered from through the MLflow API: promoted runs only (the default), or any run that passed',
      params: projectParams,
      body: z.object({ registerFrom: z.enum(REGISTER_FROM) }),
      answers: { 200: { description: 'the record as changed', schema: z.object({ project: projectRecordJson }) }, 404: { description: 'no such project', schema: errorJson } },
      async handler({ params, body }) {
        return { project: await d.models.setPolicy(params.project, body.registerFrom) };
      },
    }),
    route({
      method: 'GET',
      path: '/projects',
      access: READ,
      tag: 'projects',
      summary: 'Every project with runs: counts by status, last activity, best headline metric',
      answers: { 200: { description: 'projects by name', schema: z.object({ projects: z.array(projectJson) }) } },
      async handler() {
        return { projects: (await d.overview.projects()).map((p) => ({ ...p, best: bestView(p.best) })) };
      },
    }),
    route({
      method: 'GET',
      path: '/run-keys',
      access: READ,
      tag: 'projects',
      summary: "The param, metric and tag keys runs use (a project's, or every run's)",
      query: z.object({ project: z.string().optional() }),
      answers: { 200: { description: 'sorted keys', schema: z.object({ params: z.array(z.string()), metrics: z.array(z.string()), tags: z.array(z.string()) }) } },
      async handler({ query }) {
        return d.store.runKeys(query.project);
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:project/timeline',
      access: READ,
      tag: 'projects',
      summary: "A project's runs, oldest first: when each ran and how it ended",
      params: projectParams,
      answers: {
        200: {
          description: 'runs',
          schema: z.object({
            runs: z.array(z.object({ id: z.string(), name: z.string(), status: z.enum(RUN_STATUSES), dev: z.boolean(), createdAt: z.number(), endedAt: z.number().nullable() })),
          }),
        },
      },
      async handler({ params }) {
        return { runs: await d.store.runTimeline(params.project) };
      },
    }),
    route({
      method: 'GET',
      path: '/projects/:project/dashboard',
      access: READ,
      tag: 'projects',
      summary: "A project's progress for readers who do not train models: runs per week, success rate, best metrics over time",
      params: projectParams,
      query: z.object({ metrics: z.string().optional().describe('comma-separated metric keys; default: the headline metrics') }),
      answers: {
        200: { description: 'the dashboard; dev runs are counted apart and left out of the figures', schema: dashboardJson },
        400: { description: 'a metric no run records', schema: errorJson },
        404: { description: 'no run of that project', schema: errorJson },
      },
      async handler({ params, query }) {
        const metrics = query.metrics?.split(',').map((s) => s.trim()).filter(Boolean);
        const dash = await d.overview.dashboard(params.project, metrics ? { metrics } : {});
        return {
          ...dash,
          metrics: dash.metrics.map((m) => ({
            ...m,
            best: bestView(m.best),
            weeks: m.weeks.map((w) => ({ ...w, best: encodeNumber(w.best), bestSoFar: encodeNumber(w.bestSoFar) })),
          })),
        };
      },
    }),
  ];
}
