/**
 * The widget's rough edges, in Chromium, against a real server with identity verification on:
 * who the visitor is (script tag, Switchboard.identify), no promise it cannot keep, long
 * messages, links, lifecycle steps, ending a chat from the keyboard, and the rating.
 */
import { createHmac } from 'node:crypto';
import type { Page } from 'playwright-core';
import { CloseChatDocument, QueueDocument, SendMessageDocument, SessionDocument, TransferChatDocument } from './generated/graphql';
import { focused, screenshot, signInConsole, transcript, useBrowserSuite, useShop } from './support/browser';
import { poisonMessageBody } from './support/faults';
import { buildOnlineAgent, type TestAgent } from './support/factories';
import type { TestServer } from './support/server';

jest.setTimeout(60_000);

declare function getComputedStyle(el: unknown): { cursor: string };

const IDENTITY_SECRET = 'shop-identity-secret-0123456789';
const suite = useBrowserSuite({ IDENTITY_SECRET });
const { until, agents } = suite;
let t: TestServer;
let supervisor: string;
beforeAll(() => ({ t, supervisor } = suite));

/** Every agent made here; `only` takes all but one out of routing (AWAY). */
async function only(agent: TestAgent | null): Promise<void> {
  for (const a of agents) if (a !== agent) await t.http.ok(`mutation { setStatus(status: AWAY) { id } }`, {}, a.token);
}
/** A fresh agent, the only one available, with no older chat of another test waiting for it. */
async function agentNamed(name: string): Promise<TestAgent> {
  const { queue } = await t.http.ok(QueueDocument, {}, supervisor);
  for (const q of queue) await t.http.ok(CloseChatDocument, { sessionId: q.id }, supervisor);
  const agent = await buildOnlineAgent(t, { name });
  agents.push(agent);
  await only(agent);
  return agent;
}

const visitorPage = async (): Promise<Page> => (await suite.page()).page;

/** The embedding site: another origin, serving pages whose widget tag each test writes. */
const shop = useShop(() => t.server.url);
/** A page of the shop with the widget tag as given (its src on the Switchboard server). */
const shopPage = async (page: Page, attributes: string): Promise<void> => void (await shop.open(page, attributes));

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).count()) ? await page.getByTestId(testId).first().innerText() : '');
const events = (page: Page) => page.getByTestId('sb-event').allInnerTexts();
const hash = (externalId: string) => createHmac('sha256', IDENTITY_SECRET).update(externalId).digest('hex');
/** The widget's saved session id (its localStorage key names the server). */
const sessionIdOf = (page: Page) => page.evaluate((server) => JSON.parse(localStorage.getItem(`switchboard:${server}`) ?? '{}').sessionId as string, t.server.url);
declare const localStorage: { getItem(key: string): string | null };

/**
 * Once the widget knows whether anyone can answer: while nobody can (no agent of another test
 * left ONLINE), its offline form requires an email (desk extension), so one is given.
 */
async function emailIfOffline(page: Page): Promise<void> {
  const form = page.locator('switchboard-widget form.form');
  await until(async () => (await form.getAttribute('data-availability')) !== 'pending', 'availability known');
  if ((await form.getAttribute('data-availability')) === 'offline' && !(await page.getByTestId('sb-email').inputValue())) {
    await page.getByTestId('sb-email').fill('visitor@example.com');
  }
}

async function startFromWidget(page: Page, name?: string): Promise<string> {
  if (!(await page.getByTestId('sb-start').isVisible())) await page.getByTestId('sb-launcher').click();
  if (name) await page.getByTestId('sb-name').fill(name);
  await emailIfOffline(page);
  await page.getByTestId('sb-start').click();
  await page.getByTestId('sb-input').waitFor();
  return sessionIdOf(page);
}

