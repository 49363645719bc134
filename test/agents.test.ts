import { randomUUID } from 'node:crypto';
import {
  AgentsDocument,
  CreateAgentDocument,
  LoginDocument,
  MeDocument,
  SessionDocument,
  SetStatusDocument,
  UpdateAgentDocument,
  type AgentStatus,
  type CreateAgentInput,
} from './generated/graphql';
import { sql, SUPERVISOR, uniqueName } from './support/env';
import { buildAgent, buildOnlineAgent, connect, startChat, uniqueSkill, waitFor } from './support/factories';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';

/** Every chat here asks for a skill of its own, so no test's agents route another test's chats. */
let t: TestServer;
let supervisor: string;

beforeAll(async () => ({ t, supervisor } = await startWithSupervisor()));

const newEmail = () => `${uniqueName('agent')}@example.com`;

const me = async (token: string) => (await t.http.ok(MeDocument, {}, token)).me;
const team = async (token: string, status?: AgentStatus) => (await t.http.ok(AgentsDocument, { status }, token)).agents;
const agentCount = async () => (await sql<{ n: number }>(t.databaseUrl, 'select count(*)::int as n from agent'))[0].n;

describe('Mutation.login', () => {
  it('should give a token that signs the agent in', async () => {
    const email = newEmail();
    await buildAgent(t, { email, name: 'Lena', password: 'lena-password' });
    const { login } = await t.http.ok(LoginDocument, { email, password: 'lena-password' });
    expect(login.token).toEqual(expect.any(String));
    expect(login.agent).toMatchObject({ name: 'Lena', role: 'AGENT' });
    expect(await me(login.token)).toMatchObject({ id: login.agent.id, name: 'Lena', email });
  });

  it('should refuse a wrong password and an unknown email with the same UNAUTHENTICATED message', async () => {
    const email = newEmail();
    await buildAgent(t, { email, password: 'right-password' });
    const wrongPassword = await t.http.fail(LoginDocument, { email, password: 'wrong-password' });
    const unknownEmail = await t.http.fail(LoginDocument, { email: newEmail(), password: 'right-password' });
    expect(wrongPassword.code).toBe('UNAUTHENTICATED');
    expect(unknownEmail.code).toBe('UNAUTHENTICATED');
    expect(unknownEmail.message).toBe(wrongPassword.message);
    expect(wrongPassword.result.data).toBeNull();
  });

  it('should refuse an empty password', async () => {
    const email = newEmail();
    await buildAgent(t, { email });
    expect((await t.http.fail(LoginDocument, { email, password: '' })).code).toBe('UNAUTHENTICATED');
  });
});

describe('SUPERVISOR_EMAIL and SUPERVISOR_PASSWORD', () => {
  it('should make sure the supervisor exists at start-up', async () => {
    const { login } = await t.http.ok(LoginDocument, SUPERVISOR);
    expect(login.agent.role).toBe('SUPERVISOR');
    expect(await me(login.token)).toMatchObject({ id: login.agent.id, email: SUPERVISOR.email, role: 'SUPERVISOR' });
    // It can do what only supervisors may.
    const created = await t.http.ok(CreateAgentDocument, { input: { name: 'Hired', email: newEmail(), password: 'password-1' } }, login.token);
    expect(created.createAgent.role).toBe('AGENT');
  });

  describe('on a restart', () => {
    let first: TestServer;
    beforeAll(async () => {
      first = await startTestServer();
    });

    it('should update the password of the existing supervisor', async () => {
      const before = (await first.http.ok(LoginDocument, SUPERVISOR)).login.agent;
      const restarted = await startTestServer({ shareWith: first, env: { SUPERVISOR_PASSWORD: 'a-brand-new-password' } });
      try {
        for (const server of [restarted, first]) {
          const { login } = await server.http.ok(LoginDocument, { email: SUPERVISOR.email, password: 'a-brand-new-password' });
          expect(login.agent).toMatchObject({ id: before.id, role: 'SUPERVISOR' });
          expect((await server.http.fail(LoginDocument, SUPERVISOR)).code).toBe('UNAUTHENTICATED');
        }
        const rows = await sql(first.databaseUrl, 'select id from agent where email = $1', [SUPERVISOR.email]);
        expect(rows).toEqual([{ id: before.id }]);
      } finally {
        await restarted.close();
      }
    });

    it('should make an existing agent with that email a supervisor with that password', async () => {
      const boss = (await first.http.ok(LoginDocument, { email: SUPERVISOR.email, password: 'a-brand-new-password' })).login.token;
      const email = newEmail();
      const { createAgent } = await first.http.ok(CreateAgentDocument, { input: { name: 'Lead', email, password: 'old-password' } }, boss);
      expect(createAgent.role).toBe('AGENT');
      const restarted = await startTestServer({ shareWith: first, env: { SUPERVISOR_EMAIL: email, SUPERVISOR_PASSWORD: 'lead-password' } });
      try {
        const { login } = await restarted.http.ok(LoginDocument, { email, password: 'lead-password' });
        expect(login.agent).toMatchObject({ id: createAgent.id, role: 'SUPERVISOR' });
      } finally {
        await restarted.close();
      }
    });
  });
});

