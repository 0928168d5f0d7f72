/**
 * @module services/logged-models
 * Models a client logs inside a run (MLflow's `log_model`): a record with its params and
 * tags, whose files are uploaded among the run's artifacts, in the folder of its name (so
 * a model logged as `model` is the run's model output, what promotion registers).
 */
import { randomBytes } from 'node:crypto';
import type { LoggedModelRecord, LoggedModelStatus } from '../core/client-records.js';
import { RepriseError } from '../core/errors.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ClientRunService } from './client-runs.js';

export class LoggedModelService {
  constructor(private readonly d: { readonly store: MetadataStore; readonly runs: ClientRunService }) {}

  async create(req: {
    readonly name: string;
    readonly runId: string;
    readonly modelType: string | null;
    readonly params: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
  }): Promise<LoggedModelRecord> {
    const run = await this.d.runs.writable(req.runId);
    const now = Date.now();
    return this.d.store.saveLoggedModel({
      id: `m-${randomBytes(16).toString('hex')}`,
      project: run.project,
      name: req.name,
      runId: run.id,
      status: 'pending',
      statusMessage: null,
      modelType: req.modelType,
      createdAt: now,
      updatedAt: now,
      params: req.params,
      tags: req.tags,
    });
  }

  async get(id: string): Promise<LoggedModelRecord> {
    const m = await this.d.store.loggedModel(id);
    if (!m) throw new RepriseError('REPRISE_ERR_MODEL_NOT_FOUND', `no logged model ${JSON.stringify(id)}`, { details: { model: id } });
    return m;
  }

  async update(
    id: string,
    change: { readonly status?: LoggedModelStatus; readonly setTags?: Readonly<Record<string, string>>; readonly deleteTag?: string; readonly params?: Readonly<Record<string, string>> },
  ): Promise<LoggedModelRecord> {
    const m = await this.get(id);
    const tags = { ...m.tags, ...(change.setTags ?? {}) };
    if (change.deleteTag !== undefined) delete tags[change.deleteTag];
    return this.d.store.saveLoggedModel({
      ...m,
      status: change.status ?? m.status,
      params: { ...m.params, ...(change.params ?? {}) },
      tags,
      updatedAt: Date.now(),
    });
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.d.store.deleteLoggedModel(id);
  }

  list(query: { readonly projects?: readonly string[]; readonly runId?: string }): Promise<LoggedModelRecord[]> {
    return this.d.store.loggedModels(query);
  }
}
