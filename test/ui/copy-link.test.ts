/**
 * Every page has a "Copy link" button that puts the address of the view, settings
 * included, on the clipboard.
 */
import { describe, expect, it } from 'vitest';
import { PROJECT, seededUi } from '../helpers/ui-seed.js';

describe('copy link', () => {
  const ui = seededUi();

  it('copies the address of each page', async () => {
    const { low, mid, patched } = ui.store.runs;
    const pages = [
      '/',
      `/projects/${PROJECT}?filter=${encodeURIComponent('params.optim.lr < 0.1')}`,
      `/projects/${PROJECT}/dashboard`,
      `/runs/${low.id}?tab=metrics&log=1`,
      `/compare?runs=${[low.id, mid.id, patched.id].join(',')}`,
    ];
    const { page, assertNoErrors } = await ui.browser.openPage(`${ui.store.url}/`);
    for (const path of pages) {
      await page.goto(`${ui.store.url}${path}`);
      const button = page.getByTestId('copy-link');
      await button.click();
      const copied = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
      expect(copied, path).toBe(page.url());
      // The settings the page was opened with are in what was copied.
      const asked = new URL(`${ui.store.url}${path}`);
      expect(new URL(copied).pathname, path).toBe(asked.pathname);
      for (const [key, value] of asked.searchParams) expect(new URL(copied).searchParams.get(key), `${key} of ${path}`).toBe(value);
    }
    assertNoErrors();
    await page.close();
  });
});
