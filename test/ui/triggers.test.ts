/**
 * What started each run, in the UI: the run page's "Started by" for a merge (commit,
 * message, author, pusher, host, delivery, image), a repository hook whose image failed,
 * a CI job, a sweep and a plain `reprise run`; the runs table's optional "Started by"
 * column; and the dashboard's repository panel, whose link filters the runs to merges.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import type { Trigger } from '../../src/core/trigger.js';
import { createRun, finishedRun, newRunId } from '../api/fixtures.js';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { started } from '../helpers/server.js';
import { startUiStore, type UiStore } from '../helpers/ui-seed.js';

const PROJECT = 'triggers';
/** An hour ago: the runs ended long before the pages open. */
const T0 = Date.now() - 3_600_000;
const COMMIT = '3f2a9c1d5e7b8a0c4d6e8f1a2b3c4d5e6f7a8b9c';
const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const SWEEP_ID = '01jsweepaaaaaaaaaaaaaaaaaa';
const REPO_URL = 'https://github.com/acme/iris.git';

const MERGE: Trigger = {
  kind: 'merge',
  by: 'ada-l',
  provider: 'github',
  repository: REPO_URL,
  branch: 'main',
  commit: COMMIT,
  before: '0'.repeat(40),
  author: { name: 'Ada Lovelace', email: 'ada@example.com' },
  message: 'Balance the classes before training\n\nThe smallest class was under-sampled.',
  delivery: DELIVERY,
  url: `https://github.com/acme/iris/commit/${COMMIT}`,
  image: { ref: `registry.example/iris:${COMMIT.slice(0, 12)}`, digest: DIGEST, engine: 'docker', error: null },
};

const HOOKED: Trigger = {
  ...MERGE,
  by: 'grace',
  provider: 'git',
  delivery: null,
  url: null,
  message: 'Try a deeper network',
  image: { ref: 'iris:latest', digest: null, engine: 'docker', error: 'docker build exited 1: no space left on device' },
};

const CI: Trigger = { kind: 'ci', by: 'runner', system: 'github-actions', url: 'https://github.com/acme/iris/actions/runs/9', ref: 'feature/deeper', pullRequest: '42' };

interface Runs {
  merge: RunRecord;
  hooked: RunRecord;
  ci: RunRecord;
  sweep: RunRecord;
  plain: RunRecord;
  client: RunRecord;
}

function run(name: string, at: number, trigger?: Trigger, submission?: RunRecord['manifest']['submission']): RunRecord {
  const r = finishedRun({ id: newRunId(at), project: PROJECT, name, createdAt: at });
  return { ...r, manifest: { ...r.manifest, ...(trigger ? { trigger } : {}), ...(submission ? { submission } : {}) } };
}

/** A run a script opened with the MLflow client: no stages, code or environment recorded. */
function clientRun(at: number): RunRecord {
  const r = run('logged', at, { kind: 'mlflow', by: 'bob', source: 'notebooks/train.py', commit: COMMIT });
  return {
    ...r,
    manifest: { ...r.manifest, code: null, environment: null, pipeline: { ...r.manifest.pipeline, stages: [] }, execution: { ...r.manifest.execution, stages: [] } },
  };
}

function sweepRun(at: number): RunRecord {
  const submission = {
    via: 'sweep' as const,
    by: 'alice',
    at,
    queue: 'default',
    priority: 0,
    retries: 0,
    attempt: 1,
    retryOf: null,
    gpus: null,
    systemEnv: true,
    sweep: { id: SWEEP_ID, name: 'lr-grid', index: 0 },
  };
  return run('swept', at, { kind: 'sweep', by: 'alice', sweep: 'lr-grid' }, submission);
}

