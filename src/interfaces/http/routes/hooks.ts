/**
 * @module interfaces/http/routes/hooks
 * Merges that start pipelines: the git hook endpoint that GitHub, GitLab and Gitea
 * webhooks (and `reprise hooks install`'s repository hooks) post push events to, the
 * projects' links to their repositories, and the deliveries already acted on.
 */
import { z } from 'zod';
import { API_PREFIX } from '../../../core/api-version.js';
import { redactRepositoryUrl } from '../../../core/redact-url.js';
import { checkLinkFields, checkLinkSecret, DEFAULT_TRIGGER_BRANCH, type RepositoryLink } from '../../../core/repository-link.js';
import { GIT_PROVIDERS } from '../../../core/trigger.js';
import { triggerImageSchema } from '../../../core/trigger-schema.js';
import type { ApiDeps } from '../api-deps.js';
import { rawBodyOf } from '../raw-body.js';
import { route, type Route } from '../route.js';
import { actorOf } from '../authentication.js';
import { errorJson } from '../schemas.js';
import { READ, projectFrom } from '../access-rule.js';

/** Where hosts post push events. */
export const GIT_HOOK_PATH = `${API_PREFIX}/hooks/git`;

const projectParams = z.object({ project: z.string().min(1).max(200) });

export const repositoryLinkJson = z.object({
  project: z.string(),
  url: z.string().describe('where the server fetches pushed commits from'),
  branch: z.string().describe('pushes to this branch start a run'),
  queue: z.string().nullable().describe("where the runs wait; null: as the project's reprise.yaml says"),
  path: z.string().describe("the project's folder inside the repository, '' at its root"),
  createdAt: z.number(),
  createdBy: z.string(),
  updatedAt: z.number(),
});

export const deliveryJson = z.object({
  provider: z.enum(GIT_PROVIDERS),
  id: z.string(),
  project: z.string(),
  receivedAt: z.number(),
  commit: z.string(),
  runIds: z.array(z.string()),
});

const outcomeJson = z.union([
  z.object({ project: z.string(), queued: z.object({ id: z.string(), name: z.string(), queue: z.string(), commit: z.string(), image: triggerImageSchema.nullable() }) }),
  z.object({ project: z.string(), duplicate: z.object({ runIds: z.array(z.string()) }) }),
  z.object({ project: z.string(), skipped: z.string() }),
  z.object({ project: z.string(), error: z.object({ code: z.string(), message: z.string() }) }),
]);

const hookAnswerJson = z.object({
  provider: z.enum(GIT_PROVIDERS),
  event: z.string(),
  delivery: z.string(),
  ref: z.string().nullable(),
  commit: z.string().nullable(),
  message: z.string().describe('what was done, in words (hosts show it with the delivery)'),
  projects: z.array(outcomeJson).describe('per linked project: the run queued, a duplicate delivery, why nothing started, or what failed'),
});

/** A link as the API shows it: the credentials in its URL masked. */
function shown(link: RepositoryLink): RepositoryLink {
  return { ...link, url: redactRepositoryUrl(link.url) };
}

