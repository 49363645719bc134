/**
 * The desk extension's routing additions built so far (docs/contract/extensions/desk.md,
 * "Routing additions"): disconnected agents hand their chats back, supervisors assign by hand.
 * And what issue 11 fixed around them: metrics across transfers, chats abandoned in the queue,
 * `queuedAt` after a requeue. Against one real server in this process; test/scale-disconnected
 * covers the same timer across processes and a SIGKILL.
 */
import {
  AgentMetricsDocument,
  CloseChatDocument,
  QueueDocument,
  RateChatDocument,
  SendMessageDocument,
  SessionDocument,
  SetStatusDocument,
  TransferChatDocument,
} from './generated/graphql';
import { sql } from './support/env';
import { buildActiveChat, buildAgent, buildOnlineAgent, connect, loginSupervisor, startChat, uniqueSkill, waitFor } from './support/factories';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';

const GRACE_SECONDS = 1;
const REQUEUE_SECONDS = 2;

let t: TestServer;
let supervisor: string;

beforeAll(async () => ({ t, supervisor } = await startWithSupervisor({ env: { PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS), REQUEUE_DISCONNECTED_SECONDS: String(REQUEUE_SECONDS) } })));


const events = (sessionId: string) =>
  sql<{ kind: string; actor_kind: string; agent_id: string | null; data: Record<string, unknown> }>(
    t.databaseUrl,
    'select kind, actor_kind, agent_id, data from session_event where session_id = $1 order by at, id',
    [sessionId],
  );
const session = async (id: string) => (await t.http.ok(SessionDocument, { id }, supervisor)).session!;

