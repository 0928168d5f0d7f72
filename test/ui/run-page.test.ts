/**
 * One run's page, `/runs/<id>`: its name and tabs, stages and params, a chart per metric
 * (drawn, with settings kept in the address), stage logs, previews of every artifact
 * kind with downloads of the same bytes, the uncommitted changes as a diff, the
 * environment's lock, and why a failed run failed.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chartState, colouredPixels, screenshot, WAIT } from '../helpers/browser.js';
import { CSV_HEADER, PATCH_LINE, PREVIEW_ARTIFACTS, SEEDED_LR, seededUi } from '../helpers/ui-seed.js';

const TABS = ['overview', 'metrics', 'logs', 'artifacts', 'code', 'environment', 'data'];
const STAGES = ['load', 'preprocess', 'train', 'evaluate', 'persist'];

describe('run page', () => {
  const ui = seededUi();
  const runUrl = (id: string, query = '') => `${ui.store.url}/runs/${id}${query}`;

  /** Waits until every chart on the page is drawn with points and lines; gives their titles. */
  const drawnCharts = async (page: Page, count: number): Promise<string[]> => {
    const charts = page.getByTestId('metric-chart');
    await expect.poll(() => charts.count(), WAIT).toBe(count);
    const titles: string[] = [];
    for (const chart of await charts.all()) {
      await expect.poll(async () => (await chart.locator('canvas').count()) > 0, WAIT).toBe(true);
      await expect.poll(() => chartState(chart), { ...WAIT, message: 'data-drawn and data-points on [data-testid="metric-chart"]' }).toMatchObject({ drawn: expect.any(Number), points: expect.any(Number) });
      expect((await chartState(chart)).points).toBeGreaterThan(0);
      await expect.poll(() => colouredPixels(chart.locator('canvas').first()), { ...WAIT, message: 'a drawn line on the canvas' }).toBeGreaterThan(20);
      titles.push((await chart.getAttribute('data-title')) ?? '');
    }
    return titles;
  };


  it('shows the name, every tab, the five stages and the params', async () => {
    const run = ui.store.runs.patched;
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(run.id));
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe(run.name);
    for (const tab of TABS) await page.getByTestId(`tab-${tab}`).waitFor();
    await expect.poll(() => page.getByTestId('stage-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-stage'))), WAIT).toEqual(STAGES);
    const lr = page.locator('[data-testid="param-row"][data-key="optim.lr"]');
    expect(await lr.innerText()).toContain(String(SEEDED_LR.patched));
    await screenshot(page, 'run-overview');
    assertNoErrors();
    await page.close();
  });

  it('draws one chart per metric, and keeps log scale, smoothing and the x axis in the address', async () => {
    const run = ui.store.runs.low;
    // The run's own metrics are charted by default; the system/* samples when picked.
    const keys = Object.keys((await ui.store.client.get(`/runs/${run.id}`)).json.run.metrics).filter((k) => !k.startsWith('system/')).sort();
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(run.id));
    await page.getByTestId('tab-metrics').click();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'metrics');
    expect((await drawnCharts(page, keys.length)).sort()).toEqual(keys);
    await screenshot(page, 'run-metrics');

    const plain = page.url();
    await page.getByTestId('log-scale').check();
    await page.waitForURL((u) => u.href !== plain);
    const logged = page.url();
    await page.getByTestId('smoothing').fill('0.6');
    await page.waitForURL((u) => u.href !== logged);
    const smoothed = page.url();
    await page.getByTestId('x-axis').selectOption('time');
    await page.waitForURL((u) => u.href !== smoothed);
    await drawnCharts(page, keys.length);
    await screenshot(page, 'run-metrics-settings');

    const fresh = await ui.browser.openPage(page.url());
    await drawnCharts(fresh.page, keys.length);
    expect(await fresh.page.getByTestId('log-scale').isChecked()).toBe(true);
    expect(Number(await fresh.page.getByTestId('smoothing').inputValue())).toBeCloseTo(0.6);
    expect(await fresh.page.getByTestId('x-axis').inputValue()).toBe('time');
    assertNoErrors();
    fresh.assertNoErrors();
    await fresh.page.close();
    await page.close();
  });

  it('shows what the stages printed', async () => {
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(ui.store.runs.low.id, '?tab=logs'));
    const view = page.getByTestId('log-view');
    // The last stage to run is shown first; its line names the model it wrote.
    await expect.poll(() => view.innerText(), WAIT).toContain('model written to');
    await page.getByTestId('log-stage').selectOption('train');
    await expect.poll(() => view.innerText(), WAIT).toMatch(/epoch +40\/40 +train_loss/);
    await screenshot(page, 'run-logs');
    assertNoErrors();
    await page.close();
  });

  it('previews text, JSON, CSV and images, and downloads the bytes stored', async () => {
    const run = ui.store.runs.previews;
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(run.id, '?tab=artifacts'));
    const rows = page.getByTestId('artifact-row');
    await expect.poll(() => rows.count(), WAIT).toBe(Object.keys(PREVIEW_ARTIFACTS).length);
    const preview = async (path: string, testId: string) => {
      const row = page.locator(`[data-testid="artifact-row"][data-path="${path}"]`);
      await row.getByRole('button').first().click();
      const shown = page.getByTestId(testId);
      await shown.waitFor();
      return shown;
    };
    expect(await (await preview('outputs/report.txt', 'text-preview')).innerText()).toContain('Iris classifier: validation report');
    expect(await (await preview('outputs/metrics.json', 'json-preview')).innerText()).toContain('"per_class"');
    const table = await preview('outputs/predictions.csv', 'csv-table');
    expect(await table.locator('th').allInnerTexts()).toEqual([...CSV_HEADER]);
    expect(await table.locator('tbody tr').count()).toBe(4);
    const image = await preview('outputs/confusion.png', 'image-preview');
    await expect.poll(() => image.evaluate((img) => img.naturalWidth), WAIT).toBeGreaterThan(0);
    await screenshot(page, 'run-artifacts');

    for (const [path, bytes] of Object.entries(PREVIEW_ARTIFACTS)) {
      const href = await page.locator(`[data-testid="artifact-row"][data-path="${path}"] a[href]`).first().getAttribute('href');
      expect(href, `a download link for ${path}`).toBeTruthy();
      const res = await fetch(new URL(href!, ui.store.url));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), `the bytes of ${path}`).toBe(true);
    }
    assertNoErrors();
    await page.close();
  });

  it('shows uncommitted changes as a diff and the environment lock', async () => {
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(ui.store.runs.patched.id, '?tab=code'));
    const diff = page.getByTestId('diff');
    await expect.poll(() => diff.innerText(), WAIT).toContain(PATCH_LINE);
    await screenshot(page, 'run-code');
    await page.getByTestId('tab-environment').click();
    const lock = page.getByTestId('lock');
    await expect.poll(() => lock.innerText(), WAIT).toMatch(/\bpip\b|^[A-Za-z0-9_.-]+==\S+$/m);
    await screenshot(page, 'run-environment');
    assertNoErrors();
    await page.close();
  });

  it('says which stage a failed run failed at', async () => {
    const { page, assertNoErrors } = await ui.browser.openPage(runUrl(ui.store.runs.failed.id));
    const failure = page.getByTestId('failure');
    await expect.poll(() => failure.innerText(), WAIT).toContain('train');
    await screenshot(page, 'run-failed');
    assertNoErrors();
    await page.close();
  });
});
