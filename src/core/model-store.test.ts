import { describe, expect, it } from 'vitest';
import { thrown } from '../../test/helpers/errors.js';
import { COMMIT, gateOutcomes, makeRunRecord, SHA_A, SHA_B } from '../ports/metadata-store.fixtures.js';
import type { GateOutcome } from './gates.js';
import {
  checkAlias,
  checkModelName,
  describeRef,
  lineageOf,
  modelFilesOf,
  parseModelRef,
  parseVersionRef,
  promotionRefusal,
} from './model-store.js';
import type { RunRecord } from './run.js';
import type { Artifact, RunStatus } from './run-manifest.js';

const ENDED = 1_700_000_100_000;
const GATES = gateOutcomes(ENDED);
const PASSED = GATES.passed;
const MODEL_ARTIFACTS: Artifact[] = [
  { path: 'model/weights.pt', size: 100, sha256: SHA_A },
  { path: 'model/config/labels.json', size: 7, sha256: SHA_B },
  { path: 'out/report.txt', size: 3, sha256: SHA_A },
];

/** A finished run with the gate outcome and artifacts its manifest recorded; by default one that may be promoted. */
function finished(opts: { status?: RunStatus; gate?: GateOutcome | null; artifacts?: Artifact[] } = {}): RunRecord {
  const run = makeRunRecord({ status: opts.status ?? 'succeeded', endedAt: ENDED, name: 'calm-heron-7' });
  const gate = opts.gate === undefined ? PASSED : opts.gate;
  return {
    ...run,
    manifest: { ...run.manifest, outputs: { ...run.manifest.outputs, artifacts: opts.artifacts ?? MODEL_ARTIFACTS, ...(gate ? { gate } : {}) } },
  };
}

/** Checks an input error: its code, and that the message quotes what was given. */
function invalid(fn: () => unknown, input: string): void {
  const e = thrown(fn);
  expect(e.code).toBe('REPRISE_ERR_MODEL_INVALID');
  expect(e.message).toContain(JSON.stringify(input));
}

describe('checkModelName', () => {
  it('accepts letters, digits, dots, dashes and underscores, up to 100', () => {
    for (const name of ['iris', 'Iris-Classifier_v2.1', '3d-unet', 'a', 'x'.repeat(100)]) expect(checkModelName(name)).toBe(name);
  });

  it('refuses other names, quoting them', () => {
    for (const name of ['', '-iris', '.hidden', '_x', 'iris classifier', 'iris/v2', 'iris@prod', 'x'.repeat(101), 'é']) invalid(() => checkModelName(name), name);
  });

  it('names the field it was checking', () => {
    const e = thrown(() => checkModelName('a b', '--model'));
    expect(e.message.startsWith('--model "a b"')).toBe(true);
    expect(e.details).toEqual({ field: '--model', value: 'a b' });
  });
});

describe('checkAlias', () => {
  it('accepts names starting with a letter, up to 63', () => {
    for (const alias of ['candidate', 'production', 'Prod_2', 'v1', 'a-b', 'x'.repeat(63)]) expect(checkAlias(alias)).toBe(alias);
  });

  it('refuses an alias that could be read as a version, or holds other characters', () => {
    for (const alias of ['', '3', '1prod', '_x', '-x', 'prod.1', 'prod uction', 'x'.repeat(64)]) invalid(() => checkAlias(alias), alias);
    expect(thrown(() => checkAlias('3')).details).toEqual({ field: 'alias', value: '3' });
  });
});

describe('parseVersionRef', () => {
  it('reads digits as a version and anything else as an alias', () => {
    expect(parseVersionRef('3')).toEqual({ version: 3 });
    expect(parseVersionRef('007')).toEqual({ version: 7 });
    expect(parseVersionRef('production')).toEqual({ alias: 'production' });
    expect(parseVersionRef('v3')).toEqual({ alias: 'v3' });
  });

  it('refuses version 0, a version too large to count, and a malformed alias', () => {
    const zero = thrown(() => parseVersionRef('0'));
    expect(zero.code).toBe('REPRISE_ERR_MODEL_INVALID');
    expect(zero.message).toBe('version 0: versions count from 1');
    expect(thrown(() => parseVersionRef('99999999999999999999')).code).toBe('REPRISE_ERR_MODEL_INVALID');
    invalid(() => parseVersionRef('-1'), '-1');
    invalid(() => parseVersionRef('1.5'), '1.5');
    invalid(() => parseVersionRef(''), '');
  });
});

