/**
 * The contract's "Routing" section, through the API: who is available, who gets a new chat,
 * the queue (positions per skill line, first come first served), draining whenever capacity
 * appears, OFFLINE/AWAY, presence grace, transfers, capacity edits, the invariants under
 * concurrency, and the subscriptions routing drives (sessionAssigned, queueUpdated).
 *
 * Every test gets its own server (its own database and Redis prefix): routing depends on the
 * whole team and the whole queue, so tests must not see each other's agents or sessions.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  AgentsDocument,
  CloseChatDocument,
  OnQueueUpdatedDocument,
  OnSessionAssignedDocument,
  OnSessionUpdatedDocument,
  QueueDocument,
  SendMessageDocument,
  SessionDocument,
  SessionsDocument,
  SetStatusDocument,
  TransferChatDocument,
  UpdateAgentDocument,
  type AgentStatus,
  type CreateAgentInput,
  type StartChatInput,
} from './generated/graphql';
import { sql } from './support/env';
import { buildAgent, buildOnlineAgent, connect, loginSupervisor, startChat, waitFor, type TestAgent } from './support/factories';
import { startTestServer, type TestServer } from './support/server';
import type { Subscription, WsClient } from './support/ws';

jest.setTimeout(60_000);

interface Ctx {
  t: TestServer;
  sup: string;
}

/** A server of the test's own (closed after it, with every socket the test opened: leftovers). */
async function setup(env?: Record<string, string>): Promise<Ctx> {
  const t = await startTestServer({ env });
  return { t, sup: await loginSupervisor(t) };
}

async function setStatus({ t }: Ctx, agent: TestAgent, status: AgentStatus) {
  return (await t.http.ok(SetStatusDocument, { status }, agent.token)).setStatus;
}

/** An agent (OFFLINE, no socket): the supervisor creates it, it signs in. */
function agent(c: Ctx, overrides: Partial<CreateAgentInput> = {}): Promise<TestAgent> {
  return buildAgent(c.t, overrides);
}

function chat(c: Ctx, input: StartChatInput = {}) {
  return startChat(c.t, input);
}

/** `count` chats started one after the other (so their queue order is theirs). */
async function chats(c: Ctx, count: number) {
  const started = [];
  for (let i = 0; i < count; i++) started.push(await chat(c));
  return started;
}

/** The session as a supervisor sees it. */
async function session({ t, sup }: Ctx, id: string) {
  const { session: s } = await t.http.ok(SessionDocument, { id }, sup);
  if (!s) throw new Error(`session ${id} not visible to the supervisor`);
  return s;
}

async function agentView({ t, sup }: Ctx, id: string) {
  const { agents } = await t.http.ok(AgentsDocument, {}, sup);
  const found = agents.find((a) => a.id === id);
  if (!found) throw new Error(`agent ${id} not listed`);
  return found;
}

async function queue({ t, sup }: Ctx) {
  return (await t.http.ok(QueueDocument, {}, sup)).queue;
}

/** The queue as [id, queuePosition] pairs, first in line first. */
async function queueLine(c: Ctx): Promise<Array<[string, number | null]>> {
  return (await queue(c)).map((s) => [s.id, s.queuePosition]);
}

async function close({ t }: Ctx, id: string, token: string) {
  return (await t.http.ok(CloseChatDocument, { sessionId: id }, token)).closeChat;
}

/** Waits until the session is ACTIVE with `agentId`. */
function assignedTo(c: Ctx, sessionId: string, agentId: string, timeoutMs = 10_000) {
  return waitFor(async () => {
    const s = await session(c, sessionId);
    return s.status === 'ACTIVE' && s.agent?.id === agentId ? s : false;
  }, timeoutMs);
}

