/**
 * The console as agents and supervisors live it, in Chromium: chats assigned while it connects,
 * signing out or going offline with chats, whom a chat can be transferred to, presence in the
 * Team view, a supervisor's view of every live chat, the queue; and the playground's tabs.
 */
import type { Page } from 'playwright-core';
import {
  CloseChatDocument,
  MeDocument,
  QueueDocument,
  RateChatDocument,
  SendMessageDocument,
  SessionDocument,
  SetStatusDocument,
} from './generated/graphql';
import { editorValue, screenshot, updateReadmeScreenshot, setEditor, signInConsole, transcript, useBrowserSuite } from './support/browser';
import { SUPERVISOR } from './support/env';
import { buildAgent, buildOnlineAgent, connect, startChat, uniqueSkill, type TestAgent } from './support/factories';
import type { TestServer } from './support/server';

jest.setTimeout(90_000);

declare function getComputedStyle(el: unknown): { cursor: string };

// No grace period: a closed console is offline at once, so each login below starts afresh.
const suite = useBrowserSuite({ PRESENCE_GRACE_SECONDS: '0' });
const { until, agents } = suite;
let t: TestServer;
let supervisor: string;
beforeAll(() => ({ t, supervisor } = suite));
const page = () => suite.page();

/** An agent of its own skill (so no other test's chat reaches it), ONLINE, with no console yet. */
async function agentWithSkill(name: string, maxConcurrentChats = 3): Promise<TestAgent & { skill: string }> {
  const skill = uniqueSkill();
  const agent = await buildAgent(t, { name, skills: [skill], maxConcurrentChats });
  agents.push(agent);
  await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, agent.token);
  return Object.assign(agent, { skill });
}

const sessionStatus = async (id: string) => (await t.http.ok(SessionDocument, { id }, supervisor)).session!;
const count = async (p: Page, testId: string) => Number(await p.getByTestId(testId).innerText());

describe('chats assigned while the console connects', () => {
  it('should show every one of them in My chats, never still in the queue, on each of 6 logins', async () => {
    const ada = await agentWithSkill('Ada Agent');
    const chats = await Promise.all([1, 2, 3].map((i) => startChat(t, { skill: ada.skill, name: `Waiting ${i}` })));
    for (let login = 1; login <= 6; login++) {
      // ONLINE but not connected: the three wait in the queue until the console opens.
      for (const c of chats) expect((await sessionStatus(c.session.id)).status).toBe('QUEUED');
      const { page: p, context } = await page();
      await signInConsole(p, t.server.url, ada);
      await until(async () => (await count(p, 'sb-mine-count')) === 3 && (await p.getByTestId('sb-session').count()) === 3, `login ${login}: three chats`);
      expect(await p.getByTestId('sb-queue-item').count()).toBe(0);
      // Hand them back (OFFLINE requeues), back to ONLINE once the console is gone, for the next login.
      await t.http.ok(SetStatusDocument, { status: 'OFFLINE' }, ada.token);
      await context.close();
      await until(async () => (await t.http.ok(MeDocument, {}, ada.token)).me?.online === false, 'console gone');
      await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, ada.token);
    }
    for (const c of chats) await t.http.ok(CloseChatDocument, { sessionId: c.session.id }, supervisor);
  });
});

describe('signing out, going offline', () => {
  it('should ask whether to hand back the chats on Sign out, say how many, and do it', async () => {
    const bo = await agentWithSkill('Bo Busy');
    const chats = [await startChat(t, { skill: bo.skill }), await startChat(t, { skill: bo.skill })];
    const { page: p } = await page();
    await signInConsole(p, t.server.url, bo);
    await until(async () => (await count(p, 'sb-mine-count')) === 2, 'two chats');
    await p.getByTestId('sb-sign-out').click();
    const dialog = p.getByTestId('sb-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('You have 2 chats open');
    await p.getByTestId('sb-dialog-cancel').click();
    expect(await dialog.count()).toBe(0);
    await p.getByTestId('sb-sign-out').click();
    await p.getByTestId('sb-signout-handback').click();
    await p.getByTestId('sb-login-email').waitFor();
    for (const c of chats) expect(await sessionStatus(c.session.id)).toMatchObject({ status: 'QUEUED', agent: null });
    const { me } = await t.http.ok(MeDocument, {}, bo.token);
    expect(me?.status).toBe('OFFLINE');
    for (const c of chats) await t.http.ok(CloseChatDocument, { sessionId: c.session.id }, supervisor);
  });

  it('should ask before Offline hands chats back, and stay Online when cancelled', async () => {
    const cy = await agentWithSkill('Cy Careful');
    const { session } = await startChat(t, { skill: cy.skill });
    const { page: p } = await page();
    await signInConsole(p, t.server.url, cy);
    await until(async () => (await count(p, 'sb-mine-count')) === 1, 'one chat');
    await p.getByTestId('sb-status-select').selectOption('OFFLINE');
    await p.getByTestId('sb-dialog').waitFor();
    expect(await p.getByTestId('sb-dialog').innerText()).toContain('1 chat back');
    await p.getByTestId('sb-dialog-cancel').click();
    expect(await p.getByTestId('sb-status-select').inputValue()).toBe('ONLINE');
    expect((await sessionStatus(session.id)).status).toBe('ACTIVE');
    await p.getByTestId('sb-status-select').selectOption('OFFLINE');
    await p.getByTestId('sb-offline-confirm').click();
    await until(async () => (await p.getByTestId('sb-status-select').inputValue()) === 'OFFLINE', 'offline');
    expect((await sessionStatus(session.id)).status).toBe('QUEUED');
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, supervisor);
  });
});

