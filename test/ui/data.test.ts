/**
 * The lake in the UI, over a lake filled the way users fill theirs: a real `reprise
 * server`, two CSV files appended to a table through the real CLI, and a small git
 * project whose reprise.yaml declares a data query, run through the same server. The
 * tables page, a table's history and its rows as of a commit, now and in the future
 * (refused, in the server's words), the CSV download, the snapshot the run read, and the
 * run page's Data tab linking back to the table as of the run's time.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { gitProject, reprise, sandbox, writeFiles, yamlFor, type Sandbox } from '../helpers/cli.js';
import { api, started, startServer, type Api, type RunningServer } from '../helpers/server.js';

const TABLE = 'sales';
const A_CSV = 'id,amount,region\n1,0.5,north\n2,3,south\n';
const B_CSV = 'id,amount,region\n3,5,east\n4,1,west\n5,2.5,central\n';
/** The query the project declares: ids 2, 3 and 5. */
const QUERY = `SELECT * FROM ${TABLE} WHERE amount > 1`;
const DEFAULT_SQL = `SELECT * FROM ${TABLE} LIMIT 100`;
/** A time the server refuses: rows committed until then would change the answer. */
const FUTURE = '2099-01-01T00:00:00.000Z';

interface Commit {
  id: string;
  seq: number;
  committedAt: number;
}

interface Lake {
  first: Commit;
  second: Commit;
  run: { id: string; name: string };
  /** The run's pinned query as its manifest records it. */
  input: { asOf: number; snapshot: { rows: number; contentHash: string } };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('the lake in the UI', () => {
  let server: RunningServer | undefined;
  let client: Api | undefined;
  let sb: Sandbox | undefined;
  let browser: TestBrowser | undefined;
  let filling: Promise<Lake> | undefined;
  screenshotFailures(() => browser);

  beforeAll(async () => {
    [server, browser, sb] = await Promise.all([startServer(), launchBrowser(), sandbox()]);
    client = api(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await sb?.cleanup();
    await server?.stop();
  });

  const ui = () => ({ url: started(server, 'server').url, b: started(browser, 'browser') });

  /** `reprise <args>` in `cwd`, against the server; its stdout. */
  async function cli(cwd: string, args: readonly string[]): Promise<string> {
    const res = await reprise(started(sb, 'sandbox'), cwd, args, { REPRISE_SERVER: started(server, 'server').url });
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
    return res.stdout;
  }

  /** The lake filled once, by the first test that needs it (the first test sees it empty). */
  function lake(): Promise<Lake> {
    filling ??= (async () => {
      const root = started(sb, 'sandbox').root;
      writeFiles(root, { 'a.csv': A_CSV, 'b.csv': B_CSV });
      const first = (JSON.parse(await cli(root, ['data', 'append', TABLE, 'a.csv', '--json'])) as { commit: Commit }).commit;
      await new Promise((r) => setTimeout(r, 20));
      const second = (JSON.parse(await cli(root, ['data', 'append', TABLE, 'b.csv', '--json'])) as { commit: Commit }).commit;
      const dir = gitProject(started(sb, 'sandbox'), {
        'reprise.yaml': yamlFor(
          [{ name: 'train', cmd: `python -c "import reprise; print(open(reprise.data('train'),'rb').read()[:4])"` }],
          `env:\n  system: true\ndata:\n  train:\n    query: ${JSON.stringify(QUERY)}\n`,
        ),
        'input.json': '{}',
      });
      const run = JSON.parse(await cli(dir, ['run', '--json'])) as { id: string; name: string; status: string };
      expect(run.status).toBe('succeeded');
      const details = (await started(client, 'client').get(`/runs/${run.id}`)).json as { run: { manifest: { data: Lake['input'][] } } };
      return { first, second, run, input: details.run.manifest.data[0]! };
    })();
    return filling;
  }

  /** The first column of the rows shown, as numbers, in order. */
  const shownIds = (page: Page) => page.getByTestId('data-row').evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('td')?.textContent)));