/** The server's count of live subscriptions, from GET /metrics. */
async function liveSubscriptions({ t }: Ctx): Promise<number> {
  const text = await (await fetch(`${t.server.url}/metrics`)).text();
  const match = /^switchboard_subscriptions_active (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Subscribes and waits until the server has the subscription live (graphql-ws does not
 * acknowledge a subscribe), so an event caused right after cannot be missed.
 */
async function subscribe<T, V>(c: Ctx, ws: WsClient, document: TypedDocumentNode<T, V>, variables?: V): Promise<Subscription<T>> {
  const before = await liveSubscriptions(c);
  const sub = ws.subscribe(document, variables);
  await waitFor(async () => sub.completed || (await liveSubscriptions(c)) > before, 10_000);
  if (sub.completed) throw new Error(`subscription ended at once: ${JSON.stringify(sub.error)}`);
  return sub;
}

/** The code a refused subscription ends with (an error result, or an error message). */
async function refusal(sub: Subscription<unknown>): Promise<string | undefined> {
  try {
    const result = await sub.nextResult(10_000);
    return result.errors?.[0]?.extensions?.code as string | undefined;
  } catch {
    const error = sub.error as Array<{ extensions?: { code?: string } }> | undefined;
    return error?.[0]?.extensions?.code;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Routing: who is available', () => {
  it('should assign a new chat at once to an ONLINE agent with a live console socket', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { name: 'Ada' });
    const { session: s, token } = await chat(c);
    expect(s.status).toBe('ACTIVE');
    expect(s.agent?.id).toBe(a.id);
    expect(s.queuePosition).toBeNull();
    expect(s.assignedAt).not.toBeNull();
    // Both sides see it: the visitor's own view and the agent's load.
    const { session: mine } = await c.t.http.ok(SessionDocument, { id: s.id }, token);
    expect(mine).toMatchObject({ status: 'ACTIVE', agent: { name: 'Ada' } });
    expect(await agentView(c, a.id)).toMatchObject({ online: true, status: 'ONLINE', activeChats: 1 });
    expect(await queue(c)).toEqual([]);
  });

  it.each<[string, (c: Ctx) => Promise<TestAgent>, { status: AgentStatus; online: boolean }]>([
    ['an ONLINE agent that has no live socket', async (c) => {
      const a = await agent(c);
      await setStatus(c, a, 'ONLINE');
      return a;
    }, { status: 'ONLINE', online: false }],
    ['an AWAY agent with a live socket', async (c) => {
      const a = await buildOnlineAgent(c.t);
      await setStatus(c, a, 'AWAY');
      return a;
    }, { status: 'AWAY', online: true }],
    ['an OFFLINE agent with a live socket', async (c) => {
      const a = await agent(c); // a new agent starts OFFLINE
      await connect(c.t, a.token);
      return a;
    }, { status: 'OFFLINE', online: true }],
  ])('should not give a chat to %s', async (_what, unavailable, seen) => {
    const c = await setup();
    const a = await unavailable(c);
    const { session: s } = await chat(c);
    expect(s).toMatchObject({ status: 'QUEUED', agent: null, queuePosition: 1 });
    expect(await agentView(c, a.id)).toMatchObject({ ...seen, activeChats: 0 });
  });

  it('should route a chat that asks for a skill only to an agent with that skill', async () => {
    const c = await setup();
    const billing = await buildOnlineAgent(c.t, { skills: ['billing'], maxConcurrentChats: 5 });
    const first = await chat(c);
    expect(first.session.agent?.id).toBe(billing.id);
    const general = await buildOnlineAgent(c.t, { maxConcurrentChats: 5 });
    // The billing agent is busier, so "fewest active chats" alone would pick the other one.
    const b1 = await chat(c, { skill: 'billing' });
    expect(b1.session).toMatchObject({ status: 'ACTIVE', skill: 'billing', agent: { id: billing.id } });
    const b2 = await chat(c, { skill: 'billing' });
    expect(b2.session).toMatchObject({ status: 'ACTIVE', skill: 'billing', agent: { id: billing.id } });
    // A chat without a skill still goes by load.
    const plain = await chat(c);
    expect(plain.session.agent?.id).toBe(general.id);
    expect(await agentView(c, billing.id)).toMatchObject({ activeChats: 3 });
    expect(await agentView(c, general.id)).toMatchObject({ activeChats: 1 });
  });

  it('should queue a chat whose skill no available agent has, while chats without a skill still go at once', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { skills: ['sales'] });
    const { session: wanted } = await chat(c, { skill: 'billing' });
    expect(wanted).toMatchObject({ status: 'QUEUED', skill: 'billing', queuePosition: 1, agent: null });
    // An older session in another skill line does not hold up this one.
    const { session: any } = await chat(c);
    expect(any).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    const { session: sales } = await chat(c, { skill: 'sales' });
    expect(sales).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([[wanted.id, 1]]);
  });

  it('should not give an agent more chats than its maxConcurrentChats', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    const [s1, s2, s3] = await chats(c, 3);
    expect([s1.session.status, s2.session.status, s3.session.status]).toEqual(['ACTIVE', 'ACTIVE', 'QUEUED']);
    expect(s3.session.queuePosition).toBe(1);
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 2, maxConcurrentChats: 2 });
  });

  it('should never give a chat to an agent whose maxConcurrentChats is 0', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 0 });
    const { session: s } = await chat(c);
    expect(s).toMatchObject({ status: 'QUEUED', queuePosition: 1 });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 0, online: true, status: 'ONLINE' });
  });
});

describe('Routing: choosing among available agents', () => {
  it('should assign to the available agent with the fewest active chats', async () => {
    const c = await setup();
    const a = await agent(c, { name: 'A', maxConcurrentChats: 5 });
    const b = await agent(c, { name: 'B', maxConcurrentChats: 5 });
    await connect(c.t, a.token);
    await connect(c.t, b.token);
    await setStatus(c, a, 'ONLINE');
    expect((await chat(c)).session.agent?.id).toBe(a.id);
    expect((await chat(c)).session.agent?.id).toBe(a.id);
    await setStatus(c, b, 'ONLINE');
    expect((await chat(c)).session.agent?.id).toBe(b.id); // 0 < 2
    // B's last assignment is now the newer one, yet B still has fewer chats: fewest wins.
    expect((await chat(c)).session.agent?.id).toBe(b.id); // 1 < 2
    expect((await chat(c)).session.agent?.id).toBe(a.id); // 2 = 2: A's last assignment is older
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 3 });
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 2 });
  });

  it('should break a tie in active chats by the oldest last assignment, not by creation order or id', async () => {
    const c = await setup();
    const a = await agent(c, { name: 'A' }); // created first
    const b = await agent(c, { name: 'B' });
    await connect(c.t, a.token);
    await connect(c.t, b.token);

    // B gets a chat first, then A: B's last assignment is the older one.
    await setStatus(c, b, 'ONLINE');
    const c1 = await chat(c);
    expect(c1.session.agent?.id).toBe(b.id);
    await setStatus(c, a, 'ONLINE');
    const c2 = await chat(c);
    expect(c2.session.agent?.id).toBe(a.id); // fewest: 0 < 1
    await close(c, c1.session.id, c1.token);
    await close(c, c2.session.id, c2.token);

    // 0 and 0: B, whose last assignment is older (creation order would say A).
    const c3 = await chat(c);
    expect(c3.session.agent?.id).toBe(b.id);
    await close(c, c3.session.id, c3.token);

    // Now B's last assignment is the newest: the tie goes the other way.
    const c4 = await chat(c);
    expect(c4.session.agent?.id).toBe(a.id);
    await close(c, c4.session.id, c4.token);
    const c5 = await chat(c);
    expect(c5.session.agent?.id).toBe(b.id);
  });
});