describe('parseModelRef', () => {
  it('reads NAME@VERSION and NAME@ALIAS', () => {
    expect(parseModelRef('churn@3')).toEqual({ name: 'churn', ref: { version: 3 } });
    expect(parseModelRef('churn@production')).toEqual({ name: 'churn', ref: { alias: 'production' } });
    expect(parseModelRef('iris.v2@candidate')).toEqual({ name: 'iris.v2', ref: { alias: 'candidate' } });
  });

  it('refuses a reference without a name or without a version, quoting it', () => {
    for (const text of ['churn', '@3', 'churn@', '']) {
      const e = thrown(() => parseModelRef(text));
      expect(e.code).toBe('REPRISE_ERR_MODEL_INVALID');
      expect(e.message).toContain(JSON.stringify(text));
      expect(e.message).toContain('expected NAME@ALIAS or NAME@VERSION');
    }
  });

  it('refuses a bad name or a bad reference after the @', () => {
    invalid(() => parseModelRef('bad name@3'), 'bad name');
    invalid(() => parseModelRef('churn@1prod'), '1prod');
    // The last @ splits, so an @ in the name leaves a name that is refused.
    invalid(() => parseModelRef('a@b@3'), 'a@b');
    expect(thrown(() => parseModelRef('churn@0')).code).toBe('REPRISE_ERR_MODEL_INVALID');
  });

  it('describes a reference as it reads', () => {
    expect(describeRef('churn', { version: 3 })).toBe('churn v3');
    expect(describeRef('churn', { alias: 'production' })).toBe('churn@production');
  });
});

describe('modelFilesOf', () => {
  it('keeps only the artifacts under model/, relative to that folder', () => {
    expect(modelFilesOf(MODEL_ARTIFACTS)).toEqual([
      { path: 'weights.pt', size: 100, sha256: SHA_A },
      { path: 'config/labels.json', size: 7, sha256: SHA_B },
    ]);
  });

  it('leaves out paths that only look like the model folder', () => {
    const look: Artifact[] = [
      { path: 'model', size: 1, sha256: SHA_A },
      { path: 'models/x.pt', size: 1, sha256: SHA_A },
      { path: 'out/model/x.pt', size: 1, sha256: SHA_A },
    ];
    expect(modelFilesOf(look)).toEqual([]);
    expect(modelFilesOf([])).toEqual([]);
  });
});

describe('lineageOf', () => {
  it('records the run, its code, params, environment, metrics and gates from the manifest', () => {
    const run = finished();
    expect(lineageOf(run)).toEqual({
      run: { id: run.id, name: 'calm-heron-7', project: 'mnist', createdAt: run.createdAt, endedAt: ENDED },
      code: { kind: 'git', commit: COMMIT, branch: 'main', remoteUrl: 'https://example.com/team/mnist.git', dirty: true, patch: { sha256: SHA_A, size: 120 } },
      params: run.manifest.params.values,
      paramsHash: `sha256:${SHA_B}`,
      data: [],
      environment: { python: '3.11.4', envHash: SHA_A, lock: null, image: null },
      metrics: run.manifest.outputs.metrics,
      gate: PASSED,
    });
  });

  it('copies the params and metrics rather than sharing them with the run', () => {
    const run = finished();
    const l = lineageOf(run);
    expect(l.params).not.toBe(run.manifest.params.values);
    expect(l.metrics).not.toBe(run.manifest.outputs.metrics);
  });

  it('records a folder snapshot, the resolved environment and an image', () => {
    const base = finished({ gate: null });
    const lock = { sha256: SHA_B, size: 900 };
    const run: RunRecord = {
      ...base,
      envHash: null,
      manifest: {
        ...base.manifest,
        code: { kind: 'folder', subdir: '', snapshot: { sha256: SHA_A, size: 50 }, files: 3, bytes: 400 },
        environment: {
          ...base.manifest.environment!,
          image: { ref: 'reprise/mnist:0123', digest: null },
          resolved: {
            kind: 'venv',
            hash: SHA_A,
            source: 'requirements',
            path: '/envs/x',
            pythonVersion: '3.12.1',
            pipVersion: '24.0',
            lock,
            lockInput: null,
            pip: { indexUrl: null, extraIndexUrls: [], findLinks: [], noIndex: false },
            cacheHit: true,
            rebuiltBecause: null,
            buildMs: null,
            prepareMs: 5,
          },
        },
      },
    };
    const l = lineageOf(run);
    expect(l.code).toEqual({ kind: 'folder', snapshot: { sha256: SHA_A, size: 50 } });
    // The interpreter the stages ran in, not the one that started Reprise.
    expect(l.environment).toEqual({ python: '3.12.1', envHash: null, lock, image: { ref: 'reprise/mnist:0123', digest: null } });
    expect(l.gate).toBeNull();
  });
});

