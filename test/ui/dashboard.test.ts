/**
 * A project's dashboard, `/projects/iris/dashboard`: how many runs (dev runs left out),
 * how often they succeed, runs per week, and the best value of a metric as the API
 * reports it.
 */
import { describe, expect, it } from 'vitest';
import { numbersIn, screenshot, showsValue } from '../helpers/browser.js';
import { PROJECT, seededUi } from '../helpers/ui-seed.js';

describe('dashboard', () => {
  const ui = seededUi();

  it('shows the run count, the success rate, weeks, the best val_accuracy and promotions', async () => {
    const rows = (await ui.store.client.get(`/runs?project=${PROJECT}&view=row&limit=100`)).json.runs as { status: string; dev: boolean }[];
    const counted = rows.filter((r) => !r.dev);
    const succeeded = counted.filter((r) => r.status === 'succeeded').length;
    const failed = counted.filter((r) => r.status === 'failed').length;
    // The seed: three runs succeeded and one failed, besides the dev run.
    expect([counted.length, succeeded, failed]).toEqual([4, 3, 1]);
    const dashboard = (await ui.store.client.get(`/projects/${PROJECT}/dashboard`)).json;
    const best = dashboard.metrics.find((m: { key: string }) => m.key === 'val_accuracy').best.value as number;

    const { page, assertNoErrors } = await ui.browser.openPage(`${ui.store.url}/projects/${PROJECT}/dashboard`);
    const total = page.getByTestId('dash-total-runs');
    await total.waitFor();
    expect(numbersIn(await total.innerText())).toContain(counted.length);
    const rate = await page.getByTestId('dash-success-rate').innerText();
    expect(rate).toMatch(/%/);
    expect(showsValue(rate, succeeded / (succeeded + failed)), `"${rate}" shows ${succeeded} of ${succeeded + failed}`).toBe(true);
    expect(await page.getByTestId('week-bar').count()).toBeGreaterThan(0);
    const progress = page.locator('[data-testid="metric-progress"]').filter({ hasText: 'val_accuracy' }).first();
    const sentence = await progress.getByTestId('metric-best').innerText();
    expect(sentence).toContain('val_accuracy');
    expect(showsValue(sentence, best), `"${sentence}" shows ${best}`).toBe(true);
    await page.getByTestId('promotions').waitFor();
    await screenshot(page, 'dashboard');
    assertNoErrors();
    await page.close();
  });
});
