/**
 * The frontends in a real browser (Debian's Chromium via playwright-core), against a real server
 * that serves them: the widget on the demo page, the agent console, and the playground.
 * Screenshots go to test-output/browser/.
 */
import type { Browser, Page, WebSocket as PageSocket } from 'playwright-core';
import { SendMessageDocument, SessionDocument } from './generated/graphql';
import { editorValue, focused, launchBrowser, openPage, screenshot, setEditor, transcript, type Watched } from './support/browser';
import { SUPERVISOR } from './support/env';
import { buildAgent, buildOnlineAgent, loginSupervisor, startChat, waitFor, type TestAgent } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

jest.setTimeout(60_000);

// What the page-side callbacks use: they run in the browser, this file compiles without the DOM lib.
declare const localStorage: { getItem(key: string): string | null };
declare const location: { origin: string };
declare function getComputedStyle(el: unknown): { backgroundColor: string };

let t: TestServer;
let base: string;
let browser: Browser;
let visitor: Watched;
let agentUi: Watched;
let agent: TestAgent;
let sessionId: string;
/** The widget's WebSockets, with the frames each sent. */
const visitorSockets: { socket: PageSocket; sent: string[] }[] = [];

const AGENT_NAME = 'Ada Agent';
const VISITOR_NAME = 'Vera Visitor';

beforeAll(async () => {
  t = await startTestServer();
  base = t.server.url;
  browser = await launchBrowser();
  agent = await buildAgent(t, { name: AGENT_NAME });
  visitor = await openPage(browser);
  visitor.page.on('websocket', (socket) => {
    const entry = { socket, sent: [] as string[] };
    socket.on('framesent', (frame) => entry.sent.push(String(frame.payload)));
    visitorSockets.push(entry);
  });
  agentUi = await openPage(browser);
});


/** Polls until `check` holds (the UIs update asynchronously). */
const until = <T>(check: () => Promise<T | false | null | undefined>, what: string, timeoutMs = 10_000) =>
  waitFor(check, timeoutMs, 50).catch(async (error: Error) => {
    // What the two people saw when it did not happen, for the test output.
    const name = `failed-${what.replace(/\W+/g, '-')}`;
    await Promise.all([
      screenshot(visitor.page, `${name}-visitor`).catch(() => undefined),
      screenshot(agentUi.page, `${name}-agent`).catch(() => undefined),
    ]);
    throw new Error(`${what}: ${error.message} (screenshots: test-output/browser/${name}-*.png)`);
  });

const widget = (page: Page) => page.locator('switchboard-widget');
const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).count()) ? await page.getByTestId(testId).first().innerText() : '');
const seqsOf = (rows: [string | null, string | null, string][]) => rows.map(([seq]) => Number(seq));

