#!/usr/bin/env node
// The web UI in a real browser over a large store: (a) a project's runs page with 10,000
// runs, from the start of navigation until the first rows show run names; (b) the metrics
// tab of a run with 20 metric series of 100,000 points each, until all 20 charts are
// drawn with their points. Each is measured 5 times, each time in a fresh browser context
// (no cache), through a real `reprise server` serving the built UI (dist/web).
//
// The store is made with the SQLite store's own API, as bench/search.mjs makes its own:
// runs with varied params and 4 metrics of 10 points each, and the one long run. It is
// filled in RAM (/dev/shm) where the machine has it, then copied under BENCH_TMP.
// Target: a median under 1000 ms for each page.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO } from './lib.mjs';
import { dist, int, median, mib, ms, now, ramDir, recordFactory, scaled, SCALE, startServer, tempHome, verdict } from './server-lib.mjs';

const TARGET_MS = 1000;
const ROUNDS = 5;
const RUNS = scaled(10_000, 100);
const SERIES = 20;
const POINTS = scaled(100_000, 1000);
const EPOCHS = 10;
const PROJECT = 'cifar10';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const VIEWPORT = { width: 1366, height: 768 };
const WAIT_MS = 30_000;

if (!existsSync(CHROMIUM)) {
  console.error(`ui: ${CHROMIUM} is missing; run \`bash scripts/ensure-chromium.sh\` first`);
  process.exit(1);
}
if (!existsSync(join(REPO, 'dist', 'web', 'index.html'))) {
  console.error('ui: the web UI is not built (no dist/web/index.html); run `npm run build` first');
  process.exit(1);
}

const { SqliteMetadataStore } = await dist('adapters/metadata-store/sqlite/sqlite-metadata-store.js');
const runRecord = await recordFactory();

// A deterministic stream of pseudo-random numbers, so every run of the benchmark draws the same data.
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const round = (x, digits) => Number(x.toPrecision(digits));

function curve(key, createdAt, quality, count, stepMs) {
  const steps = new Float64Array(count);
  const ts = new Float64Array(count);
  const values = new Float64Array(count);
  const isLoss = key.includes('loss');
  for (let i = 0; i < count; i++) {
    const f = (i + 1) / count;
    steps[i] = i;
    ts[i] = createdAt + (i + 1) * stepMs;
    const acc = quality * (0.6 + 0.4 * f) + (rand() - 0.5) * 0.01;
    values[i] = isLoss ? (1 - acc) * 2 : Math.min(1, acc);
  }
  return { key, steps, ts, values };
}

function summary(c) {
  const n = c.values.length;
  let min = Infinity;
  let max = -Infinity;
  for (const v of c.values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { last: c.values[n - 1], lastStep: c.steps[n - 1], min, max, count: n };
}

/** One ordinary run: params of a sweep, 4 metrics of EPOCHS points. */
function tableRun(i, t0) {
  const createdAt = t0 + i * 60_000;
  const lr = round(10 ** (-5 + rand() * 4), 3);
  const params = { lr, batch: pick([32, 64, 128]), optimizer: pick(['adam', 'sgd', 'adamw']), dropout: round(rand() * 0.5, 2), seed: i };
  const quality = Math.min(0.995, 0.55 + 0.45 * rand() ** 0.5);
  const curves = ['val_acc', 'train_acc', 'loss', 'val_loss'].map((k) => curve(k, createdAt, quality, EPOCHS, 30_000));
  const status = rand() < 0.85 ? 'succeeded' : 'failed';
  const endedAt = createdAt + EPOCHS * 30_000 + 5000;
  const record = runRecord(
    { createdAt, project: PROJECT, name: `run-${i}`, status, endedAt, heartbeatAt: endedAt },
    // Checking every record against the manifest schema costs about as much as storing it: the first hundred are checked.
    { params, metrics: Object.fromEntries(curves.map((c) => [c.key, summary(c)])), check: i < 100 },
  );
  return { record, curves };
}

async function generate(path) {
  const store = new SqliteMetadataStore({ path });
  await store.init();
  const t0 = Date.UTC(2025, 0, 1);
  const start = now();
  try {
    for (let i = 0; i < RUNS; i++) {
      const { record, curves } = tableRun(i, t0);
      await store.createRun(record);
      await store.appendMetrics(record.id, curves);
    }
    const createdAt = t0 + RUNS * 60_000;
    const long = runRecord({ createdAt, project: PROJECT, name: 'long-run', status: 'succeeded', endedAt: createdAt + POINTS * 100, heartbeatAt: createdAt + POINTS * 100 }, { params: { lr: 0.001, batch: 64 } });
    await store.createRun(long);
    for (let s = 0; s < SERIES; s++) {
      const key = `${s % 2 ? 'loss' : 'acc'}/layer_${String(s).padStart(2, '0')}`;
      await store.appendMetrics(long.id, [curve(key, createdAt, 0.6 + 0.02 * s, POINTS, 100)]);
    }
    return { seconds: (now() - start) / 1000, longId: long.id };
  } finally {
    await store.close();
  }
}

/** Makes a home under BENCH_TMP holding the store, filled in RAM when the machine has some. */
async function makeHome() {
  const made = tempHome('ui');
  const dbPath = join(made.home, 'reprise.db');
  const ram = ramDir();
  const gen = ram && !made.home.startsWith(ram) ? tempHome('ui-gen', ram) : undefined;
  try {
    const result = await generate(gen ? join(gen.home, 'reprise.db') : dbPath);
    if (gen) {
      mkdirSync(made.home, { recursive: true });
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(join(gen.home, `reprise.db${suffix}`))) copyFileSync(join(gen.home, `reprise.db${suffix}`), `${dbPath}${suffix}`);
      }
    }
    console.log(
      `  generated in ${result.seconds.toFixed(1)} s through the store API${gen ? ` in ${ram}, then copied` : ''}: ${int(RUNS)} runs with 5 params and 4 metrics ` +
        `of ${EPOCHS} points, and one run with ${SERIES} series of ${int(POINTS)} points; database ${mib(statSync(dbPath).size)} MiB`,
    );
    return { ...made, longId: result.longId };
  } catch (e) {
    made.cleanup();
    throw e;
  } finally {
    gen?.cleanup();
  }
}

