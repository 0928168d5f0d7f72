/**
 * Gates, promotion and the model store in the UI, over runs of examples/iris made by the
 * real CLI with `gates:` and `model:` in reprise.yaml: the run page's gate outcome and
 * retention, promoting through the dialog (and a refusal in the server's words), the
 * runs table's Gate and Retention columns, the models list, and a model's page with its
 * versions, one version's files and lineage, and the audit log of an alias move.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { started } from '../helpers/server.js';
import { PROJECT, startUiStore, type IrisProject, type SeededRun, type UiStore } from '../helpers/ui-seed.js';

const MODEL = 'iris-classifier';
const MODEL_OUTPUT = { path: 'model', name: MODEL };
/** Gates every iris run that trains meets (its validation accuracy is far above 0.5). */
const PASSING_GATES = [
  { metric: 'val_accuracy', op: '>=', value: 0.5 },
  { metric: 'val_loss', op: '<=', value: 5, agg: 'min' },
];
/** Gates no iris run meets: an accuracy above 1, and a metric iris never logs. */
const FAILING_GATES = [
  { metric: 'val_accuracy', op: '>', value: 1 },
  { metric: 'test_f1', op: '>=', value: 0.8, agg: 'max' },
];

interface Runs {
  /** Default params, passing gates: promoted through the dialog as v1. */
  passed: SeededRun;
  /** optim.lr = 0.03, passing gates: promoted through the API as v2. */
  second: SeededRun;
  /** Failing gates. */
  gateFailed: SeededRun;
  /** epochs = 0: the run fails, so it has no gate outcome and is flagged. */
  failed: SeededRun;
}

/** Sets the example's `model:` and `gates:` (whatever it declares itself is replaced). */
const withGates = (gates: readonly object[]) => (dir: string) => {
  const file = join(dir, 'reprise.yaml');
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, stringify({ ...config, model: MODEL_OUTPUT, gates }));
};

async function cliRun(project: IrisProject, args: readonly string[], expectedCode: number): Promise<SeededRun> {
  const res = await project.run(args);
  if (res.code !== expectedCode) throw new Error(`reprise run ${args.join(' ')} exited ${res.code}, expected ${expectedCode}\n${res.stderr}\n${res.stdout}`);
  const run = JSON.parse(res.stdout) as { id: string; name: string };
  return { id: run.id, name: run.name };
}

/** A day as the UI writes it: `3 Dec 2026`. */
const day = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

