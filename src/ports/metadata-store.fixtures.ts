/**
 * @module ports/metadata-store.fixtures
 * Complete, valid run records as a store receives them, for the store's contract suite,
 * the API tests and the benchmarks (which is why this is not a test file).
 */
import { newRunId } from '../core/ids.js';
import type { Params } from '../core/params.js';
import type { QueueClaim } from '../core/queue.js';
import type { RunRecord } from '../core/run.js';
import { isActive, runManifestSchema, type ManifestMetric, type RunManifest } from '../core/run-manifest.js';

import type { GateOutcome } from '../core/gates.js';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Gate outcomes as a run records them; `failed` has a gate that held, one that failed on its min, one whose metric was never logged. */
export function gateOutcomes(evaluatedAt: number): Record<'passed' | 'none' | 'failed', GateOutcome> {
  return {
    passed: { status: 'passed', evaluatedAt, results: [{ metric: 'acc', op: '>=', value: 0.9, agg: 'last', actual: 0.95, passed: true, reason: null }] },
    none: { status: 'none', evaluatedAt, results: [] },
    failed: {
      status: 'failed',
      evaluatedAt,
      results: [
        { metric: 'acc', op: '>=', value: 0.9, agg: 'last', actual: 0.95, passed: true, reason: null },
        { metric: 'val_loss', op: '<=', value: 0.4, agg: 'min', actual: 0.6, passed: false, reason: 'val_loss (min) is 0.6, not <= 0.4' },
        { metric: 'f1', op: '>', value: 0.5, agg: 'last', actual: null, passed: false, reason: 'no metric "f1" was logged' },
      ],
    },
  };
}

/** The resolved params of a fixture run unless it is given others. */
export const FIXTURE_PARAMS: Params = { epochs: 2, optim: { lr: 0.01, name: 'adam' }, layers: [64, 32] };

export interface RunRecordOptions extends Partial<Omit<RunRecord, 'manifest'>> {
  /** The resolved params the manifest records (default: FIXTURE_PARAMS). */
  readonly params?: Params;
  /** The final metrics the manifest records. */
  readonly metrics?: Record<string, ManifestMetric>;
  /** Check the manifest against the schema (default true; a benchmark making 100,000 may skip it). */
  readonly check?: boolean;
}

/**
 * A complete, valid run as a store receives it. The manifest repeats the record's
 * identity, as the run service writes it, and is checked against the real schema so
 * the fixture cannot drift from what Reprise produces.
 */