describe('the widget, the console and the playground in a browser', () => {
  it('should let a visitor open the widget on the demo page and write, from the keyboard', async () => {
    const { page } = visitor;
    await page.goto(`${base}/`);
    await page.getByTestId('sb-launcher').focus();
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('sb-name');
    await screenshot(page, 'widget-prechat');
    await page.keyboard.type(VISITOR_NAME);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('sb-email');
    await page.keyboard.type('vera@example.com');
    // Nobody is online yet: the offline form (desk extension) asks for the message too.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('sb-offline-message');
    await page.keyboard.type('Hello, my order #1234 has not arrived. <b>Help</b>?');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('sb-start');
    await page.keyboard.press('Enter');
    // The visitor is queued and told where, and that the answer may come by email.
    await until(async () => /number 1 in the queue.*vera@example\.com/.test(await text(page, 'sb-status')), 'queue position shown');
    await page.getByTestId('sb-input').waitFor();
    expect(await focused(page)).toBe('sb-input');
    await until(async () => (await transcript(page)).some(([seq, author]) => seq === '1' && author === 'VISITOR'), 'first message confirmed');

    const rows = await transcript(page);
    expect(rows).toEqual([['1', 'VISITOR', 'Hello, my order #1234 has not arrived. <b>Help</b>?']]);
    // Text is text: the markup was not parsed.
    expect(await widget(page).locator('.bubble b').count()).toBe(0);
    // The host page paints every button pink; the widget's shadow root keeps its own style.
    const sendBackground = await page.getByTestId('sb-send').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(sendBackground).not.toBe('rgb(255, 105, 180)');
    // The session survives reloads: token and session id are in localStorage.
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem(`switchboard:${location.origin}`) ?? '{}'));
    expect(saved).toMatchObject({ token: expect.any(String), sessionId: expect.any(String) });
    sessionId = saved.sessionId;
    // Escape closes the panel and gives focus back to the launcher; Enter opens it again.
    await page.keyboard.press('Escape');
    expect(await focused(page)).toBe('sb-launcher');
    expect(await page.getByTestId('sb-input').isVisible()).toBe(false);
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('sb-input');
    expect(visitor.errors).toEqual([]);
  });

  it('should show the queued chat in the console, and assign it when the agent goes online', async () => {
    const { page } = agentUi;
    await page.goto(`${base}/console`);
    await page.getByTestId('sb-login-email').fill(agent.email);
    await page.getByTestId('sb-login-password').fill(agent.password);
    await page.getByTestId('sb-login-submit').click();
    await page.getByTestId('sb-status-select').waitFor();
    expect(await page.getByTestId('sb-status-select').inputValue()).toBe('OFFLINE');
    await page.locator(`[data-testid="sb-queue-item"][data-session-id="${sessionId}"]`).waitFor();

    await page.getByTestId('sb-status-select').selectOption('ONLINE');
    // Assigned live, without a reload: it leaves the queue and appears in my chats, unread.
    const item = page.locator(`[data-testid="sb-session"][data-session-id="${sessionId}"]`);
    await item.waitFor({ timeout: 10_000 });
    await until(async () => (await page.getByTestId('sb-queue-item').count()) === 0, 'queue emptied');
    await until(async () => (await item.getByTestId('sb-unread').count()) === 1 && (await item.getByTestId('sb-unread').innerText()) === '1', 'unread count');
    expect(await visitor.page.getByTestId('sb-tick').first().getAttribute('data-state')).toBe('sent');
    await item.click();
    await item.getByTestId('sb-unread').waitFor({ state: 'detached' });
    await until(async () => (await transcript(page)).length === 1, 'transcript in the console');
    expect(await transcript(page)).toEqual([['1', 'VISITOR', 'Hello, my order #1234 has not arrived. <b>Help</b>?']]);
    // The widget learns who it is talking to.
    await until(async () => (await text(visitor.page, 'sb-status')).includes(`Chatting with ${AGENT_NAME}`), 'agent name in the widget');
    // The agent has the chat open: the visitor's message shows as read.
    await until(async () => (await visitor.page.getByTestId('sb-tick').first().getAttribute('data-state')) === 'read', 'read tick in the widget');
  });

  it('should carry typing and the reply to the visitor, and the visitor typing to the agent', async () => {
    const { page } = agentUi;
    await page.getByTestId('sb-input').click();
    await page.keyboard.type('Sorry to hear that, let me check', { delay: 10 });
    await visitor.page.getByTestId('sb-typing').waitFor();
    expect(await text(visitor.page, 'sb-typing')).toContain(`${AGENT_NAME} is typing`);
    await screenshot(visitor.page, 'widget-agent-typing');
    await page.keyboard.press('Enter');
    await until(async () => (await transcript(visitor.page)).some(([seq, author]) => seq === '2' && author === 'AGENT'), 'reply in the widget');
    expect((await transcript(visitor.page))[1]).toEqual(['2', 'AGENT', 'Sorry to hear that, let me check']);
    await visitor.page.getByTestId('sb-typing').waitFor({ state: 'detached' });
    // The visitor's widget is open, so the reply is read: the console shows it.
    await until(async () => (await page.getByTestId('sb-tick').last().getAttribute('data-state')) === 'read', 'read tick in the console');

    await visitor.page.getByTestId('sb-input').click();
    await visitor.page.keyboard.type('Thanks!', { delay: 10 });
    await page.getByTestId('sb-typing').waitFor();
    expect(await text(page, 'sb-typing')).toContain(`${VISITOR_NAME} is typing`);
    await visitor.page.keyboard.press('Enter');
    await until(async () => (await transcript(page)).length === 3, 'third message in the console');
    await page.getByTestId('sb-typing').waitFor({ state: 'detached' });
    // A second visitor arrives meanwhile: a new chat in the list, unread, without a reload.
    const second = await startChat(t, { name: 'Sam Shopper', message: 'Do you ship to Norway?' });
    const secondItem = page.locator(`[data-testid="sb-session"][data-session-id="${second.session.id}"]`);
    await until(async () => (await secondItem.getByTestId('sb-unread').count()) === 1, 'second chat, unread');
    await page.getByTestId('sb-input').fill('Let me look up the parcel');
    await page.getByTestId('sb-input').press('End');
    await page.keyboard.type('…', { delay: 10 });
    await visitor.page.getByTestId('sb-typing').waitFor();
    await screenshot(page, 'console-chat');
    await screenshot(visitor.page, 'widget-chat');
    await page.getByTestId('sb-input').fill('');
    await page.getByTestId('sb-input').blur();
    await visitor.page.getByTestId('sb-typing').waitFor({ state: 'detached' });
  });

  it('should keep the transcript intact when the visitor reloads the page', async () => {
    const { page } = visitor;
    const before = await transcript(page);
    expect(seqsOf(before)).toEqual([1, 2, 3]);
    await page.reload();
    // The panel was open: it opens again, with the same session and messages, each once.
    await until(async () => (await transcript(page)).length === before.length, 'transcript after reload');
    expect(await transcript(page)).toEqual(before);
    expect(await text(page, 'sb-status')).toContain(`Chatting with ${AGENT_NAME}`);
    // And it is live again.
    await agentUi.page.getByTestId('sb-input').fill('I found your parcel.');
    await agentUi.page.getByTestId('sb-send').click();
    await until(async () => (await transcript(page)).length === 4, 'live after reload');
    expect(seqsOf(await transcript(page))).toEqual([1, 2, 3, 4]);
  });

  it('should lose nothing and repeat nothing across a network drop', async () => {
    const { page, context } = visitor;
    const socketsBefore = visitorSockets.length;
    await context.setOffline(true);
    await page.getByTestId('sb-connection').waitFor({ timeout: 15_000 });

    // While the visitor is away: the agent writes three messages, the visitor one.
    for (const body of ['It ships today.', 'Tracking number: NW-778-21.', 'Anything else?']) {
      await t.http.ok(SendMessageDocument, { input: { sessionId, body } }, agent.token);
    }
    await page.getByTestId('sb-input').fill('Written while offline');
    await page.getByTestId('sb-send').click();
    await until(async () => (await page.locator('[data-testid="sb-message"][data-pending]').count()) === 1, 'pending while offline');
    expect(seqsOf(await transcript(page)).slice(0, 4)).toEqual([1, 2, 3, 4]);
    await screenshot(page, 'widget-offline');

    await context.setOffline(false);
    await page.getByTestId('sb-connection').waitFor({ state: 'hidden', timeout: 15_000 });
    await until(async () => {
      const rows = await transcript(page);
      return rows.length === 8 && rows.every(([seq]) => seq !== null);
    }, 'everything after the drop', 15_000);
    const rows = await transcript(page);
    expect(seqsOf(rows)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.slice(4, 7).map(([, , body]) => body)).toEqual(['It ships today.', 'Tracking number: NW-778-21.', 'Anything else?']);
    expect(rows[7]).toEqual(['8', 'VISITOR', 'Written while offline']);

    // A new socket, which resubscribed from the last seq it had seen (4), not from the start.
    const resubscribes = visitorSockets
      .slice(socketsBefore)
      .flatMap((s) => s.sent.map((f) => JSON.parse(f) as { type: string; payload?: { query: string; variables?: { afterSeq?: number } } }))
      .filter((m) => m.type === 'subscribe' && m.payload?.query.includes('messageAdded'));
    expect(resubscribes.length).toBeGreaterThan(0);
    expect(resubscribes.map((m) => m.payload?.variables?.afterSeq)).toEqual(resubscribes.map(() => 4));
    // The only errors in the page while offline are the requests that could not go out.
    visitor.errors.splice(0, visitor.errors.length, ...visitor.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED')));
    // The agent sees the offline message exactly once.
    await until(async () => (await transcript(agentUi.page)).length === 8, 'console has all 8');
    expect(seqsOf(await transcript(agentUi.page))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await transcript(agentUi.page)).filter(([, , body]) => body === 'Written while offline')).toHaveLength(1);
  });

  it('should transfer a chat to a teammate from the console', async () => {
    const { page } = agentUi;
    // A teammate who is available: ONLINE, connected, with free slots.
    const ben = await buildOnlineAgent(t, { name: 'Ben Backup' });
    const sam = page.locator('[data-testid="sb-session"]', { hasText: 'Sam Shopper' });
    const samId = (await sam.getAttribute('data-session-id'))!;
    await sam.click();
    await until(async () => (await transcript(page)).some(([, , body]) => body === 'Do you ship to Norway?'), "Sam's transcript");
    await page.getByTestId('sb-transfer').click();
    const options = await page.getByTestId('sb-transfer-target').locator('option').evaluateAll((els) => els.map((el) => el.getAttribute('value')));
    expect(options).toEqual(expect.arrayContaining(['queue', ben.id]));
    await until(async () => (await page.getByTestId('sb-transfer-target').innerText()).includes('Ben Backup — online'), "Ben's status in the list");
    await page.getByTestId('sb-transfer-target').selectOption(ben.id);
    await page.getByTestId('sb-transfer-confirm').click();
    // It leaves me at once; it is Ben's now.
    await until(async () => (await sam.getAttribute('data-status')) === 'GONE', 'transferred away');
    expect(await sam.innerText()).toContain('Transferred to Ben Backup');
    const { session } = await t.http.ok(SessionDocument, { id: samId }, ben.token);
    expect(session?.agent?.id).toBe(ben.id);
    await page.locator('[data-testid="sb-session"]', { hasText: VISITOR_NAME }).click();
    await until(async () => (await transcript(page)).length === 8, "back on Vera's chat");
  });

  it('should close the chat from the console and ask the visitor for a rating', async () => {
    await agentUi.page.getByTestId('sb-close').click();
    await visitor.page.getByTestId('sb-rating').waitFor();
    await until(async () => (await text(visitor.page, 'sb-status')).includes('ended'), 'closed status in the widget');
    await visitor.page.getByTestId('sb-rating-5').click();
    await visitor.page.getByTestId('sb-rating-submit').click();
    await until(async () => (await text(visitor.page, 'sb-rating')).includes('Thank you'), 'rating accepted');
    await screenshot(visitor.page, 'widget-rated');
    expect(visitor.errors).toEqual([]);
    expect(agentUi.errors).toEqual([]);
  });

  it('should show a supervisor the team, its load and the metrics chart', async () => {
    const boss = await openPage(browser);
    await boss.page.goto(`${base}/console`);
    await boss.page.getByTestId('sb-login-email').fill(SUPERVISOR.email);
    await boss.page.getByTestId('sb-login-password').fill(SUPERVISOR.password);
    await boss.page.getByTestId('sb-login-submit').click();
    await boss.page.getByTestId('sb-team-tab').click();
    await boss.page.getByTestId('sb-chart').waitFor();
    await until(async () => (await boss.page.getByTestId('sb-agent-row').count()) >= 2, 'team rows');
    const metrics = await boss.page.getByTestId('sb-metrics').innerText();
    // Vera's chat and Sam's (which may have come back to Ada when Vera's closed): at least 2.
    expect(Number(/Chats assigned\s+(\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/Chats closed\s+1/);
    expect(metrics).toMatch(/Rating\s+5\.0 \/ 5/);
    const adaRow = await boss.page.locator(`[data-testid="sb-agent-row"][data-agent-id="${agent.id}"]`).innerText();
    expect(adaRow).toContain(AGENT_NAME);
    expect(adaRow).toMatch(/online/);
    await screenshot(boss.page, 'console-team');
    expect(boss.errors).toEqual([]);
    await boss.context.close();
  });

  it('should serve the playground with no external request, and run a query and a subscription', async () => {
    const pg = await openPage(browser);
    const token = await loginSupervisor(t);
    // GET /graphql from a browser is the playground; ?query= and ?headers= pre-fill it.
    const url = `${base}/graphql?${new URLSearchParams({ query: '{ me { name role } }', headers: JSON.stringify({ Authorization: `Bearer ${token}` }) })}`;
    await pg.page.goto(url);
    await pg.page.locator('.graphiql-container').waitFor();
    expect(await editorValue(pg.page, 'query')).toBe('{ me { name role } }');
    await pg.page.locator('.graphiql-execute-button').click();
    await until(async () => (await editorValue(pg.page, 'response')).includes('"role": "SUPERVISOR"'), 'query result');
    await screenshot(pg.page, 'playground-query');

    // A subscription, authorised by a token typed into the headers editor.
    const { startChat } = await t.http.ok(
      `mutation { startChat(input: { name: "Pat", message: "first" }) { visitorToken session { id } } }`,
    ) as { startChat: { visitorToken: string; session: { id: string } } };
    const query = `subscription Follow($id: ID!) { messageAdded(sessionId: $id, afterSeq: 0) { seq author body } }`;
    await pg.page.goto(`${base}/playground?${new URLSearchParams({ query, variables: JSON.stringify({ id: startChat.session.id }) })}`);
    await pg.page.locator('.graphiql-container').waitFor();
    await setEditor(pg.page, 'headers', JSON.stringify({ Authorization: `Bearer ${startChat.visitorToken}` }));
    await pg.page.locator('.graphiql-execute-button').click();
    await until(async () => (await editorValue(pg.page, 'response')).includes('"body": "first"'), 'replayed message');
    await t.http.ok(
      `mutation($id: ID!) { sendMessage(input: { sessionId: $id, body: "second, live" }) { seq } }`,
      { id: startChat.session.id },
      // The visitor writes again; the subscription in the page shows it live.
      startChat.visitorToken,
    );
    await until(async () => (await editorValue(pg.page, 'response')).includes('"body": "second, live"'), 'live message in the playground');
    await screenshot(pg.page, 'playground-subscription');

    const origin = new URL(base).origin;
    const external = pg.requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:') && !r.startsWith(origin.replace('http', 'ws')));
    expect(external).toEqual([]);
    expect(pg.errors).toEqual([]);
    await pg.context.close();
  });
});

