/**
 * Runs a script logged through the MLflow client, in the UI: seeded through the MLflow
 * REST API as the client sends it (an experiment, a run with the client's mlflow.* tags,
 * a batch of params, metrics and tags, a dataset, the run finished; a second run deleted),
 * then read in Chromium. The run page says where the run came from instead of showing
 * empty stages, folds the client's tags away from the user's, and lists the dataset; the
 * links the client prints (`/#/experiments/E/runs/R`, `/#/experiments/E`) land on Reprise's
 * pages without leaving a step that bounces back; the deleted run is out of the runs table
 * and its page says it was deleted and how to restore it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { started } from '../helpers/server.js';
import { startUiStore, type UiStore } from '../helpers/ui-seed.js';

const EXPERIMENT = 'mlflow-ui';
const COMMIT = '9c1d5e7b8a0c4d6e8f1a2b3c4d5e6f7a8b9c3f2a';
const SOURCE = 'notebooks/train_iris.py';
const DATASET = { name: 'iris-train', digest: 'e2f1c0d9', source_type: 'local', source: '{"uri": "/data/iris/train.csv"}' };

/** Tags the client sets on a run it opens, as mlflow.start_run() sends them. */
function clientTags(user: string) {
  return [
    { key: 'mlflow.user', value: user },
    { key: 'mlflow.source.name', value: SOURCE },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'mlflow.source.git.commit', value: COMMIT },
  ];
}

interface Seeded {
  experimentId: string;
  logged: string;
  deleted: string;
}