describe('transferring, and the Team view', () => {
  it('should offer only agents who can take the chat, and say why the others cannot', async () => {
    const dee = await agentWithSkill('Dee Desk');
    const free = await buildOnlineAgent(t, { name: 'Fay Free' });
    const full = await buildOnlineAgent(t, { name: 'Gus Full', maxConcurrentChats: 1, skills: ['gus-only'] });
    const away = await buildAgent(t, { name: 'Hal Unplugged' });
    await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, away.token); // ONLINE, no console
    agents.push(free, full, away);
    await startChat(t, { skill: 'gus-only' }); // fills Gus
    const { session } = await startChat(t, { skill: dee.skill });
    const { page: p } = await page();
    await signInConsole(p, t.server.url, dee);
    await p.locator(`[data-testid="sb-session"][data-session-id="${session.id}"]`).click();
    await p.getByTestId('sb-transfer').click();
    const option = (name: string) => p.getByTestId('sb-transfer-target').locator('option', { hasText: name });
    await until(async () => (await option('Gus Full').innerText()).includes('no free slot'), 'Gus full');
    expect(await option('Fay Free').isDisabled()).toBe(false);
    expect(await option('Fay Free').innerText()).toMatch(/Fay Free — online, 0\/3 chats/);
    expect(await option('Gus Full').isDisabled()).toBe(true);
    expect(await option('Hal Unplugged').isDisabled()).toBe(true);
    expect(await option('Hal Unplugged').innerText()).toContain('not connected');
    await p.getByTestId('sb-transfer-target').selectOption(free.id);
    await p.getByTestId('sb-transfer-confirm').click();
    await until(async () => (await sessionStatus(session.id)).agent?.id === free.id, 'transferred to Fay');

    // The Team view says what routing sees, in one indicator per agent.
    const boss = await page();
    await signInConsole(boss.page, t.server.url, SUPERVISOR);
    await boss.page.getByTestId('sb-team-tab').click();
    const presence = (agent: TestAgent) => boss.page.locator(`[data-testid="sb-agent-row"][data-agent-id="${agent.id}"] [data-testid="sb-presence"]`);
    await presence(away).waitFor();
    expect(await presence(away).getAttribute('data-state')).toBe('unreachable');
    expect(await presence(away).innerText()).toContain('online, not connected');
    expect(await presence(free).getAttribute('data-state')).toBe('available');
    expect(await boss.page.locator('.grid thead').innerText()).not.toMatch(/Connected/i);
    // For the README: the Team view once the agents' numbers are in.
    await until(async () => /\b1\b/.test(await boss.page.locator(`[data-testid="sb-agent-row"][data-agent-id="${free.id}"] td:nth-child(3)`).innerText()), "Fay's numbers");
    updateReadmeScreenshot(await screenshot(boss.page, 'console-team-presence'), 'console-team');
  });
});