describe('the frontends over plain HTTP', () => {
  it('should serve the pages and the widget, and leave API GETs on /graphql to Apollo', async () => {
    const widgetJs = await fetch(`${base}/widget.js`);
    expect(widgetJs.status).toBe(200);
    expect(widgetJs.headers.get('content-type')).toMatch(/javascript/);
    for (const path of ['/', '/console', '/playground']) {
      const page = await fetch(`${base}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    const browserGet = await fetch(`${base}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(await browserGet.text()).toContain('/playground/playground.js');
    const apiGet = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await apiGet.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await t.http.request('{ __typename }');
    expect(post.data).toEqual({ __typename: 'Query' });
  });
});

describe('the frontends over plain HTTP: compression', () => {
  it('should send the bundles gzipped to clients that accept it, and API answers as they were', async () => {
    const gzip = { 'accept-encoding': 'gzip' };
    const bundle = await fetch(`${base}/playground/playground.js`, { headers: gzip });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-encoding')).toBe('gzip');
    expect((await bundle.text()).length).toBeGreaterThan(100_000); // decoded by fetch: the whole bundle
    const api = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { ...gzip, 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename ${'x: __typename '.repeat(20)}}` }),
    });
    expect(api.headers.get('content-encoding')).toBeNull();
    expect(((await api.json()) as { data: { __typename: string } }).data.__typename).toBe('Query');
  });
});
