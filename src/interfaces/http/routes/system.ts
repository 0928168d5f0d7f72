/**
 * @module interfaces/http/routes/system
 * The server itself (health, version) and what the store keeps beside runs: container
 * images and how many runs used each environment.
 */
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { READ } from '../access-rule.js';

const imageJson = z.object({
  ref: z.string().min(1),
  digest: z.string().min(1),
  project: z.string().min(1),
  commit: z.string().min(1),
  envHash: z.string().nullable(),
  engine: z.string().min(1),
  createdAt: z.number(),
});

export function systemRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/health',
      access: { public: 'load balancers and monitors probe it' },
      tag: 'system',
      summary: 'Whether the server is up, and its version',
      answers: { 200: { description: 'up', schema: z.object({ status: z.literal('ok'), version: z.string(), api: z.literal('v1') }) } },
      async handler() {
        return { status: 'ok' as const, version: d.version, api: 'v1' as const };
      },
    }),
    route({
      method: 'GET',
      path: '/images',
      access: READ,
      tag: 'images',
      summary: 'Container images built for projects, newest first',
      query: z.object({ project: z.string().optional() }),
      answers: { 200: { description: 'images', schema: z.object({ images: z.array(imageJson) }) } },
      async handler({ query }) {
        return { images: await d.store.listImages(query.project) };
      },
    }),
    route({
      method: 'POST',
      path: '/images',
      access: { action: 'run' },
      tag: 'images',
      summary: 'Record a built image (the same ref replaces the record)',
      body: imageJson,
      answers: { 200: { description: 'recorded', schema: z.object({ ref: z.string() }) } },
      async handler({ body }) {
        await d.tracking.saveImage(body);
        return { ref: body.ref };
      },
    }),
    route({
      method: 'GET',
      path: '/environments/usage',
      access: READ,
      tag: 'environments',
      summary: 'How many runs used each environment key',
      answers: { 200: { description: 'per environment hash', schema: z.object({ runs: z.record(z.string(), z.number()) }) } },
      async handler() {
        return { runs: Object.fromEntries(await d.store.countRunsByEnvironment()) };
      },
    }),
  ];
}
