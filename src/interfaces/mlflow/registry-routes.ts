/**
 * @module interfaces/mlflow/registry-routes
 * MLflow's model registry over Reprise's model store. A version is made from a run's
 * files (named by `runs:/`, `mlflow-artifacts:/` or a logged model's `models:/m-…`) under
 * Reprise's promotion rule and the project's policy; aliases move with an audit entry;
 * a version's files are downloaded as frozen when it was made. MLflow's stages are not
 * kept (aliases replaced them in MLflow too): every version is in stage `None`.
 */
import { RepriseError } from '../../core/errors.js';
import { compileEntityFilter, compileEntityOrder, LOGGED_MODEL_SEARCH, MODEL_VERSION_SEARCH, REGISTERED_MODEL_SEARCH } from '../../core/mlflow/entity-search.js';
import { checkKey, checkValueLength, MAX_REGISTRY_TAG_VALUE_LENGTH } from '../../core/mlflow/logging-limits.js';
import type { ModelVersion, RegisteredModel } from '../../core/model-store.js';
import { NO_SCOPE, READ, runsScope, type AccessRule, type ScopeOf } from '../http/access-rule.js';
import { mlflowModel, mlflowScope, requester, type MlflowDeps, type MlflowRoute } from './mlflow-route.js';
import { invalid, type MlflowFields } from './request.js';
import { offsetPage } from './tracking-routes.js';
import { loggedModelJson, LOGGED_STATUS_FROM_WIRE, modelVersionJson, registeredModelJson, versionArtifactUri } from './wire.js';

/** Changing a registered model or its versions, in the projects its versions came from. */
const PROMOTE: AccessRule = { action: 'promote', scope: mlflowModel };
/** Deleting a registered model or a version of it. */
const MODEL_ADMIN: AccessRule = { action: 'admin', scope: mlflowModel };

/** MLflow's own alias rules, before Reprise's: `latest` and `v<digits>` name versions. */
function checkMlflowAlias(alias: string): string {
  if (/^latest$/i.test(alias) || /^v\d+$/i.test(alias)) throw invalid(`alias ${JSON.stringify(alias)} is reserved: it names a version`, 'alias');
  return alias;
}

function versionNumber(f: MlflowFields): number {
  const raw = f.requiredStr('version');
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1) throw invalid(`Invalid value ${JSON.stringify(raw)} for parameter 'version': expected a version number`, 'version');
  return n;
}

function registryTags(f: MlflowFields): Record<string, string> {
  const tags = f.pairs('tags');
  for (const [k, v] of Object.entries(tags)) {
    checkKey(k, 'tags.key', 'tag');
    checkValueLength(v, MAX_REGISTRY_TAG_VALUE_LENGTH, `tags.${k}`, `the value of tag ${k}`);
  }
  return tags;
}

