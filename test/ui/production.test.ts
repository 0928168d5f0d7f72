/**
 * The production pages on a server that asks who calls (`reprise server --auth`). The
 * home is seeded as users fill theirs (users by the real CLI, a run of examples/iris
 * made by the real CLI and promoted to `production`); then, before the server starts,
 * what serving would have recorded is written into its SQLite store: traffic over the
 * last hour, the version's reference profile, three drift windows (petal_length drifted
 * in the latest), an open drift alert and an acknowledged one. In Chromium: the list of
 * production models with the health and its words, the model's production page (drift
 * table, charts, alerts, settings), an observer acknowledging the alert with a note, a
 * viewer offered no Acknowledge, an admin changing a threshold, and the project's
 * dashboard line.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SqliteMetadataStore } from '../../src/adapters/metadata-store/sqlite/sqlite-metadata-store.js';
import { profileCategories, profileNumbers, type ReferenceProfile } from '../../src/core/feature-profile.js';
import { LATENCY_EDGES_MS, latencyBucket, type DriftWindow, type FeatureDrift, type TrafficBucket } from '../../src/core/model-monitoring.js';
import { attributeOf, colouredPixels, launchBrowser, numbersIn, screenshot, screenshotFailures, signedInPage, WAIT, type TestBrowser } from '../helpers/browser.js';
import { git, reprise, repriseOnHome, sandbox, type Sandbox } from '../helpers/cli.js';
import { api, removeHome, REPO_ROOT, started, startServer, tempHome, type Api, type RunningServer } from '../helpers/server.js';

const MODEL = 'iris-classifier';
const PROJECT = 'iris';
const USERS = {
  admin: { name: 'alice', password: 'alice-secret-1', role: 'admin' },
  observer: { name: 'olga', password: 'olga-secret-1', role: 'observer' },
  viewer: { name: 'vic', password: 'vic-secret-12', role: 'viewer' },
} as const;
type Who = (typeof USERS)[keyof typeof USERS];

const MINUTE = 60_000;
const HOUR = 3_600_000;
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const DRIFTED = 'petal_length';
const ACK_NOTE = 'petal measurements come from the new greenhouse; retraining';
const OLD_ACK_NOTE = 'a bad deploy, rolled back';
/** Requests and errors each minute of the last half hour (2.5% fail: under the 5% threshold). */
const PER_MINUTE = { requests: 40, errors: 1 };
/**
 * Minutes of recent traffic. Half an hour, not a whole one, so the server's last hour
 * holds all of it for as long as the tests run: its sentence stays the same.
 */
const RECENT_MINUTES = 30;
/** Requests each minute of ten minutes three hours ago: in the last 24 hours, not in the last hour. */
const EARLIER_PER_MINUTE = 50;

/** What GET /production says of a model (the page's words are the server's). */
interface Summary {
  health: string;
  words: string;
  projects: string[];
  openAlerts: number;
  lastHour: { requests: number; errors: number };
}

/** `reprise <args>` on the home (embedded); fails with the output unless it exits 0. */
async function cli(home: string, args: readonly string[], stdin?: string): Promise<string> {
  const res = await repriseOnHome(home, args, { stdin: stdin ?? '', env: { REPRISE_USER: 'seeder' } });
  if (res.code !== 0) throw new Error(`reprise ${args.join(' ')} exited ${res.code}\n${res.stderr}\n${res.stdout}`);
  return res.stdout;
}

/** A copy of examples/iris whose gates every run that trains meets, committed in its own repository. */
function iris(sb: Sandbox): string {
  const dir = join(sb.root, 'iris');
  cpSync(join(REPO_ROOT, 'examples', 'iris'), dir, { recursive: true, filter: (src) => !/(__pycache__|\/work|\/outputs|\/model)$/.test(src) });
  const file = join(dir, 'reprise.yaml');
  const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, stringify({ ...config, model: { path: 'model', name: MODEL }, gates: [{ metric: 'val_accuracy', op: '>=', value: 0.5 }] }));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'iris');
  return dir;
}

/** Iris-like measurements: `n` values spread evenly between `lo` and `hi`. */
const spread = (n: number, lo: number, hi: number) => Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/** What the training data looked like: the reference drift is measured against. */
function referenceProfile(): ReferenceProfile {
  const species = Array.from({ length: 150 }, (_, i) => ['setosa', 'versicolor', 'virginica'][Math.floor(i / 50)]!);
  return {
    features: [
      profileNumbers('sepal_length', spread(150, 4.3, 7.9)),
      profileNumbers('sepal_width', spread(150, 2.0, 4.4)),
      profileNumbers('petal_length', spread(150, 1.0, 6.9)),
      profileNumbers('petal_width', spread(150, 0.1, 2.5)),
    ],
    target: profileCategories('species', species),
    rows: 150,
    source: { data: 'iris.csv', contentHash: 'sha256:0f6b2a5c' },
  };
}

