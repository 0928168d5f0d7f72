/**
 * @module services/model-service
 * The model store's use cases: promoting a run (its model output becomes the next
 * version of a registered model, an alias moves to it, the run is pinned), reading
 * models, versions and the audit log, moving aliases, and fetching a version's files
 * checked against their hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bug, RepriseError } from '../core/errors.js';
import { checkRegisterFrom, type ProjectRecord, type RegisterFrom } from '../core/project-record.js';
import {
  checkAlias,
  checkModelName,
  DEFAULT_ALIAS,
  describeRef,
  promotionRefusal,
  type ModelAuditEntry,
  type ModelVersion,
  type RegisteredModel,
  type VersionRef,
} from '../core/model-store.js';
import type { RunRecord } from '../core/run.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { AliasMove, MetadataStore, ModelPatch } from '../ports/metadata-store.js';
import type { GateService } from './gate-service.js';

export interface PromoteRequest {
  readonly run: RunRecord;
  /** Default: `model.name` of the run's reprise.yaml. */
  readonly model?: string;
  readonly alias?: string;
  readonly note?: string;
  readonly by: string;
  /** Where the run's repository may be, should its gates need reading from its code. */
  readonly near: string;
  /** An admin's promotion despite the gates, with why (kept as the audit entry's note). Callers check the role. */
  readonly force?: { readonly reason: string };
}

export interface Promotion {
  readonly version: ModelVersion;
  readonly alias: AliasMove;
}

export interface FetchedModel {
  readonly version: ModelVersion;
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

export class ModelService {
  constructor(
    private readonly d: {
      readonly store: MetadataStore;
      readonly blobs: BlobStore;
      readonly gates: GateService;
      /** Told of each version made and waited for (its training data is profiled then); never fails the promotion. */
      readonly onPromoted?: (version: ModelVersion) => Promise<void>;
    },
  ) {}

  async promote(req: PromoteRequest): Promise<Promotion> {
    let run = req.run;
    const name = checkModelName(req.model ?? run.manifest.outputs.model?.name ?? missingName(run), 'model name');
    const alias = checkAlias(req.alias ?? DEFAULT_ALIAS);
    // A run that succeeded before gates were recorded is judged now, by its own code's gates.
    if (run.status === 'succeeded' && !run.manifest.outputs.gate) run = (await this.d.gates.evaluate(run, req.near)).run;
    const mark = (await this.d.store.retentionMarks([run.id])).get(run.id);
    // The stored list: files a client uploaded (the MLflow API) are there, not in the manifest.
    const artifacts = await this.d.store.listArtifacts(run.id);
    const forced = req.force !== undefined;
    if (forced && req.force.reason.trim() === '') throw new RepriseError('REPRISE_ERR_ARG_INVALID', '--reason: a forced promotion says why', { details: { field: 'reason' } });
    const refusal = promotionRefusal(run, mark?.state === 'deleted' ? mark.at : null, { ...(artifacts.length > 0 ? { artifacts } : {}), forced });
    if (refusal) throw refusal;
    const note = forced ? req.force!.reason.trim() : (req.note ?? null);
    const made = await this.d.store.createModelVersion({ model: name, runId: run.id, alias, note, by: req.by, at: Date.now(), forced });
    if (!made.alias) throw bug(`promoting ${run.id} to ${name} moved no alias`);
    await this.d.onPromoted?.(made.version);
    return { version: made.version, alias: made.alias };
  }

