/**
 * Reproduction checks in the UI: the run page's Reproducibility section from both sides
 * of a check (verdict, differences, environment), a reproduction not checked yet, how
 * to reproduce a run never checked; and the mark beside reproduced and reproducing runs
 * in the runs table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import type { Verification } from '../../src/core/verification.js';
import { createRun, finishedRun, newRunId } from '../api/fixtures.js';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { started } from '../helpers/server.js';
import { startUiStore, type UiStore } from '../helpers/ui-seed.js';

const PROJECT = 'reproductions';
/** An hour ago: the runs ended long before the page opens. */
const T0 = Date.now() - 3_600_000;

interface Runs {
  original: RunRecord;
  exact: RunRecord;
  diverged: RunRecord;
  unchecked: RunRecord;
  never: RunRecord;
}

function run(name: string, at: number, reproduces?: string): RunRecord {
  const r = finishedRun({ id: newRunId(at), project: PROJECT, name, createdAt: at });
  return reproduces === undefined ? r : { ...r, manifest: { ...r.manifest, run: { ...r.manifest.run, reproduces } } };
}

function verification(original: string, reproduction: string, over: Partial<Verification>): Verification {
  return {
    original,
    reproduction,
    verdict: 'exact',
    checkedAt: T0 + 60_000,
    rules: { tolerance: {}, ignore: [] },
    compared: { metrics: 2, artifacts: 1 },
    ignored: [],
    differences: [],
    environment: [],
    ...over,
  };
}

