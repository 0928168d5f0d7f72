import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../core/run.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { makeClientRunRecord, makeRunRecord } from '../ports/metadata-store.fixtures.js';
import { recordedCodeOf, recordedEnvironmentOf } from './recorded-code.js';
import { planReproduction } from './reproduction-plan.js';
import type { RunServiceDeps } from './run-service.js';
import { VerificationService } from './verification-service.js';

const clientRun = (): RunRecord => makeClientRunRecord();

/** Deps that fail the test if anything is reached: the refusal must come before any work. */
const untouchable = new Proxy({}, {
  get: (_t, key) => {
    throw new Error(`${String(key)} was used before the refusal`);
  },
});

const refusal = (run: RunRecord, consequence: string) =>
  expect.objectContaining({
    code: 'REPRISE_ERR_RUN_STATE_CONFLICT',
    message: expect.stringMatching(new RegExp(`^run ${run.name} \\(${run.id}\\) was logged through the MLflow client outside \`reprise run\`: .*so it cannot be ${consequence}$`)),
    details: expect.objectContaining({ run: run.id, trigger: 'mlflow' }),
  });

describe('what a run recorded, or the refusal', () => {
  it('gives the code and environment a run started by Reprise recorded', () => {
    const run = makeRunRecord();
    expect(recordedCodeOf(run, 'reproduced')).toBe(run.manifest.code);
    expect(recordedEnvironmentOf(run, 'reproduced')).toBe(run.manifest.environment);
  });

  it('refuses a run logged through the MLflow client, naming it and saying why', () => {
    const run = clientRun();
    expect(() => recordedCodeOf(run, 'built into an image')).toThrow(refusal(run, 'built into an image'));
    expect(() => recordedEnvironmentOf(run, 'reproduced')).toThrow(refusal(run, 'reproduced'));
  });

  it('refuses to reproduce such a run before laying anything out', async () => {
    const run = clientRun();
    await expect(planReproduction(untouchable as RunServiceDeps, { original: run, cwd: '/nowhere' }, 'copy')).rejects.toThrow(refusal(run, 'reproduced'));
  });

  it('refuses to verify against such a run, recording no check', async () => {
    const run = clientRun();
    const verifications = new VerificationService({ store: untouchable as MetadataStore, blobs: untouchable as BlobStore });
    await expect(verifications.verify(makeRunRecord({ status: 'succeeded', endedAt: 1_700_000_100_000 }), run)).rejects.toThrow(refusal(run, 'checked by `reprise verify`'));
  });
});