describe('what started each run, in the UI', () => {
  let store: UiStore | undefined;
  let browser: TestBrowser | undefined;
  let runs: Runs | undefined;
  screenshotFailures(() => browser);

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
    const seeded: Runs = {
      merge: run('merged', T0, MERGE),
      hooked: run('hooked', T0 + 1000, HOOKED),
      ci: run('checked', T0 + 2000, CI),
      sweep: sweepRun(T0 + 3000),
      // No trigger in its manifest, as runs older than triggers: it reads as `reprise run`.
      plain: run('by-hand', T0 + 4000),
      client: clientRun(T0 + 5000),
    };
    for (const r of Object.values(seeded)) await createRun(store.client, r);
    runs = seeded;
  });

  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });

  const ui = () => ({ store: started(store, 'store'), browser: started(browser, 'browser'), runs: started(runs, 'runs') });
  const text = (page: Page, testId: string) => page.getByTestId('run-trigger').getByTestId(testId).innerText();
  const openRun = async (id: string) => {
    const watched = await ui().browser.openPage(`${ui().store.url}/runs/${id}`);
    await watched.page.getByTestId('run-trigger').waitFor();
    return watched;
  };

  it("shows a merge's commit, message, author, pusher, host, delivery and image on its run page", async () => {
    const { page, assertNoErrors } = await openRun(ui().runs.merge.id);
    const fact = page.getByTestId('run-trigger');
    expect(await fact.getAttribute('data-kind')).toBe('merge');
    expect(await text(page, 'trigger-what')).toBe('merge to main');
    const commit = fact.getByTestId('trigger-commit');
    expect(await commit.innerText()).toBe(COMMIT.slice(0, 12));
    expect(await commit.getAttribute('href')).toBe(`https://github.com/acme/iris/commit/${COMMIT}`);
    expect(await text(page, 'trigger-message')).toBe('Balance the classes before training');
    expect(await text(page, 'trigger-author')).toBe('Ada Lovelace <ada@example.com>');
    expect(await text(page, 'trigger-pusher')).toBe('ada-l');
    expect(await text(page, 'trigger-provider')).toBe('GitHub');
    expect(await text(page, 'trigger-delivery')).toContain(DELIVERY);
    expect(await fact.getByTestId('trigger-image').getAttribute('data-state')).toBe('built');
    expect(await text(page, 'trigger-image-ref')).toBe(`registry.example/iris:${COMMIT.slice(0, 12)}`);
    expect(await text(page, 'trigger-image-digest')).toBe(DIGEST);
    expect(await fact.innerText()).toContain('pushed by ada-l via GitHub');
    await screenshot(page, 'run-trigger-merge');
    assertNoErrors();
    await page.close();
  });

  it("shows a repository hook's merge with its image's failure, a CI job, a sweep and a plain run", async () => {
    const r = ui().runs;
    const hooked = await openRun(r.hooked.id);
    expect(await text(hooked.page, 'trigger-provider')).toBe('repository hook');
    expect(await hooked.page.getByTestId('run-trigger').innerText()).toContain('pushed by grace via a repository hook');
    // No host page to link to and no delivery id: a hook in a repository gives neither.
    expect(await hooked.page.getByTestId('trigger-commit').getAttribute('href')).toBeNull();
    expect(await hooked.page.getByTestId('trigger-delivery').count()).toBe(0);
    expect(await hooked.page.getByTestId('trigger-image').getAttribute('data-state')).toBe('error');
    expect(await text(hooked.page, 'trigger-image-error')).toBe('docker build exited 1: no space left on device');
    await screenshot(hooked.page, 'run-trigger-hook-image-error');
    hooked.assertNoErrors();
    await hooked.page.close();

    const ci = await openRun(r.ci.id);
    expect(await ci.page.getByTestId('run-trigger').getAttribute('data-kind')).toBe('ci');
    expect(await text(ci.page, 'trigger-system')).toBe('github-actions');
    expect(await ci.page.getByTestId('trigger-job').getAttribute('href')).toBe('https://github.com/acme/iris/actions/runs/9');
    expect(await text(ci.page, 'trigger-ref')).toBe('feature/deeper');
    expect(await text(ci.page, 'trigger-pull-request')).toBe('#42');
    ci.assertNoErrors();
    await ci.page.close();

    const sweep = await openRun(r.sweep.id);
    const sweepLink = sweep.page.getByTestId('trigger-sweep');
    expect(await sweepLink.innerText()).toBe('lr-grid');
    expect(await sweepLink.getAttribute('href')).toBe(`/projects/${PROJECT}/sweeps/${SWEEP_ID}`);
    expect(await sweep.page.getByTestId('run-trigger').innerText()).toBe('sweep lr-grid by alice');
    sweep.assertNoErrors();
    await sweep.page.close();

    const plain = await openRun(r.plain.id);
    expect(await plain.page.getByTestId('run-trigger').innerText()).toBe(`reprise run by ${r.plain.manifest.environment!.user}`);
    plain.assertNoErrors();
    await plain.page.close();
  });

  it('shows a run the MLflow client logged: what the client said, and that no code or environment was recorded', async () => {
    const r = ui().runs;
    const client = await openRun(r.client.id);
    const fact = client.page.getByTestId('run-trigger');
    expect(await fact.getAttribute('data-kind')).toBe('mlflow');
    expect(await text(client.page, 'trigger-what')).toBe('the MLflow client');
    expect(await text(client.page, 'trigger-source')).toBe('notebooks/train.py');
    expect(await text(client.page, 'trigger-commit')).toBe(COMMIT.slice(0, 12));
    expect(await text(client.page, 'trigger-by')).toBe('bob');
    // Reproducing it would be refused, so the page does not offer the command.
    const repro = client.page.getByTestId('repro-none');
    await repro.waitFor();
    expect(await repro.innerText()).toContain('Cannot be reproduced');
    expect(await client.page.getByTestId('repro-command').count()).toBe(0);
    client.assertNoErrors();
    await client.page.close();

    for (const [tab, testId] of [['code', 'code-not-recorded'], ['environment', 'env-not-recorded']] as const) {
      const { page, assertNoErrors } = await ui().browser.openPage(`${ui().store.url}/runs/${r.client.id}?tab=${tab}`);
      const note = page.getByTestId(testId);
      await note.waitFor();
      expect(await note.innerText()).toContain('not recorded: logged through the MLflow client, outside reprise run');
      assertNoErrors();
      await page.close();
    }
  });

  it('adds a "Started by" column from the column picker: the kind as a word, the rest in its title', async () => {
    const { store: s, runs: r } = ui();
    const { page, assertNoErrors } = await ui().browser.openPage(`${s.url}/projects/${PROJECT}`);
    await expect.poll(() => page.getByTestId('run-row').count(), WAIT).toBe(6);
    expect(await page.locator('[data-testid="col-header"][data-col="trigger"]').count()).toBe(0);
    await page.getByTestId('column-picker').click();
    await page.locator('[data-testid="column-option"][data-col="trigger"]').click();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="col-header"][data-col="trigger"]').waitFor();
    const badge = (id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"] [data-testid="trigger-cell"] [data-testid="trigger"]`);
    const words = await Promise.all([r.merge, r.hooked, r.ci, r.sweep, r.plain, r.client].map((x) => badge(x.id).innerText()));
    expect(words).toEqual(['merge', 'merge', 'ci', 'sweep', 'run', 'mlflow']);
    expect(await badge(r.merge.id).getAttribute('title')).toBe(
      `merge to main (${COMMIT.slice(0, 12)} "Balance the classes before training" by Ada Lovelace), pushed by ada-l via github`,
    );
    expect(await badge(r.ci.id).getAttribute('title')).toBe('CI (github-actions on feature/deeper, pull request 42) by runner');
    expect(new URL(page.url()).searchParams.get('cols')?.split(',')).toContain('trigger');
    await screenshot(page, 'runs-table-started-by');

    // It sorts as the server orders by trigger.
    await page.locator('[data-testid="col-header"][data-col="trigger"]').click();
    const ordered = (await s.client.get(`/runs?project=${PROJECT}&view=row&order=${encodeURIComponent('trigger desc')}`)).json.runs.map((x: { id: string }) => x.id);
    await expect.poll(() => attributeOf(page.getByTestId('run-row'), 'data-run-id'), WAIT).toEqual(ordered);
    assertNoErrors();
    await page.close();
  });

  it("links a repository on the dashboard, or says how, and its link keeps only the merges' runs", async () => {
    const { store: s, runs: r } = ui();
    const dashboard = `${s.url}/projects/${PROJECT}/dashboard`;
    const { page, assertNoErrors } = await ui().browser.openPage(dashboard);
    const hint = page.getByTestId('repo-link-hint');
    await hint.waitFor();
    expect(await hint.innerText()).toBe(`Link a repository so merges to main run the pipeline: reprise hooks link URL --project ${PROJECT}`);

    const res = await s.client.put(`/projects/${PROJECT}/repository-link`, { url: REPO_URL, branch: 'main', queue: null, path: '', secret: '0123456789abcdef0123', by: 'test' });
    expect(res.status, res.text).toBe(200);
    await page.reload();
    const panel = page.getByTestId('repo-link');
    await panel.waitFor();
    const fact = (key: string) => panel.locator(`.kv-row[data-key="${key}"] dd`).innerText();
    expect(await fact('Repository')).toBe(REPO_URL);
    expect(await fact('Branch')).toBe('main');
    expect(await fact('Queue')).toBe('as reprise.yaml says');
    expect(await fact('Folder')).toBe("the repository's root");
    expect(await page.getByTestId('repo-link-hint').count()).toBe(0);
    await screenshot(page, 'dashboard-repository');

    await page.getByTestId('repo-link-runs').click();
    await page.waitForURL((u) => u.pathname === `/projects/${PROJECT}`);
    expect(new URL(page.url()).searchParams.get('filter')).toBe('trigger = "merge"');
    await expect.poll(() => page.getByTestId('run-count').innerText(), WAIT).toBe('2 runs match');
    expect((await attributeOf(page.getByTestId('run-row'), 'data-run-id')).sort()).toEqual([r.merge.id, r.hooked.id].sort());
    expect(await page.getByTestId('filter-input').inputValue()).toBe('trigger = "merge"');
    assertNoErrors();
    await page.close();
  });
});
