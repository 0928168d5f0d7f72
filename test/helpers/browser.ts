/**
 * Helpers for browser tests: Debian's Chromium driven by playwright-core (one browser per
 * test file), pages that record what went wrong in them, and full-page screenshots under
 * test-results/screenshots/ for a person to look at afterwards.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { REPO_ROOT } from './server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');
/** How long a test waits for a page to show something (`expect.poll(probe, WAIT)`): long enough for a loaded 2-core machine. */
export const WAIT = { timeout: 15_000, interval: 100 } as const;

/** A laptop's screen. */
export const VIEWPORT = { width: 1366, height: 768 };

/** Flags for a headless browser on a shared machine: no sandbox (containers run as root), no GPU, nothing phoning home. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A page and what it reported as broken: console errors and uncaught exceptions. */
export interface WatchedPage {
  readonly page: Page;
  /** Console errors and page errors, in the order they came. */
  readonly errors: string[];
  /** Throws, listing them, if the page reported any error since it opened, but for those `expected` matches. */
  assertNoErrors(expected?: readonly RegExp[]): void;
}

export interface TestBrowser {
  readonly browser: Browser;
  /** Where every page opens; clipboard access granted. */
  readonly context: BrowserContext;
  /** Opens `url` in a new tab and waits for its document to load. */
  openPage(url: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

/** Launches Chromium with one context whose origin may read and write the clipboard. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing; run \`bash scripts/ensure-chromium.sh\``);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] });
  context.setDefaultTimeout(15_000);
  return {
    browser,
    context,
    openPage: async (url) => {
      const page = await context.newPage();
      const watched = watch(page);
      await page.goto(url);
      return watched;
    },
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

/** Fills the web UI's sign-in form (its labels, as a person reads them) and sends it. */
export async function signIn(page: Page, who: { readonly name: string; readonly password: string }): Promise<void> {
  await page.getByLabel('User name').fill(who.name);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A new browser profile (its own cookies) that opens `baseUrl + path`, is sent to sign in,
 * signs in as `who` and is back on `path`, the header naming the user.
 */
export async function signedInPage(
  t: TestBrowser,
  baseUrl: string,
  who: { readonly name: string; readonly password: string },
  path: string,
  options: { readonly permissions?: string[] } = {},
): Promise<WatchedPage & { context: BrowserContext }> {
  const context = await t.browser.newContext({ viewport: VIEWPORT, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const watched = watch(page);
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL((u) => u.pathname === '/login');
  await signIn(page, who);
  await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  await expect.poll(() => page.getByTestId('session-user').innerText(), WAIT).toBe(who.name);
  return { ...watched, context };
}

/** Starts recording a page's console errors and uncaught exceptions. */
export function watch(page: Page): WatchedPage {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return {
    page,
    errors,
    assertNoErrors: (expected = []) => {
      const unexpected = errors.filter((e) => !expected.some((re) => re.test(e)));
      if (unexpected.length > 0) throw new Error(`the page at ${page.url()} reported errors:\n${unexpected.join('\n')}`);
    },
  };
}

/**
 * Registers, in the calling test file, a screenshot of every page still open when a test
 * fails (`failed-<test name>-<n>.png`): what the page showed instead is the first clue.
 */
export function screenshotFailures(current: () => TestBrowser | undefined): void {
  afterEach(async (ctx) => {
    const browser = current();
    if (ctx.task.result?.state !== 'fail' || !browser) return;
    const name = ctx.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
    const open = browser.context.pages();
    for (const [i, page] of open.entries()) await screenshot(page, `failed-${name}-${i}`).catch(() => undefined);
  });
}

/** Saves a full-page PNG as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** One attribute of every element a locator matches, in document order. */
export function attributeOf(elements: Locator, name: string): Promise<(string | null)[]> {
  return elements.evaluateAll((els, attr) => els.map((el) => el.getAttribute(attr)), name);
}

/**
 * How many pixels of a canvas are strongly coloured (not white, grey or black): axes,
 * grid and labels are grey, so these are the lines of a drawn series.
 */
export function colouredPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((c) => {
    const ctx = c.getContext('2d');
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      if (data[i + 3] > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
    return n;
  });
}

/**
 * The state a metric chart publishes on its own element (`data-testid="metric-chart"`):
 * how many times it was drawn and how many points it holds; null for an attribute that
 * is not there.
 */
export async function chartState(chart: Locator): Promise<{ drawn: number | null; points: number | null }> {
  const [drawn, points] = await Promise.all([chart.getAttribute('data-drawn'), chart.getAttribute('data-points')]);
  return { drawn: drawn === null ? null : Number(drawn), points: points === null ? null : Number(points) };
}

/** Every number written in a text ("75%" gives 0.75 as well as 75), for checking a figure whatever its format. */
export function numbersIn(text: string): number[] {
  const found: number[] = [];
  for (const m of text.replace(/,(?=\d{3})/g, '').matchAll(/-?\d+(?:\.\d+)?(?:e-?\d+)?(%?)/gi)) {
    const n = Number(m[0].replace('%', ''));
    found.push(n);
    if (m[1]) found.push(n / 100);
  }
  return found;
}

/** Whether a figure shown with `digits` significant digits (or more) reads as `value`. */
export function showsValue(text: string, value: number, digits = 3): boolean {
  return numbersIn(text).some((n) => Number(n.toPrecision(digits)) === Number(value.toPrecision(digits)));
}
