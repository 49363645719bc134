import { randomUUID } from 'node:crypto';
import {
  AgentMetricsDocument,
  AgentsDocument,
  CloseChatDocument,
  CreateAgentDocument,
  MarkReadDocument,
  MeDocument,
  MySessionsDocument,
  OnMessageAddedDocument,
  OnSessionUpdatedDocument,
  OnTypingDocument,
  QueueDocument,
  RateChatDocument,
  SendMessageDocument,
  SessionDocument,
  SessionsDocument,
  SetStatusDocument,
  SetTypingDocument,
  TransferChatDocument,
  UpdateAgentDocument,
} from './generated/graphql';
import { buildOnlineAgent, loginSupervisor, startChat, waitFor, type TestAgent } from './support/factories';
import { sql } from './support/env';
import { counts, RawSocket, sessionState } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Contract, "Who may do what": customers see and act on their own sessions only; agents on their
 * assigned sessions and the queue; supervisors on all. Anything else does not exist for the
 * caller, on HTTP and WebSocket alike, and no event reaches someone who may not see it.
 */
let t: TestServer;
let alpha: TestAgent; // has S1
let beta: TestAgent; // has S2, a stranger to S1
let supervisor: string;
let s1: { id: string; token: string }; // visitor 1, ACTIVE with alpha
let s2: { id: string; token: string }; // visitor 2, ACTIVE with beta
let s3: { id: string; token: string }; // visitor 3, QUEUED (nobody has the skill)

beforeAll(async () => {
  t = await startTestServer();
  supervisor = await loginSupervisor(t);
  alpha = await buildOnlineAgent(t, { name: 'Alpha', skills: ['alpha'] });
  beta = await buildOnlineAgent(t, { name: 'Beta', skills: ['beta'] });
  const one = await startChat(t, { name: 'One', skill: 'alpha', message: 'first' });
  const two = await startChat(t, { name: 'Two', skill: 'beta', message: 'second' });
  const three = await startChat(t, { name: 'Three', skill: 'nobody', message: 'third' });
  [s1, s2, s3] = [one, two, three].map((c) => ({ id: c.session.id, token: c.token }));
  expect([one.session.status, two.session.status, three.session.status]).toEqual(['ACTIVE', 'ACTIVE', 'QUEUED']);
});

/** The live view of S1 its own visitor has: nothing a stranger does may show up here. */
async function watch(sessionId: string, token: string) {
  const client = new WsClient(t.wsUrl, token);
  const messages = client.subscribe(OnMessageAddedDocument, { sessionId });
  const updates = client.subscribe(OnSessionUpdatedDocument, { sessionId });
  const typing = client.subscribe(OnTypingDocument, { sessionId });
  await client.connected;
  await new Promise((r) => setTimeout(r, 150)); // subscriptions started server-side
  return {
    client,
    async expectQuiet() {
      await messages.expectQuiet(400);
      await updates.expectQuiet(0);
      await typing.expectQuiet(0);
    },
  };
}

/** Every mutation on a session, for a stranger to try. */
const MUTATIONS = [
  { name: 'sendMessage', doc: SendMessageDocument, vars: (id: string) => ({ input: { sessionId: id, body: 'intrusion' } }) },
  { name: 'setTyping', doc: SetTypingDocument, vars: (id: string) => ({ sessionId: id, typing: true }) },
  { name: 'markRead', doc: MarkReadDocument, vars: (id: string) => ({ sessionId: id, seq: 1 }) },
  { name: 'closeChat', doc: CloseChatDocument, vars: (id: string) => ({ sessionId: id }) },
  { name: 'rateChat', doc: RateChatDocument, vars: (id: string) => ({ sessionId: id, rating: 1, comment: 'bad' }) },
  { name: 'transferChat', doc: TransferChatDocument, vars: (id: string) => ({ sessionId: id, toAgentId: beta.id }) },
] as const;

const WS_MUTATIONS: Record<string, string> = {
  sendMessage: 'mutation ($id: ID!) { sendMessage(input: { sessionId: $id, body: "intrusion" }) { id } }',
  setTyping: 'mutation ($id: ID!) { setTyping(sessionId: $id, typing: true) }',
  markRead: 'mutation ($id: ID!) { markRead(sessionId: $id, seq: 1) { id } }',
  closeChat: 'mutation ($id: ID!) { closeChat(sessionId: $id) { id } }',
  rateChat: 'mutation ($id: ID!) { rateChat(sessionId: $id, rating: 1) { id } }',
  transferChat: 'mutation ($id: ID!, $to: ID) { transferChat(sessionId: $id, toAgentId: $to) { id } }',
};

