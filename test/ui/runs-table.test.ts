/**
 * The runs table, `/projects/iris`: rows as the API lists them, filtering, sorting by a
 * metric, choosing columns, the keyboard, selecting runs to compare, and an address that
 * reproduces the view.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { attributeOf, screenshot, WAIT } from '../helpers/browser.js';
import { PROJECT, seededUi } from '../helpers/ui-seed.js';

const FILTER = 'params.optim.lr < 0.1';
const BAD_FILTER = 'params.optim.lr <';
const SORT_COLUMN = 'metrics.val_accuracy';

describe('runs table', () => {
  const ui = seededUi();

  /** Run ids the API gives for a search of the project, in its order. */
  const apiIds = async (query: { filter?: string; order?: string } = {}): Promise<string[]> => {
    const q = new URLSearchParams({ project: PROJECT, view: 'row', limit: '100', ...query });
    const res = await ui.store.client.get(`/runs?${q}`);
    if (res.status !== 200) throw new Error(`GET /runs?${q}: ${res.status} ${res.text}`);
    return res.json.runs.map((r: { id: string }) => r.id);
  };
  const rowIds = (page: Page) => attributeOf(page.getByTestId('run-row'), 'data-run-id');
  const columnIds = (page: Page) => attributeOf(page.getByTestId('col-header'), 'data-col');
  const runsUrl = () => `${ui.store.url}/projects/${PROJECT}`;
  const openRuns = async (url = runsUrl()) => {
    const watched = await ui.browser.openPage(url);
    await watched.page.getByTestId('run-row').first().waitFor();
    return watched;
  };


  it('lists every run of the project with its name, the dev run marked', async () => {
    const { page, assertNoErrors } = await openRuns();
    const expected = await apiIds();
    await expect.poll(() => rowIds(page), WAIT).toEqual(expected);
    const names = (await ui.store.client.get(`/runs?project=${PROJECT}&view=row`)).json.runs as { id: string; name: string }[];
    for (const { id, name } of names) expect(await page.locator(`[data-testid="run-row"][data-run-id="${id}"]`).innerText()).toContain(name);
    const dev = page.locator(`[data-testid="run-row"][data-run-id="${ui.store.runs.dev.id}"]`);
    await expect.poll(() => dev.locator('.dev-badge').count(), WAIT).toBe(1);
    expect(await page.locator(`[data-testid="run-row"][data-run-id="${ui.store.runs.low.id}"] .dev-badge`).count()).toBe(0);
    await screenshot(page, 'runs-table');
    assertNoErrors();
    await page.close();
  });

  it('filters to exactly the runs the API matches, and shows a bad filter with its caret', async () => {
    const { page, assertNoErrors } = await openRuns();
    const input = page.getByTestId('filter-input');
    await input.fill(FILTER);
    await input.press('Enter');
    const expected = await apiIds({ filter: FILTER });
    expect(expected.length).toBeGreaterThan(0);
    await expect.poll(() => rowIds(page), WAIT).toEqual(expected);
    expect(decodeURIComponent(page.url().replaceAll('+', ' '))).toContain(FILTER);

    await input.fill(BAD_FILTER);
    await input.press('Enter');
    const error = page.getByTestId('filter-error');
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toContain('^');
    expect(text).toMatch(/column 18/);
    await screenshot(page, 'runs-table-filter-error');
    // The server refusing the bad filter is how its message reaches the page; the browser logs that answer.
    assertNoErrors([/status of 400 .*\/api\/v1\/runs/]);
    await page.close();
  });

  it('sorts by a metric column: descending on the first click, ascending on the second, as the API orders', async () => {
    const { page, assertNoErrors } = await openRuns();
    const header = page.locator(`[data-testid="col-header"][data-col="${SORT_COLUMN}"]`);
    await header.click();
    await expect.poll(() => rowIds(page), WAIT).toEqual(await apiIds({ order: `${SORT_COLUMN} desc` }));
    await header.click();
    await expect.poll(() => rowIds(page), WAIT).toEqual(await apiIds({ order: `${SORT_COLUMN} asc` }));
    await screenshot(page, 'runs-table-sorted');
    assertNoErrors();
    await page.close();
  });

  it('adds a column from the column picker, and the address reproduces filter, order and columns', async () => {
    const { page, assertNoErrors } = await openRuns();
    const before = await columnIds(page);
    await page.getByTestId('column-picker').click();
    const options = page.getByTestId('column-option');
    await options.first().waitFor();
    const offered = (await attributeOf(options, 'data-col')).filter((c): c is string => c !== null);
    const added = offered.includes('params.optim.lr') && !before.includes('params.optim.lr') ? 'params.optim.lr' : offered.find((c) => !before.includes(c));
    expect(added, `a column not shown yet among ${offered.join(', ')}`).toBeDefined();
    await page.locator(`[data-testid="column-option"][data-col="${added}"]`).click();
    await expect.poll(() => columnIds(page), WAIT).toContain(added);
    await page.keyboard.press('Escape');

    const input = page.getByTestId('filter-input');
    await input.fill(FILTER);
    await input.press('Enter');
    await page.locator(`[data-testid="col-header"][data-col="${SORT_COLUMN}"]`).click();
    const expected = await apiIds({ filter: FILTER, order: `${SORT_COLUMN} desc` });
    await expect.poll(() => rowIds(page), WAIT).toEqual(expected);
    const columns = await columnIds(page);
    await screenshot(page, 'runs-table-columns');

    const fresh = await openRuns(page.url());
    await expect.poll(() => rowIds(fresh.page), WAIT).toEqual(expected);
    expect(await columnIds(fresh.page)).toEqual(columns);
    expect(await fresh.page.getByTestId('filter-input').inputValue()).toBe(FILTER);
    assertNoErrors();
    fresh.assertNoErrors();
    await fresh.page.close();
    await page.close();
  });

  it('moves with the arrows, selects with Space and opens with Enter', async () => {
    const { page, assertNoErrors } = await openRuns();
    const ids = await apiIds();
    await expect.poll(() => rowIds(page), WAIT).toEqual(ids);
    const table = page.getByTestId('runs-table');
    await table.focus();
    const activeId = () => attributeOf(page.locator('[data-testid="run-row"][data-active="true"]'), 'data-run-id');
    await table.press('ArrowDown');
    await expect.poll(activeId, WAIT).toEqual([ids[0]]);
    await table.press('ArrowDown');
    await expect.poll(activeId, WAIT).toEqual([ids[1]]);
    await table.press(' ');
    const checkbox = page.locator(`[data-testid="run-row"][data-run-id="${ids[1]}"] [data-testid="select-run"]`);
    await expect.poll(() => checkbox.isChecked(), WAIT).toBe(true);
    await screenshot(page, 'runs-table-keyboard');
    await table.press('Enter');
    await page.waitForURL((u) => u.pathname === `/runs/${ids[1]}`);
    assertNoErrors();
    await page.close();
  });

  it('opens the comparison of three selected runs', async () => {
    const { page, assertNoErrors } = await openRuns();
    const chosen = [ui.store.runs.low.id, ui.store.runs.mid.id, ui.store.runs.patched.id];
    for (const id of chosen) await page.locator(`[data-testid="run-row"][data-run-id="${id}"] [data-testid="select-run"]`).click();
    await page.getByTestId('compare-button').click();
    await page.waitForURL((u) => u.pathname === '/compare');
    const compared = (new URL(page.url()).searchParams.get('runs') ?? '').split(',');
    expect([...compared].sort()).toEqual([...chosen].sort());
    assertNoErrors();
    await page.close();
  });
});