export function hookRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'POST',
      path: GIT_HOOK_PATH.slice(API_PREFIX.length),
      access: { public: 'a delivery is checked against the linked repository\'s secret instead' },
      tag: 'hooks',
      summary: 'A push event from a GitHub, GitLab or Gitea webhook (or a repository hook): a push to a linked branch queues a run at the pushed commit',
      query: z.object({ project: z.string().min(1).max(200).optional().describe("only this project's link (default: the links of the pushed repository)") }),
      body: { raw: 'application/json', description: "the host's event, as it sent it: its signature is checked over these bytes" },
      bodyLimit: 25 * 1024 * 1024,
      answers: {
        200: { description: 'nothing to start (another branch, a tag, a deletion, a ping), or the delivery was acted on before', schema: hookAnswerJson },
        202: { description: 'a run was queued', schema: hookAnswerJson },
        400: { description: 'not a hook Reprise knows, or a body that is not the event it claims', schema: errorJson },
        401: { description: "a missing or wrong signature (or GitLab token): nothing is done", schema: errorJson },
        404: { description: 'no project is linked to the repository', schema: errorJson },
      },
      async handler({ query, request, reply }) {
        const answer = await d.hooks.receive({ headers: request.headers, body: rawBodyOf(request), ...(query.project !== undefined ? { project: query.project } : {}) });
        const { status, ...body } = answer;
        void reply.code(status);
        return body;
      },
    }),
    route({
      method: 'GET',
      path: '/repository-links',
      access: READ,
      tag: 'hooks',
      summary: 'Projects linked to repositories (their secrets, and credentials in their URLs, are never sent)',
      query: z.object({ project: z.string().min(1).max(200).optional() }),
      answers: { 200: { description: 'the links, by project', schema: z.object({ links: z.array(repositoryLinkJson) }) } },
      async handler({ query }) {
        return { links: (await d.store.repositoryLinks(query.project)).map(shown) };
      },
    }),
    route({
      method: 'PUT',
      path: '/projects/:project/repository-link',
      access: { action: 'admin', scope: projectFrom('params') },
      tag: 'hooks',
      summary: 'Link a project to the repository whose pushes to a branch start its pipeline, or change its link',
      params: projectParams,
      body: z.object({
        url: z.string().min(1).max(2000),
        branch: z.string().min(1).max(255).optional().describe('default main'),
        queue: z.string().nullable().optional().describe("default null: as reprise.yaml says"),
        path: z.string().max(1000).optional().describe("the project's folder in the repository, default its root"),
        secret: z.string().min(1).max(256).describe('what the host signs deliveries with (GitLab: the token it sends)'),
        by: z.string().min(1).max(200).optional().describe('who links it (kept from the first link)'),
        createdAt: z.number().int().optional().describe('when it was first linked, UTC ms (default now; kept from the first link)'),
        updatedAt: z.number().int().optional().describe('default now'),
      }),
      answers: {
        200: { description: 'the link as saved', schema: z.object({ link: repositoryLinkJson }) },
        400: { description: 'a bad URL, branch, queue, folder or secret (the field is named)', schema: errorJson },
      },
      async handler({ params, body, request }) {
        const fields = checkLinkFields({ url: body.url, branch: body.branch ?? DEFAULT_TRIGGER_BRANCH, queue: body.queue ?? null, path: body.path ?? '' });
        const now = Date.now();
        const link: RepositoryLink = { project: params.project, ...fields, createdAt: body.createdAt ?? now, createdBy: actorOf(request, body.by), updatedAt: body.updatedAt ?? now };
        await d.store.saveRepositoryLink(link, checkLinkSecret(body.secret));
        return { link: shown((await d.store.repositoryLinks(params.project))[0] ?? link) };
      },
    }),
    route({
      method: 'DELETE',
      path: '/projects/:project/repository-link',
      access: { action: 'admin', scope: projectFrom('params') },
      tag: 'hooks',
      summary: "Unlink a project from its repository: its pushes start nothing any more",
      params: projectParams,
      answers: {
        200: { description: 'unlinked', schema: z.object({ deleted: z.literal(true) }) },
        404: { description: 'the project was not linked', schema: errorJson },
      },
      async handler({ params }) {
        await d.hooks.unlink(params.project);
        return { deleted: true as const };
      },
    }),
    route({
      method: 'GET',
      path: '/hooks/deliveries',
      access: READ,
      tag: 'hooks',
      summary: "A hook delivery already acted on for a project, with the runs it started",
      query: z.object({ provider: z.enum(GIT_PROVIDERS), id: z.string().min(1).max(500), project: z.string().min(1).max(200) }),
      answers: { 200: { description: 'the delivery, or null', schema: z.object({ delivery: deliveryJson.nullable() }) } },
      async handler({ query }) {
        return { delivery: (await d.store.hookDelivery(query.provider, query.id, query.project)) ?? null };
      },
    }),
  ];
}

