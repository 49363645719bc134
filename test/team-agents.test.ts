import {
  AgentsDocument,
  AllAgentsDocument,
  ChangePasswordDocument,
  LoginDocument,
  ManageAgentDocument,
  MeDocument,
  ResetAgentPasswordDocument,
  SessionDocument,
} from './generated/graphql';
import { sql, SUPERVISOR } from './support/env';
import { buildActiveChat, buildAgent, buildOnlineAgent, loginSupervisor, tokenAnswer, waitFor } from './support/factories';
import { startWithSupervisor, type TestServer } from './support/server';

/** The team extension's "Agents" (docs/contract/extensions/team.md), on one instance. */
let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
});

describe('Query.allAgents', () => {
  it('should require a supervisor', async () => {
    const agent = await buildAgent(t);
    expect((await t.http.fail(AllAgentsDocument, {})).code).toBe('UNAUTHENTICATED');
    expect((await t.http.fail(AllAgentsDocument, {}, agent.token)).code).toBe('FORBIDDEN');
  });
});

describe('Mutation.updateAgent (active: false): deactivation', () => {
  it('should requeue its ACTIVE chats to a teammate, close its console with 4403, refuse its token and its login, and keep it listed for supervisors only', async () => {
    const { agent, session, skill } = await buildActiveChat(t);
    const teammate = await buildOnlineAgent(t, { skills: [skill] });

    const { updateAgent } = await t.http.ok(ManageAgentDocument, { id: agent.id, input: { active: false } }, supervisor);
    expect(updateAgent).toMatchObject({ active: false, status: 'OFFLINE', activeChats: 0 });

    // Its chat went back to the head of the queue and on to the teammate who can take it.
    const { session: after } = await t.http.ok(SessionDocument, { id: session.id }, supervisor);
    expect(after).toMatchObject({ status: 'ACTIVE', agent: { id: teammate.id } });
    const events = await sql<{ kind: string; data: { reason?: string } }>(
      t.databaseUrl,
      `select kind, data from session_event where session_id = $1 order by at`,
      [session.id],
    );
    expect(events.map((e) => e.kind)).toEqual(['created', 'assigned', 'requeued', 'assigned']);
    expect(events[2].data.reason).toBe('deactivated');

    expect(await agent.socket!.closed).toMatchObject({ code: 4403 });
    expect(await tokenAnswer(t, agent.token)).toBe('401 UNAUTHENTICATED');

    const refused = await t.http.fail(LoginDocument, { email: agent.email, password: agent.password });
    const wrong = await t.http.fail(LoginDocument, { email: agent.email, password: 'not-the-password' });
    expect(refused.code).toBe('UNAUTHENTICATED');
    expect(refused.message).toBe(wrong.message);

    const { agents } = await t.http.ok(AgentsDocument, {}, teammate.token);
    expect(agents.map((a) => a.id)).not.toContain(agent.id);
    const { allAgents } = await t.http.ok(AllAgentsDocument, {}, supervisor);
    expect(allAgents.find((a) => a.id === agent.id)).toMatchObject({ active: false });
  });

  it('should let a reactivated agent sign in again, OFFLINE, and keep its sessions', async () => {
    const { agent, session } = await buildActiveChat(t);
    await t.http.ok(ManageAgentDocument, { id: agent.id, input: { active: false } }, supervisor);
    const { updateAgent } = await t.http.ok(ManageAgentDocument, { id: agent.id, input: { active: true } }, supervisor);
    expect(updateAgent).toMatchObject({ active: true, status: 'OFFLINE' });

    const { login } = await t.http.ok(LoginDocument, { email: agent.email, password: agent.password });
    expect(await tokenAnswer(t, login.token)).toBe('ok');
    expect(await tokenAnswer(t, agent.token)).toBe('401 UNAUTHENTICATED'); // the tokens from before stay dead
    const [{ n }] = await sql<{ n: number }>(t.databaseUrl, 'select count(*)::int as n from session_event where session_id = $1 and agent_id = $2', [session.id, agent.id]);
    expect(n).toBeGreaterThan(0);
  });

  it('should be for supervisors only: an agent may change its own name, not its role, activation or email', async () => {
    const agent = await buildAgent(t);
    for (const input of [{ active: false }, { role: 'SUPERVISOR' as const }, { email: 'other@example.com' }]) {
      expect((await t.http.fail(ManageAgentDocument, { id: agent.id, input }, agent.token)).code).toBe('FORBIDDEN');
    }
    const { updateAgent } = await t.http.ok(ManageAgentDocument, { id: agent.id, input: { name: 'Renamed' } }, agent.token);
    expect(updateAgent.name).toBe('Renamed');
  });
});

