/**
 * @module services/project-records
 * Projects as records of their own (the MLflow API's experiments): made before any run,
 * found by number or name, tagged, deleted with their runs and restored with them.
 */
import type { RecordAudit } from './audit-trail.js';
import { RepriseError } from '../core/errors.js';
import { checkProjectName, type ProjectRecord } from '../core/project-record.js';
import type { MetadataStore } from '../ports/metadata-store.js';

export class ProjectRecordService {
  constructor(private readonly d: { readonly store: MetadataStore; readonly audit?: RecordAudit }) {}

  create(req: { readonly name: string; readonly tags?: Readonly<Record<string, string>> }): Promise<ProjectRecord> {
    return this.d.store.createProject({ name: checkProjectName(req.name), at: Date.now(), ...(req.tags ? { tags: req.tags } : {}) });
  }

  async get(ref: { readonly id: number } | { readonly name: string }): Promise<ProjectRecord> {
    const found = await this.d.store.projectRecord(ref);
    if (found) return found;
    const what = 'id' in ref ? `id ${ref.id}` : `name ${JSON.stringify(ref.name)}`;
    throw new RepriseError('REPRISE_ERR_PROJECT_NOT_FOUND', `no project (experiment) has the ${what}`, { details: { ...ref } });
  }

  list(): Promise<ProjectRecord[]> {
    return this.d.store.projectRecords();
  }

  /** Deletes the project and its runs (restored together), or restores them. */
  async setDeleted(id: number, deleted: boolean, by: string): Promise<ProjectRecord> {
    const p = await this.get({ id });
    const after = await this.d.store.updateProject(p.name, { deletedAt: deleted ? Date.now() : null, at: Date.now() });
    if ((p.deletedAt !== null) !== deleted) await this.d.audit?.(by, deleted ? 'project.delete' : 'project.restore', p.name, { id: p.id });
    return after;
  }

  async setTags(id: number, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<ProjectRecord> {
    const p = await this.get({ id });
    return this.d.store.updateProject(p.name, { setTags: set, deleteTags: remove, at: Date.now() });
  }
}