describe('Query.me', () => {
  it('should return the signed-in agent', async () => {
    const agent = await buildAgent(t, { name: 'Mo', skills: ['billing'] });
    expect(await me(agent.token)).toMatchObject({ id: agent.id, name: 'Mo', email: agent.email, role: 'AGENT', skills: ['billing'] });
  });

  it('should return null for a visitor', async () => {
    const { token } = await startChat(t, { skill: uniqueSkill() });
    expect(await me(token)).toBeNull();
  });
});

describe('Query.agents', () => {
  it('should require authentication', async () => {
    expect((await t.http.fail(AgentsDocument, {})).code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a customer with FORBIDDEN', async () => {
    const { token } = await startChat(t, { skill: uniqueSkill() });
    expect((await t.http.fail(AgentsDocument, {}, token)).code).toBe('FORBIDDEN');
  });

  it('should list the team, with emails, to any agent', async () => {
    const a = await buildAgent(t, { name: 'Team A' });
    const b = await buildAgent(t, { name: 'Team B' });
    for (const viewer of [a.token, supervisor]) {
      const agents = await team(viewer);
      expect(agents).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: a.id, name: 'Team A', email: a.email }),
          expect.objectContaining({ id: b.id, name: 'Team B', email: b.email }),
          expect.objectContaining({ email: SUPERVISOR.email, role: 'SUPERVISOR' }),
        ]),
      );
    }
  });

  it('should filter by status', async () => {
    const away = await buildAgent(t);
    const offline = await buildAgent(t);
    await t.http.ok(SetStatusDocument, { status: 'AWAY' }, away.token);
    for (const status of ['ONLINE', 'AWAY', 'OFFLINE'] as const) {
      const agents = await team(supervisor, status);
      expect(agents.every((agent) => agent.status === status)).toBe(true);
      const ids = agents.map((agent) => agent.id);
      expect(ids.includes(away.id)).toBe(status === 'AWAY');
      expect(ids.includes(offline.id)).toBe(status === 'OFFLINE');
    }
  });

  it('should show an agent online only while it has a socket open', async () => {
    const agent = await buildAgent(t);
    await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, agent.token);
    const onlineFlag = async () => (await team(supervisor)).find((a) => a.id === agent.id)?.online;
    expect(await onlineFlag()).toBe(false);
    const socket = await connect(t, agent.token);
    try {
      expect(await onlineFlag()).toBe(true);
      expect((await me(agent.token))?.online).toBe(true);
    } finally {
      await socket.dispose();
    }
    // After the grace period (1 s in the tests) it is no longer online.
    await waitFor(async () => (await onlineFlag()) === false, 10_000);
    expect((await me(agent.token))?.online).toBe(false);
    expect((await me(agent.token))?.status).toBe('ONLINE');
  });
});

