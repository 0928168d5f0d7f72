/**
 * Three runs side by side, `/compare?runs=a,b,c`: a header per run, params marked where
 * they differ, final metrics, charts with one line per run, artifacts by state and the
 * environments.
 */
import { describe, expect, it } from 'vitest';
import { chartState, colouredPixels, screenshot, WAIT } from '../helpers/browser.js';
import { SEEDED_LR, seededUi } from '../helpers/ui-seed.js';

describe('compare page', () => {
  const ui = seededUi();

  it('puts three runs side by side: params, metrics, overlaid charts, artifacts, environment', async () => {
    const runs = [ui.store.runs.low, ui.store.runs.mid, ui.store.runs.patched];
    const { page, assertNoErrors } = await ui.browser.openPage(`${ui.store.url}/compare?runs=${runs.map((r) => r.id).join(',')}`);
    const headers = page.getByTestId('compare-run-header');
    await expect.poll(() => headers.count(), WAIT).toBe(3);
    for (const run of runs) expect(await page.locator(`[data-testid="compare-run-header"][data-run-id="${run.id}"]`).innerText()).toContain(run.name);

    const lr = page.locator('[data-testid="param-row"][data-key="optim.lr"]');
    await lr.waitFor();
    expect(await lr.getAttribute('data-differs')).toBe('true');
    const lrText = await lr.innerText();
    for (const value of [SEEDED_LR.low, SEEDED_LR.mid, SEEDED_LR.patched]) expect(lrText).toContain(String(value));
    expect(await page.locator('[data-testid="param-row"][data-key="epochs"]').getAttribute('data-differs')).toBe('false');
    expect(await page.getByTestId('metric-row').count()).toBeGreaterThan(0);

    const chart = page.getByTestId('metric-chart').first();
    await chart.waitFor();
    await expect.poll(() => chartState(chart), { ...WAIT, message: 'data-drawn and data-points on [data-testid="metric-chart"]' }).toMatchObject({ drawn: expect.any(Number), points: expect.any(Number) });
    expect((await chartState(chart)).points).toBeGreaterThan(0);
    const legend = await chart.locator('.u-legend .u-series').allInnerTexts();
    for (const run of runs) expect(legend.join('\n'), 'a line per run in the legend').toContain(run.name);
    await expect.poll(() => colouredPixels(chart.locator('canvas').first()), WAIT).toBeGreaterThan(20);

    const artifactStates = page.locator('[data-testid="compare-artifacts"] [data-state]');
    await expect.poll(() => artifactStates.count(), WAIT).toBeGreaterThan(0);
    // Every run wrote the same predict.py but a model trained with its own lr: both kinds of row appear.
    const states = new Set(await artifactStates.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state'))));
    expect(states.size, `states ${[...states].join(', ')}`).toBeGreaterThan(1);
    await page.getByTestId('compare-env').waitFor();
    await screenshot(page, 'compare');
    assertNoErrors();
    await page.close();
  });
});