describe('Query.queue', () => {
  it('should require authentication', async () => {
    const c = await setup();
    const anonymous = await c.t.http.fail(QueueDocument, {});
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });

  it('should not show the queue to a customer', async () => {
    const c = await setup();
    const { token } = await chat(c);
    const refused = await c.t.http.fail(QueueDocument, {}, token);
    expect(refused.code).toBe('FORBIDDEN');
  });

  it('should number queued sessions 1..n per skill line, first come first served, and list them first in line first', async () => {
    const c = await setup();
    const plain = await agent(c);
    const started: Array<{ id: string; skill: string | null; position: number | null; token: string }> = [];
    for (const skill of [null, 'billing', null, 'sales', 'billing', null]) {
      const { session: s, token } = await chat(c, { skill });
      started.push({ id: s.id, skill: s.skill, position: s.queuePosition, token });
      expect(s.status).toBe('QUEUED');
    }
    expect(started.map((s) => [s.skill, s.position])).toEqual([
      [null, 1],
      ['billing', 1],
      [null, 2],
      ['sales', 1],
      ['billing', 2],
      [null, 3],
    ]);
    // Any agent sees the whole queue in arrival order with the same positions.
    const seen = (await c.t.http.ok(QueueDocument, {}, plain.token)).queue;
    expect(seen.map((s) => [s.id, s.status, s.skill, s.queuePosition])).toEqual(
      started.map((s) => [s.id, 'QUEUED', s.skill, s.position]),
    );
    // Each customer sees its own place.
    for (const s of started) {
      const { session: mine } = await c.t.http.ok(SessionDocument, { id: s.id }, s.token);
      expect(mine?.queuePosition).toBe(s.position);
    }
  });

  it('should move everyone behind up when a queued session is closed', async () => {
    const c = await setup();
    const [s1, s2, s3] = await chats(c, 3);
    expect(await queueLine(c)).toEqual([
      [s1.session.id, 1],
      [s2.session.id, 2],
      [s3.session.id, 3],
    ]);
    const closed = await close(c, s1.session.id, s1.token);
    expect(closed).toMatchObject({ status: 'CLOSED', queuePosition: null });
    expect(await queueLine(c)).toEqual([
      [s2.session.id, 1],
      [s3.session.id, 2],
    ]);
  });
});

describe('Routing: the queue drains when capacity appears', () => {
  it('should assign the oldest queued sessions that agent can take when it comes ONLINE, and move the rest up', async () => {
    const c = await setup();
    const a = await agent(c, { skills: ['sales'], maxConcurrentChats: 2 });
    const ws = await connect(c.t, a.token); // online, but OFFLINE: not available yet
    const assigned = await subscribe(c, ws, OnSessionAssignedDocument);
    const q: Record<string, string> = {};
    for (const [name, skill] of [
      ['none1', null],
      ['billing1', 'billing'],
      ['none2', null],
      ['sales1', 'sales'],
      ['billing2', 'billing'],
      ['none3', null],
    ] as const) {
      q[name] = (await chat(c, { skill })).session.id;
    }
    const me = await setStatus(c, a, 'ONLINE');
    expect(me).toMatchObject({ status: 'ONLINE', activeChats: 2 });
    // The two oldest it can take: none1 and none2 (billing1 is older but needs a skill it lacks).
    expect(await session(c, q.none1)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await session(c, q.none2)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([
      [q.billing1, 1],
      [q.sales1, 1],
      [q.billing2, 2],
      [q.none3, 1],
    ]);
    const events = await assigned.take(2, 10_000);
    expect(new Set(events.map((e) => e.sessionAssigned.id))).toEqual(new Set([q.none1, q.none2]));
    for (const e of events) expect(e.sessionAssigned).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
  });

  it('should tell a waiting customer its new place in the queue as it moves', async () => {
    const c = await setup();
    const a = await agent(c, { maxConcurrentChats: 1 });
    const s1 = await chat(c);
    const s2 = await chat(c);
    expect(s2.session.queuePosition).toBe(2);
    const visitorWs = await connect(c.t, s2.token);
    const updates = await subscribe(c, visitorWs, OnSessionUpdatedDocument, { sessionId: s2.session.id });

    await connect(c.t, a.token);
    await setStatus(c, a, 'ONLINE'); // takes s1: s2 moves up
    await assignedTo(c, s1.session.id, a.id);
    const moved = await waitFor(async () => updates.received.find((u) => u.sessionUpdated.queuePosition === 1), 10_000);
    expect(moved.sessionUpdated).toMatchObject({ id: s2.session.id, status: 'QUEUED', queuePosition: 1 });

    const seen = updates.received.length;
    await setStatus(c, a, 'OFFLINE'); // s1 goes back to the head: s2 moves down
    const pushed = await waitFor(async () => updates.received.slice(seen).find((u) => u.sessionUpdated.queuePosition === 2), 10_000);
    expect(pushed.sessionUpdated).toMatchObject({ id: s2.session.id, status: 'QUEUED', queuePosition: 2 });
  });

  it('should assign a queued session when an ONLINE agent opens its console socket', async () => {
    const c = await setup();
    const a = await agent(c);
    await setStatus(c, a, 'ONLINE');
    const { session: s } = await chat(c);
    expect(s.status).toBe('QUEUED');
    await connect(c.t, a.token);
    const after = await assignedTo(c, s.id, a.id);
    expect(after.queuePosition).toBeNull();
    expect(await agentView(c, a.id)).toMatchObject({ online: true, activeChats: 1 });
    expect(await queue(c)).toEqual([]);
  });

  it('should give the freed slot to the oldest queued session when a chat closes', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 1 });
    const [s1, s2, s3] = await chats(c, 3);
    expect(s1.session.status).toBe('ACTIVE');
    expect([s2.session.queuePosition, s3.session.queuePosition]).toEqual([1, 2]);

    await close(c, s1.session.id, s1.token); // the customer closes
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([[s3.session.id, 1]]);

    await close(c, s2.session.id, a.token); // the agent closes
    expect(await session(c, s3.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queue(c)).toEqual([]);
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 1 });
  });

  it('should give the sender\'s freed slot to a queued session when a chat is transferred away', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { skills: ['billing'], maxConcurrentChats: 1 });
    const b = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    const s1 = await chat(c, { skill: 'billing' });
    expect(s1.session.agent?.id).toBe(a.id);
    const s2 = await chat(c, { skill: 'billing' }); // A is full, B lacks the skill
    expect(s2.session).toMatchObject({ status: 'QUEUED', queuePosition: 1 });

    const moved = (await c.t.http.ok(TransferChatDocument, { sessionId: s1.session.id, toAgentId: b.id }, a.token)).transferChat;
    expect(moved).toMatchObject({ status: 'ACTIVE', agent: { id: b.id } });
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queue(c)).toEqual([]);
  });

  it('should assign queued sessions that need a skill as soon as an agent gains that skill', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c, { skill: 'billing' });
    const s2 = await chat(c, { skill: 'refunds' });
    expect([s1.session.status, s2.session.status]).toEqual(['QUEUED', 'QUEUED']);
    const updated = (await c.t.http.ok(UpdateAgentDocument, { id: a.id, input: { skills: ['billing'] } }, a.token)).updateAgent;
    expect(updated).toMatchObject({ skills: ['billing'], activeChats: 1 });
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([[s2.session.id, 1]]);
  });

  it('should assign queued sessions as soon as an agent\'s capacity rises', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 1 });
    await chat(c);
    const s2 = await chat(c);
    const s3 = await chat(c);
    const s4 = await chat(c);
    expect([s2, s3, s4].map((s) => s.session.queuePosition)).toEqual([1, 2, 3]);
    const updated = (await c.t.http.ok(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: 3 } }, c.sup)).updateAgent;
    expect(updated).toMatchObject({ maxConcurrentChats: 3, activeChats: 3 });
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await session(c, s3.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([[s4.session.id, 1]]);
  });
});

