/**
 * @module interfaces/mlflow/artifact-routes
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/...`) over Reprise's run
 * artifacts. The paths the client builds from the URIs this API hands out:
 * `<experiment id>/<run id>/artifacts/<path>` for a run's files (a logged model's too: its
 * files are its run's), and `_models/<name>/<version>/<path>` for a registered version's
 * files, frozen when the version was made. Bytes are stored content-addressed like every
 * other artifact, so the same file logged twice is stored once.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { checkArtifactPath, folderEntries, type FolderEntry } from '../../core/artifact-path.js';
import { RepriseError } from '../../core/errors.js';
import { READ, runsScope, type AccessRule, type ScopeOf } from '../http/access-rule.js';
import type { MlflowDeps, MlflowRoute } from './mlflow-route.js';
import { invalid, type MlflowFields } from './request.js';

type Target =
  | { readonly kind: 'root' }
  | { readonly kind: 'run'; readonly runId: string; readonly path: string }
  | { readonly kind: 'version'; readonly model: string; readonly version: number; readonly path: string }
  /** A folder above any run or version (an experiment's, `_models/`): listed as empty. */
  | { readonly kind: 'above' };

/** Where a proxy path points, its traversal refused however it is encoded. */
function targetOf(raw: string): Target {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return { kind: 'root' };
  const path = checkArtifactPath(trimmed);
  const parts = path.split('/');
  if (parts[0] === '_models') {
    if (parts.length < 3) return { kind: 'above' };
    const version = Number(parts[2]);
    if (!Number.isSafeInteger(version) || version < 1) throw invalid(`artifact path ${JSON.stringify(raw)}: ${JSON.stringify(parts[2])} is not a version number`, 'path');
    return { kind: 'version', model: decodeURIComponent(parts[1]!), version, path: parts.slice(3).join('/') };
  }
  if (!/^\d+$/.test(parts[0]!)) throw invalid(`artifact path ${JSON.stringify(raw)} does not start with an experiment id`, 'path');
  if (parts.length < 3) return { kind: 'above' };
  if (parts[2] !== 'artifacts') throw invalid(`artifact path ${JSON.stringify(raw)}: expected <experiment id>/<run id>/artifacts/...`, 'path');
  return { kind: 'run', runId: parts[1]!, path: parts.slice(3).join('/') };
}

/**
 * The run an upload or a deletion writes, read from the path as the handlers read it
 * (`_models/...` and folders above a run name none: those writes are refused anyway).
 */
const artifactRun: ScopeOf = async (input, look) => {
  const raw = input.params['*'] ?? '';
  let runId: string | undefined;
  try {
    const t = targetOf(raw);
    runId = t.kind === 'run' ? t.runId : undefined;
  } catch {
    // The rest of the path is the handler's to refuse (it reads the URL as sent, decoded
    // once less than this parameter); the run the path names still decides who is told so.
    const parts = raw.replace(/^\/+/, '').split('/');
    runId = /^\d+$/.test(parts[0]!) && parts[2] === 'artifacts' ? parts[1] : undefined;
  }
  return runsScope([runId], look);
};
const WRITE_ARTIFACTS: AccessRule = { action: 'run', scope: artifactRun };

function filesJson(entries: readonly FolderEntry[], prefix = '') {
  return entries.map((e) => ({ path: `${prefix}${e.name}`, is_dir: e.isDir, ...(e.size !== null ? { file_size: e.size } : {}) }));
}

/** The path after `/artifacts/` in the URL as sent (not the router's decoding), so encoded traversal is seen. */
function rawPathOf(request: FastifyRequest): string {
  const url = (request.raw.url ?? '').split('?')[0]!;
  const at = url.indexOf('/mlflow-artifacts/artifacts/');
  return at < 0 ? '' : url.slice(at + '/mlflow-artifacts/artifacts/'.length);
}

function notFound(what: string): RepriseError {
  return new RepriseError('REPRISE_ERR_ARTIFACT_NOT_FOUND', `no artifact ${JSON.stringify(what)}`, { details: { path: what } });
}