describe('Mutation.createAgent', () => {
  /** As the supervisor unless another token (or null: none) is given. */
  const create = (input: Partial<CreateAgentInput>, token: string | null = supervisor) =>
    t.http.request(CreateAgentDocument, { input: { name: 'New Agent', email: newEmail(), password: 'password-123', ...input } }, token ?? undefined);

  it('should require authentication', async () => {
    const before = await agentCount();
    const result = await create({}, null);
    expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await agentCount()).toBe(before);
  });

  it('should refuse customers and agents with FORBIDDEN', async () => {
    const { token: visitor } = await startChat(t, { skill: uniqueSkill() });
    const agent = await buildAgent(t);
    const before = await agentCount();
    for (const token of [visitor, agent.token]) {
      expect((await create({}, token)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await agentCount()).toBe(before);
  });

  it('should create an OFFLINE agent with capacity 3 and role AGENT by default, who can sign in', async () => {
    const email = newEmail();
    const { createAgent } = await t.http.ok(CreateAgentDocument, { input: { name: 'Nova', email, password: 'nova-password' } }, supervisor);
    expect(createAgent).toEqual({
      id: expect.any(String),
      name: 'Nova',
      email,
      role: 'AGENT',
      status: 'OFFLINE',
      online: false,
      skills: [],
      maxConcurrentChats: 3,
      activeChats: 0,
      lastSeenAt: null,
    });
    const { login } = await t.http.ok(LoginDocument, { email, password: 'nova-password' });
    expect(login.agent.id).toBe(createAgent.id);
  });

  it('should take skills, capacity and role', async () => {
    const email = newEmail();
    const { createAgent } = await t.http.ok(
      CreateAgentDocument,
      { input: { name: 'Sam', email, password: 'sam-password', skills: ['billing', 'tech_2', 'fr-ca'], maxConcurrentChats: 5, role: 'SUPERVISOR' } },
      supervisor,
    );
    expect(createAgent).toMatchObject({ skills: ['billing', 'tech_2', 'fr-ca'], maxConcurrentChats: 5, role: 'SUPERVISOR', status: 'OFFLINE' });
    // The new supervisor may create agents in turn.
    const { login } = await t.http.ok(LoginDocument, { email, password: 'sam-password' });
    expect((await create({ name: 'Hired by Sam' }, login.token)).data?.createAgent.name).toBe('Hired by Sam');
  });

  it('should accept a password of exactly 8 characters', async () => {
    const email = newEmail();
    await t.http.ok(CreateAgentDocument, { input: { name: 'Short', email, password: '12345678' } }, supervisor);
    expect((await t.http.ok(LoginDocument, { email, password: '12345678' })).login.agent.name).toBe('Short');
  });

  it.each<[string, Partial<CreateAgentInput>]>([
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a name over 200 characters', { name: 'n'.repeat(201) }],
    ['an invalid email', { email: 'not-an-email' }],
    ['a password of 7 characters', { password: '1234567' }],
    ['a skill with capital letters', { skills: ['Billing'] }],
    ['a skill with a space', { skills: ['tech support'] }],
    ['an empty skill', { skills: [''] }],
    ['a skill over 50 characters', { skills: ['s'.repeat(51)] }],
    ['a negative capacity', { maxConcurrentChats: -1 }],
    ['a capacity over 100', { maxConcurrentChats: 101 }],
  ])('should refuse %s with BAD_USER_INPUT and store nothing', async (_, input) => {
    const email = newEmail();
    const before = await agentCount();
    const result = await create({ email, ...input });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await agentCount()).toBe(before);
    expect((await t.http.fail(LoginDocument, { email, password: 'password-123' })).code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a duplicate email with CONFLICT, whatever its case', async () => {
    const email = newEmail();
    await t.http.ok(CreateAgentDocument, { input: { name: 'First', email, password: 'first-password' } }, supervisor);
    const before = await agentCount();
    for (const again of [email, email.toUpperCase()]) {
      const result = await create({ name: 'Second', email: again, password: 'second-password' });
      expect(result.errors?.[0].extensions?.code).toBe('CONFLICT');
    }
    expect(await agentCount()).toBe(before);
    // The first agent's credentials still work; the second's never did.
    expect((await t.http.ok(LoginDocument, { email, password: 'first-password' })).login.agent.name).toBe('First');
    expect((await t.http.fail(LoginDocument, { email, password: 'second-password' })).code).toBe('UNAUTHENTICATED');
  });
});

describe('Mutation.updateAgent', () => {
  it('should require authentication', async () => {
    const agent = await buildAgent(t, { name: 'Unchanged' });
    expect((await t.http.fail(UpdateAgentDocument, { id: agent.id, input: { name: 'Hacked' } })).code).toBe('UNAUTHENTICATED');
    expect((await me(agent.token))?.name).toBe('Unchanged');
  });

  it('should refuse a customer with FORBIDDEN', async () => {
    const agent = await buildAgent(t, { name: 'Unchanged' });
    const { token } = await startChat(t, { skill: uniqueSkill() });
    expect((await t.http.fail(UpdateAgentDocument, { id: agent.id, input: { name: 'Hacked' } }, token)).code).toBe('FORBIDDEN');
    expect((await me(agent.token))?.name).toBe('Unchanged');
  });

  it('should let an agent change its own name, status, skills and capacity', async () => {
    const agent = await buildAgent(t, { name: 'Old Name' });
    const { updateAgent } = await t.http.ok(
      UpdateAgentDocument,
      { id: agent.id, input: { name: 'New Name', status: 'AWAY', skills: ['billing', 'refunds'], maxConcurrentChats: 7 } },
      agent.token,
    );
    expect(updateAgent).toMatchObject({ id: agent.id, name: 'New Name', status: 'AWAY', skills: ['billing', 'refunds'], maxConcurrentChats: 7 });
    expect(await me(agent.token)).toMatchObject({ name: 'New Name', status: 'AWAY', skills: ['billing', 'refunds'], maxConcurrentChats: 7 });
    // Fields left out stay as they are.
    const { updateAgent: again } = await t.http.ok(UpdateAgentDocument, { id: agent.id, input: { maxConcurrentChats: 2 } }, agent.token);
    expect(again).toMatchObject({ name: 'New Name', status: 'AWAY', skills: ['billing', 'refunds'], maxConcurrentChats: 2 });
  });

  it('should let a supervisor change any agent', async () => {
    const agent = await buildAgent(t, { name: 'Before' });
    const { updateAgent } = await t.http.ok(UpdateAgentDocument, { id: agent.id, input: { name: 'After', skills: [] } }, supervisor);
    expect(updateAgent).toMatchObject({ id: agent.id, name: 'After', skills: [] });
    expect((await me(agent.token))?.name).toBe('After');
  });

  it('should refuse another agent with FORBIDDEN and change nothing', async () => {
    const agent = await buildAgent(t, { name: 'Mine', skills: ['billing'] });
    const other = await buildAgent(t);
    const { code } = await t.http.fail(UpdateAgentDocument, { id: agent.id, input: { name: 'Theirs', skills: [], status: 'ONLINE' } }, other.token);
    expect(code).toBe('FORBIDDEN');
    expect(await me(agent.token)).toMatchObject({ name: 'Mine', skills: ['billing'], status: 'OFFLINE' });
  });

  it('should answer NOT_FOUND for an unknown agent', async () => {
    for (const id of [randomUUID(), 'not-an-agent-id']) {
      expect((await t.http.fail(UpdateAgentDocument, { id, input: { name: 'Ghost' } }, supervisor)).code).toBe('NOT_FOUND');
    }
  });

  it.each([
    ['a blank name', { name: '  ' }],
    ['a name over 200 characters', { name: 'n'.repeat(201) }],
    ['an invalid skill', { skills: ['Not Valid'] }],
    ['a negative capacity', { maxConcurrentChats: -1 }],
  ])('should refuse %s with BAD_USER_INPUT and change nothing', async (_, input) => {
    const agent = await buildAgent(t, { name: 'Steady', skills: ['billing'], maxConcurrentChats: 4 });
    expect((await t.http.fail(UpdateAgentDocument, { id: agent.id, input }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect(await me(agent.token)).toMatchObject({ name: 'Steady', skills: ['billing'], maxConcurrentChats: 4 });
  });

  it('should assign a waiting chat to an agent that gains its skill or capacity', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [uniqueSkill()], maxConcurrentChats: 1 });
    const waiting = await startChat(t, { skill });
    expect(waiting.session.status).toBe('QUEUED');
    await t.http.ok(UpdateAgentDocument, { id: agent.id, input: { skills: [skill] } }, supervisor);
    const session = async (id: string) => (await t.http.ok(SessionDocument, { id }, supervisor)).session;
    expect(await session(waiting.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });

    const next = await startChat(t, { skill });
    expect(next.session.status).toBe('QUEUED');
    await t.http.ok(UpdateAgentDocument, { id: agent.id, input: { maxConcurrentChats: 2 } }, agent.token);
    expect(await session(next.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    expect((await me(agent.token))?.activeChats).toBe(2);
  });
});

describe('Mutation.setStatus', () => {
  it('should require authentication', async () => {
    expect((await t.http.fail(SetStatusDocument, { status: 'ONLINE' })).code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a customer with FORBIDDEN', async () => {
    const { token } = await startChat(t, { skill: uniqueSkill() });
    expect((await t.http.fail(SetStatusDocument, { status: 'ONLINE' }, token)).code).toBe('FORBIDDEN');
  });

  it("should set the caller's own status", async () => {
    const agent = await buildAgent(t);
    for (const status of ['ONLINE', 'AWAY', 'OFFLINE'] as const) {
      const { setStatus } = await t.http.ok(SetStatusDocument, { status }, agent.token);
      expect(setStatus).toMatchObject({ id: agent.id, status });
      expect((await me(agent.token))?.status).toBe(status);
    }
  });

  it('should keep chats but take no new ones while AWAY, and hand chats back to the queue when OFFLINE', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const first = await startChat(t, { skill });
    expect(first.session.agent?.id).toBe(agent.id);
    const session = async (id: string) => (await t.http.ok(SessionDocument, { id }, supervisor)).session;

    await t.http.ok(SetStatusDocument, { status: 'AWAY' }, agent.token);
    expect(await session(first.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    const second = await startChat(t, { skill });
    expect(second.session.status).toBe('QUEUED');

    const back = (await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, agent.token)).setStatus;
    expect(back.activeChats).toBe(2);
    expect(await session(second.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });

    const gone = (await t.http.ok(SetStatusDocument, { status: 'OFFLINE' }, agent.token)).setStatus;
    expect(gone).toMatchObject({ status: 'OFFLINE', activeChats: 0 });
    for (const id of [first.session.id, second.session.id]) {
      expect(await session(id)).toMatchObject({ status: 'QUEUED', agent: null });
    }
  });
});

describe('Agent.email', () => {
  it('should be hidden from customers and shown to agents', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill], name: 'Private' });
    const { session, token } = await startChat(t, { skill });
    expect(session.agent).toEqual({ id: agent.id, name: 'Private', email: null });
    const asVisitor = (await t.http.ok(SessionDocument, { id: session.id }, token)).session;
    expect(asVisitor?.agent).toEqual({ id: agent.id, name: 'Private', email: null });
    for (const viewer of [agent.token, supervisor]) {
      const asAgent = (await t.http.ok(SessionDocument, { id: session.id }, viewer)).session;
      expect(asAgent?.agent).toEqual({ id: agent.id, name: 'Private', email: agent.email });
    }
  });
});
