/**
 * A run followed while it goes: its page, opened once, draws new metric points and new
 * log lines as the stages write them, and turns to succeeded when the run ends, all
 * without a reload.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartState, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { waitUntil } from '../helpers/server.js';
import { PROJECT, startUiStore, type UiStore } from '../helpers/ui-seed.js';

const EPOCHS = 500;
/** A pause per epoch makes the run last about 12 s with few enough points that none is thinned out for the chart. */
const EPOCH_PAUSE_S = 0.02;

/** examples/iris's train.py, pausing after every epoch. */
function slowDown(dir: string): void {
  const path = join(dir, 'train.py');
  const source = readFileSync(path, 'utf8');
  const logCall = '        reprise.log(step=epoch,';
  if (!source.includes(logCall)) throw new Error(`${path} no longer calls reprise.log once per epoch; update this test`);
  writeFileSync(path, `import time\n${source.replace(logCall, `        time.sleep(${EPOCH_PAUSE_S})\n${logCall}`)}`);
}

/** The highest epoch number a log shows ("epoch 123/500"). */
const lastEpoch = (log: string): number => Math.max(0, ...[...log.matchAll(/epoch +(\d+)\//g)].map((m) => Number(m[1])));

describe('a run followed live', () => {
  let store: UiStore;
  let browser: TestBrowser;
  screenshotFailures(() => browser);
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await browser?.close();
    await store?.stop();
  });

  it('draws new points and log lines as they come, and shows the end, without a reload', { timeout: 120_000 }, async () => {
    const iris = store.iris('iris-slow', slowDown);
    child = iris.start(['-p', `epochs=${EPOCHS}`]);
    const exited = new Promise<number | null>((resolve) => child!.once('close', resolve));
    // Both pipes are read: a full pipe would stop the run mid-way.
    let output = '';
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
    const id = await waitUntil('the run to be recorded', async () => {
      const runs = (await store.client.get(`/runs?project=${PROJECT}&view=row`)).json.runs as { id: string }[];
      return runs[0]?.id;
    });

    const { page, assertNoErrors } = await browser.openPage(`${store.url}/runs/${id}?tab=metrics`);
    await page.evaluate(() => Object.assign(globalThis, { loadedOnce: true }));
    const status = page.getByTestId('run-header').getByTestId('status');
    expect(await status.innerText()).toMatch(/running|preparing|queued/);

    const chart = page.locator('[data-testid="metric-chart"][data-title="val_loss"]');
    const points = async () => (await chart.count()) === 0 ? 0 : ((await chartState(chart)).points ?? 0);
    await expect.poll(points, { ...WAIT, timeout: 20_000, message: 'data-points on the [data-testid="metric-chart"] element of val_loss' }).toBeGreaterThan(0);
    const first = await points();
    await expect.poll(points, { ...WAIT, timeout: 20_000, message: `more than ${first} points` }).toBeGreaterThan(first);
    expect(await status.innerText()).toBe('running');
    await screenshot(page, 'live-metrics');

    await page.getByTestId('tab-logs').click();
    const view = page.getByTestId('log-view');
    await expect.poll(async () => lastEpoch(await view.innerText()), { ...WAIT, timeout: 20_000 }).toBeGreaterThan(0);
    const seen = lastEpoch(await view.innerText());
    expect(seen).toBeLessThan(EPOCHS);
    await expect.poll(async () => lastEpoch(await view.innerText()), { ...WAIT, timeout: 20_000, message: `epochs after ${seen}` }).toBeGreaterThan(seen);
    await screenshot(page, 'live-logs');

    expect(await exited, output).toBe(0);
    await expect.poll(() => status.innerText(), { ...WAIT, timeout: 20_000 }).toBe('succeeded');
    // No stage was picked, so the view followed the run to its last stage; train's log is whole.
    await expect.poll(() => page.getByTestId('log-stage').inputValue(), { ...WAIT, timeout: 20_000 }).toBe('persist');
    await page.getByTestId('log-stage').selectOption('train');
    await expect.poll(async () => lastEpoch(await view.innerText()), { ...WAIT, timeout: 20_000 }).toBe(EPOCHS);
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce), 'the page was never reloaded').toBe(true);
    await screenshot(page, 'live-finished');
    assertNoErrors();
    await page.close();
  });
});