describe('runs logged through the MLflow client, in the UI', () => {
  let store: UiStore | undefined;
  let browser: TestBrowser | undefined;
  let seeded: Seeded | undefined;
  screenshotFailures(() => browser);

  /** One MLflow REST call, as the client makes it: a JSON body, 200 or the test fails with the server's answer. */
  async function mlflow<T = Record<string, any>>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${started(store, 'store').url}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
    const now = Date.now();
    const { experiment_id: experimentId } = await mlflow<{ experiment_id: string }>('experiments/create', { name: EXPERIMENT });

    const created = await mlflow('runs/create', {
      experiment_id: experimentId,
      run_name: 'iris-logistic',
      start_time: now - 60_000,
      tags: [...clientTags('bob'), { key: 'team', value: 'vision' }],
    });
    const logged: string = created.run.info.run_id;
    await mlflow('runs/log-batch', {
      run_id: logged,
      params: [
        { key: 'C', value: '0.5' },
        { key: 'solver', value: 'lbfgs' },
      ],
      metrics: [0, 1, 2].map((step) => ({ key: 'accuracy', value: 0.8 + step * 0.05, timestamp: now - 50_000 + step * 1000, step })),
      tags: [{ key: 'mlflow.log-model.history', value: JSON.stringify([{ artifact_path: 'model', flavors: { sklearn: {} } }]) }],
    });
    await mlflow('runs/log-inputs', {
      run_id: logged,
      datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: DATASET }],
    });
    await mlflow('runs/update', { run_id: logged, run_uuid: logged, status: 'FINISHED', end_time: now - 40_000 });

    const other = await mlflow('runs/create', { experiment_id: experimentId, run_name: 'abandoned', start_time: now - 30_000, tags: clientTags('bob') });
    const deleted: string = other.run.info.run_id;
    await mlflow('runs/update', { run_id: deleted, status: 'KILLED', end_time: now - 20_000 });
    await mlflow('runs/delete', { run_id: deleted });
    seeded = { experimentId, logged, deleted };
  });

  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });

  const ui = () => ({ url: started(store, 'store').url, browser: started(browser, 'browser'), runs: started(seeded, 'seeded runs') });

  it("gives the datasets a client logged in the run's native record", async () => {
    const { url, runs } = ui();
    const res = await fetch(`${url}/api/v1/runs/${runs.logged}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { clientInputs: { datasets: Record<string, unknown>[]; models: unknown[] } };
    expect(body.clientInputs.datasets).toHaveLength(1);
    expect(body.clientInputs.datasets[0]).toMatchObject({ name: DATASET.name, digest: DATASET.digest, sourceType: 'local', tags: { 'mlflow.data.context': 'training' } });
    expect(body.clientInputs.models).toEqual([]);
  });

  it('shows the run as logged by the MLflow client, with its tags apart from the client\'s and its dataset', async () => {
    const { url, browser: b, runs } = ui();
    const { page, assertNoErrors } = await b.openPage(`${url}/runs/${runs.logged}`);
    const origin = page.getByTestId('client-origin');
    await origin.waitFor();
    expect(await origin.getByTestId('client-origin-by').innerText()).toBe('bob');
    expect(await origin.getByTestId('client-origin-source').innerText()).toBe(SOURCE);
    expect(await origin.getByTestId('client-origin-commit').innerText()).toBe(COMMIT.slice(0, 12));
    expect(await origin.innerText()).toContain('no pipeline');
    // No empty stages table in its place.
    expect(await page.getByTestId('stages-table').count()).toBe(0);
    expect(await page.getByTestId('run-name').innerText()).toBe('iris-logistic');

    // The user's tag in view; the client's folded away, yet there.
    expect(await attributeOf(page.getByTestId('tags').getByTestId('tag'), 'data-key')).toEqual(['team']);
    const folded = page.getByTestId('client-tags');
    expect(await folded.getAttribute('open')).toBeNull();
    expect(await folded.getByTestId('client-tag').first().isVisible()).toBe(false);
    const clientKeys = await attributeOf(folded.getByTestId('client-tag'), 'data-key');
    expect(clientKeys).toEqual(expect.arrayContaining(['mlflow.user', 'mlflow.source.name', 'mlflow.source.git.commit', 'mlflow.log-model.history']));
    expect(clientKeys.every((k) => k?.startsWith('mlflow.'))).toBe(true);
    await screenshot(page, 'mlflow-run-overview');
    await folded.locator('summary').click();
    await expect.poll(() => folded.locator('[data-key="mlflow.user"]').isVisible(), WAIT).toBe(true);
    expect(await folded.locator('[data-key="mlflow.user"]').innerText()).toContain('bob');

    // Params and metrics the batch carried.
    expect(await attributeOf(page.getByTestId('param-row'), 'data-key')).toEqual(['C', 'solver']);
    expect(await attributeOf(page.getByTestId('metric-row'), 'data-key')).toEqual(['accuracy']);

    await page.getByTestId('tab-data').click();
    const row = page.locator(`[data-testid="client-dataset"][data-name="${DATASET.name}"]`);
    await row.waitFor();
    expect(await row.getByTestId('client-dataset-digest').innerText()).toBe(DATASET.digest);
    expect(await row.getByTestId('client-dataset-source-type').innerText()).toBe('local');
    expect(await row.getByTestId('client-dataset-context').innerText()).toBe('training');
    expect(await row.getByTestId('client-dataset-source').innerText()).toBe('/data/iris/train.csv');
    expect(await page.getByTestId('data-empty').count()).toBe(0);
    await screenshot(page, 'mlflow-run-data');
    assertNoErrors();
    await page.close();
  });

  it("lands on Reprise's run page from the link the client prints, and back does not bounce", async () => {
    const { url, browser: b, runs } = ui();
    const { page, assertNoErrors } = await b.openPage(`${url}/projects/${EXPERIMENT}`);
    await page.getByTestId('run-row').first().waitFor();
    await page.goto(`${url}/#/experiments/${runs.experimentId}/runs/${runs.logged}`);
    await page.waitForURL(`${url}/runs/${runs.logged}`);
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe('iris-logistic');
    // The MLflow address was replaced, not kept: back goes to the page before it.
    await page.goBack();
    await page.waitForURL(`${url}/projects/${EXPERIMENT}`);
    await page.getByTestId('run-row').first().waitFor();
    expect(new URL(page.url()).hash).toBe('');
    assertNoErrors();
    await page.close();
  });

  it("lands on the experiment's project from its link, and says so when no experiment has that id", async () => {
    const { url, browser: b, runs } = ui();
    const { page, assertNoErrors } = await b.openPage(`${url}/#/experiments/${runs.experimentId}`);
    await page.waitForURL(`${url}/projects/${EXPERIMENT}`);
    await page.getByTestId('run-row').first().waitFor();

    await page.goto(`${url}/#/experiments/987654`);
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    expect(await empty.innerText()).toContain('No experiment with id 987654');
    assertNoErrors();
    await page.close();
  });

  it('leaves the deleted run out of the runs table; its own page says it was deleted and how to restore it', async () => {
    const { url, browser: b, runs } = ui();
    const table = await b.openPage(`${url}/projects/${EXPERIMENT}`);
    await table.page.getByTestId('run-row').first().waitFor();
    expect(await attributeOf(table.page.getByTestId('run-row'), 'data-run-id')).toEqual([runs.logged]);
    table.assertNoErrors();
    await table.page.close();

    const { page, assertNoErrors } = await b.openPage(`${url}/runs/${runs.deleted}`);
    const banner = page.getByTestId('run-deleted');
    await banner.waitFor();
    const words = await banner.innerText();
    expect(words.toLowerCase()).toContain('deleted through the mlflow api on');
    expect(words).toContain('restore_run');
    expect(words).toContain(runs.deleted);
    const at = Number(await banner.getAttribute('data-deleted-at'));
    expect(Math.abs(at - Date.now())).toBeLessThan(10 * 60_000);
    expect(await page.getByTestId('run-name').innerText()).toBe('abandoned');
    // Its experiment is not deleted, so the banner says nothing of it.
    expect(await page.getByTestId('run-deleted-experiment').count()).toBe(0);
    await screenshot(page, 'mlflow-run-deleted');
    assertNoErrors();
    await page.close();

    // A run that was not deleted has no banner.
    const live = await b.openPage(`${url}/runs/${runs.logged}`);
    await live.page.getByTestId('client-origin').waitFor();
    expect(await live.page.getByTestId('run-deleted').count()).toBe(0);
    live.assertNoErrors();
    await live.page.close();
  });
});