describe('who the visitor is', () => {
  it('should send data-external-id and data-identity-hash from the script tag, and pre-fill the name and email', async () => {
    const page = await visitorPage();
    await shopPage(page, `data-external-id="cust-42" data-identity-hash="${hash('cust-42')}" data-name="Ines Known" data-email="ines@example.com"`);
    await page.getByTestId('sb-launcher').click();
    expect(await page.getByTestId('sb-name').inputValue()).toBe('Ines Known');
    expect(await page.getByTestId('sb-email').inputValue()).toBe('ines@example.com');
    // No promise before a chat starts: nobody may be there.
    expect(await text(page, 'sb-status')).toBe('');
    expect(await page.locator('switchboard-widget .panel').innerText()).not.toMatch(/within a few minutes|reply within/);
    const id = await startFromWidget(page);
    const { session } = await t.http.ok(SessionDocument, { id }, supervisor);
    expect(session?.customer).toMatchObject({ externalId: 'cust-42', verified: true, name: 'Ines Known', email: 'ines@example.com' });
  });

  it('should take Switchboard.identify({...}) on a single-page site, and refuse a wrong hash with a message', async () => {
    const page = await visitorPage();
    await shopPage(page, '');
    await page.evaluate((h) => (window as unknown as { Switchboard: { identify(i: object): void } }).Switchboard.identify({ externalId: 'cust-77', identityHash: h, name: 'Sam Spa' }), hash('cust-77'));
    await page.getByTestId('sb-launcher').click();
    expect(await page.getByTestId('sb-name').inputValue()).toBe('Sam Spa');
    const id = await startFromWidget(page);
    const { session } = await t.http.ok(SessionDocument, { id }, supervisor);
    expect(session?.customer).toMatchObject({ externalId: 'cust-77', verified: true });

    const forged = await visitorPage();
    await shopPage(forged, `data-external-id="cust-42" data-identity-hash="${'0'.repeat(64)}"`);
    await forged.getByTestId('sb-launcher').click();
    await forged.getByTestId('sb-name').fill('Mallory');
    await emailIfOffline(forged);
    await forged.getByTestId('sb-start').click();
    await until(async () => /could not confirm who you are/.test(await forged.locator('switchboard-widget [role="alert"]').innerText()), 'forged identity refused');
    expect(await forged.getByTestId('sb-input').isVisible()).toBe(false);
  });
});
declare const window: unknown;

describe('writing', () => {
  it('should count down near 4000 characters and refuse more with a clear message, cutting nothing', async () => {
    const page = await visitorPage();
    await page.goto(`${t.server.url}/`);
    await startFromWidget(page, 'Long Writer');
    const input = page.getByTestId('sb-input');
    await input.fill('a'.repeat(3600));
    expect(await text(page, 'sb-counter')).toBe('400 characters left');
    const long = 'b'.repeat(4001);
    await input.fill(long);
    expect(await text(page, 'sb-counter')).toBe('1 characters too many (at most 4,000)');
    await input.press('Enter');
    await until(async () => /Too long to send: 4,001 characters, at most 4,000/.test(await text(page, 'sb-counter')), 'refusal shown');
    expect(await page.getByTestId('sb-counter').getAttribute('role')).toBe('alert');
    expect(await input.inputValue()).toBe(long); // kept whole
    expect(await transcript(page)).toEqual([]);
    const { session } = await t.http.ok(SessionDocument, { id: await sessionIdOf(page) }, supervisor);
    expect(session?.lastSeq).toBe(0);
  });
});

describe('a send the server refuses for good', () => {
  it('should be shown once as not sent, never retried, and not hold back the next message', async () => {
    const poison = 'The database refuses exactly this text';
    const page = await visitorPage();
    await page.goto(`${t.server.url}/`);
    const sessionId = await startFromWidget(page, 'Pat Persistent');
    /** The bodies of the sendMessage requests the widget made. */
    const sent: string[] = [];
    page.on('request', (r) => void (r.postData()?.includes('WidgetSendMessage') && sent.push(r.postData()!)));
    const sends = () => sent.length;
    const undo = await poisonMessageBody(t.databaseUrl, poison);
    try {
      await page.getByTestId('sb-input').fill(poison);
      await page.getByTestId('sb-input').press('Enter');
      const failed = page.locator('switchboard-widget [data-testid="sb-message"][data-failed]');
      await until(async () => (await failed.count()) === 1, 'shown as not sent');
      expect((await failed.getByTestId('sb-tick').innerText()).trim()).toBe('· Not sent.');
      expect(await failed.getByTestId('sb-tick').getAttribute('data-state')).toBe('failed');
      await screenshot(page, 'widget-not-sent');
      // The old client sent it again every 2 s, for ever: wait out more than two of those.
      await page.waitForTimeout(5000);
      expect(sends()).toBe(1);
      expect(await failed.count()).toBe(1);
    } finally {
      await undo();
    }
    await page.getByTestId('sb-input').fill('This one is fine');
    await page.getByTestId('sb-input').press('Enter');
    await until(async () => (await transcript(page)).some(([seq, , body]) => seq === '1' && body === 'This one is fine'), 'the next one sent');
    expect(sends()).toBe(2);
    expect((await t.http.ok(SessionDocument, { id: sessionId }, supervisor)).session?.lastSeq).toBe(1);
  });
});