describe('a supervisor', () => {
  it('should see every live chat, read it, join it, and assign a queued chat to a named agent', async () => {
    const eve = await agentWithSkill('Eve Expert');
    eve.socket = await connect(t, eve.token);
    const { session: live, token: visitor } = await startChat(t, { skill: eve.skill, name: 'Walt Watched', message: 'Where is my parcel?' });
    expect(live.agent?.id).toBe(eve.id);
    const boss = await page();
    await signInConsole(boss.page, t.server.url, SUPERVISOR);
    const watched = boss.page.locator(`[data-testid="sb-team-session"][data-session-id="${live.id}"]`);
    await watched.waitFor();
    expect(await watched.innerText()).toContain('with Eve Expert');
    await watched.click();
    await until(async () => (await transcript(boss.page)).some(([, , body]) => body === 'Where is my parcel?'), 'transcript read');
    expect(await boss.page.getByTestId('sb-input').count()).toBe(0); // read only
    await t.http.ok(SendMessageDocument, { input: { sessionId: live.id, body: 'Still there?' } }, visitor);
    await until(async () => (await transcript(boss.page)).some(([, , body]) => body === 'Still there?'), 'live in the supervisor view');
    // Join: to be taken over, the supervisor must be available as routing means it.
    await boss.page.getByTestId('sb-status-select').selectOption('ONLINE');
    await boss.page.getByTestId('sb-join').click();
    await until(async () => (await sessionStatus(live.id)).agent?.name === 'Supervisor', 'joined');
    await boss.page.getByTestId('sb-input').waitFor();
    await until(async () => (await boss.page.locator(`[data-testid="sb-session"][data-session-id="${live.id}"]`).count()) === 1, 'in My chats');

    // A queued chat (nobody has its skill), to Eve by hand; its "waiting since" is when it was put back.
    const { session: queued } = await startChat(t, { skill: uniqueSkill(), name: 'Quinn Queued' });
    const item = boss.page.locator(`[data-testid="sb-queue-item"][data-session-id="${queued.id}"]`);
    await item.waitFor();
    expect(await item.evaluate((el) => getComputedStyle(el).cursor)).toBe('default');
    const { queue } = await t.http.ok(QueueDocument, {}, supervisor);
    expect(await item.getByTestId('sb-waiting-since').getAttribute('datetime')).toBe(queue.find((q) => q.id === queued.id)!.queuedAt);
    await item.getByTestId('sb-assign-target').selectOption(eve.id);
    await item.getByTestId('sb-assign').click();
    await until(async () => (await sessionStatus(queued.id)).agent?.id === eve.id, 'assigned by hand');
    await item.waitFor({ state: 'detached' });
    expect(boss.errors).toEqual([]);
  });

  it('should show the rating comment next to the chat it rates', async () => {
    const rae = await agentWithSkill('Rae Rated');
    const { session, token } = await startChat(t, { skill: rae.skill, name: 'Cora Comment' });
    const { page: p } = await page();
    await signInConsole(p, t.server.url, rae);
    await p.locator(`[data-testid="sb-session"][data-session-id="${session.id}"]`).click();
    await p.getByTestId('sb-close').click();
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 4, comment: 'Helpful, a bit slow' }, token);
    await until(async () => (await p.getByTestId('sb-rating-comment').count()) === 1, 'comment shown');
    expect(await p.getByTestId('sb-rating-comment').innerText()).toBe('“Helpful, a bit slow”');
    expect(await p.locator('.chat-head').innerText()).toContain('rated 4/5');
  });
});

describe('the playground', () => {
  it('should open on StartChat with its variables, keep its tabs across reloads, and share one Authorization', async () => {
    const { page: p } = await page();
    await p.goto(`${t.server.url}/playground`);
    await p.locator('.graphiql-container').waitFor();
    expect(await editorValue(p, 'query')).toContain('mutation StartChat');
    await until(async () => (await editorValue(p, 'variables')).includes('Ada Partner'), 'first tab variables');
    const tabs = await p.locator('.graphiql-tab').count();
    await p.reload();
    await p.locator('.graphiql-container').waitFor();
    await p.reload();
    await p.locator('.graphiql-container').waitFor();
    expect(await p.locator('.graphiql-tab').count()).toBe(tabs);
    expect(await editorValue(p, 'query')).toContain('mutation StartChat');

    // The first tab runs as loaded: its variables are there.
    await p.locator('.graphiql-execute-button').click();
    await until(async () => (await editorValue(p, 'response')).includes('visitorToken'), 'StartChat ran');
    // Paste a token in this tab (an agent's: StartChat is now refused, so it was sent) …
    await setEditor(p, 'headers', JSON.stringify({ Authorization: `Bearer ${supervisor}` }));
    await p.locator('.graphiql-execute-button').click();
    await until(async () => (await editorValue(p, 'response')).includes('Agents cannot start chats'), 'token sent');
    // … and another tab, with only the placeholder in its headers, uses it.
    await p.locator('.graphiql-tab', { hasText: 'Metrics' }).click();
    expect(await editorValue(p, 'headers')).toContain('<paste a token here>');
    await p.waitForTimeout(500); // GraphiQL reads the new tab's operation name after a debounce
    await p.locator('.graphiql-execute-button').click();
    await until(async () => (await editorValue(p, 'response')).includes('"chatsAssigned"'), 'shared token used');
  });
});