describe('reproductions in the UI', () => {
  let store: UiStore | undefined;
  let browser: TestBrowser | undefined;
  let runs: Runs | undefined;
  screenshotFailures(() => browser);

  beforeAll(async () => {
    [store, browser] = await Promise.all([startUiStore(), launchBrowser()]);
    const original = run('baseline', T0);
    const exact = run('exact-copy', T0 + 1000, original.id);
    const diverged = run('diverged-copy', T0 + 2000, original.id);
    const unchecked = run('unchecked-copy', T0 + 3000, original.id);
    const never = run('never-reproduced', T0 + 4000);
    for (const r of [original, exact, diverged, unchecked, never]) await createRun(store.client, r);
    const checks = [
      verification(original.id, exact.id, { ignored: ['outputs/timing.json'] }),
      verification(original.id, diverged.id, {
        verdict: 'diverged',
        checkedAt: T0 + 120_000,
        rules: { tolerance: { val_accuracy: 0.01 }, ignore: [] },
        differences: [
          { kind: 'metric', name: 'val_loss', original: 0.3012, reproduction: 'NaN', delta: 'NaN', tolerance: null, outcome: 'diverged' },
          { kind: 'metric', name: 'val_accuracy', original: 0.9333, reproduction: 0.9267, delta: -0.0066, tolerance: 0.01, outcome: 'within_tolerance' },
        ],
        environment: [
          { what: 'python', original: '3.11.4', reproduction: '3.12.1' },
          { what: 'package numpy', original: '1.26.4', reproduction: '2.0.0' },
        ],
      }),
    ];
    for (const v of checks) {
      const res = await store.client.post('/verifications', v);
      if (res.status !== 200) throw new Error(`POST /verifications answered ${res.status}: ${res.text}`);
    }
    runs = { original, exact, diverged, unchecked, never };
  });

  afterAll(async () => {
    await browser?.close();
    await store?.stop();
  });

  const ui = () => ({ store: started(store, 'store'), browser: started(browser, 'browser'), runs: started(runs, 'runs') });
  const runUrl = (id: string) => `${ui().store.url}/runs/${id}`;

  it("shows on a reproduction's page the run it reproduces and the verdict", async () => {
    const { browser: b, runs: r } = ui();
    const { page, assertNoErrors } = await b.openPage(runUrl(r.exact.id));
    const check = page.getByTestId('repro-check');
    await expect.poll(() => check.count(), WAIT).toBe(1);
    expect(await check.getAttribute('data-role')).toBe('reproduction');
    expect(await check.getByTestId('repro-direction').innerText()).toBe('reproduces baseline');
    const link = check.getByTestId('repro-run');
    expect(await link.getAttribute('href')).toBe(`/runs/${r.original.id}`);
    expect(await check.getByTestId('verdict').innerText()).toBe('reproduced exactly');
    expect(await check.getByTestId('repro-compared').innerText()).toBe('Compared 2 metrics and 1 artifact; ignored: outputs/timing.json.');
    expect(await check.innerText()).toContain('Same interpreter, OS, CPU, GPUs and packages.');
    expect(await page.getByTestId('repro-compare').getAttribute('href')).toBe(`/compare?runs=${r.original.id},${r.exact.id}`);

    await link.click();
    await page.waitForURL((u) => u.pathname === `/runs/${r.original.id}`);
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe('baseline');
    assertNoErrors();
    await page.close();
  });

  it("shows on the original's page every check, newest first, with the diverged one's differences", async () => {
    const { browser: b, runs: r } = ui();
    const { page, assertNoErrors } = await b.openPage(runUrl(r.original.id));
    const checks = page.getByTestId('repro-check');
    await expect.poll(() => checks.count(), WAIT).toBe(2);
    expect(await attributeOf(checks, 'data-role')).toEqual(['original', 'original']);
    expect(await attributeOf(checks, 'data-verdict')).toEqual(['diverged', 'exact']);
    expect(await checks.getByTestId('repro-direction').allInnerTexts()).toEqual(['reproduced by diverged-copy', 'reproduced by exact-copy']);
    const diverged = checks.first();
    expect(await diverged.getByTestId('verdict').innerText()).toBe('diverged');

    const loss = diverged.locator('[data-testid="repro-difference"][data-name="val_loss"]');
    expect(await loss.locator('td').allInnerTexts()).toEqual(['metric', 'val_loss', '0.3012', 'NaN', 'NaN', '', 'diverged']);
    const acc = diverged.locator('[data-testid="repro-difference"][data-name="val_accuracy"]');
    expect(await acc.locator('td').allInnerTexts()).toEqual(['metric', 'val_accuracy', '0.9333', '0.9267', '-0.0066', '± 0.01', 'within tolerance']);
    const env = diverged.getByTestId('repro-env-row');
    expect(await env.evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)))).toEqual([
      ['python', '3.11.4', '3.12.1'],
      ['package numpy', '1.26.4', '2.0.0'],
    ]);
    await screenshot(page, 'run-reproducibility');
    assertNoErrors();
    await page.close();
  });

  it('shows a reproduction without a check as pending, and how to reproduce a run never checked', async () => {
    const { browser: b, runs: r } = ui();
    const pending = await b.openPage(runUrl(r.unchecked.id));
    const check = pending.page.getByTestId('repro-check');
    await expect.poll(() => check.getAttribute('data-verdict'), WAIT).toBe('pending');
    expect(await check.getByTestId('repro-direction').innerText()).toBe('reproduces baseline');
    expect(await check.getByTestId('verdict').innerText()).toBe('verdict pending');
    await screenshot(pending.page, 'run-reproduction-pending');
    pending.assertNoErrors();
    await pending.page.close();

    const { page, assertNoErrors } = await b.openPage(runUrl(r.never.id));
    const command = page.getByTestId('repro-command');
    await expect.poll(() => command.locator('code').innerText(), WAIT).toBe('reprise reproduce never-reproduced');
    expect(await page.getByTestId('repro-check').count()).toBe(0);
    await command.getByRole('button').click();
    const copied = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
    expect(copied).toBe('reprise reproduce never-reproduced');
    await screenshot(page, 'run-not-reproduced');
    assertNoErrors();
    await page.close();
  });

  it('marks reproductions and reproduced runs in the runs table, with the verdict in the title', async () => {
    const { browser: b, store: s, runs: r } = ui();
    const { page, assertNoErrors } = await b.openPage(`${s.url}/projects/${PROJECT}`);
    await expect.poll(() => page.getByTestId('run-row').count(), WAIT).toBe(5);
    const mark = (id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"] [data-testid="repro-mark"]`);
    const titles = async (id: string) => ({ title: await mark(id).getAttribute('title'), role: await mark(id).getAttribute('data-role'), text: await mark(id).innerText() });
    expect(await titles(r.original.id)).toEqual({ title: 'reproduced by diverged-copy: diverged', role: 'original', text: '↺' });
    expect(await titles(r.exact.id)).toEqual({ title: 'reproduces baseline: reproduced exactly', role: 'reproduction', text: '↺' });
    expect(await titles(r.diverged.id)).toEqual({ title: 'reproduces baseline: diverged', role: 'reproduction', text: '↺' });
    expect(await titles(r.unchecked.id)).toEqual({ title: 'reproduces baseline: verdict pending', role: 'reproduction', text: '↺' });
    expect(await mark(r.never.id).count()).toBe(0);
    await screenshot(page, 'runs-reproductions');
    assertNoErrors();
    await page.close();
  });
});