function featureDrift(feature: string, psi: number, ks: number): FeatureDrift {
  const drifted = psi >= 0.2 || ks >= 0.2;
  return { feature, kind: 'number', rows: 400, missingRate: 0, psi, ks, js: null, chi2: null, drifted, reasons: drifted ? [`psi ${psi} > 0.2`] : [] };
}

/** A scored window: every feature steady but petal_length, which drifts when `drift` is given. */
function driftWindow(start: number, drift: { psi: number; ks: number } | null, accuracy: number): DriftWindow {
  const features = FEATURES.map((f) => (f === DRIFTED && drift ? featureDrift(f, drift.psi, drift.ks) : featureDrift(f, 0.02, 0.04)));
  return {
    model: MODEL,
    version: 1,
    start,
    end: start + HOUR,
    rows: 400,
    features,
    prediction: { feature: 'prediction', kind: 'category', rows: 400, missingRate: 0, psi: 0.05, ks: null, js: 0.06, chi2: { statistic: 3.1, pValue: 0.21 }, drifted: false, reasons: [] },
    live: { labelled: 120, accuracy, meanAbsoluteError: null },
    skipped: null,
    computedAt: start + HOUR + MINUTE,
  };
}

/** Writes what serving the model would have recorded, straight into the home's store. */
async function recordProduction(home: string, now: number): Promise<{ openAlert: number; ackedAlert: number }> {
  const meta = new SqliteMetadataStore({ path: join(home, 'reprise.db') });
  await meta.init();
  try {
    const store = meta.monitoringStore();
    await store.putReferenceProfile({ model: MODEL, version: 1, madeAt: now - 3 * HOUR, profile: referenceProfile(), error: null });

    /** A minute's latencies: most fast, one slow, now and then one slower. */
    const latencies = (slowMs: number, n: number) => {
      const counts = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
      counts[latencyBucket(3)]! += n - 5;
      counts[latencyBucket(8)]! += 4;
      counts[latencyBucket(slowMs)]! += 1;
      return counts;
    };
    const buckets: TrafficBucket[] = [];
    const thisMinute = Math.floor(now / MINUTE) * MINUTE;
    for (let i = 1; i <= RECENT_MINUTES; i++) {
      const start = thisMinute - i * MINUTE;
      buckets.push({ model: MODEL, version: 1, start, node: 'serve-1', requests: PER_MINUTE.requests, errors: PER_MINUTE.errors, latency: latencies(i % 10 === 0 ? 250 : 40, PER_MINUTE.requests) });
    }
    for (let i = 180; i < 190; i++) {
      buckets.push({ model: MODEL, version: 1, start: thisMinute - i * MINUTE, node: 'serve-1', requests: EARLIER_PER_MINUTE, errors: 0, latency: latencies(40, EARLIER_PER_MINUTE) });
    }
    await store.addTraffic(buckets);

    const thisHour = Math.floor(now / HOUR) * HOUR;
    await store.putDriftWindow(driftWindow(thisHour - 3 * HOUR, null, 0.95));
    await store.putDriftWindow(driftWindow(thisHour - 2 * HOUR, { psi: 0.12, ks: 0.11 }, 0.93));
    await store.putDriftWindow(driftWindow(thisHour - HOUR, { psi: 0.84, ks: 0.41 }, 0.81));

    const acked = await store.raiseAlert({
      model: MODEL,
      version: 1,
      kind: 'errors',
      subject: null,
      message: 'errors: 9% of requests failed (threshold 5%)',
      value: 0.09,
      threshold: 0.05,
      windowStart: thisHour - 3 * HOUR,
      raisedAt: now - 150 * MINUTE,
    });
    await store.ackAlert(acked.alert.id, USERS.admin.name, OLD_ACK_NOTE, now - 140 * MINUTE);
    const open = await store.raiseAlert({
      model: MODEL,
      version: 1,
      kind: 'drift',
      subject: DRIFTED,
      message: `${DRIFTED} drifted: PSI 0.84 > 0.2`,
      value: 0.84,
      threshold: 0.2,
      windowStart: thisHour - HOUR,
      raisedAt: now - 20 * MINUTE,
    });
    await store.addAlertDelivery(open.alert.id, { url: 'https://hooks.example.invalid/prod', at: now - 20 * MINUTE, ok: false, detail: 'connection refused' });
    return { openAlert: open.alert.id, ackedAlert: acked.alert.id };
  } finally {
    await meta.close();
  }
}

