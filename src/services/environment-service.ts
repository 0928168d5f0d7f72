/**
 * @module services/environment-service
 * `reprise env ls` and `reprise env prune`: the cached environments, the runs that used
 * them, and removing the unused ones. An environment a queued, preparing or running run
 * needs is never removed: that is checked under the environment's lock.
 */
import { ACTIVE_STATUSES } from '../core/run-manifest.js';
import type { EnvironmentInfo, EnvironmentProvider } from '../ports/environment-provider.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { reconcileLostRuns } from './liveness.js';

export interface EnvironmentListing extends EnvironmentInfo {
  readonly runs: number;
}

export interface PruneResult {
  readonly removed: EnvironmentListing[];
  /** Old enough, but kept, with why. */
  readonly kept: { env: EnvironmentListing; reason: string }[];
  /** Folders interrupted builds left behind, removed. */
  readonly orphans: number;
  readonly dryRun: boolean;
}

export class EnvironmentService {
  readonly #store: MetadataStore;
  readonly #envs: EnvironmentProvider;

  constructor(deps: { store: MetadataStore; environments: EnvironmentProvider }) {
    this.#store = deps.store;
    this.#envs = deps.environments;
  }

  async list(): Promise<EnvironmentListing[]> {
    const [envs, counts] = await Promise.all([this.#envs.list(), this.#store.countRunsByEnvironment()]);
    return envs.map((e) => ({ ...e, runs: counts.get(e.hash) ?? 0 }));
  }

  async prune(opts: { olderThanMs: number; dryRun: boolean; now?: number }): Promise<PruneResult> {
    const now = opts.now ?? Date.now();
    await reconcileLostRuns(this.#store, now);
    const neededNow = async (): Promise<Set<string>> => {
      const active = await this.#store.listRuns({ statuses: ACTIVE_STATUSES, limit: 10_000 });
      return new Set(active.runs.map((r) => r.envHash).filter((h): h is string => h !== null));
    };
    const removed: EnvironmentListing[] = [];
    const kept: PruneResult['kept'] = [];
    const needed = await neededNow();
    for (const env of await this.list()) {
      if (now - env.lastUsedAt < opts.olderThanMs) continue;
      if (needed.has(env.hash)) {
        kept.push({ env, reason: 'a queued or running run needs it' });
        continue;
      }
      if (opts.dryRun) {
        removed.push(env);
        continue;
      }
      const done = await this.#envs.remove(env.hash, async () => (await neededNow()).has(env.hash));
      if (done) removed.push(env);
      else kept.push({ env, reason: 'in use right now' });
    }
    const orphans = opts.dryRun ? 0 : await this.#envs.removeOrphans();
    return { removed, kept, orphans, dryRun: opts.dryRun };
  }
}