describe('Mutation.setStatus', () => {
  it('should require authentication', async () => {
    const c = await setup();
    const anonymous = await c.t.http.fail(SetStatusDocument, { status: 'ONLINE' });
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a customer', async () => {
    const c = await setup();
    const { token } = await chat(c);
    const refused = await c.t.http.fail(SetStatusDocument, { status: 'ONLINE' }, token);
    expect(refused.code).toBe('FORBIDDEN');
  });

  it('should put an agent\'s ACTIVE sessions back at the head of the queue when it goes OFFLINE', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    const [s1, s2, s3] = await chats(c, 3);
    const s4 = await chat(c);
    expect([s3.session.queuePosition, s4.session.queuePosition]).toEqual([1, 2]);

    const me = await setStatus(c, a, 'OFFLINE');
    expect(me).toMatchObject({ status: 'OFFLINE', activeChats: 0 });
    // Ahead of the sessions already waiting, in the order they came.
    expect(await queueLine(c)).toEqual([
      [s1.session.id, 1],
      [s2.session.id, 2],
      [s3.session.id, 3],
      [s4.session.id, 4],
    ]);
    const { session: mine } = await c.t.http.ok(SessionDocument, { id: s1.session.id }, s1.token);
    expect(mine).toMatchObject({ status: 'QUEUED', agent: null, queuePosition: 1, assignedAt: null });
    // The agent no longer holds them.
    expect((await c.t.http.ok(SessionDocument, { id: s1.session.id }, a.token)).session).toMatchObject({ status: 'QUEUED', agent: null });

    // The next agent with capacity gets the requeued ones first.
    const b = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    await assignedTo(c, s1.session.id, b.id);
    await assignedTo(c, s2.session.id, b.id);
    expect(await queueLine(c)).toEqual([
      [s3.session.id, 1],
      [s4.session.id, 2],
    ]);
  });

  it('should route an OFFLINE agent\'s sessions at once to another available agent', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    const s1 = await chat(c);
    const s2 = await chat(c);
    expect([s1.session.agent?.id, s2.session.agent?.id]).toEqual([a.id, a.id]);
    const b = await agent(c, { maxConcurrentChats: 3 });
    const ws = await connect(c.t, b.token);
    const assigned = await subscribe(c, ws, OnSessionAssignedDocument);
    await setStatus(c, b, 'ONLINE');

    await setStatus(c, a, 'OFFLINE');
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: b.id } });
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: b.id } });
    expect(await agentView(c, a.id)).toMatchObject({ status: 'OFFLINE', activeChats: 0 });
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 2 });
    expect(await queue(c)).toEqual([]);
    const events = await assigned.take(2, 10_000);
    expect(new Set(events.map((e) => e.sessionAssigned.id))).toEqual(new Set([s1.session.id, s2.session.id]));
  });

  it('should let an AWAY agent keep its sessions but give it no new ones until it is ONLINE again', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    expect(s1.session.agent?.id).toBe(a.id);
    const me = await setStatus(c, a, 'AWAY');
    expect(me).toMatchObject({ status: 'AWAY', activeChats: 1 });
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    // It still answers the chat it has.
    const reply = await c.t.http.ok(SendMessageDocument, { input: { sessionId: s1.session.id, body: 'back in a minute' } }, a.token);
    expect(reply.sendMessage).toMatchObject({ author: 'AGENT', seq: 1 });

    const s2 = await chat(c);
    expect(s2.session).toMatchObject({ status: 'QUEUED', queuePosition: 1 });
    const back = await setStatus(c, a, 'ONLINE');
    expect(back).toMatchObject({ status: 'ONLINE', activeChats: 2 });
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
  });
});

