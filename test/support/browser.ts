import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { findWebDir } from '../../src/http/static';
import { loginSupervisor, waitFor, type TestAgent } from './factories';
import { leave } from './leftovers';
import { startTestServer, type TestServer } from './server';

// What the page-side callbacks use: they run in the browser; this file compiles without the DOM lib.
declare const document: { querySelectorAll(selector: string): ArrayLike<unknown>; activeElement: unknown };

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
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  leave(() => browser.close()); // a leftover: closed before the server its pages hold sockets to
  return browser;
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

/**
 * With UPDATE_SCREENSHOTS=1, copies a screenshot over the README's picture of the same view
 * (docs/screenshots/<readmeName>.png); otherwise the run leaves the checkout as it was.
 */
export function updateReadmeScreenshot(shot: string, readmeName: string): void {
  if (process.env.UPDATE_SCREENSHOTS === '1') fs.copyFileSync(shot, path.resolve(__dirname, '../../docs/screenshots', `${readmeName}.png`));
}

/** [seq, author, body] of every sb-message under `scope`, in document order. */
export async function transcript(scope: Page | Locator): Promise<[string | null, string | null, string][]> {
  return scope.locator('[data-testid="sb-message"]').evaluateAll((els) =>
    els.map((el) => [el.getAttribute('data-seq'), el.getAttribute('data-author'), el.querySelector('.bubble')?.textContent ?? ''] as [string | null, string | null, string]),
  );
}

/** Signs in to /console as `who` and waits for the console (its status switch) to be there. */
export async function signInConsole(page: Page, base: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByTestId('sb-login-email').fill(who.email);
  await page.getByTestId('sb-login-password').fill(who.password);
  await page.getByTestId('sb-login-submit').click();
  await page.getByTestId('sb-status-select').waitFor();
}

/** data-testid (or, without one, role) of the element focused inside the widget's shadow root (or the page). */
export function focused(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    type El = { getAttribute(n: string): string | null };
    const host = document.querySelectorAll('switchboard-widget')[0] as { shadowRoot: { activeElement: El | null } } | undefined;
    const el = host?.shadowRoot.activeElement ?? (document.activeElement as El | null);
    return el?.getAttribute('data-testid') ?? null;
  });
}

/** The Monaco model behind one of GraphiQL 5's editors (`globalThis.monaco`: the playground sets
 *  MonacoEnvironment.globalAPI), found by the file name GraphiQL gives each editor's model. */
const EDITOR_MODELS = { query: 'operation.graphql', response: 'response.json', variables: 'variables.json', headers: 'request-headers.json' } as const;
type Editor = keyof typeof EDITOR_MODELS;
interface MonacoModel {
  uri: { path: string };
  getValue(): string;
  setValue(value: string): void;
}

/** The text of a GraphiQL editor. */
export function editorValue(page: Page, which: Editor): Promise<string> {
  return page.evaluate((name) => {
    const monaco = (globalThis as unknown as { monaco?: { editor: { getModels(): MonacoModel[] } } }).monaco;
    return monaco?.editor.getModels().find((m) => m.uri.path.endsWith(name))?.getValue() ?? '';
  }, EDITOR_MODELS[which]);
}

/** Opens GraphiQL's headers or variables editor and replaces its text. */
export async function setEditor(page: Page, which: 'headers' | 'variables', value: string): Promise<void> {
  await page.locator(`.graphiql-editor-tools button[data-name="${which}"]`).click();
  await page.evaluate(
    ([name, v]) => {
      const monaco = (globalThis as unknown as { monaco?: { editor: { getModels(): MonacoModel[] } } }).monaco;
      const model = monaco?.editor.getModels().find((m) => m.uri.path.endsWith(name));
      if (!model) throw new Error(`no ${name} editor`);
      model.setValue(v);
    },
    [EDITOR_MODELS[which], value] as const,
  );
}

/**
 * A poller for browser tests: waits until `check` holds and, when it does not, saves what each
 * page showed (test-output/browser/failed-<what>-<n>.png) before failing.
 */
export function untilFor(pages: () => Page[]) {
  return <T>(check: () => Promise<T | false | null | undefined>, what: string, timeoutMs = 10_000): Promise<T> =>
    waitFor(check, timeoutMs, 50).catch(async (error: Error) => {
      const name = `failed-${what.replace(/\W+/g, '-')}`;
      await Promise.all(pages().map((p, i) => screenshot(p, `${name}-${i}`).catch(() => undefined)));
      throw new Error(`${what}: ${error.message} (screenshots: test-output/browser/${name}-*.png)`);
    });
}

/**
 * The set-up every browser test file shares, registered with jest's beforeAll/afterAll: a server
 * (with `env`), Chromium, a supervisor token, and the pages the tests open, all disposed after
 * (the server and the agents' sockets as leftovers, ./leftovers.ts). `page()` opens a watched page; `until` polls and saves every page on failure.
 */
export interface BrowserSuite {
  t: TestServer;
  browser: Browser;
  supervisor: string;
  pages: Watched[];
  /** The agents a test file keeps track of (their console sockets are leftovers anyway). */
  agents: TestAgent[];
  page(viewport?: { width: number; height: number }): Promise<Watched>;
  until<T>(check: () => Promise<T | false | null | undefined>, what: string, timeoutMs?: number): Promise<T>;
}

export function useBrowserSuite(env: Record<string, string> = {}): BrowserSuite {
  const pages: Watched[] = [];
  const suite: BrowserSuite = {
    t: undefined as unknown as TestServer,
    browser: undefined as unknown as Browser,
    supervisor: '',
    pages,
    agents: [],
    async page(viewport) {
      const watched = await openPage(suite.browser, viewport);
      pages.push(watched);
      return watched;
    },
    until: untilFor(() => pages.map((p) => p.page)),
  };
  beforeAll(async () => {
    suite.t = await startTestServer({ env });
    suite.browser = await launchBrowser();
    suite.supervisor = await loginSupervisor(suite.t);
  });
  return suite;
}

/**
 * The embedding site: another origin than the server, serving pages whose widget tag each test
 * writes (`open(page, 'data-locale="fr"')`). Listening for the file's tests, closed after them.
 */
export function useShop(server: () => string) {
  const pages = new Map<string, string>();
  const shop = http.createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    const body = pages.get((req.url ?? '').split('?')[0]);
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' }).end(body ?? 'not found');
  });
  beforeAll(() => new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve)));
  afterAll(() => void shop.close());
  return {
    /** A page of the shop with the widget tag as given (its src on the Switchboard server); waits for the launcher. */
    async open(page: Page, attributes: string, title = 'Shop'): Promise<string> {
      const path = `/shop-${pages.size}`;
      pages.set(path, `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><script src="${server()}/widget.js" ${attributes}></script></body></html>`);
      const url = `http://127.0.0.1:${(shop.address() as AddressInfo).port}${path}`;
      await page.goto(url);
      await page.getByTestId('sb-launcher').waitFor();
      return url;
    },
  };
}