describe('a chat, as the visitor and the agent see it', () => {
  let agent: TestAgent;
  let ben: TestAgent;
  let page: Page;
  let console: Page;
  let sessionId: string;

  it('should show who joined, in both transcripts, and make links clickable without parsing HTML', async () => {
    agent = await agentNamed('Ada Agent');
    await agent.socket!.dispose();
    agent.socket = undefined;
    console = await visitorPage(); // a page of its own: another person's machine
    await signInConsole(console, t.server.url, agent);
    page = await visitorPage();
    await shopPage(page, '');
    sessionId = await startFromWidget(page, 'Lia Link');
    await until(async () => (await events(page)).includes('Ada Agent joined'), 'joined in the widget');
    await until(async () => (await console.getByTestId('sb-session').count()) === 1, 'chat in the console');
    await t.http.ok(SendMessageDocument, { input: { sessionId, body: 'Track it at https://example.com/track?id=7. Or <a href="javascript:alert(1)">here</a>' } }, agent.token);
    const link = page.locator('switchboard-widget').locator('.bubble a');
    await until(async () => (await link.count()) === 1, 'link in the widget');
    expect(await link.getAttribute('href')).toBe('https://example.com/track?id=7');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.innerText()).toBe('https://example.com/track?id=7');
    // The markup stays text, the whole body as written.
    expect((await transcript(page)).at(-1)?.[2]).toBe('Track it at https://example.com/track?id=7. Or <a href="javascript:alert(1)">here</a>');
    await console.locator(`[data-testid="sb-session"][data-session-id="${sessionId}"]`).click();
    expect(await events(console)).toEqual(['Assigned to you']);
    const consoleLink = console.locator('.bubble a');
    await until(async () => (await consoleLink.count()) === 1, 'link in the console');
    expect(await consoleLink.getAttribute('href')).toBe('https://example.com/track?id=7');
    expect(await consoleLink.getAttribute('rel')).toBe('noopener noreferrer nofollow');
  });

  it('should show a transfer and who ended the chat, inline, with no message added', async () => {
    ben = await buildOnlineAgent(t, { name: 'Ben Backup', skills: ['nothing-else'] });
    agents.push(ben);
    await t.http.ok(TransferChatDocument, { sessionId, toAgentId: ben.id }, agent.token);
    await until(async () => (await events(page)).includes('Transferred to Ben Backup'), 'transfer in the widget');
    await until(async () => (await text(page, 'sb-status')).includes('Chatting with Ben Backup'), 'status');
    // Ada's console can no longer see where it went, only that it left her.
    await until(async () => (await events(console)).includes('Transferred away'), 'transfer in the console');
    await t.http.ok(CloseChatDocument, { sessionId }, ben.token);
    await until(async () => (await events(page)).includes('Chat ended by Ben Backup'), 'ended in the widget');
    expect(await events(page)).toEqual(['Ada Agent joined', 'Transferred to Ben Backup', 'Chat ended by Ben Backup']);
    // seq is the people's own: one message, seq 1.
    const { session } = await t.http.ok(SessionDocument, { id: sessionId }, supervisor);
    expect(session?.lastSeq).toBe(1);
  });
});