describe('Routing: presence grace', () => {
  it('should keep routing to an agent for PRESENCE_GRACE_SECONDS after its last socket closed, then queue instead', async () => {
    const c = await setup({ PRESENCE_GRACE_SECONDS: '3' });
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 5 });
    await a.socket!.dispose();
    await a.socket!.closed;
    await sleep(300); // let the server see the close; well inside the 3 s window
    const during = await chat(c);
    expect(during.session).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await agentView(c, a.id)).toMatchObject({ online: true });

    await waitFor(async () => !(await agentView(c, a.id)).online, 15_000);
    const after = await chat(c);
    expect(after.session).toMatchObject({ status: 'QUEUED', queuePosition: 1, agent: null });
    // The chat it got during the window stays with it.
    expect(await session(c, during.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
  });

  it('should keep an agent online when it reconnects within the grace period', async () => {
    const c = await setup({ PRESENCE_GRACE_SECONDS: '2' });
    const a = await buildOnlineAgent(c.t);
    await a.socket!.dispose();
    await a.socket!.closed;
    await connect(c.t, a.token);
    await sleep(3500); // past the grace period of the closed socket
    expect(await agentView(c, a.id)).toMatchObject({ online: true });
    const { session: s } = await chat(c);
    expect(s).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
  });

  it('should drain the queue when an agent comes back online after the grace period', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    await a.socket!.dispose();
    await waitFor(async () => !(await agentView(c, a.id)).online, 15_000);
    const { session: s } = await chat(c);
    expect(s.status).toBe('QUEUED');
    await connect(c.t, a.token);
    await assignedTo(c, s.id, a.id);
  });
});

