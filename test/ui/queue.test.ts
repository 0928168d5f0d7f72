/**
 * The queue and sweeps in the UI, over a store filled the way users fill theirs: a real
 * `reprise server`, a small git project queued through the real CLI (`reprise sweep`,
 * `reprise submit`) and run by a real `reprise agent` with a home of its own, as if on
 * another machine. The sweep's page (parallel coordinates, scatter, runs best first),
 * the project's sweeps, a run's page naming its queue, sweep and worker, and the queue
 * page: a run held by the agent, one no worker takes, both canceled from the page.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeOf, launchBrowser, screenshot, screenshotFailures, WAIT, type TestBrowser } from '../helpers/browser.js';
import { gitProject, reprise, sandbox, startReprise, waitFor, yamlFor, type Sandbox } from '../helpers/cli.js';
import { api, started, startServer, type Api, type RunningServer } from '../helpers/server.js';

const PROJECT = 'proj';
const SWEEP = 'grid-a';
const AGENT = 'ui-agent';

/**
 * One stage: reads its params, waits while `hold` is set until the file `release` names
 * exists, then logs `score` = 10x + k (so every run of the grid scores differently).
 */
const TRAIN_PY = `import json, os, time

with open(os.environ.get("REPRISE_PARAMS", "input.json")) as f:
    p = json.load(f)
if p.get("hold"):
    # Never left waiting for good: a test that failed before releasing it ends it here.
    deadline = time.time() + 180
    while not os.path.exists(p["release"]) and time.time() < deadline:
        time.sleep(0.2)
with open(os.environ["REPRISE_METRICS"], "a") as f:
    f.write(json.dumps({"step": 0, "score": 10 * p["x"] + p["k"]}) + "\\n")
`;

const score = (x: number, k: number) => 10 * x + k;

interface Queued {
  id: string;
  name: string;
}

interface Fixture {
  server: RunningServer;
  client: Api;
  sb: Sandbox;
  dir: string;
  sweepId: string;
  /** The sweep's runs by name (grid-a-1 … grid-a-6). */
  sweepRuns: Map<string, { id: string; x: number; k: number }>;
  /** The file whose existence lets the held run end. */
  release: string;
}

