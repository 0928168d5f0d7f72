/**
 * @module interfaces/http/routes/models
 * The model store over HTTP: promotion (a version from a run that passed its gates),
 * models and versions, `NAME@ALIAS` resolution for downstream systems (with each file's
 * download address), alias moves and the audit log.
 */
import { z } from 'zod';
import { gateOutcomeSchema } from '../../../core/gates.js';
import { API_PREFIX } from '../../../core/api-version.js';
import { checkModelName, DEFAULT_ALIAS, parseVersionRef, type ModelVersion } from '../../../core/model-store.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { actorOf } from '../authentication.js';
import { errorJson, metricSummaryJson, queryInt } from '../schemas.js';
import { getRunOr404 } from './runs.js';
import { isObject, READ, modelParam, runsInBody } from '../access-rule.js';

const modelName = z.string().min(1).max(100);
const nameParams = z.object({ name: modelName });
const blobRefJson = z.object({ sha256: z.string(), size: z.number() });

const modelFileJson = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
const lineageJson = z.object({
  run: z.object({ id: z.string(), name: z.string(), project: z.string(), createdAt: z.number(), endedAt: z.number().nullable() }),
  code: z.union([
    z.object({ kind: z.literal('git'), commit: z.string(), branch: z.string().nullable(), remoteUrl: z.string().nullable(), dirty: z.boolean(), patch: blobRefJson.nullable() }),
    z.object({ kind: z.literal('folder'), snapshot: blobRefJson }),
  ]),
  params: z.record(z.string(), z.unknown()),
  paramsHash: z.string(),
  data: z.array(z.unknown()),
  environment: z.object({
    python: z.string().nullable(),
    envHash: z.string().nullable(),
    lock: blobRefJson.nullable(),
    image: z.object({ ref: z.string(), digest: z.string().nullable() }).nullable(),
  }),
  metrics: z.record(z.string(), metricSummaryJson),
  gate: gateOutcomeSchema.nullable(),
});
const versionJson = z.object({
  model: z.string(),
  version: z.number().int(),
  runId: z.string(),
  runName: z.string(),
  project: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  note: z.string().nullable(),
  files: z.array(modelFileJson),
  bytes: z.number(),
  aliases: z.array(z.string()),
  lineage: lineageJson,
});
const modelJson = z.object({
  name: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  versions: z.number().int(),
  latestVersion: z.number().int(),
  aliases: z.record(z.string(), z.number().int()),
});
const auditJson = z.object({
  id: z.number().int(),
  at: z.number(),
  by: z.string(),
  action: z.enum(['promote', 'alias']),
  model: z.string(),
  alias: z.string(),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  runId: z.string().nullable(),
  note: z.string().nullable(),
});
const aliasMoveJson = z.object({ alias: z.string(), from: z.number().int().nullable(), to: z.number().int() });

const actor = z.string().min(1).max(200).optional().describe('who did it, for the audit log (default: "api")');
const note = z.string().max(10_000).optional();

/** Where each file of a version can be downloaded, for systems that resolve `NAME@ALIAS` and fetch. */
function withUrls(v: ModelVersion) {
  return { ...v, files: v.files.map((f) => ({ ...f, url: `${API_PREFIX}/blobs/${f.sha256}` })) };
}

