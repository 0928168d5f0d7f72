import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../core/run.js';
import { makeClientRunRecord, makeRunRecord } from '../ports/metadata-store.fixtures.js';
import { renderReproducibility, renderRun } from './cli/commands/show.js';
import { notRecorded, runListView } from './run-views.js';

const clientRun = (): RunRecord => makeClientRunRecord({ source: 'notebooks/train.ipynb', commit: 'c0ffee1234567890c0ffee1234567890c0ffee12' });

const NOTE = 'not recorded: logged through the MLflow client, outside `reprise run`';

describe('runs logged through the MLflow client', () => {
  it('list with no commit and say who started them', () => {
    const view = runListView(clientRun(), {});
    expect(view).toMatchObject({ commit: null, dirty: null, trigger: { kind: 'mlflow', by: 'alice' } });
    // A run Reprise started keeps its commit.
    expect(runListView(makeRunRecord(), {}).commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('say why code and environment are missing', () => {
    expect(notRecorded(clientRun().manifest)).toBe(NOTE);
    expect(notRecorded({})).toBe('not recorded');
  });

  it('show "not recorded" for code, environment and pipeline, with what the client said of its script', () => {
    const text = renderRun(clientRun(), {}, []);
    expect(text).toContain(`code\n  ${NOTE}\n  source    notebooks/train.ipynb at commit c0ffee1234567890c0ffee1234567890c0ffee12 (as the client reported`);
    expect(text).toContain(`environment\n  ${NOTE}`);
    expect(text).toContain('pipeline\n  none: logged through the MLflow client');
    expect(text).toContain('started   by the MLflow client by alice');
  });

  it('are not offered `reprise reproduce`, which refuses them', () => {
    const run = clientRun();
    const text = renderReproducibility(run, []);
    expect(text).toContain('cannot be reproduced: its code and environment were not recorded (logged through the MLflow client');
    expect(text).not.toContain('reprise reproduce');
    expect(renderReproducibility(makeRunRecord({ status: 'succeeded', endedAt: 1 }), [])).toContain('reprise reproduce brave-otter-417');
  });
});