  /**
   * A version asked for from outside (the MLflow API's `register_model`), under the
   * project's policy. A promoted run (one that is a version of any model) may be
   * registered; the version it already is of this model is answered as it is. Otherwise,
   * `promoted` (the default) refuses, saying how to promote; `passed` promotes the run
   * now, if the promotion rule allows it (it succeeded, passed its gates, has the files).
   */
  async register(req: {
    readonly model: string;
    readonly run: RunRecord;
    /** The folder among the run's artifacts that holds the model. */
    readonly folder: string;
    readonly by: string;
    readonly description?: string | null;
    readonly tags?: Readonly<Record<string, string>>;
    readonly near: string;
  }): Promise<ModelVersion> {
    const name = checkModelName(req.model, 'name');
    let run = req.run;
    const versions = (await this.d.store.modelVersionsOfRuns([run.id])).get(run.id) ?? [];
    const same = versions.find((v) => v.model === name);
    if (same) return this.resolve(name, { version: same.version });
    if (versions.length === 0) {
      const policy = (await this.d.store.projectRecord({ name: run.project }))?.registerFrom ?? 'promoted';
      if (policy === 'promoted') {
        throw new RepriseError(
          'REPRISE_ERR_PROMOTION_REFUSED',
          `run ${run.name} (${run.id}) is not promoted: in Reprise a registered model version comes only from a promoted run ` +
            `(one that succeeded, passed its gates and was promoted), and project ${run.project} registers from promoted runs alone`,
          {
            hint: `promote it first: reprise promote ${run.id} --model ${name}; or let the project register any run that passed: reprise models policy ${JSON.stringify(run.project)} --register-from passed`,
            details: { run: run.id, project: run.project, policy },
          },
        );
      }
      if (run.status === 'succeeded' && !run.manifest.outputs.gate) run = (await this.d.gates.evaluate(run, req.near)).run;
    }
    const made = await this.d.store.createModelVersion({
      model: name,
      runId: run.id,
      alias: null,
      path: req.folder,
      note: versions.length === 0 ? 'registered through the MLflow API (the project registers runs that passed)' : 'registered through the MLflow API',
      by: req.by,
      at: Date.now(),
      ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.tags ? { tags: req.tags } : {}),
    });
    await this.d.onPromoted?.(made.version);
    return made.version;
  }

  async create(req: { readonly name: string; readonly by: string; readonly description?: string | null; readonly tags?: Readonly<Record<string, string>> }): Promise<RegisteredModel> {
    return this.d.store.createModel({ name: checkModelName(req.name, 'name'), by: req.by, description: req.description ?? null, tags: req.tags ?? {}, at: Date.now() });
  }

  update(name: string, patch: Omit<ModelPatch, 'at'>): Promise<RegisteredModel> {
    return this.d.store.updateModel(checkModelName(name, 'name'), { ...patch, at: Date.now() });
  }

  updateVersion(name: string, version: number, patch: Omit<ModelPatch, 'at'>): Promise<ModelVersion> {
    return this.d.store.updateModelVersion(checkModelName(name, 'name'), version, { ...patch, at: Date.now() });
  }

  removeAlias(req: { readonly model: string; readonly alias: string; readonly by: string }): Promise<boolean> {
    return this.d.store.removeAlias({ model: checkModelName(req.model, 'name'), alias: req.alias, by: req.by, at: Date.now() });
  }

  /** Deletes a version, or the model with every version; the runs stay pinned. */
  delete(req: { readonly model: string; readonly version?: number; readonly by: string }): Promise<void> {
    return this.d.store.deleteModel({ ...req, model: checkModelName(req.model, 'name'), at: Date.now() });
  }

  /** Every version, one model's with `model`. */
  versions(model?: string): Promise<ModelVersion[]> {
    return this.d.store.allModelVersions(model);
  }

  policy(project: string): Promise<ProjectRecord | undefined> {
    return this.d.store.projectRecord({ name: project });
  }

  /** Sets which runs of a project may be registered through the MLflow API. */
  async setPolicy(project: string, registerFrom: RegisterFrom): Promise<ProjectRecord> {
    return this.d.store.updateProject(project, { registerFrom: checkRegisterFrom(registerFrom), at: Date.now() });
  }

  list(): Promise<RegisteredModel[]> {
    return this.d.store.listModels();
  }

  async show(name: string): Promise<{ model: RegisteredModel; versions: ModelVersion[]; audit: ModelAuditEntry[] }> {
    checkModelName(name);
    const found = await this.d.store.modelVersions(name);
    if (!found) throw unknownModel(name);
    return { ...found, audit: await this.d.store.modelAudit({ model: name }) };
  }

