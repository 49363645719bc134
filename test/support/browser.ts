import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { findWebDir } from '../../src/http/static';

/** Debian's Chromium (.ci/run installs the package when it is missing); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '../../test-output/browser');

/**
 * Headless Chromium through playwright-core. Playwright gives every launch a fresh, temporary
 * user-data dir (removed on close), so no profile, cache or storage carries over between runs.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  if (!findWebDir()) throw new Error('The frontends are not built: run npm run build (dist-web/ is missing)');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

/** A fresh context (its own storage: another person on another machine) with one page, watched. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Watched> {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { context, page, requests, errors };
}

export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await target.screenshot({ path: file });
  return file;
}

/** [seq, author, body] of every sb-message under `scope`, in document order. */
export async function transcript(scope: Page | Locator): Promise<[string | null, string | null, string][]> {
  return scope.locator('[data-testid="sb-message"]').evaluateAll((els) =>
    els.map((el) => [el.getAttribute('data-seq'), el.getAttribute('data-author'), el.querySelector('.bubble')?.textContent ?? ''] as [string | null, string | null, string]),
  );
}
