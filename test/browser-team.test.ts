/**
 * Running the team from the console, in Chromium (team extension): a supervisor adds an agent,
 * that agent signs in elsewhere and takes a chat, the supervisor deactivates it (its console is
 * signed out) and finds the chat in the transcripts; an agent changes its own password.
 */
import { randomUUID } from 'node:crypto';
import { AllAgentsDocument, LoginDocument, SendMessageDocument, SessionDocument, SetStatusDocument } from './generated/graphql';
import { screenshot, signInConsole, transcript, useBrowserSuite } from './support/browser';
import { SUPERVISOR } from './support/env';
import { buildAgent, startChat, uniqueSkill } from './support/factories';
import type { TestServer } from './support/server';

jest.setTimeout(120_000);

const suite = useBrowserSuite({ PRESENCE_GRACE_SECONDS: '0' });
const { until } = suite;
let t: TestServer;
let supervisor: string;
beforeAll(() => ({ t, supervisor } = suite));

describe('the console for supervisors', () => {
  it('should add an agent who takes a chat, deactivate it (signed out), and find the chat in the transcripts', async () => {
    const skill = uniqueSkill();
    const email = `new-${randomUUID().slice(0, 8)}@example.com`;
    const boss = await suite.page();
    await signInConsole(boss.page, t.server.url, SUPERVISOR);
    await boss.page.getByTestId('sb-team-tab').click();

    // Add the agent from the console.
    await boss.page.getByTestId('sb-team-add').click();
    await boss.page.getByTestId('sb-agent-name').fill('Nina New');
    await boss.page.getByTestId('sb-agent-email').fill(email);
    await boss.page.getByTestId('sb-agent-password').fill('nina-password');
    await boss.page.getByTestId('sb-agent-skills').fill(skill);
    await boss.page.getByTestId('sb-agent-save').click();
    await boss.page.getByTestId('sb-agent-form').waitFor({ state: 'detached' });
    const nina = await until(async () => (await t.http.ok(AllAgentsDocument, {}, supervisor)).allAgents.find((a) => a.email === email), 'the agent created');
    expect(nina).toMatchObject({ name: 'Nina New', skills: [skill], role: 'AGENT', active: true });

    // She signs in in another browser (context), goes online and takes a chat.
    const agent = await suite.page();
    await signInConsole(agent.page, t.server.url, { email, password: 'nina-password' });
    await agent.page.getByTestId('sb-status-select').selectOption('ONLINE');
    await until(async () => (await t.http.ok(AllAgentsDocument, {}, supervisor)).allAgents.find((a) => a.id === nina.id)?.online === true, 'Nina online');
    const { session, token: visitor } = await startChat(t, { skill, name: 'Paula Transcript', message: 'my parcel never came' });
    expect(session.agent?.id).toBe(nina.id);
    await agent.page.locator(`[data-testid="sb-session"][data-session-id="${session.id}"]`).click();
    await agent.page.getByTestId('sb-input').fill('Sorry to hear that, Paula');
    await agent.page.getByTestId('sb-send').click();
    await until(async () => (await t.http.ok(SessionDocument, { id: session.id }, supervisor)).session?.lastSeq === 2, 'the reply stored');
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'thanks' } }, visitor);

    // The supervisor deactivates her: her console is signed out, the chat goes back to the queue.
    await boss.page.reload();
    await boss.page.getByTestId('sb-team-tab').click();
    await boss.page.locator(`[data-testid="sb-agent-row"][data-agent-id="${nina.id}"] [data-testid="sb-agent-edit"]`).click();
    const active = boss.page.getByTestId('sb-agent-active');
    expect(await active.isChecked()).toBe(true);
    await active.uncheck();
    await boss.page.getByTestId('sb-agent-save').click();
    await boss.page.getByTestId('sb-agent-form').waitFor({ state: 'detached' });
    await agent.page.getByTestId('sb-login-submit').waitFor({ timeout: 10_000 });
    expect(await agent.page.getByTestId('sb-status-select').count()).toBe(0);
    const after = (await t.http.ok(SessionDocument, { id: session.id }, supervisor)).session!;
    expect(after.status).toBe('QUEUED');
    // Shown among the deactivated, and she cannot sign in again.
    await boss.page.locator(`[data-testid="sb-agent-row"][data-agent-id="${nina.id}"][data-active="false"]`).waitFor();
    expect((await t.http.fail(LoginDocument, { email, password: 'nina-password' })).code).toBe('UNAUTHENTICATED');

    // The chat in the transcripts, with what was said.
    await boss.page.getByTestId('sb-transcripts-tab').click();
    await boss.page.getByTestId('sb-transcripts').waitFor();
    await boss.page.getByTestId('sb-filter-text').fill('Paula');
    const row = boss.page.locator(`[data-testid="sb-transcript-row"][data-session-id="${session.id}"]`);
    await row.click();
    const shown = boss.page.locator(`[data-testid="sb-transcript"][data-session-id="${session.id}"]`);
    await until(async () => (await transcript(shown)).length === 3, 'the transcript shown');
    expect(await transcript(shown)).toEqual([
      ['1', 'VISITOR', 'my parcel never came'],
      ['2', 'AGENT', 'Sorry to hear that, Paula'],
      ['3', 'VISITOR', 'thanks'],
    ]);
    await screenshot(boss.page, 'console-transcripts');
    expect(boss.errors).toEqual([]);
  });

  it('should let an agent change its own password: signed out, the new one works', async () => {
    const me = await buildAgent(t, { name: 'Pat Password' });
    await t.http.ok(SetStatusDocument, { status: 'AWAY' }, me.token);
    const { page } = await suite.page();
    await signInConsole(page, t.server.url, me);
    await page.getByTestId('sb-password').click();
    await page.getByTestId('sb-password-current').fill('wrong-one');
    await page.getByTestId('sb-password-new').fill('pat-new-password');
    await page.getByTestId('sb-password-save').click();
    await page.getByRole('alert').filter({ hasText: 'current password is wrong' }).waitFor();
    await page.getByTestId('sb-password-current').fill(me.password);
    await page.getByTestId('sb-password-save').click();
    await page.getByTestId('sb-login-submit').waitFor();
    expect(await page.getByRole('status').innerText()).toContain('Password changed');
    await signInConsole(page, t.server.url, { email: me.email, password: 'pat-new-password' });
    expect(await page.getByTestId('sb-me').innerText()).toContain('Pat Password');
  });
});