  async resolve(name: string, ref: VersionRef): Promise<ModelVersion> {
    checkModelName(name);
    const v = await this.d.store.getModelVersion(name, ref);
    if (v) return v;
    if (!(await this.d.store.modelVersions(name))) throw unknownModel(name);
    throw new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `${describeRef(name, ref)} does not exist`, { details: { model: name, ...ref } });
  }

  async moveAlias(req: { model: string; version: number; alias: string; note?: string; by: string }): Promise<AliasMove> {
    checkModelName(req.model);
    checkAlias(req.alias);
    return this.d.store.moveAlias({ model: req.model, alias: req.alias, version: req.version, note: req.note ?? null, by: req.by, at: Date.now() });
  }

  audit(model?: string, limit?: number): Promise<ModelAuditEntry[]> {
    return this.d.store.modelAudit({ ...(model !== undefined ? { model } : {}), ...(limit !== undefined ? { limit } : {}) });
  }

  /**
   * Writes a version's files into `dir` (absent or empty), each checked against its
   * sha256 as it streams. Written into a sibling folder first and renamed into place, so a
   * damaged blob leaves nothing behind.
   */
  async fetch(name: string, ref: VersionRef, dir: string, onFile?: (path: string, size: number) => void): Promise<FetchedModel> {
    const version = await this.resolve(name, ref);
    const existing = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [];
      if (e.code === 'ENOTDIR') throw new RepriseError('REPRISE_ERR_ARG_INVALID', `-o ${dir}: is a file, not a folder`, { details: { path: dir } });
      throw e;
    });
    if (existing.length > 0) throw new RepriseError('REPRISE_ERR_ARG_INVALID', `-o ${dir}: the folder is not empty`, { hint: 'name a new or empty folder', details: { path: dir } });
    await mkdir(dirname(dir), { recursive: true });
    const staging = join(dirname(dir), `.${basename(dir)}.reprise-${randomBytes(4).toString('hex')}`);
    try {
      for (const f of version.files) {
        const rel = safeRelative(f.path);
        const dest = join(staging, rel);
        await mkdir(dirname(dest), { recursive: true });
        await this.#copyChecked(f.sha256, f.size, dest, rel);
        onFile?.(rel, f.size);
      }
      await mkdir(staging, { recursive: true });
      await rmdir(dir).catch(() => undefined);
      await rename(staging, dir);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      throw e;
    }
    return { version, dir, files: version.files.length, bytes: version.bytes };
  }

  async #copyChecked(sha256: string, size: number, dest: string, rel: string): Promise<void> {
    const hash = createHash('sha256');
    let seen = 0;
    await pipeline(
      await this.d.blobs.stream(sha256),
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          seen += chunk.length;
          cb(null, chunk);
        },
      }),
      createWriteStream(dest, { flags: 'wx' }),
    );
    const got = hash.digest('hex');
    if (got !== sha256 || seen !== size) {
      throw new RepriseError('REPRISE_ERR_BLOB_CORRUPT', `model file ${rel}: the stored bytes are damaged (sha256 ${got}, ${seen} bytes; the version recorded ${sha256}, ${size} bytes)`, {
        hint: 'nothing was written; restore the blob from a backup or a bundle of the run',
        details: { path: rel, expected: sha256, actual: got },
      });
    }
  }
}

function missingName(run: RunRecord): never {
  throw new RepriseError('REPRISE_ERR_MODEL_INVALID', `run ${run.name} (${run.id}) names no model: pass --model NAME, or set model.name in reprise.yaml`, {
    details: { field: 'model', run: run.id },
  });
}

function unknownModel(name: string): RepriseError {
  return new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `no registered model ${JSON.stringify(name)}`, { hint: 'reprise models ls lists them', details: { model: name } });
}

/** A recorded path that stays inside the folder it is written to. */
function safeRelative(path: string): string {
  const norm = posix.normalize(path);
  if (!path || posix.isAbsolute(path) || norm === '..' || norm.startsWith('../') || path.includes('\0')) {
    throw new RepriseError('REPRISE_ERR_PATH_UNSAFE', `model file ${JSON.stringify(path)} would be written outside the folder`, { details: { path } });
  }
  return norm;
}