describe('Mutation.transferChat', () => {
  it('should require authentication', async () => {
    const c = await setup();
    await buildOnlineAgent(c.t);
    const { session: s } = await chat(c);
    const anonymous = await c.t.http.fail(TransferChatDocument, { sessionId: s.id });
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });

  it('should hand an ACTIVE chat to a named agent with a free slot', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { name: 'Ann' });
    const s1 = await chat(c);
    expect(s1.session.agent?.id).toBe(a.id);
    const b = await buildOnlineAgent(c.t, { name: 'Bob' });
    const assigned = await subscribe(c, b.socket!, OnSessionAssignedDocument);

    const moved = (await c.t.http.ok(TransferChatDocument, { sessionId: s1.session.id, toAgentId: b.id }, a.token)).transferChat;
    expect(moved).toMatchObject({ status: 'ACTIVE', agent: { id: b.id, name: 'Bob' } });
    expect((await assigned.next(10_000)).sessionAssigned).toMatchObject({ id: s1.session.id, status: 'ACTIVE', agent: { id: b.id } });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 0 });
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 1 });
    // The customer sees the new agent; the old agent no longer sees the chat.
    const { session: mine } = await c.t.http.ok(SessionDocument, { id: s1.session.id }, s1.token);
    expect(mine?.agent?.name).toBe('Bob');
    expect((await c.t.http.ok(SessionDocument, { id: s1.session.id }, a.token)).session).toBeNull();
  });

  it('should let a supervisor transfer any agent\'s chat', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const b = await buildOnlineAgent(c.t);
    const moved = (await c.t.http.ok(TransferChatDocument, { sessionId: s1.session.id, toAgentId: b.id }, c.sup)).transferChat;
    expect(moved).toMatchObject({ status: 'ACTIVE', agent: { id: b.id } });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 0 });
  });

  it('should refuse a transfer to an agent at capacity with CONFLICT and change nothing', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 2 });
    const s1 = await chat(c);
    const b = await buildOnlineAgent(c.t, { maxConcurrentChats: 1 });
    const s2 = await chat(c);
    const s3 = await chat(c);
    // A, then B (fewest), then A (B is full).
    expect([s1, s2, s3].map((s) => s.session.agent?.id)).toEqual([a.id, b.id, a.id]);
    const refused = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id, toAgentId: b.id }, a.token);
    expect(refused.code).toBe('CONFLICT');
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 2 });
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 1, maxConcurrentChats: 1 });
  });

  it('should refuse a transfer to an OFFLINE agent with CONFLICT', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const off = await agent(c); // OFFLINE
    const refused = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id, toAgentId: off.id }, a.token);
    expect(refused.code).toBe('CONFLICT');
    expect(await session(c, s1.session.id)).toMatchObject({ agent: { id: a.id } });
    expect(await agentView(c, off.id)).toMatchObject({ activeChats: 0 });
  });

  it('should refuse a transfer to an agent that does not exist with NOT_FOUND', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const refused = await c.t.http.fail(
      TransferChatDocument,
      { sessionId: s1.session.id, toAgentId: '00000000-0000-4000-8000-000000000000' },
      a.token,
    );
    expect(refused.code).toBe('NOT_FOUND');
    expect(await session(c, s1.session.id)).toMatchObject({ agent: { id: a.id } });
  });

  it('should refuse a transfer to the agent that already has the chat with CONFLICT', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const refused = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id, toAgentId: a.id }, a.token);
    expect(refused.code).toBe('CONFLICT');
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 1 });
  });

  it('should put the chat back in the queue for a skill when no agent has it, and free the sender', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 1 });
    const s1 = await chat(c);
    const s2 = await chat(c); // waits for A
    expect(s2.session.queuePosition).toBe(1);

    const back = (await c.t.http.ok(TransferChatDocument, { sessionId: s1.session.id, skill: 'billing' }, a.token)).transferChat;
    expect(back).toMatchObject({ status: 'QUEUED', skill: 'billing', agent: null, queuePosition: 1 });
    // The freed slot went to the session that was waiting.
    expect(await session(c, s2.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
    expect(await queueLine(c)).toEqual([[s1.session.id, 1]]);
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 1 });
  });

  it('should route a chat sent back to the queue for a skill to an available agent with that skill', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    expect(s1.session.agent?.id).toBe(a.id);
    const billing = await buildOnlineAgent(c.t, { skills: ['billing'] });
    const assigned = await subscribe(c, billing.socket!, OnSessionAssignedDocument);
    const moved = (await c.t.http.ok(TransferChatDocument, { sessionId: s1.session.id, skill: 'billing' }, a.token)).transferChat;
    expect(moved).toMatchObject({ status: 'ACTIVE', skill: 'billing', agent: { id: billing.id } });
    expect((await assigned.next(10_000)).sessionAssigned).toMatchObject({ id: s1.session.id, skill: 'billing' });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 0 });
  });

  it('should not bounce a chat sent back to the queue straight back to its sender when another agent can take it', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 3 });
    const b = await buildOnlineAgent(c.t, { maxConcurrentChats: 3 });
    const first = await chat(c);
    const second = await chat(c);
    const fromA = first.session.agent?.id === a.id ? first : second;
    expect(fromA.session.agent?.id).toBe(a.id);
    // After the transfer A has 0 chats and B has 1: "fewest" alone would hand it back to A.
    const moved = (await c.t.http.ok(TransferChatDocument, { sessionId: fromA.session.id }, a.token)).transferChat;
    expect(moved).toMatchObject({ status: 'ACTIVE', agent: { id: b.id } });
    expect(await agentView(c, a.id)).toMatchObject({ activeChats: 0 });
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 2 });
  });

  it('should refuse the customer with FORBIDDEN and a stranger agent with NOT_FOUND', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const stranger = await agent(c);
    const byCustomer = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id, toAgentId: stranger.id }, s1.token);
    expect(byCustomer.code).toBe('FORBIDDEN');
    const byStranger = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id }, stranger.token);
    expect(byStranger.code).toBe('NOT_FOUND');
    // Indistinguishable from a session that does not exist.
    const missing = await c.t.http.fail(TransferChatDocument, { sessionId: '00000000-0000-4000-8000-000000000000' }, stranger.token);
    expect(byStranger.message).toBe(missing.message);
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id } });
  });

  it('should refuse to transfer a chat that is not ACTIVE with CONFLICT', async () => {
    const c = await setup();
    const queued = await chat(c);
    const refusedQueued = await c.t.http.fail(TransferChatDocument, { sessionId: queued.session.id, skill: 'billing' }, c.sup);
    expect(refusedQueued.code).toBe('CONFLICT');
    const a = await buildOnlineAgent(c.t);
    await assignedTo(c, queued.session.id, a.id);
    await close(c, queued.session.id, a.token);
    const b = await buildOnlineAgent(c.t);
    const refusedClosed = await c.t.http.fail(TransferChatDocument, { sessionId: queued.session.id, toAgentId: b.id }, a.token);
    expect(refusedClosed.code).toBe('CONFLICT');
    expect(await agentView(c, b.id)).toMatchObject({ activeChats: 0 });
  });

  it('should refuse an invalid skill with BAD_USER_INPUT', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const s1 = await chat(c);
    const refused = await c.t.http.fail(TransferChatDocument, { sessionId: s1.session.id, skill: 'Not A Skill!' }, a.token);
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(await session(c, s1.session.id)).toMatchObject({ status: 'ACTIVE', agent: { id: a.id }, skill: null });
  });
});

describe('Mutation.updateAgent (capacity)', () => {
  it('should require authentication', async () => {
    const c = await setup();
    const a = await agent(c);
    const anonymous = await c.t.http.fail(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: 5 } });
    expect(anonymous.code).toBe('UNAUTHENTICATED');
  });

  it('should refuse another (non-supervisor) agent with FORBIDDEN', async () => {
    const c = await setup();
    const a = await agent(c);
    const other = await agent(c);
    const refused = await c.t.http.fail(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: 5 } }, other.token);
    expect(refused.code).toBe('FORBIDDEN');
    expect(await agentView(c, a.id)).toMatchObject({ maxConcurrentChats: 3 });
  });

  it('should refuse lowering maxConcurrentChats below the active chats with CONFLICT', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t, { maxConcurrentChats: 3 });
    await chat(c);
    await chat(c);
    for (const token of [a.token, c.sup]) {
      const refused = await c.t.http.fail(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: 1 } }, token);
      expect(refused.code).toBe('CONFLICT');
    }
    expect(await agentView(c, a.id)).toMatchObject({ maxConcurrentChats: 3, activeChats: 2 });
    // Down to exactly its load is fine, and then it takes no more.
    const lowered = (await c.t.http.ok(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: 2 } }, a.token)).updateAgent;
    expect(lowered).toMatchObject({ maxConcurrentChats: 2, activeChats: 2 });
    const s3 = await chat(c);
    expect(s3.session).toMatchObject({ status: 'QUEUED', queuePosition: 1 });
  });

  it('should refuse a negative capacity with BAD_USER_INPUT', async () => {
    const c = await setup();
    const a = await agent(c);
    const refused = await c.t.http.fail(UpdateAgentDocument, { id: a.id, input: { maxConcurrentChats: -1 } }, c.sup);
    expect(refused.code).toBe('BAD_USER_INPUT');
  });
});

