/**
 * @module interfaces/http/routes/queue
 * The queue: submitting runs and sweeps, workers claiming runs and reporting that they
 * live, cancelling, and what the queue view shows. Times are the server's clock, so
 * workers on other machines never disagree about a lease.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RepriseError } from '../../../core/errors.js';
import { MAX_CLAIM_WAIT_MS, QUEUE_NAME, WORKER_HEADER, WORKER_KINDS, WORKERS_LISTED_FOR_MS, workerState, type SweepRecord } from '../../../core/queue.js';
import { runPatchSchema, runRecordSchema, type RunPatch, type RunRecord } from '../../../core/run.js';
import { RUN_STATUSES } from '../../../core/run-manifest.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { actorOf, startedBy } from '../authentication.js';
import { deliveryJson } from './hooks.js';
import { errorJson, queryInt, runIdParams } from '../schemas.js';
import { runListView } from '../../run-views.js';
import { getRunOr404 } from './runs.js';
import { READ, runParam, runRecordsInBody, runsInBody } from '../access-rule.js';

/** The worker a request comes from, when it says. */
export function workerOf(request: FastifyRequest): string | undefined {
  const v = request.headers[WORKER_HEADER];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

const name = z.string().min(1).max(200);
const workerId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be a worker id: letters, digits, ".", "_", ":" or "-"');
const queueName = z.string().regex(QUEUE_NAME, 'must be a queue name');
const sweepIdParams = z.object({ id: z.string().regex(/^[0-9a-hjkmnp-tv-z]{26}$/i, 'must be a sweep id') });

const sweepJson = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  spec: z.unknown().describe('grid: {kind, axes: [{key, values}]}; random: {kind, count, seed, params: [{key, text, dist}]}'),
  description: z.string(),
  runs: z.number().int(),
});
const sweepSummaryJson = sweepJson.extend({ byStatus: z.record(z.string(), z.number()) });

const workerRegistrationJson = z.object({
  id: workerId,
  name,
  kind: z.enum(WORKER_KINDS),
  host: name,
  pid: z.number().int(),
  queues: z.array(queueName).min(1).max(100),
  slots: z.number().int().min(1).max(1024),
  gpus: z.array(z.string().max(100)).max(256),
  version: z.string().max(100),
  startedAt: z.number(),
});
const workerJson = workerRegistrationJson.extend({
  seenAt: z.number(),
  stoppedAt: z.number().nullable(),
  runs: z.array(z.string()),
  state: z.enum(['online', 'offline', 'stopped']),
});

const runBeat = z.enum(['running', 'cancel', 'gone']);
const cancelOutcome = z.enum(['canceled', 'stopping', 'finished']);