describe('the queue and sweeps in the UI', () => {
  let fixture: Fixture | undefined;
  let browser: TestBrowser | undefined;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  screenshotFailures(() => browser);

  beforeAll(async () => {
    const [server, b] = await Promise.all([startServer(), launchBrowser()]);
    browser = b;
    const sb = await sandbox();
    const client = api(server.url);
    const dir = gitProject(sb, {
      'reprise.yaml': yamlFor([{ name: 'train', cmd: 'python3 train.py' }], 'env:\n  system: true\n'),
      'input.json': JSON.stringify({ x: 1, k: 1, hold: false, release: '' }),
      'train.py': TRAIN_PY,
    });
    const release = join(sb.root, 'release');
    fixture = { server, client, sb, dir, sweepId: '', sweepRuns: new Map(), release };

    const queued = await cli(['sweep', '--grid', 'x=1,2,3', '--grid', 'k=1,2', '--name', SWEEP, '--json']);
    const out = JSON.parse(queued) as { sweep: { id: string }; runs: { id: string; name: string; params: { x: number; k: number } }[] };
    fixture.sweepId = out.sweep.id;
    fixture.sweepRuns = new Map(out.runs.map((r) => [r.name, { id: r.id, x: r.params.x, k: r.params.k }]));
    expect(fixture.sweepRuns.size).toBe(6);

    // The agent has a home of its own, as it would on another machine; it runs in a clone of the project.
    const agentHome = join(sb.root, 'agent-home');
    mkdirSync(agentHome);
    agent = startReprise(sb, dir, ['agent', '--server', server.url, '--slots', '2', '--name', AGENT], { REPRISE_HOME: agentHome, REPRISE_SERVER: server.url });
    agent.stdout!.on('data', (c: Buffer) => (agentOutput += c.toString('utf8')));
    agent.stderr!.on('data', (c: Buffer) => (agentOutput += c.toString('utf8')));
    await waitFor(
      'the agent to run the sweep',
      async () => {
        if (agent!.exitCode !== null) throw new Error(`the agent exited (${agent!.exitCode}):\n${agentOutput}`);
        const s = (await client.get(`/sweeps/${fixture!.sweepId}`)).json.sweep as { byStatus: Record<string, number> };
        return s.byStatus.succeeded === 6 || undefined;
      },
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nagent output:\n${agentOutput}`);
    });
  }, 150_000);

  afterAll(async () => {
    // Whatever happened, nothing is left waiting for the release file.
    if (fixture) writeFileSync(fixture.release, '');
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent!.once('close', r));
      agent.kill('SIGTERM');
      const kill = setTimeout(() => agent!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    }
    await browser?.close();
    await fixture?.sb.cleanup();
    await fixture?.server.stop();
  }, 60_000);

  const ui = () => ({ f: started(fixture, 'fixture'), b: started(browser, 'browser') });

  /** `reprise <args>` in the project, against the server and with the submitter's own home; its stdout. */
  async function cli(args: readonly string[]): Promise<string> {
    const { server, sb, dir } = started(fixture, 'fixture');
    const res = await reprise(sb, dir, args, { REPRISE_SERVER: server.url });
    if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
    return res.stdout;
  }

  async function submit(args: readonly string[]): Promise<Queued> {
    const out = JSON.parse(await cli(['submit', ...args, '--json'])) as { runs: Queued[] };
    return { id: out.runs[0]!.id, name: out.runs[0]!.name };
  }

  it("shows a sweep's runs with their params and score, as parallel coordinates and as a scatter", async () => {
    const { f, b } = ui();
    const { page, assertNoErrors } = await b.openPage(`${f.server.url}/projects/${PROJECT}/sweeps/${f.sweepId}`);
    const rows = page.getByTestId('sweep-run');
    await expect.poll(() => rows.count(), WAIT).toBe(6);
    expect(await page.getByTestId('sweep-name').innerText()).toBe(SWEEP);
    expect(await page.getByTestId('sweep-description').innerText()).toContain('6 runs');
    expect(await page.getByTestId('sweep-status').innerText()).toBe('6 succeeded');
    expect(await page.getByTestId('metric-picker').inputValue()).toBe('score');
    expect(await page.getByTestId('sweep-param-head').allInnerTexts()).toEqual(['x', 'k']);

    // Best first: the highest score (higher is better for a score) leads.
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-run-id'),
        x: Number(tr.querySelector('[data-param="x"]')?.textContent),
        k: Number(tr.querySelector('[data-param="k"]')?.textContent),
        score: Number(tr.querySelector('[data-testid="sweep-metric"]')?.textContent),
      })),
    );
    for (const r of shown) {
      const run = [...f.sweepRuns.values()].find((s) => s.id === r.id);
      expect(run, `row ${r.id} is a run of the sweep`).toBeDefined();
      expect({ x: r.x, k: r.k, score: r.score }).toEqual({ x: run!.x, k: run!.k, score: score(run!.x, run!.k) });
    }
    expect(shown.map((r) => r.score)).toEqual([32, 31, 22, 21, 12, 11]);

    const chart = page.getByTestId('sweep-parallel');
    await chart.waitFor();
    const lines = chart.locator('[data-testid^="pc-line-"]');
    expect(await lines.count()).toBe(6);
    expect((await attributeOf(lines, 'data-testid')).sort()).toEqual([...f.sweepRuns.values()].map((r) => `pc-line-${r.id}`).sort());
    // Each line crosses the two param axes and the metric's, in a colour of its score.
    const points = await lines.evaluateAll((els) => els.map((el) => (el.getAttribute('points') ?? '').trim().split(/\s+/).length));
    expect(points).toEqual([3, 3, 3, 3, 3, 3]);
    expect(new Set(await attributeOf(lines, 'stroke')).size).toBe(6);
    await screenshot(page, 'sweep-parallel');

    // Worst first, on a click of the metric's header.
    await page.getByTestId('sort-metric').click();
    await expect.poll(() => page.getByTestId('sweep-metric').first().innerText(), WAIT).toBe('11');
    expect(new URL(page.url()).searchParams.get('order')).toBe('worst');

    await page.getByTestId('view-scatter').click();
    const scatter = page.getByTestId('sweep-scatter');
    await scatter.waitFor();
    expect(new URL(page.url()).searchParams.get('view')).toBe('scatter');
    const dots = scatter.locator('[data-testid^="pt-"]');
    expect(await dots.count()).toBe(6);
    expect(await page.getByTestId('sweep-parallel').count()).toBe(0);
    const top = f.sweepRuns.get(`${SWEEP}-6`)!;
    const dot = scatter.getByTestId(`pt-${top.id}`);
    expect(await dot.locator('title').textContent()).toBe(`${SWEEP}-6\nx = 3\nscore = 32`);
    await dot.hover();
    await expect.poll(() => page.getByTestId('sweep-hover').innerText(), WAIT).toContain(`${SWEEP}-6`);
    await screenshot(page, 'sweep-scatter');

    // A copied link opens the same view.
    await page.reload();
    await expect.poll(() => page.getByTestId('sweep-scatter').locator('[data-testid^="pt-"]').count(), WAIT).toBe(6);

    // Clicking a run opens its page, which names its queue, its sweep and the worker that ran it.
    await page.getByTestId(`pt-${top.id}`).click();
    await page.waitForURL(`**/runs/${top.id}`);
    const submission = page.getByTestId('run-submission');
    await expect.poll(() => submission.innerText(), WAIT).toContain('queued on default by');
    expect(await page.getByTestId('run-sweep').innerText()).toBe(`sweep ${SWEEP} #6`);
    expect(await page.getByTestId('run-worker').innerText()).toBe(`ran on ${AGENT}`);
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    await screenshot(page, 'run-submission');
    await page.getByTestId('run-sweep').locator('a').click();
    await page.waitForURL(`**/projects/${PROJECT}/sweeps/${f.sweepId}`);
    await expect.poll(() => page.getByTestId('sweep-run').count(), WAIT).toBe(6);
    assertNoErrors();
    await page.close();
  });

  it("lists the project's sweeps with their runs by status, and cancels what is left of one", async () => {
    const { f, b } = ui();
    // A sweep no worker takes: its runs wait until canceled.
    const later = JSON.parse(await cli(['sweep', '--grid', 'x=1,2', '--grid', 'k=3', '--queue', 'nowhere', '--name', 'later', '--json'])) as { sweep: { id: string } };
    const { page, assertNoErrors } = await b.openPage(`${f.server.url}/projects/${PROJECT}`);
    await page.getByTestId('nav-sweeps').click();
    await page.waitForURL(`**/projects/${PROJECT}/sweeps`);
    const row = page.locator(`[data-testid="sweep-row"][data-sweep="${SWEEP}"]`);
    await expect.poll(() => row.count(), WAIT).toBe(1);
    expect(await row.getByTestId('sweep-counts').innerText()).toBe('6 succeeded');
    expect(await row.innerText()).toContain('grid x × k (6 runs)');
    // Nothing of it is left to cancel; the waiting sweep, newest, is listed first and can be.
    expect(await row.locator('button').count()).toBe(0);
    expect(await attributeOf(page.getByTestId('sweep-row'), 'data-sweep')).toEqual(['later', SWEEP]);
    const laterRow = page.locator('[data-testid="sweep-row"][data-sweep="later"]');
    expect(await laterRow.getByTestId('sweep-counts').innerText()).toBe('2 queued');
    await laterRow.getByTestId(`cancel-sweep-${later.sweep.id}`).waitFor();
    await screenshot(page, 'sweeps-list');

    // Runs without the metric are drawn grey, over the params only; Cancel remaining asks, then cancels both.
    await laterRow.getByTestId('sweep-link').click();
    await page.waitForURL(`**/projects/${PROJECT}/sweeps/${later.sweep.id}`);
    const lines = page.getByTestId('sweep-parallel').locator('[data-testid^="pc-line-"]');
    await expect.poll(() => lines.count(), WAIT).toBe(2);
    expect(await lines.evaluateAll((els) => els.map((el) => [el.classList.contains('no-metric'), (el.getAttribute('points') ?? '').trim().split(/\s+/).length]))).toEqual([
      [true, 2],
      [true, 2],
    ]);
    await page.getByTestId('cancel-sweep').click();
    await page.getByTestId('confirm-cancel-sweep').getByTestId('confirm-yes').click();
    await expect.poll(() => page.getByTestId('sweep-status').innerText(), WAIT).toBe('2 canceled');
    await expect.poll(() => page.getByTestId('cancel-sweep').count(), WAIT).toBe(0);
    await expect.poll(() => page.getByTestId('sweep-run').getByTestId('status').allInnerTexts(), WAIT).toEqual(['canceled', 'canceled']);
    await screenshot(page, 'sweep-canceled');
    assertNoErrors();
    await page.close();
  });

  it('shows queued and running runs and the workers, and cancels either from the page', async () => {
    const { f, b } = ui();
    const held = await submit(['-p', 'hold=true', '-p', `release=${f.release}`, '--name', 'held']);
    const stuck = await submit(['--queue', 'nowhere', '--name', 'stuck']);

    const { page, assertNoErrors } = await b.openPage(`${f.server.url}/projects/${PROJECT}`);
    await page.getByTestId('nav-queue').click();
    await page.waitForURL('**/queue');
    const heldRow = page.getByTestId(`queue-run-${held.id}`);
    const stuckRow = page.getByTestId(`queue-run-${stuck.id}`);
    // The page reads the queue every 2 s: the agent's claim shows without a reload.
    await expect.poll(() => heldRow.getAttribute('data-status'), { ...WAIT, timeout: 30_000 }).toBe('running');
    expect(await heldRow.getByTestId('queue-worker').innerText()).toBe(AGENT);
    expect(await heldRow.getByTestId('queue-name').innerText()).toBe('default');
    expect(await stuckRow.getAttribute('data-status')).toBe('queued');
    expect(await stuckRow.getByTestId('queue-name').innerText()).toBe('nowhere');
    expect(await stuckRow.getByTestId('queue-worker').innerText()).toBe('—');
    expect(await stuckRow.getByTestId('queue-for').innerText()).toMatch(/^waiting /);
    // Waiting runs first, in the order workers take them.
    const order = await attributeOf(page.locator('[data-testid^="queue-run-"]'), 'data-testid');
    expect(order).toEqual([`queue-run-${stuck.id}`, `queue-run-${held.id}`]);

    const workers = (await f.client.get('/queue')).json.workers as { id: string; name: string }[];
    const worker = workers.find((w) => w.name === AGENT)!;
    const workerRow = page.getByTestId(`worker-${worker.id}`);
    await expect.poll(() => workerRow.getByTestId('worker-slots').innerText(), WAIT).toBe('1/2');
    expect(await workerRow.getByTestId('worker-state').innerText()).toBe('online');
    expect(await workerRow.getByTestId('worker-runs').innerText()).toBe('held');
    await screenshot(page, 'queue');

    // The held run's own page offers the same cancel.
    const runPage = await b.openPage(`${f.server.url}/runs/${held.id}`);
    await runPage.page.getByTestId('cancel-run').waitFor();
    expect(await runPage.page.getByTestId('run-worker').innerText()).toBe(`running on ${AGENT}`);
    await runPage.page.close();

    // Cancel asks first; No leaves the run alone.
    await page.getByTestId(`cancel-${stuck.id}`).click();
    const confirm = stuckRow.getByTestId(`confirm-cancel-${stuck.id}`);
    expect(await confirm.innerText()).toContain('Cancel run?');
    await confirm.getByTestId('confirm-no').click();
    await page.getByTestId(`cancel-${stuck.id}`).waitFor();
    await page.getByTestId(`cancel-${stuck.id}`).click();
    await stuckRow.getByTestId('confirm-yes').click();
    await expect.poll(() => stuckRow.count(), WAIT).toBe(0);
    const shownStuck = JSON.parse(await cli(['show', stuck.name, '--json'])) as { status: string };
    expect(shownStuck.status).toBe('canceled');

    // A running run is stopped by its worker, which hears of the cancel at its next heartbeat.
    await page.getByTestId(`cancel-${held.id}`).click();
    await heldRow.getByTestId('confirm-yes').click();
    await expect.poll(async () => (await f.client.get(`/runs/${held.id}`)).json.run.status as string, { timeout: 12_000, interval: 250 }).toBe('canceled');
    await expect.poll(() => heldRow.count(), WAIT).toBe(0);
    await expect.poll(() => page.getByTestId('empty-state').first().innerText(), WAIT).toContain('Nothing queued or running');
    await expect.poll(() => workerRow.getByTestId('worker-slots').innerText(), WAIT).toBe('0/2');
    await screenshot(page, 'queue-empty');
    assertNoErrors();
    await page.close();
  }, 90_000);
});