  it('shows how to add a table while the lake is empty', async () => {
    const { url, b } = ui();
    const { page, assertNoErrors } = await b.openPage(`${url}/data`);
    const empty = page.getByTestId('empty-state');
    await expect.poll(() => empty.count(), WAIT).toBe(1);
    expect(await empty.innerText()).toContain('reprise data append TABLE FILE');
    await screenshot(page, 'data-empty');
    assertNoErrors();
    await page.close();
  });

  it("lists the lake's tables, reached from the top bar", async () => {
    const { url, b } = ui();
    await lake();
    const { page, assertNoErrors } = await b.openPage(`${url}/`);
    await page.getByTestId('nav-data').click();
    await page.waitForURL('**/data');
    const row = page.locator(`[data-testid="data-table-row"][data-table="${TABLE}"]`);
    await expect.poll(() => row.count(), WAIT).toBe(1);
    expect(await row.getByTestId('data-table-commits').innerText()).toBe('2');
    expect(await row.getByTestId('data-table-rows').innerText()).toBe('5');
    expect(await attributeOf(row.locator('.data-column'), 'data-column')).toEqual(['id', 'amount', 'region']);
    expect(await attributeOf(row.locator('.data-column'), 'data-type')).toEqual(['BIGINT', 'DOUBLE', 'VARCHAR']);
    await screenshot(page, 'data-tables');
    await row.getByTestId('data-table-link').click();
    await page.waitForURL(`**/data/${TABLE}`);
    await expect.poll(() => page.getByTestId('data-commit').count(), WAIT).toBe(2);
    assertNoErrors();
    await page.close();
  });

