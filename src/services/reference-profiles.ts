/**
 * @module services/reference-profiles
 * A version's reference profile: the training data snapshot its run read (the `data:`
 * query `serve.data` names, else the first), profiled per column, the column
 * `serve.target` names kept apart as the reference of the predictions. Made at promotion,
 * and by the monitor for a version that has none yet (promoted before, or elsewhere);
 * a version whose run read no snapshot gets a stored reason instead, so it is not tried
 * on every window.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { profileColumns, type ReferenceProfile } from '../core/feature-profile.js';
import type { ModelVersion } from '../core/model-store.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CodeSource } from '../ports/code-source.js';
import type { SnapshotReader } from '../ports/data-source.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { MonitoringStore, StoredReferenceProfile } from '../ports/monitoring-store.js';
import { recordedConfig } from './recorded-code.js';
import { serveRules } from './run-manifest-draft.js';

export interface ReferenceProfilesDeps {
  readonly store: MetadataStore;
  readonly monitoring: MonitoringStore;
  readonly blobs: BlobStore;
  readonly reader: SnapshotReader;
  readonly codeSources: { readonly git: CodeSource; readonly folder: CodeSource };
  readonly tmpDir: string;
  readonly near: string;
}

export class ReferenceProfiles {
  readonly #making = new Map<string, Promise<StoredReferenceProfile>>();

  constructor(private readonly d: ReferenceProfilesDeps) {}

  /** The stored profile of a version, made now when there is none; one making per version at a time. */
  async ensure(version: Pick<ModelVersion, 'model' | 'version'>): Promise<StoredReferenceProfile> {
    const stored = await this.d.monitoring.referenceProfile(version.model, version.version);
    if (stored) return stored;
    const key = `${version.model}@${version.version}`;
    let making = this.#making.get(key);
    if (!making) {
      making = this.make(version).finally(() => this.#making.delete(key));
      this.#making.set(key, making);
    }
    return making;
  }

  /** Profiles the version's training snapshot and stores the profile (or why there is none). */
  async make(version: Pick<ModelVersion, 'model' | 'version'>): Promise<StoredReferenceProfile> {
    let profile: ReferenceProfile | null = null;
    let error: string | null = null;
    try {
      profile = await this.#profile(version);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const stored: StoredReferenceProfile = { model: version.model, version: version.version, madeAt: Date.now(), profile, error };
    await this.d.monitoring.putReferenceProfile(stored);
    return stored;
  }

  async #profile(ref: Pick<ModelVersion, 'model' | 'version'>): Promise<ReferenceProfile> {
    const version = await this.d.store.getModelVersion(ref.model, { version: ref.version });
    if (!version) throw new Error(`${ref.model} version ${ref.version} does not exist`);
    const run = await this.d.store.getRun(version.runId);
    if (!run) throw new Error(`its run ${version.runId} is no longer in the store`);
    const inputs = (run.manifest.data ?? []).filter((x) => x.snapshot !== null);
    if (inputs.length === 0) throw new Error(`run ${run.name} read no data snapshot (data: in reprise.yaml), so there is no training data to compare production with`);
    // Runs since serving keep `serve:` in their manifest; older ones have it read from their code.
    const serve = run.manifest.pipeline.serve !== undefined ? run.manifest.pipeline.serve : run.manifest.code ? serveRules((await recordedConfig(this.d, run, this.d.near, this.d.tmpDir)).serve) : null;
    const wanted = serve?.data ?? undefined;
    const input = wanted !== undefined ? inputs.find((x) => x.name === wanted) : inputs[0];
    if (!input) throw new Error(`serve.data names ${wanted}, which run ${run.name} did not materialize`);
    const snapshot = input.snapshot!;
    await mkdir(this.d.tmpDir, { recursive: true });
    const file = join(this.d.tmpDir, `profile-${randomBytes(6).toString('hex')}.${input.format}`);
    try {
      await pipeline(await this.d.blobs.stream(snapshot.blob.sha256), createWriteStream(file));
      const columns = await this.d.reader.columns(file, input.format);
      const targetName = serve?.target ?? null;
      if (targetName !== null && !columns.some((c) => c.name === targetName)) {
        throw new Error(`serve.target names ${targetName}, which is not a column of ${input.name} (columns: ${columns.map((c) => c.name).join(', ')})`);
      }
      const profiles = profileColumns(columns);
      return {
        features: profiles.filter((p) => p.name !== targetName),
        target: profiles.find((p) => p.name === targetName) ?? null,
        rows: snapshot.rows,
        source: { data: input.name, contentHash: snapshot.contentHash },
      };
    } finally {
      await rm(file, { force: true });
    }
  }
}