export function registryRoutes(d: MlflowDeps): MlflowRoute[] {
  const experimentIds = async () => new Map((await d.store.projectRecords()).map((p) => [p.name, p.id]));
  const versionJson = async (v: ModelVersion) => modelVersionJson(v, (await experimentIds()).get(v.project));
  const modelJson = async (m: RegisteredModel) => {
    const latest = m.latestVersion > 0 ? await d.models.resolve(m.name, { version: m.latestVersion }).catch(() => undefined) : undefined;
    return registeredModelJson(m, latest ? [await versionJson(latest)] : []);
  };
  const modelNamed = async (name: string): Promise<RegisteredModel> => (await d.models.show(name)).model;

  /** The run and the folder of its artifacts that a version's source names. */
  const sourceOf = async (f: MlflowFields): Promise<{ runId: string; folder: string }> => {
    const source = f.requiredStr('source');
    const modelId = f.str('model_id') || /^models:\/(m-[0-9a-f]{32})\/?$/.exec(source)?.[1];
    if (modelId) {
      const m = await d.loggedModels.get(modelId);
      return { runId: m.runId, folder: m.path };
    }
    let m = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (m) return { runId: m[1]!, folder: m[2]!.replace(/\/+$/, '') };
    m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+\d+\/([^/]+)\/artifacts\/?(.*)$/.exec(source);
    if (m) return { runId: m[1]!, folder: m[2]!.replace(/\/+$/, '') };
    m = /^models:\/([^/]+)\/(\d+)$/.exec(source);
    if (m) {
      const v = await d.models.resolve(m[1]!, { version: Number(m[2]) });
      return { runId: v.runId, folder: v.path };
    }
    throw invalid(
      `source ${JSON.stringify(source)}: Reprise makes a version from a run's files; name them as runs:/RUN_ID/PATH, mlflow-artifacts:/EXPERIMENT/RUN_ID/artifacts/PATH or models:/m-… (a logged model)`,
      'source',
    );
  };

  /**
   * A new version's projects: the model's, and the project of the run its files come from
   * (`run_id`, and the run its source names), so a version is never made from a run the
   * caller may not promote. No run is written: a run token does not register versions.
   */
  const versionScope = mlflowScope(async (f, look, input) => {
    const model = await mlflowModel(input, look);
    const source = await sourceOf(f).catch(() => undefined);
    const run = await runsScope([f.str('run_id'), source?.runId], look);
    return { projects: [...new Set([...model.projects, ...run.projects])], runs: [] };
  });

  return [
    {
      method: 'POST',
      path: '/registered-models/create',
      access: PROMOTE,
      async handler(f, { request }) {
        const m = await d.models.create({ name: f.requiredStr('name'), by: requester(request), description: f.str('description') ?? null, tags: registryTags(f) });
        return { registered_model: await modelJson(m) };
      },
    },
    {
      method: 'GET',
      path: '/registered-models/get',
      access: READ,
      async handler(f) {
        return { registered_model: await modelJson(await modelNamed(f.requiredStr('name'))) };
      },
    },
    {
      method: 'POST',
      path: '/registered-models/rename',
      access: PROMOTE,
      async handler() {
        throw new RepriseError('REPRISE_ERR_MODEL_INVALID', "Reprise keeps a registered model's name: its versions' lineage and the audit log refer to it; create a model under the new name instead", {
          details: { field: 'new_name' },
        });
      },
    },
    {
      method: 'PATCH',
      path: '/registered-models/update',
      access: PROMOTE,
      async handler(f) {
        const m = await d.models.update(f.requiredStr('name'), { ...(f.has('description') ? { description: f.str('description') ?? null } : {}) });
        return { registered_model: await modelJson(m) };
      },
    },
    {
      method: 'DELETE',
      path: '/registered-models/delete',
      access: MODEL_ADMIN,
      async handler(f, { request }) {
        await d.models.delete({ model: f.requiredStr('name'), by: requester(request) });
        return {};
      },
    },
    {
      method: 'GET',
      path: '/registered-models/search',
      access: READ,
      async handler(f) {
        const matches = compileEntityFilter(f.str('filter') ?? '', REGISTERED_MODEL_SEARCH);
        const order = compileEntityOrder(f.strings('order_by'), REGISTERED_MODEL_SEARCH, [{ key: 'name', desc: false }]);
        const all = (await d.models.list())
          .map((m) => ({ m, e: { attrs: { name: m.name, last_updated_timestamp: m.updatedAt }, tags: m.tags } }))
          .filter((x) => matches(x.e))
          .sort((a, b) => order(a.e, b.e));
        const { page, next } = offsetPage(all, f, 100, 1000);
        return { registered_models: await Promise.all(page.map((x) => modelJson(x.m))), ...(next ? { next_page_token: next } : {}) };
      },
    },
    ...(['GET', 'POST'] as const).map(
      (method): MlflowRoute => ({
        method,
        path: '/registered-models/get-latest-versions',
        access: READ,
        async handler(f) {
          const m = await modelNamed(f.requiredStr('name'));
          const stages = f.strings('stages').map((s) => s.toLowerCase());
          // Every version is in stage None: asked for other stages, there is none.
          if (m.latestVersion === 0 || (stages.length > 0 && !stages.includes('none'))) return { model_versions: [] };
          return { model_versions: [await versionJson(await d.models.resolve(m.name, { version: m.latestVersion }))] };
        },
      }),
    ),
    {
      method: 'POST',
      path: '/registered-models/set-tag',
      access: PROMOTE,
      async handler(f) {
        const key = checkKey(f.requiredStr('key'), 'key', 'tag');
        await d.models.update(f.requiredStr('name'), { setTags: { [key]: checkValueLength(f.str('value') ?? '', MAX_REGISTRY_TAG_VALUE_LENGTH, 'value', `the value of tag ${key}`) } });
        return {};
      },
    },
    {
      method: 'DELETE',
      path: '/registered-models/delete-tag',
      access: PROMOTE,
      async handler(f) {
        await d.models.update(f.requiredStr('name'), { deleteTags: [f.requiredStr('key')] });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/registered-models/alias',
      access: PROMOTE,
      async handler(f, { request }) {
        const alias = checkMlflowAlias(f.requiredStr('alias'));
        await d.models.moveAlias({ model: f.requiredStr('name'), alias, version: versionNumber(f), note: 'set through the MLflow API', by: requester(request) });
        return {};
      },
    },
    {
      method: 'DELETE',
      path: '/registered-models/alias',
      access: PROMOTE,
      async handler(f, { request }) {
        await d.models.removeAlias({ model: f.requiredStr('name'), alias: f.requiredStr('alias'), by: requester(request) });
        return {};
      },
    },
    {
      method: 'GET',
      path: '/registered-models/alias',
      access: READ,
      async handler(f) {
        const name = f.requiredStr('name');
        const alias = f.requiredStr('alias');
        if (/^latest$/i.test(alias)) {
          const m = await modelNamed(name);
          if (m.latestVersion === 0) throw new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `${name} has no versions`, { details: { model: name } });
          return { model_version: await versionJson(await d.models.resolve(name, { version: m.latestVersion })) };
        }
        const m = await modelNamed(name);
        const version = m.aliases[alias];
        if (version === undefined) throw invalid(`Registered model alias ${alias} not found on model ${name}`, 'alias');
        return { model_version: await versionJson(await d.models.resolve(name, { version })) };
      },
    },

    // Versions.
    {
      method: 'POST',
      path: '/model-versions/create',
      access: { action: 'promote', scope: versionScope },
      async handler(f, { request }) {
        const name = f.requiredStr('name');
        await modelNamed(name);
        const { runId, folder } = await sourceOf(f);
        const given = f.str('run_id');
        if (given && given.toLowerCase() !== runId.toLowerCase()) {
          throw invalid(`run_id ${given} differs from the run of source ${f.str('source')} (${runId})`, 'run_id');
        }
        const run = await d.runs.get(runId);
        const v = await d.models.register({
          model: name,
          run,
          folder,
          by: requester(request),
          ...(f.has('description') ? { description: f.str('description') ?? null } : {}),
          tags: registryTags(f),
          near: process.cwd(),
        });
        return { model_version: await versionJson(v) };
      },
    },
    {
      method: 'GET',
      path: '/model-versions/get',
      access: READ,
      async handler(f) {
        return { model_version: await versionJson(await d.models.resolve(f.requiredStr('name'), { version: versionNumber(f) })) };
      },
    },
    {
      method: 'PATCH',
      path: '/model-versions/update',
      access: PROMOTE,
      async handler(f) {
        const v = await d.models.updateVersion(f.requiredStr('name'), versionNumber(f), { ...(f.has('description') ? { description: f.str('description') ?? null } : {}) });
        return { model_version: await versionJson(v) };
      },
    },
    {
      method: 'DELETE',
      path: '/model-versions/delete',
      access: MODEL_ADMIN,
      async handler(f, { request }) {
        await d.models.delete({ model: f.requiredStr('name'), version: versionNumber(f), by: requester(request) });
        return {};
      },
    },
    {
      method: 'GET',
      path: '/model-versions/search',
      access: READ,
      async handler(f) {
        const ids = await experimentIds();
        const matches = compileEntityFilter(f.str('filter') ?? '', MODEL_VERSION_SEARCH);
        const order = compileEntityOrder(f.strings('order_by'), MODEL_VERSION_SEARCH, [
          { key: 'name', desc: false },
          { key: 'version_number', desc: true },
        ]);
        const all = (await d.models.versions())
          .map((v) => {
            const json = modelVersionJson(v, ids.get(v.project));
            const attrs = { name: v.model, run_id: v.runId, source_path: json.source, version_number: v.version, creation_timestamp: v.createdAt, last_updated_timestamp: v.createdAt };
            return { json, e: { attrs, tags: v.tags } };
          })
          .filter((x) => matches(x.e))
          .sort((a, b) => order(a.e, b.e));
        const { page, next } = offsetPage(all, f, 10_000, 200_000);
        return { model_versions: page.map((x) => x.json), ...(next ? { next_page_token: next } : {}) };
      },
    },
    {
      method: 'GET',
      path: '/model-versions/get-download-uri',
      access: READ,
      async handler(f) {
        const v = await d.models.resolve(f.requiredStr('name'), { version: versionNumber(f) });
        return { artifact_uri: versionArtifactUri(v.model, v.version) };
      },
    },
    {
      method: 'POST',
      path: '/model-versions/transition-stage',
      access: PROMOTE,
      async handler() {
        throw invalid('Reprise does not keep model stages (MLflow deprecated them too): point an alias at the version instead (set_registered_model_alias)', 'stage');
      },
    },
    {
      method: 'POST',
      path: '/model-versions/set-tag',
      access: PROMOTE,
      async handler(f) {
        const key = checkKey(f.requiredStr('key'), 'key', 'tag');
        await d.models.updateVersion(f.requiredStr('name'), versionNumber(f), {
          setTags: { [key]: checkValueLength(f.str('value') ?? '', MAX_REGISTRY_TAG_VALUE_LENGTH, 'value', `the value of tag ${key}`) },
        });
        return {};
      },
    },
    {
      method: 'DELETE',
      path: '/model-versions/delete-tag',
      access: PROMOTE,
      async handler(f) {
        await d.models.updateVersion(f.requiredStr('name'), versionNumber(f), { deleteTags: [f.requiredStr('key')] });
        return {};
      },
    },
  ];
}

