/**
 * @module services/retention-service
 * `reprise keep` and `reprise flag`: whether a run's artifacts stay, decided by hand
 * (how each run's retention is shown is the catalog's: core/retention).
 */
import { RepriseError } from '../core/errors.js';
import type { Retention, RetentionMark } from '../core/retention.js';
import type { RunRecord } from '../core/run.js';
import { isActive } from '../core/run-manifest.js';
import type { MetadataStore } from '../ports/metadata-store.js';

export class RetentionService {
  constructor(private readonly d: { readonly store: MetadataStore }) {}

  /** Keeps the run's artifacts whatever its outcome, until someone flags it. */
  async keep(run: RunRecord, by: string): Promise<Retention> {
    return this.decide(run, { state: 'kept', until: null, reason: `kept by ${by}`, manual: true, by, at: Date.now() });
  }

  /** Flags the run's artifacts for deletion once `afterMs` has passed (0: by the next gc). */
  async flag(run: RunRecord, afterMs: number, by: string): Promise<Retention> {
    const at = Date.now();
    return this.decide(run, { state: 'flagged', until: at + afterMs, reason: `flagged by ${by}`, manual: true, by, at });
  }

  /** Records a decided retention for a finished run (what keep and flag make; the API's PUT takes any). */
  async decide(run: RunRecord, mark: RetentionMark): Promise<Retention> {
    if (isActive(run.status)) {
      throw new RepriseError('REPRISE_ERR_RUN_NOT_FINISHED', `run ${run.name} (${run.id}) is ${run.status}; its retention is decided once it ends`, {
        details: { run: run.id, status: run.status },
      });
    }
    await this.d.store.setRetention(run.id, mark);
    return { ...mark };
  }
}
