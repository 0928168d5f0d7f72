/**
 * @module interfaces/http/routes/artifacts
 * A run's artifacts: the list, replacing it (a runner, at the end), and one file's bytes.
 * A path is looked up in the run's list, never joined onto a folder; still, paths with
 * `..`, absolute paths, backslashes and NUL, encoded or not, are refused outright.
 */
import { z } from 'zod';
import { checkArtifactPath } from '../../../core/artifact-path.js';
import { RepriseError } from '../../../core/errors.js';
import type { ApiDeps } from '../api-deps.js';
import { route, type Route } from '../route.js';
import { workerOf } from './queue.js';
import { artifactJson, errorJson, runIdParams } from '../schemas.js';
import { getRunOr404 } from './runs.js';
import { READ, runParam } from '../access-rule.js';

export function artifactRoutes(d: ApiDeps): Route[] {
  return [
    route({
      method: 'GET',
      path: '/runs/:id/artifacts',
      access: READ,
      tag: 'artifacts',
      summary: "A run's artifacts: path, size, sha256",
      params: runIdParams,
      answers: { 200: { description: 'the list', schema: z.object({ artifacts: z.array(artifactJson) }) } },
      async handler({ params }) {
        const run = await getRunOr404(d, params.id);
        return { artifacts: await d.store.listArtifacts(run.id) };
      },
    }),
    route({
      method: 'PUT',
      path: '/runs/:id/artifacts',
      access: { action: 'run', scope: runParam() },
      tag: 'artifacts',
      summary: "Replace a run's list of artifacts (upload their blobs first; a download of one whose blob is missing is 404)",
      params: runIdParams,
      body: z.object({ artifacts: z.array(artifactJson).max(1_000_000) }),
      answers: { 200: { description: 'recorded', schema: z.object({ artifacts: z.number() }) }, 400: { description: 'an unsafe path', schema: errorJson } },
      async handler({ params, body , request }) {
        for (const a of body.artifacts) checkArtifactPath(a.path);
        await d.tracking.setArtifacts(params.id.toLowerCase(), body.artifacts, workerOf(request));
        return { artifacts: body.artifacts.length };
      },
    }),
    route({
      method: 'GET',
      path: '/runs/:id/artifacts/*',
      access: READ,
      tag: 'artifacts',
      summary: 'The bytes of one artifact, by its path (e.g. outputs/report.json)',
      params: runIdParams.extend({ '*': z.string().describe('the artifact path') }),
      answers: {
        200: { description: 'the file', contentType: 'application/octet-stream' },
        400: { description: 'an unsafe path', schema: errorJson },
        404: { description: 'no such run or artifact', schema: errorJson },
      },
      async handler({ params, request, reply }) {
        // The raw URL, not the router's decoded parameter, so encoded traversal is seen as sent.
        const rawPath = (request.raw.url ?? '').split('?')[0]!.replace(/^.*?\/artifacts\//, '');
        const path = checkArtifactPath(rawPath);
        const run = await getRunOr404(d, params.id);
        const artifact = (await d.store.listArtifacts(run.id)).find((a) => a.path === path);
        if (!artifact) {
          throw new RepriseError('REPRISE_ERR_ARTIFACT_NOT_FOUND', `run ${run.name} has no artifact ${JSON.stringify(path)}`, { details: { run: run.id, path } });
        }
        const bytes = await d.blobs.stream(artifact.sha256);
        void reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(artifact.size))
          .header('etag', `"${artifact.sha256}"`)
          .header('content-disposition', `attachment; filename="${encodeURIComponent(path.split('/').pop() ?? 'artifact')}"`);
        return bytes;
      },
    }),
  ];
}
