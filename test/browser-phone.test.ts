/**
 * Phones, in Chromium: the widget on the demo page at 375×700, and the console at 390 px wide.
 * With UPDATE_SCREENSHOTS=1 the phone screenshot also replaces docs/screenshots/widget-phone.png (the README's).
 */
import type { Page } from 'playwright-core';
import { SendMessageDocument } from './generated/graphql';
import { screenshot, signInConsole, updateReadmeScreenshot, transcript, useBrowserSuite } from './support/browser';
import { buildActiveChat } from './support/factories';
import type { TestServer } from './support/server';

jest.setTimeout(60_000);

declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };
declare function getComputedStyle(el: unknown): { fontSize: string };

const PHONE = { width: 375, height: 700 };
const suite = useBrowserSuite();
const { until } = suite;
let t: TestServer;
beforeAll(() => ({ t } = suite));
const phone = async (viewport = PHONE): Promise<Page> => (await suite.page(viewport)).page;

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
const fontSize = (page: Page, testId: string) => page.getByTestId(testId).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));

function within(box: { x: number; y: number; width: number; height: number } | null, viewport: { width: number; height: number }) {
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
  expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
}

describe('the widget on a phone (375×700)', () => {
  it('should show the whole launcher, open full-screen with a close button, and use 16 px inputs', async () => {
    const page = await phone();
    await page.goto(`${t.server.url}/`);
    expect(await overflow(page)).toBe(0); // the demo page does not scroll sideways
    const launcher = await page.getByTestId('sb-launcher').boundingBox();
    within(launcher, PHONE);
    expect(launcher!.width).toBeGreaterThanOrEqual(48);
    expect(launcher!.height).toBeGreaterThanOrEqual(48);

    await page.getByTestId('sb-launcher').click();
    const panel = await page.locator('switchboard-widget').locator('.panel').boundingBox();
    expect(panel).toEqual({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    expect(await fontSize(page, 'sb-name')).toBeGreaterThanOrEqual(16);
    await page.getByTestId('sb-name').fill('Pia Phone');
    // Nobody is online: the offline form needs the email (desk extension).
    await page.getByTestId('sb-email').fill('pia@example.com');
    await page.getByTestId('sb-start').click();
    await page.getByTestId('sb-input').waitFor();
    expect(await fontSize(page, 'sb-input')).toBeGreaterThanOrEqual(16);
    await page.getByTestId('sb-input').fill('Hello from my phone');
    await page.getByTestId('sb-send').click();
    await until(async () => (await transcript(page)).some(([seq]) => seq === '1'), 'message confirmed');
    within(await page.getByTestId('sb-send').boundingBox(), PHONE);
    const shot = await screenshot(page, 'widget-phone');
    updateReadmeScreenshot(shot, 'widget-phone');

    // The close button is there and closes; the launcher comes back, whole.
    const close = page.getByTestId('sb-close-panel');
    within(await close.boundingBox(), PHONE);
    await close.click();
    expect(await page.getByTestId('sb-input').isVisible()).toBe(false);
    within(await page.getByTestId('sb-launcher').boundingBox(), PHONE);
    expect(await overflow(page)).toBe(0);
  });
});

describe('the console on a phone (390 px)', () => {
  it('should show one pane at a time, with a way back to the list', async () => {
    const viewport = { width: 390, height: 844 };
    const { agent, session, visitor } = await buildActiveChat(t, { name: 'Noor' });
    await agent.socket!.dispose(); // the console's own socket keeps it online from here
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'Is the tent waterproof?' } }, visitor);
    const page = await phone(viewport);
    await signInConsole(page, t.server.url, agent);
    const item = page.locator(`[data-testid="sb-session"][data-session-id="${session.id}"]`);
    await item.waitFor();
    expect(await page.getByTestId('sb-input').count()).toBe(0); // the list first, no chat pane beside it
    expect(await overflow(page)).toBe(0);
    await item.click();
    await page.getByTestId('sb-input').waitFor();
    expect(await item.isVisible()).toBe(false); // the chat alone
    await until(async () => (await transcript(page)).some(([, , body]) => body === 'Is the tent waterproof?'), 'transcript');
    within(await page.getByTestId('sb-send').boundingBox(), viewport);
    expect(await overflow(page)).toBe(0);
    await screenshot(page, 'console-phone-chat');
    await page.getByTestId('sb-back').click();
    await item.waitFor();
    expect(await page.getByTestId('sb-input').count()).toBe(0);
    expect(suite.pages.flatMap((p) => p.errors)).toEqual([]);
  });
});
