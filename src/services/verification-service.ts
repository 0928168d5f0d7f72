/**
 * @module services/verification-service
 * `reprise verify A B`, and the check after `reprise reproduce`: two finished runs
 * compared by core/verification under the original's `reproduce:` rules (plus any given
 * on the command line), the outcome recorded so both runs show it.
 */
import { RepriseError } from '../core/errors.js';
import type { RunRecord } from '../core/run.js';
import { isActive } from '../core/run-manifest.js';
import { compareRuns, NO_RULES, type ComparedRun, type ReproduceRules, type Verification } from '../core/verification.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { recordedEnvironmentOf } from './recorded-code.js';

export interface VerificationServiceDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
}

/** A check seen from one of its runs. */
export interface LinkedVerification {
  readonly verification: Verification;
  /** What this run is in it. */
  readonly role: 'original' | 'reproduction';
  readonly other: { readonly id: string; readonly name: string | null };
}

export class VerificationService {
  readonly #d: VerificationServiceDeps;

  constructor(deps: VerificationServiceDeps) {
    this.#d = deps;
  }

  /** Compares two finished runs, records the outcome and returns it. */
  async verify(original: RunRecord, reproduction: RunRecord, extra: Partial<ReproduceRules> = {}): Promise<Verification> {
    for (const run of [original, reproduction]) {
      if (isActive(run.status)) {
        throw new RepriseError('REPRISE_ERR_RUN_NOT_FINISHED', `run ${run.name} (${run.id}) is ${run.status}; only finished runs can be compared`, {
          details: { run: run.id, status: run.status },
        });
      }
    }
    if (original.id === reproduction.id) {
      throw new RepriseError('REPRISE_ERR_ARG_INVALID', `both arguments name run ${original.name} (${original.id}); name two different runs`);
    }
    // The verdict explains differences by the two machines and locks, so both must be recorded.
    for (const run of [original, reproduction]) recordedEnvironmentOf(run, 'checked by `reprise verify`');
    const declared = original.manifest.pipeline.reproduce ?? reproduction.manifest.pipeline.reproduce ?? NO_RULES;
    const rules: ReproduceRules = {
      tolerance: { ...declared.tolerance, ...(extra.tolerance ?? {}) },
      ignore: [...new Set([...declared.ignore, ...(extra.ignore ?? [])])],
    };
    const [a, b] = await Promise.all([this.#compared(original), this.#compared(reproduction)]);
    const verification = compareRuns(a, b, rules, Date.now());
    await this.#d.store.saveVerification(verification);
    return verification;
  }

  /** The checks a run is part of, newest first, each with the other run (absent if it was deleted). */
  async of(run: RunRecord): Promise<LinkedVerification[]> {
    return this.#linked((await this.#d.store.verificationsOf([run.id])).get(run.id) ?? [], run.id);
  }

  /** Per run, the newest check it is part of, with the other run: what a listing shows. */
  async latestOf(runIds: readonly string[]): Promise<Map<string, LinkedVerification>> {
    const all = await this.#d.store.verificationsOf(runIds);
    const out = new Map<string, LinkedVerification>();
    for (const [id, list] of all) {
      const [first] = await this.#linked(list.slice(0, 1), id);
      if (first) out.set(id, first);
    }
    return out;
  }

  async #linked(list: readonly Verification[], runId: string): Promise<LinkedVerification[]> {
    return Promise.all(
      list.map(async (verification) => {
        const role = verification.reproduction === runId ? 'reproduction' : 'original';
        const otherId = role === 'reproduction' ? verification.original : verification.reproduction;
        const other = await this.#d.store.getRun(otherId);
        return { verification, role, other: { id: otherId, name: other?.name ?? null } } as const;
      }),
    );
  }

  async #compared(run: RunRecord): Promise<ComparedRun> {
    const environment = recordedEnvironmentOf(run, 'checked by `reprise verify`');
    const lockRef = environment.resolved?.lock;
    const [summaries, artifacts, lock] = await Promise.all([
      this.#d.store.metricSummaries([run.id]),
      this.#d.store.listArtifacts(run.id),
      // A lock missing from the store only costs the package comparison.
      lockRef ? this.#d.blobs.read(lockRef.sha256).then((b) => b.toString('utf8'), () => null) : Promise.resolve(null),
    ]);
    return {
      id: run.id,
      status: run.status,
      metrics: summaries.get(run.id) ?? {},
      artifacts,
      environment,
      lock,
      data: Object.fromEntries((run.manifest.data ?? []).flatMap((d) => (d.snapshot ? [[d.name, d.snapshot.contentHash]] : []))),
    };
  }
}