describe('gates, promotion and models in the UI', () => {
  let store: UiStore | undefined;
  let browser: TestBrowser | undefined;
  let runs: Runs | undefined;
  screenshotFailures(() => browser);

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
    const gated = store.iris('gated', withGates(PASSING_GATES));
    const strict = store.iris('strict', withGates(FAILING_GATES));
    const [passed, second, gateFailed, failed] = await Promise.all([
      cliRun(gated, [], 0),
      cliRun(gated, ['-p', 'optim.lr=0.03'], 0),
      // The run itself succeeds; only its gates fail.
      cliRun(strict, [], 0),
      cliRun(gated, ['-p', 'epochs=0'], 1),
    ]);
    runs = { passed, second, gateFailed, failed };
  });

  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });

  const ui = () => ({ store: started(store, 'store'), browser: started(browser, 'browser'), runs: started(runs, 'runs') });
  const runUrl = (id: string) => `${ui().store.url}/runs/${id}`;
  const gateRow = (page: Page, metric: string) => page.locator(`[data-testid="gate-row"][data-metric="${metric}"]`);
  const cells = (page: Page, metric: string) => gateRow(page, metric).locator('td').allInnerTexts();

  it('shows each gate with its aggregate, operator, threshold, actual value and outcome; a run that failed them cannot be promoted', async () => {
    const { browser: b, runs: r } = ui();
    const passed = await b.openPage(runUrl(r.passed.id));
    const panel = passed.page.getByTestId('run-gates');
    await expect.poll(() => panel.getByTestId('gate-row').count(), WAIT).toBe(2);
    expect(await panel.locator('h2 [data-testid="gate"]').innerText()).toBe('passed');
    expect(await attributeOf(panel.getByTestId('gate-row'), 'data-passed')).toEqual(['true', 'true']);
    const acc = await cells(passed.page, 'val_accuracy');
    expect(acc.slice(0, 4)).toEqual(['val_accuracy', 'last', '>=', '0.5']);
    expect(Number(acc[4])).toBeGreaterThanOrEqual(0.5);
    expect(acc.slice(5)).toEqual(['passed', '']);
    expect((await cells(passed.page, 'val_loss')).slice(0, 4)).toEqual(['val_loss', 'min', '<=', '5']);
    const lifecycle = passed.page.getByTestId('run-lifecycle');
    expect(await lifecycle.getByTestId('gate').innerText()).toBe('passed');
    expect(await lifecycle.getByTestId('retention').innerText()).toBe('kept');
    await passed.page.getByTestId('promote-button').waitFor();
    await screenshot(passed.page, 'run-gates-passed');
    passed.assertNoErrors();
    await passed.page.close();

    const { page, assertNoErrors } = await b.openPage(runUrl(r.gateFailed.id));
    const failedPanel = page.getByTestId('run-gates');
    await expect.poll(() => failedPanel.getByTestId('gate-row').count(), WAIT).toBe(2);
    expect(await failedPanel.locator('h2 [data-testid="gate"]').innerText()).toBe('failed');
    expect(await failedPanel.getByTestId('gates-summary').innerText()).toMatch(/^Failed 2 of 2 gates; checked /);
    const over = await cells(page, 'val_accuracy');
    expect(over.slice(0, 4)).toEqual(['val_accuracy', 'last', '>', '1']);
    expect(over[5]).toBe('failed');
    expect(over[6]).toMatch(/val_accuracy is .*not > 1/);
    const missing = await cells(page, 'test_f1');
    expect(missing.slice(0, 6)).toEqual(['test_f1', 'max', '>=', '0.8', 'missing', 'failed']);
    expect(missing[6]).toContain('test_f1');
    expect(await page.getByTestId('promote-button').count()).toBe(0);
    expect(await page.getByTestId('promote-unavailable').innerText()).toBe('Not promotable: it failed its gates.');
    const retention = page.getByTestId('run-lifecycle').getByTestId('retention');
    expect(await retention.getAttribute('data-state')).toBe('flagged');
    expect(await retention.innerText()).toMatch(/^flagged: artifacts deleted after \d{1,2} [A-Z][a-z]{2} \d{4}$/);
    await screenshot(page, 'run-gates-failed');
    assertNoErrors();
    await page.close();
  });

  it('shows the gate outcome and retention of every run in the runs table', async () => {
    const { browser: b, store: s, runs: r } = ui();
    const rows = (await s.client.get(`/runs?project=${PROJECT}&view=row`)).json.runs as { id: string; retention: { state: string; until: number | null } | null }[];
    const failedRetention = rows.find((row) => row.id === r.failed.id)?.retention;
    expect(failedRetention?.state).toBe('flagged');
    expect(failedRetention?.until).toEqual(expect.any(Number));

    const { page, assertNoErrors } = await b.openPage(`${s.url}/projects/${PROJECT}`);
    await expect.poll(() => page.getByTestId('run-row').count(), WAIT).toBe(4);
    const headers = await attributeOf(page.getByTestId('col-header'), 'data-col');
    expect(headers.slice(0, 4)).toEqual(['name', 'status', 'gate', 'retention']);
    const cell = (id: string, which: 'gate-cell' | 'retention-cell') => page.locator(`[data-testid="run-row"][data-run-id="${id}"] [data-testid="${which}"]`);
    await expect.poll(() => cell(r.passed.id, 'gate-cell').innerText(), WAIT).toBe('passed');
    expect(await cell(r.second.id, 'gate-cell').innerText()).toBe('passed');
    expect(await cell(r.gateFailed.id, 'gate-cell').innerText()).toBe('failed');
    const title = (await cell(r.gateFailed.id, 'gate-cell').getByTestId('gate').getAttribute('title')) ?? '';
    expect(title).toMatch(/^failed: /);
    expect(title).toContain('val_accuracy > 1');
    expect(title).toContain('test_f1 (max) >= 0.8');
    expect(await cell(r.failed.id, 'gate-cell').innerText()).toBe('');
    expect(await cell(r.passed.id, 'retention-cell').innerText()).toBe('kept');
    expect(await cell(r.failed.id, 'retention-cell').innerText()).toBe(`flagged · ${day(failedRetention!.until!)}`);
    expect(await cell(r.gateFailed.id, 'retention-cell').innerText()).toMatch(/^flagged · /);
    await screenshot(page, 'runs-table-gates');
    assertNoErrors();
    await page.close();
  });

  it('promotes a run that passed its gates through the dialog, and lists the model with its alias', async () => {
    const { browser: b, runs: r } = ui();
    const { page, assertNoErrors } = await b.openPage(runUrl(r.passed.id));
    await page.getByTestId('promote-button').click();
    const dialog = page.getByTestId('promote-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('promote-model').inputValue()).toBe(MODEL);
    expect(await dialog.getByTestId('promote-alias').inputValue()).toBe('candidate');
    await dialog.getByTestId('promote-note').fill('first model that passes its gates');
    await screenshot(page, 'run-promote-dialog');
    await dialog.getByTestId('promote-confirm').click();

    const result = page.getByTestId('promote-result');
    await result.waitFor();
    expect(await result.innerText()).toBe(`Registered ${MODEL} v1 as candidate.`);
    expect(await dialog.count()).toBe(0);
    const retention = page.getByTestId('run-lifecycle').getByTestId('retention');
    await expect.poll(() => retention.innerText(), WAIT).toBe(`pinned: promoted as ${MODEL} v1`);
    const made = page.getByTestId('run-model');
    expect(await made.locator('a').innerText()).toBe(`${MODEL} v1`);
    expect(await made.locator('.alias-chip').allInnerTexts()).toEqual(['candidate']);
    expect(await made.locator('a').getAttribute('href')).toBe(`/models/${MODEL}?version=1`);
    await screenshot(page, 'run-promoted');

    await page.getByTestId('nav-models').click();
    await page.waitForURL((u) => u.pathname === '/models');
    const row = page.locator(`[data-testid="model-row"][data-model="${MODEL}"]`);
    await row.waitFor();
    expect(await row.getByTestId('model-versions-count').innerText()).toBe('1');
    expect(await attributeOf(row.getByTestId('model-row-alias'), 'data-alias')).toEqual(['candidate']);
    expect(await row.getByTestId('model-row-alias').innerText()).toBe('candidate v1');
    const recent = page.getByTestId('audit-entry');
    await expect.poll(() => recent.count(), WAIT).toBe(1);
    expect(await recent.getAttribute('data-action')).toBe('promote');
    await screenshot(page, 'models');
    assertNoErrors();
    await page.close();
  });

  it("keeps the dialog open with the server's message when a promotion is refused", async () => {
    const { browser: b, store: s, runs: r } = ui();
    // The server refuses a run that failed its gates whatever the UI offers, naming them.
    const refused = await s.client.post(`/models/${MODEL}/versions`, { runId: r.gateFailed.id });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('REPRISE_ERR_PROMOTION_REFUSED');
    expect(refused.json.error.message).toContain('test_f1');

    const { page, assertNoErrors } = await b.openPage(runUrl(r.second.id));
    await page.getByTestId('promote-button').click();
    const dialog = page.getByTestId('promote-dialog');
    await dialog.getByTestId('promote-model').fill('not a name!');
    await dialog.getByTestId('promote-confirm').click();
    const error = dialog.getByTestId('promote-error');
    await error.waitFor();
    expect((await error.innerText()).length).toBeGreaterThan('Not promoted. '.length);
    await screenshot(page, 'run-promote-refused');
    await dialog.getByTestId('promote-cancel').click();
    await expect.poll(() => dialog.count(), WAIT).toBe(0);
    expect(await page.getByTestId('promote-result').count()).toBe(0);
    // The browser logs the refusal's answer: that is how the message reaches the dialog.
    assertNoErrors([/status of 400 .*\/api\/v1\/models\//]);
    await page.close();
  });

  it("shows a model's versions with their runs and metrics, one version's files and lineage, and every alias move in its history", async () => {
    const { browser: b, store: s, runs: r } = ui();
    const promoted = await s.client.post(`/models/${MODEL}/versions`, { runId: r.second.id, note: 'a smaller learning rate' });
    expect(promoted.status).toBe(201);
    expect(promoted.json.version.version).toBe(2);
    expect(promoted.json.aliasFrom).toBe(1);
    const moved = await s.client.put(`/models/${MODEL}/aliases/production`, { version: 1, note: 'first to production', by: 'alice' });
    expect(moved.status).toBe(200);
    expect(moved.json).toEqual({ alias: 'production', from: null, to: 1 });

    const { page, assertNoErrors } = await b.openPage(`${s.url}/models/${MODEL}`);
    const versions = page.getByTestId('version-row');
    await expect.poll(() => attributeOf(versions, 'data-version'), WAIT).toEqual(['2', '1']);
    const version = (n: number) => page.locator(`[data-testid="version-row"][data-version="${n}"]`);
    expect(await version(2).getByTestId('version-alias').allInnerTexts()).toEqual(['candidate']);
    expect(await version(1).getByTestId('version-alias').allInnerTexts()).toEqual(['production']);
    expect(await version(2).getByTestId('version-run').innerText()).toBe(r.second.name);
    expect(await version(1).getByTestId('version-run').getAttribute('href')).toBe(`/runs/${r.passed.id}`);
    expect(await version(2).getByTestId('version-note').innerText()).toBe('a smaller learning rate');
    expect(await page.getByTestId('version-metric-head').allInnerTexts()).toContain('val_accuracy');
    const accuracy = await version(1).locator('[data-testid="version-metric"][data-key="val_accuracy"]').innerText();
    expect(Number(accuracy)).toBeGreaterThanOrEqual(0.5);
    expect(await attributeOf(page.getByTestId('model-alias'), 'data-alias')).toEqual(['candidate', 'production']);

    const entries = page.getByTestId('audit-entry');
    await expect.poll(() => entries.count(), WAIT).toBe(3);
    const top = entries.first();
    expect(await top.getAttribute('data-action')).toBe('alias');
    expect(await top.getAttribute('data-alias')).toBe('production');
    expect(await top.getByTestId('audit-by').innerText()).toBe('alice');
    expect(await top.getByTestId('audit-change').innerText()).toBe('none → v1');
    expect(await top.getByTestId('audit-note').innerText()).toBe('first to production');
    expect(await attributeOf(entries, 'data-action')).toEqual(['alias', 'promote', 'promote']);
    expect(await entries.nth(1).getByTestId('audit-change').innerText()).toBe('v1 → v2');

    // Production moves on to v2 through the page's own form.
    const form = page.getByTestId('alias-form');
    await form.getByTestId('alias-name').fill('production');
    await form.getByTestId('alias-version').selectOption('2');
    await form.getByTestId('alias-note').fill('v2 validated');
    await form.getByTestId('alias-submit').click();
    await expect.poll(() => entries.count(), WAIT).toBe(4);
    expect(await entries.first().getByTestId('audit-change').innerText()).toBe('v1 → v2');
    expect(await entries.first().getByTestId('audit-note').innerText()).toBe('v2 validated');
    await expect.poll(() => version(2).getByTestId('version-alias').allInnerTexts(), WAIT).toEqual(['candidate', 'production']);

    await version(1).getByTestId('version-open').click();
    await page.waitForURL((u) => u.searchParams.get('version') === '1');
    const detail = page.getByTestId('model-version-detail');
    await expect.poll(() => attributeOf(detail.getByTestId('model-file'), 'data-path'), WAIT).toEqual(expect.arrayContaining(['model.json', 'predict.py']));
    expect(await detail.getByTestId('lineage-run').getAttribute('href')).toBe(`/runs/${r.passed.id}`);
    expect(await detail.getByTestId('model-get-command').locator('code').innerText()).toBe(`reprise models get ${MODEL}@1 -o ${MODEL}-v1`);
    const download = await detail.locator('[data-testid="model-file"][data-path="model.json"] [data-testid="model-file-download"]').getAttribute('href');
    const bytes = await fetch(`${s.url}${download}`);
    expect(bytes.status).toBe(200);
    expect(JSON.parse(await bytes.text()).format).toBe('reprise-iris-softmax/1');
    await screenshot(page, 'model-page');
    assertNoErrors();
    await page.close();
  });
});