export function makeRunRecord(over: RunRecordOptions = {}): RunRecord {
  const { params, metrics, check = true, ...fields } = over;
  const createdAt = fields.createdAt ?? 1_700_000_000_000;
  const base = {
    id: fields.id ?? newRunId(),
    name: 'brave-otter-417',
    project: 'mnist',
    status: 'running' as const,
    dev: false,
    createdAt,
    startedAt: createdAt + 10,
    endedAt: null,
    host: 'workstation-1',
    pid: 4242,
    pidStart: 'Mon Jan  1 00:00:00 2024',
    heartbeatAt: createdAt + 20,
    envHash: SHA_A as string | null,
    ...fields,
  };
  const ended = !isActive(base.status);
  const manifest = {
    schemaVersion: 1,
    run: { id: base.id, name: base.name, project: base.project, dev: base.dev, createdAt: base.createdAt },
    code: {
      kind: 'git',
      subdir: '',
      remoteUrl: 'https://example.com/team/mnist.git',
      branch: 'main',
      commit: COMMIT,
      dirty: true,
      patch: { sha256: SHA_A, size: 120 },
      changedFiles: ['train.py'],
    },
    params: {
      file: 'params.yaml',
      values: params ?? FIXTURE_PARAMS,
      overrides: params === undefined ? [{ key: 'epochs', value: 2 }] : [],
      hash: `sha256:${SHA_B}`,
    },
    environment: {
      python: { path: '/usr/bin/python3', version: '3.11.4' },
      os: { platform: 'linux', type: 'Linux', release: '6.1.0' },
      arch: 'x64',
      cpu: { model: 'Some CPU', cores: 8 },
      memoryBytes: 16 * 2 ** 30,
      gpus: [{ name: 'Some GPU', memoryMiB: 24_576, driver: '550.1' }],
      hostname: base.host,
      user: 'alice',
      repriseVersion: '0.1.0',
      nodeVersion: 'v20.0.0',
      requirements: [{ path: 'requirements.txt', sha256: SHA_A }],
      image: null,
      resolved: null,
    },
    pipeline: {
      configFile: 'reprise.yaml',
      stages: [{ name: 'train', cmd: 'python train.py' }],
      seed: 1234,
      seedSource: 'config',
      executor: 'local-process',
      host: base.host,
    },
    execution: {
      startedAt: base.startedAt,
      endedAt: base.endedAt,
      stages: [
        {
          name: 'train',
          cmd: 'python train.py',
          status: ended ? (base.status === 'succeeded' ? 'succeeded' : 'failed') : 'running',
          startedAt: base.startedAt,
          endedAt: ended ? base.endedAt : null,
          exitCode: ended ? (base.status === 'succeeded' ? 0 : 1) : null,
          signal: null,
          logs: null,
        },
      ],
    },
    outputs: {
      // NaN travels as a string in JSON: it must survive the store as written.
      metrics: metrics ?? { loss: { last: 0.25, lastStep: 9, min: 0.2, max: 'NaN', count: 10 } },
      metricsFile: { sha256: SHA_B, size: 300 },
      metricProblems: { count: 1, examples: [{ line: 3, problem: 'not valid JSON' }] },
      artifacts: [{ path: 'out/model.pt', size: 10, sha256: SHA_A }],
      model: null,
    },
    status: base.status,
    failure: null,
  };
  return { ...base, manifest: check ? runManifestSchema.parse(manifest) : (manifest as RunManifest) };
}


export interface QueuedRunOptions extends RunRecordOptions {
  readonly queue?: string;
  readonly priority?: number;
  /** `resources.gpus`; null: the worker's default. */
  readonly gpus?: number | null;
  readonly retries?: number;
  readonly attempt?: number;
  readonly sweep?: { readonly id: string; readonly name: string; readonly index: number } | null;
}

/** A run as `reprise submit` queues it: status queued, with its submission. */
export function makeQueuedRun(over: QueuedRunOptions = {}): RunRecord {
  const { queue = 'default', priority = 0, gpus = null, retries = 1, attempt = 1, sweep = null, ...rest } = over;
  const base = makeRunRecord({ startedAt: null, ...rest, status: 'queued' });
  const manifest = runManifestSchema.parse({
    ...base.manifest,
    execution: { ...base.manifest.execution, startedAt: null, stages: base.manifest.execution.stages.map((st) => ({ ...st, status: 'pending', startedAt: null })) },
    submission: { via: sweep ? 'sweep' : 'submit', by: 'alice', at: base.createdAt, queue, priority, retries, attempt, retryOf: null, gpus, systemEnv: false, sweep },
  });
  return { ...base, manifest };
}

/** A finished run as the MLflow-compatible API records one: no pipeline, code or environment. */
export function makeClientRunRecord(trigger: { readonly source: string | null; readonly commit: string | null } = { source: 'train.py', commit: null }): RunRecord {
  const base = makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000, name: 'quiet-lynx-7' });
  return {
    ...base,
    manifest: {
      ...base.manifest,
      trigger: { kind: 'mlflow', by: 'alice', ...trigger },
      code: null,
      environment: null,
      pipeline: { ...base.manifest.pipeline, stages: [] },
      execution: { ...base.manifest.execution, stages: [] },
    },
  };
}

/** A claim of the default queue by `worker`, from an agent without GPUs (what queue tests claim with). */
export function claimFor(worker: string, over: Partial<QueueClaim> = {}): QueueClaim {
  return {
    worker,
    queues: ['default'],
    freeGpus: 0,
    hasGpus: false,
    host: 'agent-host',
    pid: 777,
    pidStart: 'Tue Jan  2 00:00:00 2024',
    now: 5_000,
    ...over,
  };
}