  it('says so for a table the lake does not have', async () => {
    const { url, b } = ui();
    await lake();
    const { page, assertNoErrors } = await b.openPage(`${url}/data/nosuch`);
    const empty = page.getByTestId('empty-state');
    await expect.poll(() => empty.count(), WAIT).toBe(1);
    expect(await empty.innerText()).toContain('No table named nosuch in the lake');
    await empty.getByRole('link').click();
    await page.waitForURL('**/data');
    await expect.poll(() => page.getByTestId('data-table-row').count(), WAIT).toBe(1);
    // The table's page and its preview were answered 404: the browser logs those, nothing else.
    assertNoErrors([/status of 404 .*\/api\/v1\/data\//]);
    await page.close();
  });

  it("shows a table's history and its rows as of a commit, as of now, and refuses the future in place", async () => {
    const { url, b } = ui();
    const { first, second } = await lake();
    const { page, assertNoErrors } = await b.openPage(`${url}/data/${TABLE}`);
    const commits = page.getByTestId('data-commit');
    await expect.poll(() => commits.count(), WAIT).toBe(2);
    expect(await page.getByTestId('data-totals-commits').innerText()).toBe('2 commits');
    expect(await page.getByTestId('data-totals-rows').innerText()).toBe('5 rows');
    // Oldest first, each at the time --as-of takes.
    expect(await attributeOf(commits, 'data-commit')).toEqual([first.id, second.id]);
    expect(await page.getByTestId('data-commit-at').allInnerTexts()).toEqual([iso(first.committedAt), iso(second.committedAt)]);
    expect(await page.getByTestId('data-commit-rows').allInnerTexts()).toEqual(['2', '3']);

    // No time: every row committed until now, with the default query.
    const result = page.getByTestId('data-result');
    await expect.poll(() => result.getAttribute('data-rows'), WAIT).toBe('5');
    expect((await shownIds(page)).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await page.getByTestId('data-sql').inputValue()).toBe(DEFAULT_SQL);
    expect(await page.getByTestId('data-as-of').inputValue()).toBe('');
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByTestId('data-rows').locator('th').allInnerTexts()).toEqual(['id\nBIGINT', 'amount\nDOUBLE', 'region\nVARCHAR']);

    // The first commit's time: only the first file's rows, and the later commit marked outside.
    await commits.first().getByTestId('data-commit-pick').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('asOf'), WAIT).toBe(iso(first.committedAt));
    await expect.poll(() => result.getAttribute('data-rows'), WAIT).toBe('2');
    expect((await shownIds(page)).sort()).toEqual([1, 2]);
    expect(await page.getByTestId('data-as-of').inputValue()).toBe(iso(first.committedAt));
    expect(await result.getAttribute('data-as-of')).toBe(iso(first.committedAt));
    await expect.poll(() => attributeOf(commits, 'data-in-preview'), WAIT).toEqual(['true', 'false']);
    expect(await page.getByTestId('data-result-count').innerText()).toBe(`2 rows as of ${iso(first.committedAt)}`);
    await screenshot(page, 'data-table-first-commit');

    // The download holds the same rows, as CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('data-download-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,amount,region');
    expect(csv.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(['1', '2']);

    // The address alone shows the same rows.
    await page.reload();
    await expect.poll(() => page.getByTestId('data-result').getAttribute('data-rows'), WAIT).toBe('2');
    expect(await page.getByTestId('data-as-of').inputValue()).toBe(iso(first.committedAt));

    // Back to now.
    await page.getByTestId('data-as-of-now').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('asOf'), WAIT).toBeNull();
    await expect.poll(() => page.getByTestId('data-result').getAttribute('data-rows'), WAIT).toBe('5');

    // A time in the future is refused, in the server's words, where the rows were.
    await page.getByTestId('data-as-of').fill(FUTURE);
    await page.getByTestId('data-run').click();
    const error = page.getByTestId('data-query-error');
    await expect.poll(() => error.count(), WAIT).toBe(1);
    expect(await error.innerText()).toContain('is in the future');
    expect(await error.getAttribute('data-code')).toBe('REPRISE_ERR_DATA_AS_OF_INVALID');
    expect(await page.getByTestId('data-result').count()).toBe(0);
    expect(await page.getByTestId('data-table-name').innerText()).toContain(TABLE);
    expect(await page.getByTestId('data-download-csv').isDisabled()).toBe(true);
    await screenshot(page, 'data-table-future');

    // A query of one's own, kept in the address too.
    await page.getByTestId('data-as-of').fill('');
    await page.getByTestId('data-sql').fill(`SELECT region, amount FROM ${TABLE} WHERE amount > 1 ORDER BY id`);
    await page.getByTestId('data-run').click();
    await expect.poll(() => page.getByTestId('data-result').getAttribute('data-rows'), WAIT).toBe('3');
    expect(new URL(page.url()).searchParams.get('sql')).toBe(`SELECT region, amount FROM ${TABLE} WHERE amount > 1 ORDER BY id`);
    expect(await page.getByTestId('data-row').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent))).toEqual(['south', 'east', 'central']);

