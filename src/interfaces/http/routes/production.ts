/**
 * @module interfaces/http/routes/production
 * Production models over HTTP: predictions for downstream systems (`POST
 * /models/NAME/ALIAS/predict`, answered by the version the alias points at, which says
 * who answered), their ground truth sent later, the production overview and a model's
 * page, its monitoring settings, and alerts with their acknowledgement.
 */
import { z } from 'zod';
import { ALERT_KINDS, settingsShown } from '../../../core/model-monitoring.js';
import type { ApiDeps } from '../api-deps.js';
import { actorOf } from '../authentication.js';
import { modelParam, READ, type ScopeOf } from '../access-rule.js';
import { route, type Route } from '../route.js';
import { errorJson, queryBoolean, queryInt } from '../schemas.js';
import { MAX_ROWS_PER_REQUEST, notServed } from '../../../services/model-serving.js';

const modelName = z.string().min(1).max(100);
const servedParams = z.object({ name: modelName, alias: z.string().min(1).max(63).describe('an alias, or a version number the server serves as such') });
const by = z.string().min(1).max(200).optional().describe('who does it, for the record (default: the signed-in user, else "api")');

const alertJson = z.object({
  id: z.number().int(),
  model: z.string(),
  version: z.number().int().nullable(),
  kind: z.enum(ALERT_KINDS),
  subject: z.string().nullable(),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  windowStart: z.number().nullable(),
  raisedAt: z.number(),
  lastSeenAt: z.number(),
  ackedAt: z.number().nullable(),
  ackedBy: z.string().nullable(),
  ackNote: z.string().nullable(),
  deliveries: z.array(z.object({ url: z.string(), at: z.number(), ok: z.boolean(), detail: z.string() })),
});
const settingsJson = z.object({
  sampleRate: z.number(),
  retentionMs: z.number(),
  windowMs: z.number(),
  minRows: z.number(),
  thresholds: z.record(z.string(), z.number().nullable()),
  webhooks: z.array(z.string()),
});
/** Described loosely: the records are core/model-monitoring's ProductionSummary and ModelProduction. */
const summaryJson = z.object({ model: z.string(), projects: z.array(z.string()), health: z.string(), words: z.string() }).loose();

/** An alert's model's projects: acknowledging is an observer's in the projects the model came from. */
function alertScope(d: ApiDeps): ScopeOf {
  return async (input, look) => {
    const id = Number(input.params.id);
    const alert = Number.isSafeInteger(id) ? await d.production.alert(id) : undefined;
    return { projects: alert ? await look.modelProjects(alert.model) : [], runs: [] };
  };
}

