/**
 * @module services/gate-service
 * `reprise gate`: a finished run judged again by the gates of its own code, on its
 * metrics as they are stored now (points logged after the run count). The gates come
 * from the manifest, where runs record them; a run older than gates has them read from
 * its recorded code's reprise.yaml, and recorded from then on.
 */
import { RepriseError } from '../core/errors.js';
import { evaluateGates, type Gate, type GateOutcome } from '../core/gates.js';
import { manifestMetrics } from '../core/metric-summary.js';
import type { RunRecord } from '../core/run.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CodeSource } from '../ports/code-source.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { recordedConfig } from './recorded-code.js';

export interface GateServiceDeps {
  readonly store: MetadataStore;
  readonly blobs: BlobStore;
  readonly codeSources: { readonly git: CodeSource; readonly folder: CodeSource };
  /** Scratch space for laying out recorded code. */
  readonly tmpDir: string;
}

export interface GateEvaluation {
  readonly run: RunRecord;
  readonly outcome: GateOutcome;
  /** The outcome recorded before, if any. */
  readonly previous: GateOutcome | null;
  /** Where the gates came from. */
  readonly source: 'manifest' | 'recorded code';
}

export class GateService {
  constructor(private readonly d: GateServiceDeps) {}

  /** Evaluates and records the outcome. `near`: where to look for the repository holding the run's commit. */
  async evaluate(run: RunRecord, near: string): Promise<GateEvaluation> {
    if (run.status !== 'succeeded') {
      throw new RepriseError('REPRISE_ERR_RUN_STATE_CONFLICT', `run ${run.name} (${run.id}) is ${run.status}; gates judge runs that succeeded`, {
        details: { run: run.id, status: run.status },
      });
    }
    let gates: Gate[];
    let source: GateEvaluation['source'] = 'manifest';
    if (run.manifest.pipeline.gates) {
      gates = run.manifest.pipeline.gates;
    } else {
      gates = (await recordedConfig(this.d, run, near, this.d.tmpDir)).gates ?? [];
      source = 'recorded code';
    }
    const summaries = (await this.d.store.metricSummaries([run.id])).get(run.id) ?? {};
    const metrics = manifestMetrics(summaries);
    const outcome = evaluateGates(gates, metrics, Date.now());
    const manifest = {
      ...run.manifest,
      pipeline: { ...run.manifest.pipeline, gates },
      outputs: { ...run.manifest.outputs, metrics, gate: outcome },
    };
    await this.d.store.updateRun(run.id, { manifest });
    return { run: { ...run, manifest }, outcome, previous: run.manifest.outputs.gate ?? null, source };
  }
}
