/**
 * A run's histograms and notes on its page: seeded through the API (two histogram keys
 * over 20 steps with known buckets, notes under two keys) on a run the MLflow client
 * opened, so it stays running and the page follows it live. The Distributions tab draws
 * each key's percentile bands, with the median the buckets give; its Histograms view
 * stacks every step and says which bucket is under the pointer; the Notes tab shows the
 * text exactly as written, markup included, latest step first; new points, keys and notes
 * posted while the page is open appear without a reload. A run without either says how
 * they get there.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, finishedRun } from '../api/fixtures.js';
import { attributeOf, colouredPixels, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { started } from '../helpers/server.js';
import { startUiStore, type UiStore } from '../helpers/ui-seed.js';

type Bucket = [number, number, number];

const KERNEL = 'dense/kernel';
const BIAS = 'dense/bias';
/** Steps 0, 10, …, 190. */
const STEPS = Array.from({ length: 20 }, (_, i) => i * 10);

/** At step 10·i: 10 values in [i, i+1], 30 in [i+1, i+2], 10 in [i+2, i+3]; the median is i + 1.5. */
const kernelBuckets = (i: number): Bucket[] => [
  [i, i + 1, 10],
  [i + 1, i + 2, 30],
  [i + 2, i + 3, 10],
];
/** At step 10·i: 5 + i values in [-1, 0], 20 in [0, 2]. */
const biasBuckets = (i: number): Bucket[] => [
  [-1, 0, 5 + i],
  [0, 2, 20],
];

/** Written with markup and spacing that must come back exactly as they are. */
const NOTES = [
  { key: 'samples', step: 0, text: 'Once upon a time\n    indented, <b>not bold</b>\n\ttabbed & done' },
  { key: 'samples', step: 50, text: 'A <b>later</b> sample <script>window.ran = 1</script>' },
  { key: 'config', step: 0, text: '| lr | 0.1 |\n|----|-----|' },
];