const SUBSCRIPTIONS = [
  'subscription ($id: ID!) { messageAdded(sessionId: $id, afterSeq: 0) { body } }',
  'subscription ($id: ID!) { sessionUpdated(sessionId: $id) { id status } }',
  'subscription ($id: ID!) { typing(sessionId: $id) { typing } }',
];

const strangers = () => [
  { who: 'another customer', token: s2.token },
  { who: 'an agent it is not assigned to', token: beta.token },
];

describe('reading a session', () => {
  it.each([0, 1])('should be null for a stranger (%#), exactly as for an id that never existed', async (i) => {
    const { token } = strangers()[i];
    const seen = await t.http.request(SessionDocument, { id: s1.id }, token);
    const never = await t.http.request(SessionDocument, { id: randomUUID() }, token);
    const garbage = await t.http.request(SessionDocument, { id: 'not-a-uuid' }, token);
    expect(seen).toEqual({ status: 200, data: { session: null }, errors: undefined });
    expect(never).toEqual(seen);
    expect(garbage).toEqual(seen);
    const socket = new RawSocket(t.wsUrl);
    await socket.init(token);
    expect((await socket.run('query ($id: ID!) { session(id: $id) { id } }', { id: s1.id })).data).toEqual({ session: null });
    await socket.close();
  });

  it('should refuse anonymous callers alike for existing and unknown ids', async () => {
    const seen = await t.http.request(SessionDocument, { id: s1.id });
    const never = await t.http.request(SessionDocument, { id: randomUUID() });
    expect(seen.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(never).toEqual(seen);
  });

  it('should show the session to its customer, its agent and any supervisor, and queued ones to any agent', async () => {
    expect((await t.http.ok(SessionDocument, { id: s1.id }, s1.token)).session?.id).toBe(s1.id);
    expect((await t.http.ok(SessionDocument, { id: s1.id }, alpha.token)).session?.id).toBe(s1.id);
    expect((await t.http.ok(SessionDocument, { id: s1.id }, supervisor)).session?.id).toBe(s1.id);
    expect((await t.http.ok(SessionDocument, { id: s3.id }, beta.token)).session?.id).toBe(s3.id);
    expect((await t.http.ok(QueueDocument, {}, beta.token)).queue.map((s) => s.id)).toContain(s3.id);
    expect((await t.http.ok(SessionDocument, { id: s3.id }, s1.token)).session).toBeNull();
  });

  it("should list only the caller's own sessions", async () => {
    expect((await t.http.ok(MySessionsDocument, {}, s2.token)).mySessions.map((s) => s.id)).toEqual([s2.id]);
    const mine = (await t.http.ok(SessionsDocument, {}, beta.token)).sessions.sessions.map((s) => s.id);
    expect(mine).toEqual([s2.id]);
  });
});

describe('acting on a session', () => {
  it.each(MUTATIONS.flatMap((m) => [0, 1].map((i) => ({ ...m, i }))))(
    'should answer $name by stranger $i with NOT_FOUND as for an unknown id, over HTTP and WebSocket, changing nothing',
    async ({ name, doc, vars, i }) => {
      const { token } = strangers()[i];
      const owner = await watch(s1.id, s1.token);
      const before = await sessionState(t, s1.id);
      const totals = await counts(t);

      const http = await t.http.request(doc as never, vars(s1.id) as never, token);
      const unknown = await t.http.request(doc as never, vars(randomUUID()) as never, token);
      expect(http.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(http.errors?.[0].message).toBe(unknown.errors?.[0].message);
      expect(http.data).toBeNull();

      const socket = new RawSocket(t.wsUrl);
      await socket.init(token);
      const ws = await socket.run(WS_MUTATIONS[name], { id: s1.id, to: beta.id });
      const wsUnknown = await socket.run(WS_MUTATIONS[name], { id: randomUUID(), to: beta.id });
      expect(ws.errors[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(ws.errors[0]?.message).toBe(wsUnknown.errors[0]?.message);
      await socket.close();

      expect(await sessionState(t, s1.id)).toEqual(before);
      expect(await counts(t)).toEqual(totals);
      await owner.expectQuiet();
      await owner.client.dispose();
    },
  );
});

describe('subscribing to a session', () => {
  it.each([0, 1])('should refuse stranger %# with NOT_FOUND as for an unknown id, and deliver nothing', async (i) => {
    const { token } = strangers()[i];
    const socket = new RawSocket(t.wsUrl);
    await socket.init(token);
    for (const query of SUBSCRIPTIONS) {
      const result = await socket.run(query, { id: s1.id });
      const unknown = await socket.run(query, { id: randomUUID() });
      expect(result.errors[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(result.errors[0]?.message).toBe(unknown.errors[0]?.message);
      expect(result.next.filter((n) => n.data)).toEqual([]);
    }
    const frames = socket.frames.length;
    await t.http.ok(SendMessageDocument, { input: { sessionId: s1.id, body: 'private' } }, s1.token);
    await t.http.ok(SetTypingDocument, { sessionId: s1.id, typing: true }, alpha.token);
    await new Promise((r) => setTimeout(r, 400));
    expect(socket.frames.slice(frames)).toEqual([]);
    await socket.close();
  });

  it('should refuse the agents-only subscriptions to customers (FORBIDDEN), and everything to anonymous sockets (UNAUTHENTICATED)', async () => {
    const agentsOnly = ['subscription { sessionAssigned { id } }', 'subscription { queueUpdated { id } }', 'subscription { agentUpdated { id email } }'];
    for (const [token, code, queries] of [
      [s1.token, 'FORBIDDEN', agentsOnly],
      [undefined, 'UNAUTHENTICATED', [...agentsOnly, ...SUBSCRIPTIONS]],
    ] as const) {
      const socket = new RawSocket(t.wsUrl);
      await socket.init(token);
      for (const query of queries) {
        const result = await socket.run(query, { id: s1.id });
        expect(result.errors[0]?.extensions?.code).toBe(code);
        expect(result.next.filter((n) => n.data)).toEqual([]);
      }
      await socket.close();
    }
  });
});

describe('what customers may see', () => {
  it('should refuse customers the team, the queue, agent sessions and metrics', async () => {
    for (const [doc, vars] of [
      [AgentsDocument, {}],
      [QueueDocument, {}],
      [SessionsDocument, {}],
      [AgentMetricsDocument, { agentId: alpha.id }],
      [AgentMetricsDocument, {}],
    ] as const) {
      const result = await t.http.request(doc as never, vars as never, s1.token);
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(result.data).toBeNull();
    }
    expect((await t.http.ok(MeDocument, {}, s1.token)).me).toBeNull();
  });

  it("should never show a customer an agent's email, on HTTP or WebSocket", async () => {
    const viaSession = (await t.http.ok(SessionDocument, { id: s1.id }, s1.token)).session;
    expect(viaSession?.agent).toEqual({ id: alpha.id, name: 'Alpha', email: null });
    expect((await t.http.ok(MySessionsDocument, {}, s1.token)).mySessions[0].agent?.email).toBeNull();
    const fresh = await startChat(t, { skill: 'alpha' });
    expect(fresh.session.agent?.email).toBeNull();

    const client = new WsClient(t.wsUrl, s1.token);
    const updates = client.subscribe(OnSessionUpdatedDocument, { sessionId: s1.id });
    await client.connected;
    const ws = await waitFor(async () => {
      await t.http.ok(SendMessageDocument, { input: { sessionId: s1.id, body: 'read me' } }, alpha.token);
      await t.http.ok(MarkReadDocument, { sessionId: s1.id, seq: 10_000 }, s1.token);
      return updates.next(1000).catch(() => null);
    });
    expect(ws.sessionUpdated.agent).toEqual({ id: alpha.id, name: 'Alpha', email: null });
    const query = await new RawSocket(t.wsUrl);
    await query.init(s1.token);
    const result = await query.run('query ($id: ID!) { session(id: $id) { agent { email } } }', { id: s1.id });
    expect(result.data).toEqual({ session: { agent: { email: null } } });
    await query.close();
    await client.dispose();
    // An agent does see it.
    expect((await t.http.ok(SessionDocument, { id: s1.id }, beta.token)).session).toBeNull();
    expect((await t.http.ok(SessionDocument, { id: s1.id }, alpha.token)).session?.agent?.email).toBe(alpha.email);
  });
});

describe('managing agents', () => {
  it('should refuse createAgent to agents and customers, storing nothing', async () => {
    const before = await counts(t);
    for (const token of [alpha.token, s1.token]) {
      const result = await t.http.request(CreateAgentDocument, { input: { name: 'Mallory', email: `m-${randomUUID()}@example.com`, password: 'password123', role: 'SUPERVISOR' } }, token);
      expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await counts(t)).toEqual(before);
  });

  it("should refuse an agent changing another agent, and customers changing any, leaving it unchanged", async () => {
    const [before] = (await t.http.ok(AgentsDocument, {}, supervisor)).agents.filter((a) => a.id === beta.id);
    const alphaTry = await t.http.request(UpdateAgentDocument, { id: beta.id, input: { status: 'OFFLINE', maxConcurrentChats: 0 } }, alpha.token);
    expect(alphaTry.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const visitorTry = await t.http.request(UpdateAgentDocument, { id: beta.id, input: { status: 'OFFLINE' } }, s1.token);
    expect(visitorTry.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const visitorStatus = await t.http.request(SetStatusDocument, { status: 'ONLINE' }, s1.token);
    expect(visitorStatus.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const [after] = (await t.http.ok(AgentsDocument, {}, supervisor)).agents.filter((a) => a.id === beta.id);
    expect(after).toEqual(before);
  });
});

describe('losing sight of a session', () => {
  it('should end an agent’s subscriptions when its session is transferred away, delivering nothing after, even with a slow database', async () => {
    const gamma = await buildOnlineAgent(t, { name: 'Gamma', skills: ['gamma'] });
    const delta = await buildOnlineAgent(t, { name: 'Delta', skills: ['delta'] });
    const chat = await startChat(t, { skill: 'gamma', message: 'hello' });
    expect(chat.session.agent?.id).toBe(gamma.id);
    const client = new WsClient(t.wsUrl, gamma.token);
    const messages = client.subscribe(OnMessageAddedDocument, { sessionId: chat.session.id });
    const typing = client.subscribe(OnTypingDocument, { sessionId: chat.session.id });
    const updates = client.subscribe(OnSessionUpdatedDocument, { sessionId: chat.session.id });
    await client.connected;
    await waitFor(async () => {
      await t.http.ok(SetTypingDocument, { sessionId: chat.session.id, typing: true }, chat.token);
      return typing.next(500).catch(() => null);
    });

    // A slow database: the server learns of the transfer late. Events sent once the transfer has
    // committed must still never reach Gamma.
    const read = t.app.reads.session.bind(t.app.reads);
    jest.spyOn(t.app.reads, 'session').mockImplementation(async (em, id) => {
      await new Promise((r) => setTimeout(r, 300));
      return read(em, id);
    });
    const transfer = t.http.ok(TransferChatDocument, { sessionId: chat.session.id, toAgentId: delta.id }, supervisor);
    await waitFor(async () => (await sql(t.databaseUrl, 'select 1 from chat_session where id = $1 and agent_id = $2', [chat.session.id, delta.id])).length);
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'for Delta only' } }, chat.token);
    await t.http.ok(SetTypingDocument, { sessionId: chat.session.id, typing: false }, chat.token);
    await transfer;

    await messages.ended(5000);
    await typing.ended(5000);
    await updates.ended(5000);
    expect(messages.received.map((m) => m.messageAdded.body)).not.toContain('for Delta only');
    expect(typing.received.filter((e) => e.typing.typing === false)).toEqual([]);
    expect(updates.received.map((u) => u.sessionUpdated.agent?.id)).not.toContain(delta.id);
    expect((await t.http.ok(SessionDocument, { id: chat.session.id }, gamma.token)).session).toBeNull();
    const late = await t.http.request(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'late' } }, gamma.token);
    expect(late.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    jest.restoreAllMocks();
    await client.dispose();
    await gamma.socket?.dispose();
    await delta.socket?.dispose();
  });

  it('should end an agent’s watch on a queued session once another agent takes it', async () => {
    const chat = await startChat(t, { skill: 'epsilon', message: 'waiting' });
    expect(chat.session.status).toBe('QUEUED');
    const client = new WsClient(t.wsUrl, beta.token);
    const updates = client.subscribe(OnSessionUpdatedDocument, { sessionId: chat.session.id });
    await client.connected;
    await new Promise((r) => setTimeout(r, 150));
    const epsilon = await buildOnlineAgent(t, { name: 'Epsilon', skills: ['epsilon'] });
    await updates.ended(5000);
    expect(updates.received.filter((u) => u.sessionUpdated.status !== 'QUEUED')).toEqual([]);
    expect((await t.http.ok(SessionDocument, { id: chat.session.id }, beta.token)).session).toBeNull();
    await client.dispose();
    await epsilon.socket?.dispose();
  });
});