describe('Disconnected agents (REQUEUE_DISCONNECTED_SECONDS)', () => {
  it('should put the chats of an agent whose console closed back at the head of the queue, and keep its status', async () => {
    const { agent, session: chat, visitor } = await buildActiveChat(t);
    await agent.socket!.dispose();
    const closedAt = Date.now();
    const back = await waitFor(async () => {
      const s = await session(chat.id);
      return s.status === 'QUEUED' && s;
    }, 15_000, 100);
    const waited = (Date.now() - closedAt) / 1000;
    // Not before the grace period and the requeue delay have both passed; within 5 s after.
    expect(waited).toBeGreaterThanOrEqual(GRACE_SECONDS + REQUEUE_SECONDS - 0.2);
    expect(waited).toBeLessThan(GRACE_SECONDS + REQUEUE_SECONDS + 5);
    expect(back).toMatchObject({ agent: null, queuePosition: 1 });
    // What the visitor sees: waiting again, and its messages are not going to Bob any more.
    const { session: mine } = await t.http.ok(SessionDocument, { id: chat.id }, visitor);
    expect(mine).toMatchObject({ status: 'QUEUED', agent: null });
    const trail = await events(chat.id);
    expect(trail.filter((e) => e.kind === 'requeued')).toEqual([{ kind: 'requeued', actor_kind: 'system', agent_id: agent.id, data: { reason: 'disconnected' } }]);
    // It keeps its status: when it reconnects, the chat comes back to it.
    const [row] = await sql<{ status: string; active_chats: number }>(t.databaseUrl, 'select status, active_chats from agent where id = $1', [agent.id]);
    expect(row).toEqual({ status: 'ONLINE', active_chats: 0 });
    await connect(t, agent.token);
    const again = await waitFor(async () => {
      const s = await session(chat.id);
      return s.status === 'ACTIVE' && s;
    }, 5000, 50);
    expect(again.agent?.id).toBe(agent.id);
  }, 30_000);

  it('should leave the chats of an agent that reconnects within the time alone', async () => {
    const { agent, session: chat } = await buildActiveChat(t);
    await agent.socket!.dispose();
    await new Promise((r) => setTimeout(r, (GRACE_SECONDS + REQUEUE_SECONDS - 1) * 1000));
    await connect(t, agent.token);
    await new Promise((r) => setTimeout(r, (REQUEUE_SECONDS + 2) * 1000));
    expect(await session(chat.id)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    expect((await events(chat.id)).some((e) => e.kind === 'requeued')).toBe(false);
  }, 30_000);

  it('should never requeue with REQUEUE_DISCONNECTED_SECONDS=0', async () => {
    const never = await startTestServer({ env: { PRESENCE_GRACE_SECONDS: '0', REQUEUE_DISCONNECTED_SECONDS: '0' } });
    try {
      const { agent, session: chat } = await buildActiveChat(never);
      await agent.socket!.dispose();
      await new Promise((r) => setTimeout(r, 4000));
      const { session: s } = await never.http.ok(SessionDocument, { id: chat.id }, await loginSupervisor(never));
      expect(s).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    } finally {
      await never.close();
    }
  }, 30_000);
});

describe('Mutation.transferChat by a supervisor: assign by hand', () => {
  it('should take a QUEUED chat straight to the named agent, ahead of the queue', async () => {
    const skill = uniqueSkill();
    const { session: first } = await startChat(t, { skill });
    const { session: second } = await startChat(t, { skill });
    const bob = await buildOnlineAgent(t, { name: 'Bob', skills: ['other'] }); // has not the skill: routing would never give it these
    const { transferChat } = await t.http.ok(TransferChatDocument, { sessionId: second.id, toAgentId: bob.id }, supervisor);
    expect(transferChat).toMatchObject({ status: 'ACTIVE', agent: { id: bob.id }, queuePosition: null, queuedAt: null });
    expect(transferChat.assignedAt).not.toBeNull();
    // The one it jumped is first in line now.
    expect(await session(first.id)).toMatchObject({ status: 'QUEUED', queuePosition: 1 });
    const trail = await events(second.id);
    expect(trail.at(-1)).toMatchObject({ kind: 'assigned', actor_kind: 'agent', agent_id: bob.id, data: { byHand: true } });
    const [row] = await sql<{ active_chats: number }>(t.databaseUrl, 'select active_chats from agent where id = $1', [bob.id]);
    expect(row.active_chats).toBe(1);
  });

  it('should refuse an agent that cannot take it, and an agent who is not a supervisor, changing nothing', async () => {
    const { session: queued } = await startChat(t, { skill: uniqueSkill() });
    const away = await buildAgent(t, { name: 'Away' }); // OFFLINE, not connected
    const refused = await t.http.fail(TransferChatDocument, { sessionId: queued.id, toAgentId: away.id }, supervisor);
    expect(refused.code).toBe('CONFLICT');
    const plain = await buildOnlineAgent(t, { skills: ['nothing-here'] });
    const forbidden = await t.http.fail(TransferChatDocument, { sessionId: queued.id, toAgentId: plain.id }, plain.token);
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(await session(queued.id)).toMatchObject({ status: 'QUEUED', agent: null, queuePosition: 1 });
    expect((await events(queued.id)).map((e) => e.kind)).toEqual(['created', 'queued']);
  });
});

describe('Query.agentMetrics across a transfer, and chats abandoned in the queue', () => {
  it('should count one chat for the team, a transfer away as handled, and keep assignedAt at the first assignment', async () => {
    const team = await loginSupervisor(t);
    const from = new Date().toISOString();
    const { agent: bob, session: chat, visitor } = await buildActiveChat(t, { name: 'Tia' });
    const alice = await buildOnlineAgent(t, { name: 'Alice' });
    const assignedAt = chat.assignedAt!;
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.id, body: 'I need help' } }, visitor);
    await t.http.ok(TransferChatDocument, { sessionId: chat.id, toAgentId: alice.id }, bob.token);
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.id, body: 'Alice here' } }, alice.token);
    const { closeChat } = await t.http.ok(CloseChatDocument, { sessionId: chat.id }, alice.token);
    expect(closeChat.assignedAt).toBe(assignedAt);
    expect(Date.parse(closeChat.firstResponseAt!)).toBeGreaterThanOrEqual(Date.parse(closeChat.assignedAt!));

    const window = { from, to: new Date(Date.now() + 1000).toISOString() };
    const { agentMetrics: whole } = await t.http.ok(AgentMetricsDocument, { agentId: null, ...window }, team);
    const { agentMetrics: forBob } = await t.http.ok(AgentMetricsDocument, { agentId: bob.id, ...window }, team);
    const { agentMetrics: forAlice } = await t.http.ok(AgentMetricsDocument, { agentId: alice.id, ...window }, team);
    // Other tests of this file run in the same window; the team's numbers are compared as
    // differences with the agents' own, which only this chat touches.
    expect(forBob).toMatchObject({ chatsAssigned: 1, chatsClosed: 0, resolutionRate: 1, chatsAbandoned: null });
    expect(forAlice).toMatchObject({ chatsAssigned: 1, chatsClosed: 1, resolutionRate: 1, messagesSent: 1 });
    const trail = await sql<{ n: number }>(
      t.databaseUrl,
      `select count(distinct session_id)::int as n from session_event where kind in ('assigned', 'transferred') and at >= $1`,
      [from],
    );
    expect(whole.chatsAssigned).toBe(trail[0].n); // chats, not hand-offs: Bob's and Alice's are one
  });

  it('should count a chat closed while QUEUED as abandoned, and refuse to rate it', async () => {
    const team = await loginSupervisor(t);
    const from = new Date().toISOString();
    const { session: chat, token } = await startChat(t, { skill: uniqueSkill() });
    await t.http.ok(CloseChatDocument, { sessionId: chat.id }, token);
    const refused = await t.http.fail(RateChatDocument, { sessionId: chat.id, rating: 5, comment: 'nobody came' }, token);
    expect(refused.code).toBe('CONFLICT');
    expect(await session(chat.id)).toMatchObject({ status: 'CLOSED', rating: null, ratingComment: null });
    expect((await events(chat.id)).some((e) => e.kind === 'rated')).toBe(false);
    const { agentMetrics } = await t.http.ok(AgentMetricsDocument, { agentId: null, from, to: new Date(Date.now() + 1000).toISOString() }, team);
    expect(agentMetrics.chatsAbandoned).toBe(1);
  });
});

describe('ChatSession.queuedAt', () => {
  it('should say when a chat requeued by OFFLINE was put back, not when it started', async () => {
    const { agent, session: chat } = await buildActiveChat(t);
    expect(chat.queuedAt).toBeNull();
    await new Promise((r) => setTimeout(r, 300));
    const before = Date.now();
    await t.http.ok(SetStatusDocument, { status: 'OFFLINE' }, agent.token);
    const { queue } = await t.http.ok(QueueDocument, {}, supervisor);
    const back = queue.find((q) => q.id === chat.id)!;
    expect(Date.parse(back.queuedAt!)).toBeGreaterThanOrEqual(before - 50);
    expect(Date.parse(back.queuedAt!) - Date.parse(back.createdAt)).toBeGreaterThanOrEqual(250);
  });
});