export function modelRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: '/models/:name/versions',
      // Forcing past the gates is an admin's.
      access: { action: (input) => (isObject(input.body) && input.body.forced === true ? 'admin' : 'promote'), scope: runsInBody('runId') },
      tag: 'models',
      summary: "Promote a run: its model output becomes the model's next version, the alias (default candidate) moves to it, the run is pinned",
      params: nameParams,
      body: z.object({ runId: z.string().min(1), alias: z.string().optional(), note, by: actor, forced: z.boolean().optional().describe("an admin's promotion past failed gates; note says why (required then)") }),
      answers: {
        201: { description: 'the new version, and where the alias pointed before', schema: z.object({ version: versionJson, aliasFrom: z.number().int().nullable() }) },
        400: { description: 'a bad name or alias, or a run without a model output', schema: errorJson },
        404: { description: 'no such run', schema: errorJson },
        409: { description: 'the run may not be promoted (did not succeed, failed its gates, artifacts deleted); the message lists why', schema: errorJson },
      },
      async handler({ params, body, reply, request }) {
        const run = await getRunOr404(d, body.runId);
        const made = await d.models.promote({
          run,
          model: checkModelName(params.name),
          alias: body.alias ?? DEFAULT_ALIAS,
          ...(body.note !== undefined ? { note: body.note } : {}),
          ...(body.forced ? { force: { reason: body.note ?? '' } } : {}),
          by: actorOf(request, body.by),
          near: process.cwd(),
        });
        void reply.code(201);
        return { version: made.version, aliasFrom: made.alias.from };
      },
    }),
    route({
      method: 'GET',
      path: '/models',
      access: READ,
      tag: 'models',
      summary: 'Every registered model with its version count and aliases',
      answers: { 200: { description: 'the models, by name', schema: z.object({ models: z.array(modelJson) }) } },
      async handler() {
        return { models: await d.models.list() };
      },
    }),
    route({
      method: 'GET',
      path: '/models/:name',
      access: READ,
      tag: 'models',
      summary: 'A model and its versions, newest first, with lineage and metrics',
      params: nameParams,
      answers: {
        200: { description: 'the model', schema: z.object({ model: modelJson, versions: z.array(versionJson) }) },
        404: { description: 'no such model', schema: errorJson },
      },
      async handler({ params }) {
        const { model, versions } = await d.models.show(params.name);
        return { model, versions };
      },
    }),
    route({
      method: 'GET',
      path: '/models/:name/versions/:ref',
      access: READ,
      tag: 'models',
      summary: 'Resolve NAME@ALIAS or NAME@VERSION: the version, with a download address for each file',
      params: nameParams.extend({ ref: z.string().min(1).max(100).describe('a version number, or an alias such as production') }),
      answers: {
        200: { description: 'the version', schema: z.object({ version: versionJson.extend({ files: z.array(modelFileJson.extend({ url: z.string() })) }) }) },
        400: { description: 'a malformed reference', schema: errorJson },
        404: { description: 'no such model, version or alias', schema: errorJson },
      },
      async handler({ params }) {
        return { version: withUrls(await d.models.resolve(params.name, parseVersionRef(params.ref))) };
      },
    }),
    route({
      method: 'PUT',
      path: '/models/:name/aliases/:alias',
      access: { action: 'promote', scope: modelParam() },
      tag: 'models',
      summary: 'Point an alias at a version (audited)',
      params: nameParams.extend({ alias: z.string().min(1).max(63) }),
      body: z.object({ version: z.number().int().min(1), note, by: actor }),
      answers: {
        200: { description: 'where the alias pointed before and now', schema: aliasMoveJson },
        400: { description: 'a malformed alias', schema: errorJson },
        404: { description: 'no such model or version', schema: errorJson },
      },
      async handler({ params, body, request }) {
        return d.models.moveAlias({
          model: params.name,
          alias: params.alias,
          version: body.version,
          ...(body.note !== undefined ? { note: body.note } : {}),
          by: actorOf(request, body.by),
        });
      },
    }),
    route({
      method: 'GET',
      path: '/model-audit',
      access: READ,
      tag: 'models',
      summary: 'Promotions and alias moves, newest first',
      query: z.object({ model: modelName.optional(), limit: queryInt(1, 10_000).optional() }),
      answers: { 200: { description: 'the entries', schema: z.object({ entries: z.array(auditJson) }) } },
      async handler({ query }) {
        return { entries: await d.models.audit(query.model, query.limit) };
      },
    }),
    route({
      method: 'POST',
      path: '/run-model-versions',
      access: READ,
      tag: 'models',
      summary: 'The model versions made from each of many runs',
      body: z.object({ runIds: z.array(z.string()).max(10_000) }),
      answers: {
        200: {
          description: 'per run (runs without versions left out)',
          schema: z.object({ versions: z.record(z.string(), z.array(z.object({ model: z.string(), version: z.number().int(), aliases: z.array(z.string()) }))) }),
        },
      },
      async handler({ body }) {
        return { versions: Object.fromEntries(await d.store.modelVersionsOfRuns(body.runIds.map((i) => i.toLowerCase()))) };
      },
    }),
  ];
}