export function queueRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/queue/runs',
      access: { action: 'run', scope: runRecordsInBody('runs') },
      tag: 'queue',
      summary: 'Queue runs (reprise submit), and the sweep they make up (reprise sweep), all or nothing',
      body: z.object({
        runs: z.array(runRecordSchema).min(1).max(10_000),
        sweep: sweepJson.optional(),
        delivery: deliveryJson.optional().describe('the hook delivery that asked for the runs: remembered with them; one seen before queues nothing (409)'),
      }),
      answers: {
        201: { description: 'queued', schema: z.object({ queued: z.number().int() }) },
        400: { description: 'a run that is not queued, or runs of another sweep', schema: errorJson },
        409: { description: 'the hook delivery was acted on before', schema: errorJson },
      },
      bodyLimit: 256 * 1024 * 1024,
      async handler({ body, reply, request }) {
        for (const [i, r] of body.runs.entries()) {
          if (r.status !== 'queued' || !r.manifest.submission) {
            throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `runs[${i}]: a submitted run is queued and has manifest.submission`, { details: { field: `runs[${i}]` } });
          }
          if ((r.manifest.submission.sweep?.id ?? undefined) !== body.sweep?.id) {
            throw new RepriseError('REPRISE_ERR_REQUEST_INVALID', `runs[${i}]: its sweep differs from the sweep submitted with it`, { details: { field: `runs[${i}].manifest.submission.sweep` } });
          }
        }
        await d.store.submitRuns((body.runs as RunRecord[]).map((r) => startedBy(request, r)), body.sweep as SweepRecord | undefined, body.delivery);
        for (const r of body.runs) d.events.publish({ type: 'run', runId: r.id, project: r.project, status: r.status });
        void reply.code(201);
        return { queued: body.runs.length };
      },
    }),
    route({
      method: 'POST',
      path: '/queue/claim',
      access: { action: 'run' },
      tag: 'queue',
      summary: 'A worker takes the next run of its queues that fits its free GPUs, waiting up to waitMs for one',
      body: z.object({
        worker: workerId,
        queues: z.array(queueName).min(1).max(100),
        freeGpus: z.number().int().min(0),
        hasGpus: z.boolean(),
        host: name,
        pid: z.number().int(),
        pidStart: z.string(),
        waitMs: z.number().int().min(0).max(MAX_CLAIM_WAIT_MS).optional(),
      }),
      answers: { 200: { description: 'the claimed run (now preparing, held by the worker), or null', schema: z.object({ run: runRecordSchema.nullable() }) } },
      async handler({ body }) {
        const run = await d.store.claimRun({ ...body, now: Date.now() });
        if (run) d.events.publish({ type: 'run', runId: run.id, project: run.project, status: run.status });
        return { run: run ?? null };
      },
    }),
    route({
      method: 'POST',
      path: '/heartbeats',
      access: { action: 'run', scope: runsInBody('runIds') },
      tag: 'queue',
      summary: 'Keep runs alive; with worker, only those it holds. Says of each whether it goes on, is to be canceled, or is gone',
      body: z.object({ runIds: z.array(z.string()).max(10_000), worker: workerId.optional() }),
      answers: {
        200: { description: 'per run', schema: z.object({ runs: z.record(z.string(), runBeat) }) },
        404: { description: 'unknown worker', schema: errorJson },
      },
      async handler({ body }) {
        const runs = await d.store.heartbeat({ at: Date.now(), runIds: body.runIds.map((i) => i.toLowerCase()), ...(body.worker ? { worker: body.worker } : {}) });
        return { runs };
      },
    }),
    route({
      method: 'POST',
      path: '/runs/:id/cancel',
      access: { action: 'run', scope: runParam() },
      tag: 'queue',
      summary: 'Cancel a run: a queued one at once, a preparing or running one by asking whoever runs it to stop',
      params: runIdParams,
      body: z.object({ by: name.optional() }),
      answers: {
        200: { description: 'what happened', schema: z.object({ outcome: cancelOutcome }) },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params, body, request }) {
        const run = await getRunOr404(d, params.id);
        return { outcome: await d.queue.cancel(run, actorOf(request, body.by)) };
      },
    }),
    route({
      method: 'POST',
      path: '/runs/:id/cancel-request',
      access: { action: 'run', scope: runParam() },
      tag: 'queue',
      summary: 'Ask an active run to stop (what cancel does to a run that is not queued); whoever drives it learns at its next heartbeat',
      params: runIdParams,
      body: z.object({ by: name, at: z.number().optional() }),
      answers: { 200: { description: 'false: the run is not active', schema: z.object({ requested: z.boolean() }) } },
      async handler({ params, body, request }) {
        return { requested: await d.store.requestCancel(params.id.toLowerCase(), { by: actorOf(request, body.by), at: body.at ?? Date.now() }) };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/holder',
      access: READ,
      tag: 'queue',
      summary: "A run's status and the worker that holds it (null: not claimed from the queue)",
      params: runIdParams,
      answers: {
        200: { description: 'the holder', schema: z.object({ status: z.enum(RUN_STATUSES), worker: z.string().nullable() }) },
        404: { description: 'no such run', schema: errorJson },
      },
      async handler({ params }) {
        const h = await d.store.runHolder(params.id.toLowerCase());
        if (!h) throw new RepriseError('REPRISE_ERR_RUN_NOT_FOUND', `no run has the id ${JSON.stringify(params.id)}`, { details: { ref: params.id } });
        return h;
      },
    }),
    route({
      method: 'POST',
      path: '/runs/:id/settle-lost',
      access: { action: 'run', scope: runParam() },
      tag: 'queue',
      summary: 'Mark a run whose driver is gone lost (only while it is active) and queue its retry in the same step',
      params: runIdParams,
      body: z.object({ patch: runPatchSchema, retry: runRecordSchema.nullable() }),
      answers: { 200: { description: 'whether it applied', schema: z.object({ settled: z.boolean() }) } },
      async handler({ params, body }) {
        const id = params.id.toLowerCase();
        const settled = await d.store.settleLostRun(id, body.patch as RunPatch, body.retry as RunRecord | null);
        if (settled) {
          const run = await d.store.getRun(id);
          if (run) d.events.publish({ type: 'run', runId: id, project: run.project, status: run.status });
        }
        return { settled };
      },
    }),
    route({
      method: 'POST',
      path: '/workers',
      access: { action: 'run' },
      tag: 'queue',
      summary: 'A worker (an agent, or the server itself) registers as it starts',
      body: workerRegistrationJson,
      answers: { 201: { description: 'registered', schema: z.object({ id: z.string() }) } },
      async handler({ body, reply }) {
        await d.store.registerWorker(body);
        void reply.code(201);
        return { id: body.id };
      },
    }),
    route({
      method: 'POST',
      path: '/workers/:id/stop',
      access: { action: 'run' },
      tag: 'queue',
      summary: 'A worker says it stops on purpose',
      params: z.object({ id: workerId }),
      answers: { 200: { description: 'recorded', schema: z.object({ stopped: z.boolean() }) } },
      async handler({ params }) {
        await d.store.stopWorker(params.id, Date.now());
        return { stopped: true };
      },
    }),
    route({
      method: 'GET',
      path: '/workers',
      access: READ,
      tag: 'queue',
      summary: 'Workers seen since a time (default: the last day), newest first, with the runs each holds',
      query: z.object({ since: queryInt(0, Number.MAX_SAFE_INTEGER).optional() }),
      answers: { 200: { description: 'workers', schema: z.object({ workers: z.array(workerJson) }) } },
      async handler({ query }) {
        const now = Date.now();
        const workers = await d.store.listWorkers(query.since ?? now - WORKERS_LISTED_FOR_MS);
        return { workers: workers.map((w) => ({ ...w, state: workerState(w, now) })) };
      },
    }),
    route({
      method: 'GET',
      path: '/queue',
      access: READ,
      tag: 'queue',
      summary: 'The queue view: each queue with its waiting and active runs, those runs in claim order, and the workers',
      answers: {
        200: {
          description: 'the queue now',
          schema: z.object({
            queues: z.array(z.object({ name: z.string(), queued: z.number().int(), active: z.number().int() })),
            runs: z.array(z.record(z.string(), z.unknown())).describe('runs as `reprise ls --json` lists them, with submission (queue, priority, attempt, sweep, worker)'),
            workers: z.array(workerJson),
          }),
        },
      },
      async handler() {
        const now = Date.now();
        const o = await d.queue.overview(now);
        return { queues: o.queues, runs: o.runs.map((r) => runListView(r, {}, now)), workers: o.workers };
      },
    }),
    route({
      method: 'GET',
      path: '/sweeps',
      access: READ,
      tag: 'queue',
      summary: 'Sweeps with their runs counted by status, newest first; with ref, those whose id starts with it or whose name it is',
      query: z.object({ project: z.string().optional(), ref: z.string().min(1).optional(), limit: queryInt(1, 1000).optional() }),
      answers: { 200: { description: 'sweeps', schema: z.object({ sweeps: z.array(sweepSummaryJson) }) } },
      async handler({ query }) {
        const sweeps =
          query.ref !== undefined ? await d.store.findSweeps(query.ref, query.limit ?? 20) : await d.queue.sweeps(query.project, query.limit ?? 100);
        return { sweeps };
      },
    }),
    route({
      method: 'GET',
      path: '/sweeps/:id',
      access: READ,
      tag: 'queue',
      summary: 'One sweep (its runs: GET /runs?filter=sweep=\'ID\')',
      params: sweepIdParams,
      answers: { 200: { description: 'the sweep', schema: z.object({ sweep: sweepSummaryJson }) }, 404: { description: 'no such sweep', schema: errorJson } },
      async handler({ params }) {
        return { sweep: await sweepOr404(d, params.id) };
      },
    }),
    route({
      method: 'POST',
      path: '/sweeps/:id/cancel',
      access: { action: 'run' },
      tag: 'queue',
      summary: 'Cancel every run of a sweep that has not ended',
      params: sweepIdParams,
      body: z.object({ by: name.optional() }),
      answers: {
        200: { description: 'how many runs each way', schema: z.object({ canceled: z.number().int(), stopping: z.number().int(), finished: z.number().int() }) },
        404: { description: 'no such sweep', schema: errorJson },
      },
      async handler({ params, body, request }) {
        return d.queue.cancelSweep(await sweepOr404(d, params.id), actorOf(request, body.by));
      },
    }),
  ];
}

async function sweepOr404(d: ApiDeps, id: string) {
  const found = (await d.store.findSweeps(id.toLowerCase(), 1)).find((s) => s.id === id.toLowerCase());
  if (!found) throw new RepriseError('REPRISE_ERR_SWEEP_NOT_FOUND', `no sweep has the id ${JSON.stringify(id)}`, { details: { ref: id } });
  return found;
}