describe('ending a chat from the keyboard, and the rating', () => {
  it('should ask before ending, keep focus in the widget, and rate with the arrow keys', async () => {
    const agent = await agentNamed('Rita Rater');
    const page = await visitorPage();
    await page.goto(`${t.server.url}/`);
    const sessionId = await startFromWidget(page, 'Kim Keys');
    await until(async () => (await text(page, 'sb-status')).includes('Chatting with Rita Rater'), 'assigned');
    for (const body of ['one', 'two', 'three', 'four', 'five', 'six', 'the last line']) {
      await t.http.ok(SendMessageDocument, { input: { sessionId, body } }, agent.token);
    }
    await until(async () => (await transcript(page)).length === 7, 'transcript');
    await page.getByTestId('sb-end').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('sb-end-dialog').waitFor();
    expect(await focused(page)).toBe('sb-end-confirm');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('sb-end-cancel');
    await page.keyboard.press('Enter'); // Keep chatting
    expect(await focused(page)).toBe('sb-input');
    const { session: still } = await t.http.ok(SessionDocument, { id: sessionId }, supervisor);
    expect(still?.status).toBe('ACTIVE');

    await page.getByTestId('sb-end').click();
    await page.keyboard.press('Enter');
    await until(async () => (await focused(page)) === 'sb-rating-1', 'focus on the first star');
    expect(await events(page)).toContain('Chat ended by you');
    // A radio group: arrows choose, the choice follows the focus.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await focused(page)).toBe('sb-rating-3');
    expect(await page.getByTestId('sb-rating-3').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('sb-rating-1').getAttribute('aria-checked')).toBe('false');
    expect(await page.locator('switchboard-widget').locator('[role="radiogroup"]').count()).toBe(1);
    // The conversation's end stays in view above the prompt, in the same scrolling pane.
    const last = await page.locator('switchboard-widget').locator('[data-testid="sb-message"]').last().boundingBox();
    const body = await page.locator('switchboard-widget').locator('.body').boundingBox();
    const rating = await page.getByTestId('sb-rating').boundingBox();
    expect(last!.y).toBeGreaterThanOrEqual(body!.y);
    expect(last!.y + last!.height).toBeLessThanOrEqual(rating!.y);
    // Its buttons on one axis.
    const submit = await page.getByTestId('sb-rating-submit').boundingBox();
    const again = await page.getByTestId('sb-new-chat').boundingBox();
    expect(submit!.x).toBeCloseTo(again!.x, 0);
    expect(submit!.width).toBeCloseTo(again!.width, 0);
    await page.keyboard.press('Tab'); // comment
    await page.keyboard.type('Quick and kind');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('sb-rating-submit');
    await page.keyboard.press('Enter');
    await until(async () => (await text(page, 'sb-rating')).includes('Thank you'), 'rated');
    expect(await focused(page)).toBe('sb-new-chat');
    const { session } = await t.http.ok(SessionDocument, { id: sessionId }, supervisor);
    expect(session).toMatchObject({ rating: 3, ratingComment: 'Quick and kind' });
  });

  it('should offer no rating for a chat nobody took', async () => {
    const page = await visitorPage();
    await page.goto(`${t.server.url}/`);
    await page.getByTestId('sb-launcher').click();
    await page.getByTestId('sb-name').fill('Una Waiting');
    await only(null); // nobody can take it
    await emailIfOffline(page);
    await page.getByTestId('sb-start').click();
    await until(async () => /Waiting for an agent/.test(await text(page, 'sb-status')), 'queued');
    await page.getByTestId('sb-end').click();
    await page.getByTestId('sb-end-confirm').click();
    await page.getByTestId('sb-unanswered').waitFor();
    expect(await page.getByTestId('sb-rating-1').count()).toBe(0);
    expect(await focused(page)).toBe('sb-new-chat');
    expect(await events(page)).toEqual(['Chat ended before anyone joined']);
    expect(suite.pages.flatMap((p) => p.errors)).toEqual([]);
    expect(await page.getByTestId('sb-new-chat').evaluate((el) => getComputedStyle(el).cursor)).toBe('pointer');
  });
});
