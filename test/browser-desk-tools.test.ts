/**
 * The agent's desk in Chromium (desk issue): a pasted image reaches the agent, "/" picks a canned
 * response with its placeholders filled, a note appears live in a supervisor's console, the
 * console follows the visitor's page (pushState), the visitor's draft shows while it types, a
 * background tab counts unread messages in its title, and the widget speaks French.
 */
import type { Page } from 'playwright-core';

/* Run in the page: the browser's own classes. */
declare const DataTransfer: new () => { items: { add(f: unknown): void } };
declare const ClipboardEvent: new (type: string, init: Record<string, unknown>) => unknown;
declare const File: new (parts: unknown[], name: string, options: Record<string, string>) => unknown;
declare const atob: (s: string) => string;
interface HTMLImageElement { complete: boolean; naturalWidth: number }
import { doc, png } from './support/desk';
import { screenshot, signInConsole, updateReadmeScreenshot, useBrowserSuite, useShop } from './support/browser';
import { SUPERVISOR } from './support/env';
import { buildAgent, type TestAgent } from './support/factories';
import type { TestServer } from './support/server';

jest.setTimeout(90_000);

const suite = useBrowserSuite({ PRESENCE_GRACE_SECONDS: '0' });
const { until, agents } = suite;
let t: TestServer;
let supervisor: string;
beforeAll(() => ({ t, supervisor } = suite));
const shop = useShop(() => t.server.url);
// No page threw or logged an error (a refused upload's own 4xx is the browser's note, not ours).
afterEach(() => {
  for (const p of suite.pages) expect(p.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});

const SET_STATUS = doc('mutation { setStatus(status: ONLINE) { id } }');
const SET_AWAY = doc('mutation { setStatus(status: AWAY) { id } }');
const CONTEXT = doc<{ session: { visitorContext: { pageUrl: string | null } | null } | null }>('query ($id: ID!) { session(id: $id) { visitorContext { pageUrl } } }');
const SESSION = doc<{ session: { id: string; status: string } | null }>('query ($id: ID!) { session(id: $id) { id status } }');

/** A fresh agent, ONLINE in a console of its own, the only one available (the others made here go AWAY). */
async function agentConsole(name: string): Promise<{ agent: TestAgent; console: Page }> {
  for (const a of agents) await t.http.ok(SET_AWAY, {}, a.token);
  const agent = await buildAgent(t, { name });
  agents.push(agent);
  await t.http.ok(SET_STATUS, {}, agent.token);
  const { page } = await suite.page();
  await signInConsole(page, t.server.url, agent);
  return { agent, console: page };
}

/** The widget on a shop page (tag attributes as given), a chat started by `name`: it goes to the only agent available. */
async function visitorChat(name: string, attributes = ''): Promise<{ visitor: Page; sessionId: string }> {
  const { page } = await suite.page();
  await shop.open(page, attributes);
  await page.getByTestId('sb-launcher').click();
  await page.getByTestId('sb-name').fill(name);
  await page.getByTestId('sb-start').click();
  await page.getByTestId('sb-input').waitFor();
  const sessionId = await page.evaluate((server) => JSON.parse(localStorage.getItem(`switchboard:${server}`) ?? '{}').sessionId as string, t.server.url);
  return { visitor: page, sessionId };
}
declare const localStorage: { getItem(key: string): string | null };

/** Opens the chat in the console once it is there. */
async function openChat(console: Page, sessionId: string): Promise<void> {
  const item = console.locator(`[data-testid="sb-session"][data-session-id="${sessionId}"]`);
  await until(async () => (await item.count()) === 1, 'the chat in the console');
  await item.click();
  await console.getByTestId('sb-input').waitFor();
}

const widget = (page: Page) => page.locator('switchboard-widget');

describe('files', () => {
  it('should bring an image the visitor pastes to the agent, and refuse a file of another type clearly', async () => {
    const { console } = await agentConsole('Fay Files');
    const { visitor, sessionId } = await visitorChat('Paula Paste');
    await openChat(console, sessionId);
    const image = png(48, 32).toString('base64');
    // A paste of an image from the clipboard, as the browser delivers it.
    await widget(visitor).getByTestId('sb-input').evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, image);
    await until(async () => (await widget(visitor).locator('[data-testid="sb-upload"][data-state="done"]').count()) === 1, 'uploaded');
    await widget(visitor).getByTestId('sb-input').fill('Here is the error');
    await widget(visitor).getByTestId('sb-send').click();
    const seen = console.locator('img[data-testid="sb-attachment"]');
    await until(async () => (await seen.count()) === 1 && (await seen.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 48, 'the agent sees the image');
    await until(async () => (await widget(visitor).locator('img[data-testid="sb-attachment"]').count()) === 1, 'the visitor sees it sent');
    updateReadmeScreenshot(await screenshot(widget(visitor).locator('.panel'), 'desk-widget-file'), 'widget-file');
    expect(await console.locator('.bubble').last().innerText()).toContain('Here is the error');

    // A page renamed .png: refused, said plainly, nothing sent.
    await widget(visitor).getByTestId('sb-file').setInputFiles({ name: 'cat.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
    const refusal = widget(visitor).getByTestId('sb-upload-error');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/Only images .* PDF and text files can be sent/);
    // The agent attaches a text file back.
    await console.getByTestId('sb-file').setInputFiles({ name: 'steps.txt', mimeType: 'text/plain', buffer: Buffer.from('1. restart\n2. retry\n') });
    await until(async () => (await console.locator('[data-testid="sb-upload"][data-state="done"]').count()) === 1, 'agent upload done');
    await console.getByTestId('sb-send').click();
    const link = widget(visitor).locator('a[data-testid="sb-attachment"]');
    await until(async () => (await link.count()) === 1, 'the visitor gets the file');
    expect(await link.innerText()).toContain('steps.txt');
    updateReadmeScreenshot(await screenshot(console, 'desk-files-console'), 'console-files');
  });
});

describe('canned responses', () => {
  it('should open on "/", move with the arrow keys, and fill the placeholders on Enter', async () => {
    await t.http.ok(doc('mutation ($i: CannedResponseInput!) { createCannedResponse(input: $i) { id } }'), { i: { shortcut: 'greet', title: 'Greeting', body: 'Hello {{visitor.name}}, {{agent.name}} here. How can I help?', personal: false } }, supervisor);
    await t.http.ok(doc('mutation ($i: CannedResponseInput!) { createCannedResponse(input: $i) { id } }'), { i: { shortcut: 'goodbye', title: 'Goodbye', body: 'Bye {{visitor.name}}!', personal: false } }, supervisor);
    const { console } = await agentConsole('Gus Canned');
    const { visitor, sessionId } = await visitorChat('Vera Visitor');
    await openChat(console, sessionId);
    const input = console.getByTestId('sb-input');
    await console.reload(); // the canned responses written above are read at sign-in
    await openChat(console, sessionId);
    await input.click();
    await input.pressSequentially('/g');
    const list = console.getByTestId('sb-canned');
    await list.waitFor();
    expect(await list.getByTestId('sb-canned-item').allInnerTexts()).toEqual([expect.stringContaining('/goodbye'), expect.stringContaining('/greet')]);
    await input.press('ArrowDown');
    expect(await list.locator('[aria-selected="true"]').innerText()).toContain('/greet');
    await input.press('Enter');
    expect(await input.inputValue()).toBe('Hello Vera Visitor, Gus Canned here. How can I help?');
    expect(await list.count()).toBe(0);
    await input.press('Enter');
    await until(async () => (await widget(visitor).locator('[data-testid="sb-message"][data-author="AGENT"]').allInnerTexts()).some((m) => m.includes('Hello Vera Visitor, Gus Canned here')), 'the visitor reads it');
  });
});

describe('notes, the visitor page, the draft', () => {
  it("should show a note live in a supervisor's console, follow the visitor's pushState, and show its draft while it types", async () => {
    const { console } = await agentConsole('Nia Notes');
    const { visitor, sessionId } = await visitorChat('Sam Spa');
    await openChat(console, sessionId);
    const { page: boss } = await suite.page();
    await signInConsole(boss, t.server.url, SUPERVISOR);
    const teamItem = boss.locator(`[data-testid="sb-team-session"][data-session-id="${sessionId}"]`);
    await until(async () => (await teamItem.count()) === 1, "the chat in the supervisor's list");
    await teamItem.click();
    await boss.getByTestId('sb-note-input').waitFor();

    await console.getByTestId('sb-note-input').fill('Customer since 2019, be nice');
    await console.getByTestId('sb-note-add').click();
    await until(async () => (await boss.getByTestId('sb-note').allInnerTexts()).some((n) => n.includes('Customer since 2019, be nice')), 'the note live at the supervisor');
    expect(await widget(visitor).innerText()).not.toContain('Customer since 2019');

    const page = console.getByTestId('sb-visitor-page');
    await until(async () => /\/shop-\d+$/.test(await page.innerText()), 'the first page');
    await visitor.evaluate(() => history.pushState({}, '', '/pricing?plan=pro'));
    const kept = async () => (await t.http.ok(CONTEXT, { id: sessionId }, supervisor)).session?.visitorContext?.pageUrl ?? '';
    await until(async () => (await kept()).endsWith('/pricing?plan=pro'), 'the server keeps the new page');
    await until(async () => (await page.innerText()).endsWith('/pricing?plan=pro'), 'the console follows pushState');
    await visitor.evaluate(() => history.back());
    await until(async () => /\/shop-\d+$/.test(await page.innerText()), 'and popstate');

    await widget(visitor).getByTestId('sb-input').pressSequentially('I would like to ask about', { delay: 30 });
    await until(async () => (await console.getByTestId('sb-draft').count()) === 1 && (await console.getByTestId('sb-draft').innerText()) === 'I would like to ask about', 'the draft');
    await console.getByTestId('sb-tags').fill('pricing, VIP');
    await console.getByTestId('sb-tags').press('Enter');
    await until(async () => (await console.getByTestId('sb-timeline-step').allInnerTexts()).some((s) => s.includes('Tagged: pricing, vip')), 'tagged in the timeline');
    updateReadmeScreenshot(await screenshot(console, 'desk-console'), 'console-desk');
  });
});

declare const history: { pushState(state: unknown, title: string, url: string): void; back(): void };
declare const document: { title: string; hidden: boolean; dispatchEvent(e: unknown): void };
declare const Event: new (name: string) => unknown;

describe('the tab title', () => {
  it('should count unread messages while the console is in a background tab', async () => {
    const { console } = await agentConsole('Tia Title');
    const { visitor, sessionId } = await visitorChat('Ned Noisy');
    await openChat(console, sessionId);
    // The tab goes to the background (as the browser tells a page: visibilityState and its event).
    const setHidden = (hidden: boolean) =>
      console.evaluate((h) => {
        Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    for (const text of ['one', 'two']) {
      await widget(visitor).getByTestId('sb-input').fill(text);
      await widget(visitor).getByTestId('sb-input').press('Enter');
    }
    await until(async () => (await console.title()) === '(2) Switchboard console', 'two unread in the title');
    await setHidden(false);
    await until(async () => (await console.title()) === 'Switchboard console', 'read once in view');
    expect((await t.http.ok(SESSION, { id: sessionId }, supervisor)).session?.status).toBe('ACTIVE');
  });
});

describe('notifications', () => {
  it("should notify a new chat and a visitor's message in a chat not in view, never the agent's own, and nothing once muted", async () => {
    for (const a of agents) await t.http.ok(SET_AWAY, {}, a.token);
    const agent = await buildAgent(t, { name: 'Nat Notify' });
    agents.push(agent);
    await t.http.ok(SET_STATUS, {}, agent.token);
    const { page: console } = await suite.page();
    // The browser's Notification, granted, recording what the console shows.
    await console.context().addInitScript(() => {
      const shown: string[] = [];
      (window as unknown as { shown: string[] }).shown = shown;
      class Recorded {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        onclick: (() => void) | null = null;
        constructor(title: string, options: { body?: string }) {
          shown.push(`${title} | ${options.body ?? ''}`);
        }
        close() {}
      }
      (window as unknown as { Notification: unknown }).Notification = Recorded;
    });
    await signInConsole(console, t.server.url, agent);
    const shown = () => console.evaluate(() => (window as unknown as { shown: string[] }).shown.slice());
    const first = await visitorChat('Nora First');
    await until(async () => (await shown()).includes('New chat: Nora First | A chat was assigned to you.'), 'a new chat');
    // Not in view (no chat selected yet): the visitor's message is notified.
    await widget(first.visitor).getByTestId('sb-input').fill('Are you there?');
    await widget(first.visitor).getByTestId('sb-input').press('Enter');
    await until(async () => (await shown()).includes('Nora First | Are you there?'), "the visitor's message");
    // In view: nothing; the agent's own reply: nothing.
    await openChat(console, first.sessionId);
    await widget(first.visitor).getByTestId('sb-input').fill('Hello?');
    await widget(first.visitor).getByTestId('sb-input').press('Enter');
    await console.getByTestId('sb-input').fill('Yes, here');
    await console.getByTestId('sb-input').press('Enter');
    await until(async () => (await widget(first.visitor).locator('[data-author="AGENT"]').count()) === 1, 'the reply arrives');
    await console.waitForTimeout(300);
    expect(await shown()).toEqual(['New chat: Nora First | A chat was assigned to you.', 'Nora First | Are you there?']);
    // Muted: nothing.
    await console.getByTestId('sb-mute').click();
    expect(await console.getByTestId('sb-mute').getAttribute('aria-pressed')).toBe('true');
    const second = await visitorChat('Olga Second');
    await until(async () => (await console.locator(`[data-testid="sb-session"][data-session-id="${second.sessionId}"]`).count()) === 1, 'the second chat');
    await console.waitForTimeout(300);
    expect((await shown()).length).toBe(2);
  });
});

declare const window: unknown;

describe('the widget in French', () => {
  it('should show every string in French with data-locale="fr"', async () => {
    await agentConsole('Flo French');
    const { page } = await suite.page();
    await shop.open(page, 'data-locale="fr"');
    expect(await page.getByTestId('sb-launcher').getAttribute('aria-label')).toBe("Ouvrir le chat d'assistance");
    await page.getByTestId('sb-launcher').click();
    expect(await widget(page).locator('.form').innerText()).toContain('Dites-nous qui vous êtes');
    expect(await page.getByTestId('sb-start').innerText()).toBe('Démarrer le chat');
    expect(await widget(page).locator('.form label').first().innerText()).toContain('Votre nom');
    await page.getByTestId('sb-name').fill('Françoise');
    await page.getByTestId('sb-start').click();
    await until(async () => /En conversation avec Flo French/.test(await page.getByTestId('sb-status').innerText()), 'status in French');
    expect(await page.getByTestId('sb-send').innerText()).toBe('Envoyer');
    expect(await page.getByTestId('sb-input').getAttribute('placeholder')).toBe('Écrivez un message…');
    await page.getByTestId('sb-input').fill('Bonjour');
    await page.getByTestId('sb-input').press('Enter');
    await until(async () => (await widget(page).getByTestId('sb-tick').allInnerTexts()).some((s) => /Envoyé|Lu/.test(s)), 'tick in French');
    updateReadmeScreenshot(await screenshot(widget(page).locator('.panel'), 'desk-widget-fr'), 'widget-french');
  });
});