async function sendFile(d: MlflowDeps, reply: FastifyReply, name: string, size: number, sha256: string): Promise<Readable> {
  const bytes = await d.runs.openArtifact({ path: name, size, sha256 });
  void reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(size))
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', `attachment; filename="${encodeURIComponent(name.split('/').pop() ?? 'artifact')}"`);
  return bytes;
}

/** Routes under `/api/2.0/mlflow-artifacts`. */
export function artifactProxyRoutes(d: MlflowDeps): MlflowRoute[] {
  const versionOf = (t: { model: string; version: number }) => d.models.resolve(t.model, { version: t.version });
  const list = async (f: MlflowFields) => {
    const t = targetOf(f.str('path') ?? '');
    if (t.kind === 'root' || t.kind === 'above') return { files: [] };
    if (t.kind === 'version') return { files: filesJson(folderEntries((await versionOf(t)).files, t.path)) };
    await d.runs.get(t.runId);
    return { files: filesJson(await d.runs.listFolder(t.runId, t.path)) };
  };
  return [
    { method: 'GET', path: '/artifacts', access: READ, handler: list },
    {
      method: 'GET',
      path: '/artifacts/*',
      access: READ,
      async handler(_f, { request, reply }) {
        const t = targetOf(rawPathOf(request));
        if (t.kind === 'version') {
          const v = await versionOf(t);
          const file = v.files.find((x) => x.path === t.path);
          if (!file) throw notFound(`${v.model} v${v.version}: ${t.path}`);
          return sendFile(d, reply, file.path, file.size, file.sha256);
        }
        if (t.kind !== 'run' || t.path === '') throw notFound(rawPathOf(request));
        const a = await d.runs.artifact(t.runId, t.path);
        if (!a) throw notFound(`${t.runId}: ${t.path}`);
        return sendFile(d, reply, a.path, a.size, a.sha256);
      },
    },
    {
      method: 'PUT',
      path: '/artifacts/*',
      access: WRITE_ARTIFACTS,
      async handler(_f, { request }) {
        const t = targetOf(rawPathOf(request));
        if (t.kind !== 'run' || t.path === '') {
          throw invalid(`artifacts are uploaded into a run: <experiment id>/<run id>/artifacts/<path>, not ${JSON.stringify(rawPathOf(request))}`, 'path');
        }
        await d.runs.putArtifact(t.runId, t.path, (request.body as Readable | undefined) ?? request.raw);
        return {};
      },
    },
    {
      method: 'DELETE',
      path: '/artifacts/*',
      access: WRITE_ARTIFACTS,
      async handler(_f, { request }) {
        const t = targetOf(rawPathOf(request));
        if (t.kind !== 'run' || t.path === '') throw invalid(`only a run's artifacts can be deleted, not ${JSON.stringify(rawPathOf(request))}`, 'path');
        await d.runs.deleteArtifacts(t.runId, t.path);
        return {};
      },
    },
    ...(['create', 'complete', 'abort'] as const).map(
      (step): MlflowRoute => ({
        method: 'POST',
        path: `/mpu/${step}/*`,
        access: WRITE_ARTIFACTS,
        async handler(_f, { reply }) {
          // MLflow's client falls back to a single upload on this status and message.
          void reply.code(501);
          return { error_code: 'NOT_IMPLEMENTED', message: 'Multipart upload is not supported for the current artifact repository' };
        },
      }),
    ),
  ];
}

/** `GET /api/2.0/mlflow/artifacts/list`: a run's folder, paths relative to the run. */
export function runArtifactListRoute(d: MlflowDeps): MlflowRoute {
  return {
    method: 'GET',
    path: '/artifacts/list',
    access: READ,
    async handler(f) {
      const run = await d.runs.get(f.runId());
      const folder = (f.str('path') ?? '').replace(/^\/+|\/+$/g, '');
      const project = await d.store.projectRecord({ name: run.project });
      const root = `mlflow-artifacts:/${project?.id ?? 0}/${run.id}/artifacts`;
      return { root_uri: root, files: filesJson(await d.runs.listFolder(run.id, folder), folder === '' ? '' : `${folder}/`) };
    },
  };
}