describe('the last active supervisor', () => {
  it('should never be demoted or deactivated (CONFLICT), while a second supervisor may be', async () => {
    const { me } = await t.http.ok(MeDocument, {}, supervisor);
    const others = (await t.http.ok(AllAgentsDocument, {}, supervisor)).allAgents.filter((a) => a.role === 'SUPERVISOR' && a.active && a.id !== me!.id);
    expect(others).toEqual([]);
    for (const input of [{ active: false }, { role: 'AGENT' as const }]) {
      const refused = await t.http.fail(ManageAgentDocument, { id: me!.id, input }, supervisor);
      expect(refused.code).toBe('CONFLICT');
    }

    const second = await buildAgent(t, { role: 'SUPERVISOR' });
    const { updateAgent } = await t.http.ok(ManageAgentDocument, { id: second.id, input: { role: 'AGENT' } }, supervisor);
    expect(updateAgent.role).toBe('AGENT');
    // A role change signs the agent out: its token said SUPERVISOR.
    expect(await tokenAnswer(t, second.token)).toBe('401 UNAUTHENTICATED');
    expect((await t.http.fail(ManageAgentDocument, { id: me!.id, input: { active: false } }, supervisor)).code).toBe('CONFLICT');
    expect((await t.http.ok(MeDocument, {}, supervisor)).me).toMatchObject({ role: 'SUPERVISOR' });
  });
});

describe('Mutation.updateAgent (email)', () => {
  it('should move sign-in to the new address, and refuse one that is taken (CONFLICT) or not an address (BAD_USER_INPUT)', async () => {
    const agent = await buildAgent(t);
    const other = await buildAgent(t);
    const email = `moved-${agent.id.slice(0, 8)}@example.com`;
    await t.http.ok(ManageAgentDocument, { id: agent.id, input: { email: email.toUpperCase() } }, supervisor);
    await t.http.ok(LoginDocument, { email, password: agent.password });
    expect((await t.http.fail(LoginDocument, { email: agent.email, password: agent.password })).code).toBe('UNAUTHENTICATED');
    expect((await t.http.fail(ManageAgentDocument, { id: agent.id, input: { email: other.email } }, supervisor)).code).toBe('CONFLICT');
    expect((await t.http.fail(ManageAgentDocument, { id: agent.id, input: { email: 'nope' } }, supervisor)).code).toBe('BAD_USER_INPUT');
  });
});

describe('Mutation.changePassword', () => {
  it('should require the current password and at least 8 characters, then refuse every older token, the caller\'s included', async () => {
    const agent = await buildOnlineAgent(t);
    const { login: second } = await t.http.ok(LoginDocument, { email: agent.email, password: agent.password });
    expect((await t.http.fail(ChangePasswordDocument, { currentPassword: 'wrong-password', newPassword: 'a-new-password' }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(ChangePasswordDocument, { currentPassword: agent.password, newPassword: 'short' }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect(await tokenAnswer(t, agent.token)).toBe('ok');

    const { changePassword } = await t.http.ok(ChangePasswordDocument, { currentPassword: agent.password, newPassword: 'a-new-password' }, agent.token);
    expect(changePassword).toBe(true);
    expect(await tokenAnswer(t, agent.token)).toBe('401 UNAUTHENTICATED');
    expect(await tokenAnswer(t, second.token)).toBe('401 UNAUTHENTICATED');
    expect(await agent.socket!.closed).toMatchObject({ code: 4403 });
    expect((await t.http.fail(LoginDocument, { email: agent.email, password: agent.password })).code).toBe('UNAUTHENTICATED');
    const { login } = await t.http.ok(LoginDocument, { email: agent.email, password: 'a-new-password' });
    expect(await tokenAnswer(t, login.token)).toBe('ok');
  });

  it('should be for agents only', async () => {
    expect((await t.http.fail(ChangePasswordDocument, { currentPassword: SUPERVISOR.password, newPassword: 'whatever-123' })).code).toBe('UNAUTHENTICATED');
  });
});

describe('Mutation.resetAgentPassword', () => {
  it("should set another agent's password for a supervisor only, and sign that agent out", async () => {
    const agent = await buildAgent(t);
    const other = await buildAgent(t);
    expect((await t.http.fail(ResetAgentPasswordDocument, { id: agent.id, newPassword: 'by-a-teammate' }, other.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(ResetAgentPasswordDocument, { id: agent.id, newPassword: 'short' }, supervisor)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(ResetAgentPasswordDocument, { id: '00000000-0000-4000-8000-000000000000', newPassword: 'long-enough' }, supervisor)).code).toBe('NOT_FOUND');

    await t.http.ok(ResetAgentPasswordDocument, { id: agent.id, newPassword: 'set-by-the-boss' }, supervisor);
    await waitFor(async () => (await tokenAnswer(t, agent.token)) === '401 UNAUTHENTICATED', 5000);
    await t.http.ok(LoginDocument, { email: agent.email, password: 'set-by-the-boss' });
    expect(await tokenAnswer(t, other.token)).toBe('ok');
    expect(await tokenAnswer(t, await loginSupervisor(t))).toBe('ok');
  });
});