/** The two refusals every agents-only subscription starts with: anonymous, and a customer. */
function agentsOnly(document: TypedDocumentNode<unknown, Record<string, never>>) {
  it('should require authentication', async () => {
    const c = await setup();
    const ws = await connect(c.t);
    expect(await refusal(ws.subscribe(document))).toBe('UNAUTHENTICATED');
  });
  it('should refuse a customer', async () => {
    const c = await setup();
    const { token } = await chat(c);
    const ws = await connect(c.t, token);
    expect(await refusal(ws.subscribe(document))).toBe('FORBIDDEN');
  });
}

describe('Subscription.sessionAssigned', () => {
  agentsOnly(OnSessionAssignedDocument);

  it('should fire for the agent that got the chat and for no one else', async () => {
    const c = await setup();
    const a = await buildOnlineAgent(c.t);
    const b = await buildOnlineAgent(c.t);
    const subA = await subscribe(c, a.socket!, OnSessionAssignedDocument);
    const subB = await subscribe(c, b.socket!, OnSessionAssignedDocument);
    const subs = { [a.id]: subA, [b.id]: subB };

    const s1 = await chat(c, { message: 'hi' });
    const winner = s1.session.agent!.id;
    const loser = winner === a.id ? b.id : a.id;
    const got = (await subs[winner].next(10_000)).sessionAssigned;
    expect(got).toMatchObject({ id: s1.session.id, status: 'ACTIVE', lastSeq: 1, agent: { id: winner } });
    expect(got.customer.id).toBe(s1.session.customer.id);
    await subs[loser].expectQuiet(500);

    // The next chat goes to the other one (fewest), and only it hears about it.
    const s2 = await chat(c);
    expect(s2.session.agent?.id).toBe(loser);
    expect((await subs[loser].next(10_000)).sessionAssigned.id).toBe(s2.session.id);
    await subs[winner].expectQuiet(500);
  });
});

describe('Subscription.queueUpdated', () => {
  agentsOnly(OnQueueUpdatedDocument);

  it('should deliver the whole queue, first in line first, whenever it changes', async () => {
    const c = await setup();
    const a = await agent(c, { maxConcurrentChats: 1 });
    const ws = await connect(c.t, a.token); // OFFLINE: watches the queue, takes nothing
    const sub = await subscribe(c, ws, OnQueueUpdatedDocument);
    const line = (q: Array<{ id: string; queuePosition: number | null; status: string }>) => q.map((s) => [s.id, s.queuePosition, s.status]);

    const s1 = await chat(c);
    expect(line((await sub.next(10_000)).queueUpdated)).toEqual([[s1.session.id, 1, 'QUEUED']]);
    const s2 = await chat(c, { skill: 'billing' });
    expect(line((await sub.next(10_000)).queueUpdated)).toEqual([
      [s1.session.id, 1, 'QUEUED'],
      [s2.session.id, 1, 'QUEUED'],
    ]);
    const s3 = await chat(c);
    expect(line((await sub.next(10_000)).queueUpdated)).toEqual([
      [s1.session.id, 1, 'QUEUED'],
      [s2.session.id, 1, 'QUEUED'],
      [s3.session.id, 2, 'QUEUED'],
    ]);

    await setStatus(c, a, 'ONLINE'); // takes s1, the oldest it can
    expect(line((await sub.next(10_000)).queueUpdated)).toEqual([
      [s2.session.id, 1, 'QUEUED'],
      [s3.session.id, 1, 'QUEUED'],
    ]);

    await close(c, s2.session.id, s2.token); // a queued session leaves
    expect(line((await sub.next(10_000)).queueUpdated)).toEqual([[s3.session.id, 1, 'QUEUED']]);
  });
});