describe('promotionRefusal', () => {
  it('allows a run that succeeded, passed its gates and has model files', () => {
    expect(promotionRefusal(finished(), null)).toBeNull();
    expect(promotionRefusal(finished({ gate: GATES.none }), null)).toBeNull();
  });

  it.each(['failed', 'canceled', 'lost', 'running', 'queued'] as const)('refuses a run that is %s', (status) => {
    const run = finished({ status });
    const e = promotionRefusal(run, null);
    expect(e?.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(e?.message).toBe(`run calm-heron-7 (${run.id}) cannot be promoted: it is ${status}; only a run that succeeded can be promoted`);
    expect(e?.details).toEqual({ run: run.id, status });
  });

  it('refuses a run whose gates were never evaluated, saying how to evaluate them', () => {
    const e = promotionRefusal(finished({ gate: null }), null);
    expect(e?.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(e?.message).toContain('its gates were never evaluated');
    expect(e?.hint).toBe('evaluate them with: reprise gate calm-heron-7');
  });

  it('refuses a run that failed its gates, listing each failed gate', () => {
    const gate = GATES.failed;
    const run = finished({ gate });
    const e = promotionRefusal(run, null);
    expect(e?.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(e?.message).toBe(
      `run calm-heron-7 (${run.id}) cannot be promoted: it failed 2 gates:\n  - val_loss (min) is 0.6, not <= 0.4\n  - no metric "f1" was logged`,
    );
    expect(e?.details).toEqual({ run: run.id, failedGates: ['val_loss (min) is 0.6, not <= 0.4', 'no metric "f1" was logged'] });
    const single = promotionRefusal(finished({ gate: { ...gate, results: gate.results.slice(0, 2) } }), null);
    expect(single?.message).toContain('it failed a gate:\n  - val_loss (min) is 0.6, not <= 0.4');
  });

  it('refuses a run whose artifacts gc deleted, saying when', () => {
    const at = Date.UTC(2026, 10, 1, 12);
    const e = promotionRefusal(finished(), at);
    expect(e?.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(e?.message).toContain('its artifacts were deleted by gc on 2026-11-01T12:00:00.000Z');
    expect(e?.details).toMatchObject({ deletedAt: at });
  });

  it('calls a run without model files an invalid model, not a refusal', () => {
    const run = finished({ artifacts: [{ path: 'out/report.txt', size: 3, sha256: SHA_A }] });
    const e = promotionRefusal(run, null);
    expect(e?.code).toBe('REPRISE_ERR_MODEL_INVALID');
    expect(e?.message).toContain(`run calm-heron-7 (${run.id}) has no model output`);
    expect(e?.details).toEqual({ run: run.id, field: 'model' });
  });

  it('gives the reason that comes first: status, then gates, then deletion, then files', () => {
    const failedRun = finished({ status: 'failed', gate: null, artifacts: [] });
    expect(promotionRefusal(failedRun, ENDED)?.message).toContain('it is failed');
    expect(promotionRefusal(finished({ gate: null, artifacts: [] }), ENDED)?.message).toContain('never evaluated');
    expect(promotionRefusal(finished({ artifacts: [] }), ENDED)?.message).toContain('deleted by gc');
  });
});