    // What is not a single SELECT is refused in place as well.
    await page.getByTestId('data-sql').fill(`DELETE FROM ${TABLE}`);
    await page.getByTestId('data-run').click();
    await expect.poll(() => page.getByTestId('data-query-error').getAttribute('data-code'), WAIT).toBe('REPRISE_ERR_DATA_QUERY_REFUSED');
    // The failed queries were answered 400: the browser logs those, nothing else.
    assertNoErrors([/status of 400 .*\/api\/v1\/data\/query/]);
    await page.close();
  });

  it('lists the snapshot the run read, with its query name, linking to the run', async () => {
    const { url, b } = ui();
    const { run, input } = await lake();
    const { page, assertNoErrors } = await b.openPage(`${url}/data/${TABLE}`);
    const snapshot = page.getByTestId('data-snapshot');
    await expect.poll(() => snapshot.count(), WAIT).toBe(1);
    expect(await snapshot.getAttribute('data-hash')).toBe(input.snapshot.contentHash);
    expect(await snapshot.getAttribute('data-as-of')).toBe(iso(input.asOf));
    expect(await snapshot.getByTestId('data-snapshot-rows').innerText()).toBe('3 rows');
    expect(await snapshot.getByTestId('data-snapshot-hash').innerText()).toBe(input.snapshot.contentHash.slice(0, 12));
    const reader = snapshot.getByTestId('data-snapshot-run');
    expect(await attributeOf(reader, 'data-run-id')).toEqual([run.id]);
    expect(await reader.getByTestId('data-snapshot-query').innerText()).toBe('train');
    expect(await reader.getByTestId('status').innerText()).toBe('succeeded');
    const link = reader.getByTestId('data-snapshot-run-link');
    expect(await link.innerText()).toBe(run.name);
    expect(await link.getAttribute('href')).toBe(`/runs/${run.id}`);
    await screenshot(page, 'data-table-snapshots');

    // Its button previews the rows as of the time the run read.
    await snapshot.getByTestId('data-snapshot-pick').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('asOf'), WAIT).toBe(iso(input.asOf));
    await expect.poll(() => page.getByTestId('data-result').getAttribute('data-rows'), WAIT).toBe('5');

    await link.click();
    await page.waitForURL(`**/runs/${run.id}`);
    await expect.poll(() => page.getByTestId('run-name').innerText(), WAIT).toBe(run.name);
    assertNoErrors();
    await page.close();
  });

  it("lists the run's data query on its Data tab, linking back to the table as of the run's time", async () => {
    const { url, b } = ui();
    const { run, input } = await lake();
    const { page, assertNoErrors } = await b.openPage(`${url}/runs/${run.id}`);
    await page.getByTestId('tab-data').click();
    const card = page.locator('[data-testid="data-input"][data-name="train"]');
    await expect.poll(() => card.count(), WAIT).toBe(1);
    expect(await page.getByTestId('data-empty').count()).toBe(0);
    expect(await card.getAttribute('data-materialized')).toBe('true');
    expect(await card.getByTestId('data-input-query').innerText()).toBe(QUERY);
    expect(await card.getByTestId('data-input-as-of').innerText()).toBe(iso(input.asOf));
    expect(await card.getByTestId('data-input-pinned').innerText()).toMatch(/^submit/);
    expect(await card.getByTestId('data-input-rows').innerText()).toBe('3 rows');
    expect(await card.getByTestId('data-input-hash').innerText()).toBe(input.snapshot.contentHash.slice(0, 12));
    expect(await card.getByTestId('data-input-from').innerText()).toMatch(/^query/);
    expect(await attributeOf(card.getByTestId('data-input-schema').locator('.data-column'), 'data-column')).toEqual(['id', 'amount', 'region']);
    // The params file is listed beside it.
    expect(await page.getByTestId('input-file').getAttribute('data-path')).toBe('input.json');
    await screenshot(page, 'run-data-tab');

    const table = card.getByTestId('data-input-table');
    expect(await table.innerText()).toBe(TABLE);
    const href = (await table.getAttribute('href'))!;
    const target = new URL(href, url);
    expect(target.pathname).toBe(`/data/${TABLE}`);
    expect(target.searchParams.get('asOf')).toBe(iso(input.asOf));
    await table.click();
    await page.waitForURL((u) => u.pathname === `/data/${TABLE}`);
    await expect.poll(() => page.getByTestId('data-as-of').inputValue(), WAIT).toBe(iso(input.asOf));
    // The run was pinned after both commits: every row, both commits inside.
    await expect.poll(() => page.getByTestId('data-result').getAttribute('data-rows'), WAIT).toBe('5');
    expect(await attributeOf(page.getByTestId('data-commit'), 'data-in-preview')).toEqual(['true', 'true']);
    await screenshot(page, 'data-table-as-of-run');
    assertNoErrors();
    await page.close();
  });
});