describe('Routing invariants under concurrency (one instance)', () => {
  interface Row {
    id: string;
    active_chats: number;
    max_concurrent_chats: number;
    active: number;
  }
  const loadByAgent = (c: Ctx) =>
    sql<Row>(
      c.t.databaseUrl,
      `select a.id, a.active_chats, a.max_concurrent_chats,
              (select count(*) from chat_session s where s.agent_id = a.id and s.status = 'ACTIVE')::int as active
         from agent a where a.role = 'AGENT'`,
    );
  const countByStatus = async (c: Ctx) =>
    Object.fromEntries(
      (await sql<{ status: string; n: number }>(c.t.databaseUrl, 'select status, count(*)::int as n from chat_session group by status')).map(
        (r) => [r.status, r.n],
      ),
    );

  it('should fill 3 agents of capacity 3 exactly from 30 concurrent chats, queue the rest 1..21, and refill as chats close', async () => {
    const c = await setup();
    const agents = [await buildOnlineAgent(c.t), await buildOnlineAgent(c.t), await buildOnlineAgent(c.t)];
    const ids = agents.map((a) => a.id).sort();
    const watcher = await connect(c.t, c.sup); // the supervisor is OFFLINE: it only watches
    const queueFeed = await subscribe(c, watcher, OnQueueUpdatedDocument);

    const started = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(c, { name: `Visitor ${i}` })));
    const active = started.filter((s) => s.session.status === 'ACTIVE');
    const queued = started.filter((s) => s.session.status === 'QUEUED');
    expect(active).toHaveLength(9);
    expect(queued).toHaveLength(21);
    const perAgent = (list: typeof started) =>
      Object.fromEntries(ids.map((id) => [id, list.filter((s) => s.session.agent?.id === id).length]));
    expect(perAgent(active)).toEqual(Object.fromEntries(ids.map((id) => [id, 3])));
    // Positions as each caller was told: 1..21, no duplicates.
    expect(queued.map((s) => s.session.queuePosition).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));

    const line1 = await queueLine(c);
    expect(line1.map(([, p]) => p)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(new Set(line1.map(([id]) => id))).toEqual(new Set(queued.map((s) => s.session.id)));
    for (const a of agents) expect(await agentView(c, a.id)).toMatchObject({ activeChats: 3 });
    expect(await countByStatus(c)).toEqual({ ACTIVE: 9, QUEUED: 21 });
    for (const r of await loadByAgent(c)) expect(r).toMatchObject({ active_chats: 3, active: 3, max_concurrent_chats: 3 });
    // The watcher's latest view of the queue is the queue.
    await waitFor(async () => {
      const last = queueFeed.received[queueFeed.received.length - 1]?.queueUpdated;
      return last && JSON.stringify(last.map((s) => [s.id, s.queuePosition])) === JSON.stringify(line1);
    }, 10_000);

    // Close every active chat at once: each agent refills to 3 with the 9 oldest queued sessions.
    await Promise.all(active.map((s) => close(c, s.session.id, s.token)));
    const expectedNext = new Set(line1.slice(0, 9).map(([id]) => id));
    const { sessions: nowActive } = (await c.t.http.ok(SessionsDocument, { status: 'ACTIVE', first: 100 }, c.sup)).sessions;
    expect(new Set(nowActive.map((s) => s.id))).toEqual(expectedNext);
    for (const a of agents) expect(await agentView(c, a.id)).toMatchObject({ activeChats: 3 });
    const line2 = await queueLine(c);
    expect(line2).toEqual(line1.slice(9).map(([id], i) => [id, i + 1]));
    expect(await countByStatus(c)).toEqual({ ACTIVE: 9, QUEUED: 12, CLOSED: 9 });
    for (const r of await loadByAgent(c)) expect(r).toMatchObject({ active_chats: 3, active: 3 });

    // Closes and new chats at once: freed slots go to the oldest waiting, new chats join the tail.
    const second = nowActive.map((s) => s.id);
    const [, fresh] = await Promise.all([
      Promise.all(second.map((id) => close(c, id, c.sup))),
      Promise.all(Array.from({ length: 6 }, () => chat(c))),
    ]);
    for (const f of fresh) expect(f.session.status).toBe('QUEUED');
    const line3 = await queueLine(c);
    expect(line3.map(([, p]) => p)).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
    expect(line3.slice(0, 3).map(([id]) => id)).toEqual(line2.slice(9).map(([id]) => id));
    expect(new Set(line3.slice(3).map(([id]) => id))).toEqual(new Set(fresh.map((f) => f.session.id)));
    expect(await countByStatus(c)).toEqual({ ACTIVE: 9, QUEUED: 9, CLOSED: 18 });
    for (const r of await loadByAgent(c)) expect(r).toMatchObject({ active_chats: 3, active: 3 });
    await waitFor(async () => {
      const last = queueFeed.received[queueFeed.received.length - 1]?.queueUpdated;
      return last && JSON.stringify(last.map((s) => [s.id, s.queuePosition])) === JSON.stringify(line3);
    }, 10_000);
  });

  it('should keep every agent within capacity and leave nothing queued that an available agent could take, under mixed concurrent changes', async () => {
    const c = await setup();
    const agents = [
      await buildOnlineAgent(c.t, { maxConcurrentChats: 2, skills: ['billing'] }),
      await buildOnlineAgent(c.t, { maxConcurrentChats: 2 }),
      await buildOnlineAgent(c.t, { maxConcurrentChats: 1, skills: ['sales'] }),
    ];
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => chat(c, { skill: [null, 'billing', 'sales'][i % 3] })));
    // At once: more chats, some closes, a capacity rise, a skill change, an AWAY and back.
    await Promise.all([
      ...Array.from({ length: 9 }, (_, i) => chat(c, { skill: [null, 'billing', 'sales'][i % 3] })),
      ...first.filter((s) => s.session.status === 'ACTIVE').slice(0, 2).map((s) => close(c, s.session.id, s.token)),
      c.t.http.ok(UpdateAgentDocument, { id: agents[1].id, input: { maxConcurrentChats: 4 } }, c.sup),
      c.t.http.ok(UpdateAgentDocument, { id: agents[2].id, input: { skills: ['sales', 'billing'] } }, c.sup),
      setStatus(c, agents[0], 'AWAY').then(() => setStatus(c, agents[0], 'ONLINE')),
    ]);

    const rows = await loadByAgent(c);
    for (const r of rows) {
      expect(r.active).toBe(r.active_chats);
      expect(r.active_chats).toBeLessThanOrEqual(r.max_concurrent_chats);
    }
    const team = await Promise.all(agents.map((a) => agentView(c, a.id)));
    const waiting = await queue(c);
    // Every queued session has no available agent that could take it.
    for (const s of waiting) {
      const able = team.filter((a) => a.status === 'ONLINE' && a.online && a.activeChats < a.maxConcurrentChats && (s.skill === null || a.skills.includes(s.skill)));
      expect({ session: s.id, skill: s.skill, able: able.map((a) => a.id) }).toEqual({ session: s.id, skill: s.skill, able: [] });
    }
    // Positions per skill line are 1..n in order.
    const bySkill = new Map<string | null, number[]>();
    for (const s of waiting) bySkill.set(s.skill, [...(bySkill.get(s.skill) ?? []), s.queuePosition!]);
    for (const positions of bySkill.values()) expect(positions).toEqual(positions.map((_, i) => i + 1));
    const counts = await countByStatus(c);
    expect((counts.ACTIVE ?? 0) + (counts.QUEUED ?? 0) + (counts.CLOSED ?? 0)).toBe(21);
    expect(counts.CLOSED).toBe(2);
  });
});