/** MLflow 3's logged models: records whose files are their run's artifacts. */
export function loggedModelRoutes(d: MlflowDeps): MlflowRoute[] {
  const json = async (id: string) => {
    const m = await d.loggedModels.get(id);
    const p = await d.store.projectRecord({ name: m.project });
    return { model: loggedModelJson(m, p?.id ?? 0) };
  };
  /** The run a new logged model is logged in. */
  const sourceRun = mlflowScope((f, look) => runsScope([f.str('source_run_id')], look));
  /** The run a logged model (`:id`) was logged in: changing the model writes to that run. */
  const modelRun: ScopeOf = async (input, look) => {
    const id = input.params.id;
    const m = id !== undefined ? await d.loggedModels.get(id).catch(() => undefined) : undefined;
    return m ? runsScope([m.runId], look) : NO_SCOPE;
  };
  const WRITE_MODEL: AccessRule = { action: 'run', scope: modelRun };
  return [
    {
      method: 'POST',
      path: '/logged-models',
      access: { action: 'run', scope: sourceRun },
      async handler(f) {
        const runId = f.str('source_run_id');
        if (!runId) {
          throw invalid("Reprise keeps a logged model's files among its run's artifacts: log the model inside a run (source_run_id)", 'source_run_id');
        }
        const run = await d.runs.get(runId);
        const exp = f.requiredStr('experiment_id');
        const p = await d.store.projectRecord({ name: run.project });
        if (p && String(p.id) !== exp) throw invalid(`run ${run.id} belongs to experiment ${p.id}, not ${exp}`, 'experiment_id');
        const name = f.str('name') || 'model';
        checkKey(name, 'name', 'model');
        const m = await d.loggedModels.create({ name, runId: run.id, modelType: f.str('model_type') ?? null, params: f.pairs('params'), tags: f.pairs('tags') });
        return json(m.id);
      },
    },
    {
      method: 'GET',
      path: '/logged-models/:id',
      access: READ,
      async handler(_f, { params }) {
        return json(params.id!);
      },
    },
    {
      method: 'PATCH',
      path: '/logged-models/:id',
      access: WRITE_MODEL,
      async handler(f, { params }) {
        const s = f.str('status');
        const status = s === undefined ? undefined : LOGGED_STATUS_FROM_WIRE[s];
        if (s !== undefined && !status) throw invalid(`Invalid value ${JSON.stringify(s)} for parameter 'status'`, 'status');
        await d.loggedModels.update(params.id!, { ...(status ? { status } : {}) });
        return json(params.id!);
      },
    },
    {
      method: 'DELETE',
      path: '/logged-models/:id',
      access: WRITE_MODEL,
      async handler(_f, { params }) {
        await d.loggedModels.delete(params.id!);
        return {};
      },
    },
    {
      method: 'PATCH',
      path: '/logged-models/:id/tags',
      access: WRITE_MODEL,
      async handler(f, { params }) {
        await d.loggedModels.update(params.id!, { setTags: f.pairs('tags') });
        return json(params.id!);
      },
    },
    {
      method: 'DELETE',
      path: '/logged-models/:id/tags/:key',
      access: WRITE_MODEL,
      async handler(_f, { params }) {
        await d.loggedModels.update(params.id!, { deleteTag: params.key! });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/logged-models/:id/params',
      access: WRITE_MODEL,
      async handler(f, { params }) {
        await d.loggedModels.update(params.id!, { params: f.pairs('params') });
        return {};
      },
    },
    {
      method: 'POST',
      path: '/logged-models/search',
      access: READ,
      async handler(f) {
        const names = new Map((await d.store.projectRecords()).map((p) => [String(p.id), p.name]));
        const projects = f.strings('experiment_ids').flatMap((id) => (names.has(id) ? [names.get(id)!] : []));
        const matches = compileEntityFilter(f.str('filter') ?? '', LOGGED_MODEL_SEARCH);
        // MLflow's order_by here is a list of objects ({field_name, ascending}); newest first by default.
        const orderBy = f.objects('order_by').map((o) => `${o.requiredStr('field_name')} ${o.bool('ascending') === false ? 'DESC' : 'ASC'}`);
        const order = compileEntityOrder(orderBy, LOGGED_MODEL_SEARCH, [
          { key: 'creation_timestamp', desc: true },
          { key: 'model_id', desc: false },
        ]);
        const all = (await d.loggedModels.list({ projects }))
          .map((m) => {
            const attrs = {
              name: m.name,
              model_id: m.id,
              model_type: m.modelType,
              status: loggedModelJson(m, 0).info.status,
              source_run_id: m.runId,
              creation_timestamp: m.createdAt,
              creation_time: m.createdAt,
              last_updated_timestamp: m.updatedAt,
              last_updated_time: m.updatedAt,
            };
            return { m, e: { attrs, tags: m.tags } };
          })
          .filter((x) => matches(x.e))
          .sort((x, y) => order(x.e, y.e))
          .map((x) => x.m);
        const { page, next } = offsetPage(all, f, 50, 10_000);
        const ids = new Map([...names].map(([id, name]) => [name, Number(id)]));
        return { models: page.map((m) => loggedModelJson(m, ids.get(m.project) ?? 0)), ...(next ? { next_page_token: next } : {}) };
      },
    },
  ];
}