export function productionRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/models/:name/:alias/predict',
      access: { action: 'read', scope: modelParam() },
      tag: 'serving',
      summary: 'Predict with the version an alias points at (served by `reprise serve` or `server --serve`)',
      params: servedParams,
      body: z.object({
        inputs: z.array(z.unknown()).max(MAX_ROWS_PER_REQUEST).describe('rows: each a list of feature values in order, or an object by feature name (an ONNX model takes lists of numbers)'),
        id: z.string().min(1).max(200).optional().describe('the request id, echoed and used for feedback; generated when absent'),
      }),
      answers: {
        200: { description: 'one output per input row, and the version that answered', schema: z.object({ id: z.string(), model: z.string(), alias: z.string(), version: z.number().int(), outputs: z.array(z.unknown()) }) },
        400: { description: 'the model refused the inputs (its own words), or the body is malformed', schema: errorJson },
        404: { description: 'the model and alias are not served here', schema: errorJson },
        502: { description: 'the model failed (died, hung, answered nonsense)', schema: errorJson },
      },
      async handler({ params, body }) {
        if (!d.serving) throw notServed(params.name, params.alias, []);
        return d.serving.predict(params.name, params.alias, body.inputs, body.id);
      },
    }),
    route({
      method: 'POST',
      path: '/models/:name/:alias/feedback',
      access: { action: 'read', scope: modelParam() },
      tag: 'serving',
      summary: 'The ground truth of an earlier prediction, by its request id (live accuracy or error per window)',
      params: servedParams,
      body: z.object({
        id: z.string().min(1).max(200).describe('the id the prediction answered with'),
        truth: z.array(z.unknown()).max(MAX_ROWS_PER_REQUEST).describe('one value per input row of that request (null where unknown)'),
      }),
      answers: {
        200: { description: 'recorded, or not (the request was not sampled, or is past retention)', schema: z.object({ recorded: z.boolean() }) },
        400: { description: 'not one value per input row', schema: errorJson },
      },
      async handler({ params, body }) {
        return { recorded: await d.production.feedback(params.name, body.id, body.truth) };
      },
    }),
    route({
      method: 'GET',
      path: '/production',
      access: READ,
      tag: 'production',
      summary: 'Every production model (served here, with traffic in the last day, or with open alerts) and its health',
      answers: { 200: { description: 'the models', schema: z.object({ models: z.array(summaryJson) }) } },
      async handler() {
        return { models: await d.production.summaries() };
      },
    }),
    route({
      method: 'GET',
      path: '/models/:name/production',
      access: { action: 'read', scope: modelParam() },
      tag: 'production',
      summary: "A model's production page: traffic and latency per minute, drift windows, alerts, settings",
      params: z.object({ name: modelName }),
      query: z.object({ from: queryInt(0, Number.MAX_SAFE_INTEGER).optional(), to: queryInt(0, Number.MAX_SAFE_INTEGER).optional() }),
      answers: {
        200: { description: 'the page (the last 24 hours unless from and to say otherwise)', schema: z.object({ summary: summaryJson }).loose() },
        404: { description: 'no such model', schema: errorJson },
      },
      async handler({ params, query }) {
        return d.production.model(params.name, { ...(query.from !== undefined ? { from: query.from } : {}), ...(query.to !== undefined ? { to: query.to } : {}) });
      },
    }),
    route({
      method: 'GET',
      path: '/models/:name/monitoring',
      access: { action: 'read', scope: modelParam() },
      tag: 'production',
      summary: "A model's monitoring settings (the defaults until changed)",
      params: z.object({ name: modelName }),
      answers: { 200: { description: 'the settings, webhooks shown by host only', schema: z.object({ settings: settingsJson }) } },
      async handler({ params }) {
        return { settings: settingsShown(await d.production.settings(params.name)) };
      },
    }),
    route({
      method: 'PUT',
      path: '/models/:name/monitoring',
      access: { action: 'admin', scope: modelParam() },
      tag: 'production',
      summary: "Change a model's monitoring settings: sample rate, retention, window, thresholds, webhooks",
      params: z.object({ name: modelName }),
      body: z.object({
        sampleRate: z.number().optional(),
        retention: z.string().optional().describe('e.g. 30d'),
        window: z.string().optional().describe('e.g. 1h'),
        minRows: z.number().int().optional(),
        thresholds: z.record(z.string(), z.number().nullable()).optional(),
        webhooks: z.array(z.string()).max(20).optional(),
        by,
      }),
      answers: {
        200: { description: 'the settings now', schema: z.object({ settings: settingsJson }) },
        400: { description: 'a setting out of range, named', schema: errorJson },
        404: { description: 'no such model', schema: errorJson },
      },
      async handler({ params, body, request }) {
        const { by: claimed, ...change } = body;
        return { settings: settingsShown(await d.production.changeSettings(params.name, change, actorOf(request, claimed))) };
      },
    }),
    route({
      method: 'GET',
      path: '/alerts',
      access: READ,
      tag: 'production',
      summary: 'Alerts, newest first',
      query: z.object({ model: modelName.optional(), open: queryBoolean.optional(), limit: queryInt(1, 10_000).optional() }),
      answers: { 200: { description: 'the alerts', schema: z.object({ alerts: z.array(alertJson) }) } },
      async handler({ query }) {
        return { alerts: await d.production.alerts({ ...(query.model !== undefined ? { model: query.model } : {}), ...(query.open ? { open: true } : {}), ...(query.limit !== undefined ? { limit: query.limit } : {}) }) };
      },
    }),
    route({
      method: 'POST',
      path: '/alerts/:id/ack',
      access: { action: 'alerts', scope: alertScope(d) },
      tag: 'production',
      summary: 'Acknowledge an alert (who and when are kept; a second acknowledgement keeps the first)',
      params: z.object({ id: z.coerce.number().int().min(1) }),
      body: z.object({ note: z.string().max(2000).optional(), by }),
      answers: {
        200: { description: 'the alert', schema: z.object({ alert: alertJson }) },
        404: { description: 'no such alert', schema: errorJson },
      },
      async handler({ params, body, request }) {
        return { alert: await d.production.ack(params.id, actorOf(request, body.by), body.note ?? null) };
      },
    }),
  ];
}