/**
 * Installed before the page's own scripts: watches the document and records, as
 * performance.now() (milliseconds since navigation start), when `ready` first holds.
 */
function watchFor(ready) {
  const check = () => {
    if (globalThis.readyAt === undefined && ready()) globalThis.readyAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  // Layout alone (a row scrolled into view) changes nothing the observer sees: every frame checks too.
  const frame = () => {
    check();
    if (globalThis.readyAt === undefined) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** The first run row is on screen and shows a run's name. */
function rowsShown() {
  const row = document.querySelector('[data-testid="run-row"]');
  if (!row) return false;
  const box = row.getBoundingClientRect();
  return box.height > 0 && box.top < innerHeight && /\brun-\d+\b|long-run/.test(row.textContent ?? '');
}

/** `expected` charts are drawn with points (each chart's element says so once uPlot has drawn it). */
function chartsDrawn(expected) {
  const charts = [...document.querySelectorAll('[data-testid="metric-chart"]')];
  if (charts.length < expected) return false;
  return charts.every((c) => c.hasAttribute('data-drawn') && Number(c.getAttribute('data-points')) > 0);
}

/** Milliseconds from navigation start until `ready` (the source of a function) held, in a fresh context. */
async function measure(browser, url, ready) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.addInitScript(`(${watchFor})(${ready})`);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    const at = await page.waitForFunction(() => globalThis.readyAt, undefined, { timeout: WAIT_MS }).catch(() => null);
    if (!at) throw new Error(`${url}: not ready within ${WAIT_MS / 1000} s${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
    return await at.jsonValue();
  } finally {
    await context.close();
  }
}

async function bench(browser, label, url, ready) {
  // One visit first, so the server's SQLite pages and the browser's own start-up are warm as they would be in use.
  await measure(browser, url, ready);
  const times = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await measure(browser, url, ready));
  const med = median(times);
  console.log(`  ${ms(med).padStart(6)} ms median, ${ms(Math.max(...times)).padStart(6)} ms max  ${label}  (target < ${TARGET_MS} ms: ${verdict(med < TARGET_MS)})`);
  return med < TARGET_MS;
}

console.log(`the web UI in Chromium over ${int(RUNS)} runs and ${SERIES} × ${int(POINTS)} points${SCALE !== 1 ? `, BENCH_SCALE=${SCALE}` : ''} (load average ${loadavg()[0].toFixed(2)})`);
const home = await makeHome();
let server;
let browser;
let ok = false;
try {
  server = await startServer(home.home);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const rows = await bench(browser, `runs page of ${int(RUNS + 1)} runs, until the first rows show (/projects/${PROJECT})`, `${server.url}/projects/${PROJECT}`, `${rowsShown}`);
  const charts = await bench(
    browser,
    `metrics tab of a run with ${SERIES} × ${int(POINTS)} points, until all ${SERIES} charts are drawn (/runs/<id>?tab=metrics)`,
    `${server.url}/runs/${home.longId}?tab=metrics`,
    `() => (${chartsDrawn})(${SERIES})`,
  );
  ok = rows && charts;
} finally {
  await browser?.close();
  await server?.stop();
  home.cleanup();
}
process.exit(ok ? 0 : 1);