describe('histograms and notes on the run page', () => {
  let store: UiStore | undefined;
  let browser: TestBrowser | undefined;
  let runId = '';
  let emptyRunId = '';
  screenshotFailures(() => browser);

  const client = () => started(store, 'store').client;

  /** A POST that must be taken; the server's answer in the failure otherwise. */
  async function post(path: string, body: unknown): Promise<void> {
    const res = await client().post(path, body);
    if (res.status < 200 || res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${res.text}`);
  }

  async function mlflow<T = Record<string, any>>(path: string, body: unknown): Promise<T> {
    const res = await client().post(`/api/2.0/mlflow/${path}`, body);
    if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${res.text}`);
    return res.json as T;
  }

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
    // A run the MLflow client opened stays running until it is ended: its page listens for news.
    const { experiment_id: experimentId } = await mlflow<{ experiment_id: string }>('experiments/create', { name: 'histograms-ui' });
    const created = await mlflow<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, run_name: 'tb-like', start_time: Date.now() });
    runId = created.run.info.run_id;
    await post(`/runs/${runId}/histograms`, {
      histograms: STEPS.flatMap((step, i) => [
        { key: KERNEL, step, buckets: kernelBuckets(i) },
        { key: BIAS, step, buckets: biasBuckets(i) },
      ]),
    });
    await post(`/runs/${runId}/notes`, { notes: NOTES });
    emptyRunId = (await createRun(client(), finishedRun())).id;
  });

  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });

  const open = async (query: string, id = runId) => {
    const opened = await started(browser, 'browser').openPage(`${started(store, 'store').url}/runs/${id}${query}`);
    // Set once; a reload would lose it.
    await opened.page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));
    return opened;
  };
  const card = (page: Page, key: string) => page.locator(`[data-testid="histogram-card"][data-key="${key}"]`);
  const table = (page: Page, key: string) => page.locator(`[data-testid="distribution-table"][data-key="${key}"]`);
  /** A percentile the page computed for a step, from its table; null while that row is not there. */
  const percentile = async (page: Page, key: string, step: number, p: number): Promise<number | null> => {
    const cell = table(page, key).locator(`tr[data-step="${step}"] td[data-percentile="${p}"]`);
    if ((await cell.count()) === 0) return null;
    return Number(await cell.getAttribute('data-value'));
  };
  const rowSteps = async (page: Page, key: string) => (await attributeOf(table(page, key).locator('tbody tr'), 'data-step')).map(Number);
  const ridgeCount = async (page: Page, key: string) => Number((await page.locator(`[data-testid="ridgeline"][data-key="${key}"]`).getAttribute('data-ridges')) ?? NaN);

  /** Moves the pointer just above a ridge's baseline, at a value of the ridgeline's range. */
  async function hoverRidge(page: Page, key: string, step: number, value: number): Promise<Locator> {
    const svg = page.locator(`[data-testid="ridgeline"][data-key="${key}"]`);
    const lo = Number(await svg.getAttribute('data-lo'));
    const hi = Number(await svg.getAttribute('data-hi'));
    const path = svg.locator(`[data-testid="ridge"][data-step="${step}"] path`);
    const box = await path.boundingBox();
    if (!box) throw new Error(`the ridge of step ${step} is not drawn`);
    // The outline runs the whole range along its baseline, the bottom of its box.
    await page.mouse.move(box.x + ((value - lo) / (hi - lo)) * box.width, box.y + box.height - 3);
    return page.getByTestId('ridge-hover');
  }

  it('draws each key as percentile bands over steps, the median read from its buckets', async () => {
    const { page, assertNoErrors } = await open('');
    await page.getByTestId('tab-distributions').click();
    await page.waitForURL((u) => u.searchParams.get('tab') === 'distributions');
    await expect.poll(() => attributeOf(page.getByTestId('histogram-card'), 'data-key'), WAIT).toEqual([BIAS, KERNEL]);

    for (const key of [KERNEL, BIAS]) {
      const chart = card(page, key).getByTestId('distribution-chart');
      await expect.poll(() => chart.getAttribute('data-points'), { ...WAIT, message: `data-points of ${key}'s chart` }).toBe('20');
      await expect.poll(() => colouredPixels(chart.locator('canvas').first()), { ...WAIT, message: `bands drawn for ${key}` }).toBeGreaterThan(500);
      expect(await rowSteps(page, key)).toEqual(STEPS);
    }
    // Step 100 (i = 10): the kernel's median is 11.5, its least 10 and greatest 13.
    expect(await percentile(page, KERNEL, 100, 50)).toBe(11.5);
    expect(await percentile(page, KERNEL, 100, 0)).toBe(10);
    expect(await percentile(page, KERNEL, 100, 100)).toBe(13);
    // 6.68% of 50 values is 3.34, in the first bucket of 10.
    expect(await percentile(page, KERNEL, 100, 6.68)).toBeCloseTo(10.334, 9);
    // The bias at step 100 holds 35 values: 17.5 below the median, 15 in [-1, 0], 2.5 of 20 into [0, 2].
    expect(await percentile(page, BIAS, 100, 50)).toBeCloseTo(0.25, 12);
    // At step 190 (i = 19) 24 of 44 lie in [-1, 0]: the median is 22/24 of the way along it.
    expect(await percentile(page, BIAS, 190, 50)).toBeCloseTo(-1 + 22 / 24, 12);
    // The table reads as a table to a screen reader.
    expect(await table(page, KERNEL).locator('thead th').allInnerTexts()).toEqual(['step', 'min', '6.68%', '15.87%', '30.85%', 'median', '69.15%', '84.13%', '93.32%', 'max']);
    await screenshot(page, 'run-distributions');
    assertNoErrors();
    await page.close();
  });

  it("stacks each step's histogram, keeps the choice in the address, and says which bucket is under the pointer", async () => {
    const { page, assertNoErrors } = await open('?tab=distributions');
    const kernel = card(page, KERNEL);
    await kernel.getByTestId('view-histograms').click();
    await page.waitForURL((u) => u.searchParams.get('hist') === KERNEL);
    await expect.poll(() => ridgeCount(page, KERNEL), WAIT).toBe(20);
    expect(await attributeOf(kernel.getByTestId('ridge'), 'data-step')).toEqual(STEPS.map(String));
    // The other key stays a distribution.
    expect(await card(page, BIAS).getAttribute('data-view')).toBe('distribution');

    // The latest step is the front ridge, at the bottom; at 20.5 it holds 30 values in [20, 21].
    const front = await hoverRidge(page, KERNEL, 190, 20.5);
    await expect.poll(() => front.getAttribute('data-step'), WAIT).toBe('190');
    expect(await attributeOf(front, 'data-left')).toEqual(['20']);
    expect(await attributeOf(front, 'data-right')).toEqual(['21']);
    expect(await attributeOf(front, 'data-count')).toEqual(['30']);
    expect(await front.innerText()).toMatch(/step 190[\s\S]*20 to 21[\s\S]*count 30/);
    await screenshot(page, 'run-distributions-histograms');

    // The first step is the back ridge, at the top.
    const back = await hoverRidge(page, KERNEL, 0, 0.5);
    await expect.poll(() => back.getAttribute('data-step'), WAIT).toBe('0');
    expect([await back.getAttribute('data-left'), await back.getAttribute('data-right'), await back.getAttribute('data-count')]).toEqual(['0', '1', '10']);

    // A link opens the same view.
    const again = await started(browser, 'browser').openPage(page.url());
    await expect.poll(() => ridgeCount(again.page, KERNEL), WAIT).toBe(20);
    again.assertNoErrors();
    await again.page.close();
    assertNoErrors();
    await page.close();
  });

  it('shows the notes exactly as written, by key, the latest step first', async () => {
    const { page, assertNoErrors } = await open('?tab=notes');
    const groups = page.getByTestId('note-group');
    await expect.poll(() => attributeOf(groups, 'data-key'), WAIT).toEqual(['config', 'samples']);
    const samples = page.locator('[data-testid="note-group"][data-key="samples"]');
    expect(await attributeOf(samples.getByTestId('note'), 'data-step')).toEqual(['50', '0']);
    const texts = samples.getByTestId('note-text');
    expect(await texts.evaluateAll((els) => els.map((e) => e.textContent))).toEqual([NOTES[1]!.text, NOTES[0]!.text]);
    // Markup is shown, never made: no bold element, no script run.
    expect(await page.getByTestId('run-notes').locator('b, script').count()).toBe(0);
    expect(await texts.first().innerText()).toContain('<b>later</b>');
    expect(await page.evaluate(() => (globalThis as { ran?: number }).ran)).toBeUndefined();
    // Whitespace is kept on screen too.
    expect(await texts.nth(1).evaluate((e) => e.ownerDocument.defaultView?.getComputedStyle(e).whiteSpace)).toBe('pre-wrap');
    expect(await texts.nth(1).innerText()).toContain('\n    indented, <b>not bold</b>\n');
    expect(await samples.getByTestId('note').first().innerText()).toContain('step 50');
    expect(await page.locator('[data-testid="note-group"][data-key="config"]').getByTestId('note-text').textContent()).toBe(NOTES[2]!.text);
    await screenshot(page, 'run-notes');
    assertNoErrors();
    await page.close();
  });

  it('shows new points, new keys and new notes posted while the page is open, without a reload', async () => {
    const { page, assertNoErrors } = await open(`?tab=distributions&hist=${encodeURIComponent(BIAS)}`);
    await expect.poll(() => rowSteps(page, KERNEL), WAIT).toEqual(STEPS);
    await expect.poll(() => ridgeCount(page, BIAS), WAIT).toBe(20);

    await post(`/runs/${runId}/histograms`, {
      histograms: [
        { key: KERNEL, step: 200, buckets: kernelBuckets(20) },
        { key: BIAS, step: 200, buckets: biasBuckets(20) },
        { key: 'dense/activations', step: 200, buckets: [[0, 4, 8]] },
      ],
    });
    await expect.poll(() => percentile(page, KERNEL, 200, 50), { ...WAIT, message: "the kernel's new step" }).toBe(21.5);
    await expect.poll(() => ridgeCount(page, BIAS), { ...WAIT, message: "the bias's new ridge" }).toBe(21);
    await expect.poll(() => attributeOf(page.getByTestId('histogram-card'), 'data-key'), { ...WAIT, message: 'a card for the new key' }).toEqual(['dense/activations', BIAS, KERNEL]);
    await expect.poll(() => percentile(page, 'dense/activations', 200, 50), WAIT).toBe(2);

    await page.getByTestId('tab-notes').click();
    const samples = page.locator('[data-testid="note-group"][data-key="samples"]');
    await expect.poll(() => attributeOf(samples.getByTestId('note'), 'data-step'), WAIT).toEqual(['50', '0']);
    await post(`/runs/${runId}/notes`, {
      notes: [
        { key: 'samples', step: 200, text: 'newest <i>sample</i>' },
        { key: 'eval', step: 200, text: 'accuracy went up' },
      ],
    });
    await expect.poll(() => attributeOf(samples.getByTestId('note'), 'data-step'), { ...WAIT, message: 'the new note first' }).toEqual(['200', '50', '0']);
    expect(await samples.getByTestId('note-text').first().textContent()).toBe('newest <i>sample</i>');
    await expect.poll(() => attributeOf(page.getByTestId('note-group'), 'data-key'), WAIT).toEqual(['config', 'eval', 'samples']);
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce), 'the page was never reloaded').toBe(true);
    await screenshot(page, 'run-notes-live');
    assertNoErrors();
    await page.close();
  });

  it('says how histograms and notes get there, for a run without any', async () => {
    const { page, assertNoErrors } = await open('?tab=distributions', emptyRunId);
    const empty = page.getByTestId('empty-state');
    await expect.poll(() => empty.count(), WAIT).toBe(1);
    const words = await empty.innerText();
    expect(words).toContain('No histograms');
    expect(words).toContain('reprise.log_histogram(');
    expect(words).toContain('REPRISE_TB_DIR');
    expect(words).toContain('reprise import-tb');
    await screenshot(page, 'run-distributions-empty');
    await page.getByTestId('tab-notes').click();
    await expect.poll(async () => (await empty.count()) === 1 && (await empty.innerText()).includes('No notes'), WAIT).toBe(true);
    expect(await empty.innerText()).toContain('TensorBoard text summaries');
    assertNoErrors();
    await page.close();
  });
});
