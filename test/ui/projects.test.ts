/**
 * The projects page, `/`: a card per project with its run counts and best metric, and
 * for an empty store, what to do first.
 */
import { describe, expect, it } from 'vitest';
import { screenshot, showsValue } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';
import { PROJECT, seededUi } from '../helpers/ui-seed.js';

describe('projects page', () => {
  const ui = seededUi();

  it('shows the iris card with its run count, status counts and best metric', async () => {
    const project = (await ui.store.client.get('/projects')).json.projects.find((p: { name: string }) => p.name === PROJECT);
    const { page, assertNoErrors } = await ui.browser.openPage(`${ui.store.url}/`);
    const card = page.locator(`[data-testid="project-card"][data-project="${PROJECT}"]`);
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain(String(project.runs));
    for (const [status, count] of Object.entries(project.byStatus as Record<string, number>)) {
      expect(text, `the ${status} count`).toMatch(new RegExp(`\\b${count}\\s+${status}|${status}\\W+${count}\\b`));
    }
    const best = await card.getByTestId('best-metric').innerText();
    expect(best).toContain('val_accuracy');
    expect(showsValue(best, project.best.value), `"${best}" shows ${project.best.value}`).toBe(true);
    await screenshot(page, 'projects');
    assertNoErrors();
    await page.close();
  });

  it('tells how to start when the store is empty', async () => {
    const empty = await startServer();
    try {
      const { page, assertNoErrors } = await ui.browser.openPage(`${empty.url}/`);
      const state = page.getByTestId('empty-state');
      await state.waitFor();
      expect(await state.innerText()).toContain('reprise run');
      await screenshot(page, 'projects-empty');
      assertNoErrors();
      await page.close();
    } finally {
      await empty.stop();
    }
  });
});