interface Seeded {
  server: RunningServer;
  home: string;
  sb: Sandbox;
  /** An admin's token, for reading what the server says beside the pages. */
  admin: Api;
  alerts: { openAlert: number; ackedAlert: number };
}

describe('the production pages', () => {
  let seeded: Seeded | undefined;
  let browser: TestBrowser | undefined;
  screenshotFailures(() => browser);
  // Each user signs in in a profile of its own, which the helper above does not see: their pages too.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !browser) return;
    const name = ctx.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
    const pages = browser.browser.contexts().filter((c) => c !== browser?.context).flatMap((c) => c.pages());
    for (const [i, page] of pages.entries()) await screenshot(page, `failed-${name}-signed-in-${i}`).catch(() => undefined);
  });

  beforeAll(async () => {
    const seed = async (): Promise<Seeded> => {
      const home = tempHome();
      const sb = await sandbox();
      for (const u of Object.values(USERS)) await cli(home, ['users', 'add', u.name, '--role', u.role, '--password-stdin'], `${u.password}\n`);
      const { token } = JSON.parse(await cli(home, ['tokens', 'create', '--user', USERS.admin.name, '--description', 'reading production', '--json'])) as { token: string };
      // Embedded on the home: the run and its promotion go straight into the store the server will serve.
      const res = await reprise(sb, iris(sb), ['run', '--system-env', '--json'], { REPRISE_HOME: home });
      if (res.code !== 0) throw new Error(`reprise run exited ${res.code}\n${res.stderr}\n${res.stdout}`);
      const run = JSON.parse(res.stdout) as { id: string };
      await cli(home, ['promote', run.id, '--model', MODEL, '--alias', 'production', '--note', 'first in production']);
      const alerts = await recordProduction(home, Date.now());
      const server = await startServer({ home, args: ['--auth'] });
      return { server, home, sb, admin: api(server.url, { token }), alerts };
    };
    [seeded, browser] = await Promise.all([seed(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await seeded?.sb.cleanup();
    await seeded?.server.stop();
    if (seeded) removeHome(seeded.home);
  });

  const ui = () => ({ s: started(seeded, 'seeded server'), b: started(browser, 'browser') });
  const productionPath = `/models/${MODEL}/production`;

  /** A browser profile of its own (its own cookies), signed in as `who` on `path`. */
  const signedIn = (who: Who, path: string) => signedInPage(ui().b, ui().s.server.url, who, path);

  /** What the server says of the model in production. */
  async function summary(): Promise<Summary> {
    const res = await ui().s.admin.get('/production');
    expect(res.status).toBe(200);
    const found = (res.json.models as (Summary & { model: string })[]).find((m) => m.model === MODEL);
    if (!found) throw new Error(`GET /production does not list ${MODEL}: ${res.text}`);
    return found;
  }

  const alertRow = (page: Page, id: number) => page.locator(`[data-testid="alert-row"][data-alert-id="${id}"]`);

  it('lists the model with its health in a word and in words, and its open alert, offering a viewer no Acknowledge', async () => {
    const expected = await summary();
    expect(expected.health).toBe('drifting');
    expect(expected.projects).toContain(PROJECT);
    const viewer = await signedIn(USERS.viewer, '/production');
    const { page } = viewer;
    const row = page.locator(`[data-testid="production-row"][data-model="${MODEL}"]`);
    await row.waitFor();
    expect(await row.getByTestId('health').innerText()).toBe('drifting');
    expect(await row.getByTestId('production-words').innerText()).toBe(expected.words);
    expect(expected.lastHour).toMatchObject({ requests: RECENT_MINUTES * PER_MINUTE.requests, errors: RECENT_MINUTES * PER_MINUTE.errors });
    expect(await row.getByTestId('production-requests').innerText()).toBe(expected.lastHour.requests.toLocaleString('en-US'));
    expect(await row.getByTestId('production-errors').innerText()).toBe(expected.lastHour.errors.toLocaleString('en-US'));
    expect(await row.getByTestId('production-open-alerts').innerText()).toBe('1');

    const open = page.getByTestId('open-alerts');
    await expect.poll(() => attributeOf(open.getByTestId('alert-row'), 'data-alert-id'), WAIT).toEqual([String(ui().s.alerts.openAlert)]);
    const alert = alertRow(page, ui().s.alerts.openAlert);
    expect(await alert.getByTestId('alert-kind').innerText()).toBe('input drift');
    expect(await alert.getByTestId('alert-subject').innerText()).toBe(DRIFTED);
    expect(await alert.getByTestId('alert-value').innerText()).toBe('0.84 (threshold 0.2)');
    expect(await alert.getByTestId('alert-deliveries').innerText()).toBe('1 failed');
    expect(await page.getByTestId('alert-ack').count()).toBe(0);
    expect(await page.getByTestId('nav-alert-count').innerText()).toBe('1');
    await screenshot(page, 'production-list');

    await row.getByTestId('production-model').click();
    await page.waitForURL((u) => u.pathname === productionPath);
    await page.getByTestId('drift-table').waitFor();
    viewer.assertNoErrors();
    await viewer.context.close();
  });

  it("shows the model's drift table with petal_length called out, its charts drawn, its alerts and settings; the range is kept in the address", async () => {
    const viewer = await signedIn(USERS.viewer, `/models/${MODEL}`);
    const { page } = viewer;
    await page.getByTestId('model-production-link').click();
    await page.waitForURL((u) => u.pathname === productionPath);

    const callout = page.getByTestId('drift-callout');
    await callout.waitFor();
    expect(await callout.getAttribute('data-drifted')).toBe(DRIFTED);
    expect(await callout.getByTestId('drift-callout-feature').allInnerTexts()).toEqual([DRIFTED]);
    expect(await page.getByTestId('drift-window').count()).toBe(3);
    expect(await attributeOf(page.getByTestId('drift-row'), 'data-feature')).toEqual(['prediction', ...FEATURES]);
    const cells = (feature: string) => page.locator(`[data-testid="drift-row"][data-feature="${feature}"] [data-testid="drift-cell"]`);
    expect(await attributeOf(cells(DRIFTED), 'data-bucket')).toEqual(['low', 'watch', 'drifted']);
    expect(await cells(DRIFTED).allInnerTexts()).toEqual(['0.02', '0.12', '0.84']);
    expect(await cells(DRIFTED).last().getAttribute('title')).toContain('KS 0.41 (threshold 0.2)');
    expect(await attributeOf(cells('sepal_width'), 'data-bucket')).toEqual(['low', 'low', 'low']);

    const charts = page.getByTestId('traffic-charts').getByTestId('production-chart');
    await expect.poll(() => charts.count(), WAIT).toBe(2);
    expect(await attributeOf(charts, 'data-title')).toEqual(['Requests and errors per minute', 'Latency per minute (ms)']);
    for (const chart of await charts.all()) {
      await chart.locator('canvas').waitFor();
      await expect.poll(() => chart.getAttribute('data-drawn'), WAIT).not.toBeNull();
      // Lines in colour, not only the grey axes.
      await expect.poll(() => colouredPixels(chart.locator('canvas')), WAIT).toBeGreaterThan(50);
    }
    await page.getByTestId('live-charts').locator('canvas').waitFor();

    const alerts = page.getByTestId('production-alerts');
    expect(await attributeOf(alerts.getByTestId('alert-row'), 'data-alert-id')).toEqual([String(ui().s.alerts.openAlert), String(ui().s.alerts.ackedAlert)]);
    const acked = alertRow(page, ui().s.alerts.ackedAlert);
    expect(await acked.getAttribute('data-open')).toBe('false');
    expect(await acked.getByTestId('alert-kind').innerText()).toBe('error rate');
    expect(await acked.getByTestId('alert-acked').innerText()).toMatch(new RegExp(`^by ${USERS.admin.name} .*: ${OLD_ACK_NOTE}$`));
    expect(await alerts.getByTestId('alert-ack').count()).toBe(0);
    expect(await page.getByTestId('setting-thresholds').innerText()).toContain('PSI 0.2');
    expect(await page.getByTestId('settings-edit').count()).toBe(0);
    await screenshot(page, 'production-model');

    // The last 24 hours hold the earlier traffic too; the last hour only its own.
    const requestsShown = async () => numbersIn(await page.getByTestId('range-totals').innerText())[0];
    const lastHour = PER_MINUTE.requests * RECENT_MINUTES;
    expect(await requestsShown()).toBe(lastHour + EARLIER_PER_MINUTE * 10);
    await page.getByTestId('range-1h').click();
    await page.waitForURL((u) => u.searchParams.get('range') === '1h');
    await expect.poll(() => page.getByTestId('range-1h').getAttribute('aria-pressed'), WAIT).toBe('true');
    await expect.poll(requestsShown, WAIT).toBe(lastHour);
    await page.reload();
    await expect.poll(() => page.getByTestId('range-1h').getAttribute('aria-pressed'), WAIT).toBe('true');
    await page.getByTestId('range-24h').click();
    await page.waitForURL((u) => !u.searchParams.has('range'));
    await expect.poll(requestsShown, WAIT).toBe(lastHour + EARLIER_PER_MINUTE * 10);
    viewer.assertNoErrors();
    await viewer.context.close();
  });

  it('lets an observer acknowledge the alert with a note, shown as acknowledged by that observer', async () => {
    const observer = await signedIn(USERS.observer, productionPath);
    const { page } = observer;
    const row = alertRow(page, ui().s.alerts.openAlert);
    await row.getByTestId('alert-ack').click();
    await row.getByTestId('alert-ack-note').fill(ACK_NOTE);
    await screenshot(page, 'production-acknowledge');
    await row.getByTestId('alert-ack-confirm').click();
    await expect.poll(() => row.getAttribute('data-open'), WAIT).toBe('false');
    expect(await row.getByTestId('alert-acked').innerText()).toMatch(new RegExp(`^by ${USERS.observer.name} .*: ${ACK_NOTE}$`));
    await expect.poll(() => page.getByTestId('nav-alert-count').count(), WAIT).toBe(0);

    // The server kept it: read again, the page says the same, and so does the API.
    await page.reload();
    await expect.poll(() => alertRow(page, ui().s.alerts.openAlert).getAttribute('data-open'), WAIT).toBe('false');
    const res = await ui().s.admin.get(`/alerts?model=${MODEL}`);
    const stored = (res.json.alerts as { id: number; ackedBy: string | null; ackNote: string | null }[]).find((a) => a.id === ui().s.alerts.openAlert);
    expect(stored).toMatchObject({ ackedBy: USERS.observer.name, ackNote: ACK_NOTE });
    expect(await page.getByTestId('settings-edit').count()).toBe(0);
    observer.assertNoErrors();
    await observer.context.close();
  });

  it("lets an admin change a threshold, and marks the field of a refused change", async () => {
    const admin = await signedIn(USERS.admin, productionPath);
    const { page } = admin;
    await page.getByTestId('settings-edit').click();
    await page.getByTestId('setting-input-window').fill('soon');
    await page.getByTestId('settings-save').click();
    const error = page.getByTestId('settings-error');
    await error.waitFor();
    expect(await error.getAttribute('data-field')).toBe('window');
    expect(await page.getByTestId('setting-input-window').getAttribute('aria-invalid')).toBe('true');

    await page.getByTestId('setting-input-window').fill('1h');
    await page.getByTestId('setting-input-thresholds.psi').fill('0.25');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    await expect.poll(() => page.getByTestId('setting-thresholds').innerText(), WAIT).toContain('PSI 0.25');
    const res = await ui().s.admin.get(`/models/${MODEL}/production`);
    expect(res.json.settings.thresholds.psi).toBe(0.25);
    await screenshot(page, 'production-settings');
    // The refusal's answer is logged by the browser: that is how its message reaches the form.
    admin.assertNoErrors([/status of 4\d\d .*\/monitoring/]);
    await admin.context.close();
  });

  it("shows the model in production on its project's dashboard", async () => {
    const expected = await summary();
    const viewer = await signedIn(USERS.viewer, `/projects/${PROJECT}/dashboard`);
    const { page } = viewer;
    const line = page.locator(`[data-testid="dash-production-line"][data-model="${MODEL}"]`);
    await line.waitFor();
    expect(await line.getByTestId('health').innerText()).toBe(expected.health);
    expect(await line.getByTestId('dash-production-words').innerText()).toBe(expected.words);
    expect(await line.getByTestId('dash-production-link').getAttribute('href')).toBe(productionPath);
    // The promotion behind it is listed too, with its alias and who promoted it.
    const promotions = await page.getByTestId('promotions').innerText();
    expect(promotions).toContain(`${MODEL} version 1 (production)`);
    expect(promotions).not.toContain('has been promoted yet');
    await screenshot(page, 'production-dashboard');
    viewer.assertNoErrors();
    await viewer.context.close();
  });
});
