import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { randomUUID } from 'node:crypto';
import {
  CloseChatDocument,
  MarkReadDocument,
  OnAgentUpdatedDocument,
  OnMessageAddedDocument,
  OnQueueUpdatedDocument,
  OnSessionAssignedDocument,
  OnSessionUpdatedDocument,
  OnTypingDocument,
  RateChatDocument,
  SendMessageDocument,
  SetStatusDocument,
  SetTypingDocument,
  TranscriptDocument,
  TransferChatDocument,
  type SendMessageInput,
} from './generated/graphql';
import { sql } from './support/env';
import { buildAgent, buildOnlineAgent, connect, startChat, waitFor, uniqueSkill, buildActiveChat } from './support/factories';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';
import type { Subscription, WsClient } from './support/ws';

let t: TestServer;
let supervisor: string;

beforeAll(async () => ({ t, supervisor } = await startWithSupervisor()));

// The sockets a test opened are closed after it (leftovers, before this runs).
afterEach(async () => {
  // Every subscription of the test is gone on the server too (nothing leaks into the next test).
  await waitFor(async () => (await activeFeeds(t)) === 0, 10000).catch(async () => {
    throw new Error(`${await activeFeeds(t)} subscription feed(s) still open on the server after every socket closed`);
  });
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Live pub/sub subscriptions held by a server, from its Prometheus endpoint. */
async function activeFeeds(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url.replace(/\/graphql$/, '')}/metrics`)).text();
  const match = /^switchboard_subscriptions_active (\d+)/m.exec(text);
  if (!match) throw new Error('switchboard_subscriptions_active missing from /metrics');
  return Number(match[1]);
}

/**
 * Subscribes and waits until the server holds the subscription's topic feeds (graphql-ws has no
 * acknowledgement for a subscribe), so that an event caused right after cannot be missed.
 * `feeds`: how many the operation opens (an agent's session streams also watch the session).
 */
async function follow<TData, TVars>(ws: WsClient, document: TypedDocumentNode<TData, TVars>, variables?: TVars, feeds = 1, server = t) {
  const before = await activeFeeds(server);
  const sub = ws.subscribe(document, variables);
  await waitFor(async () => sub.completed || (await activeFeeds(server)) >= before + feeds, 10000);
  return sub;
}

/** The refusal of a subscription at its start: its error code, after which the stream ends. */
async function refusal(sub: Subscription<unknown>): Promise<string | undefined> {
  const result = await sub.nextResult(10000);
  expect(result.data ?? null).toBeNull();
  await sub.ended(5000);
  return result.errors?.[0]?.extensions?.code as string | undefined;
}

/** The refusals an agents-only subscription starts with: anonymous sockets, then customers. */
function agentsOnly(document: TypedDocumentNode<unknown, Record<string, never>>) {
  it('should require authentication', async () => {
    expect(await refusal((await connect(t)).subscribe(document))).toBe('UNAUTHENTICATED');
  });

  it('should refuse customers with FORBIDDEN', async () => {
    const { token } = await startChat(t, { skill: uniqueSkill() });
    expect(await refusal((await connect(t, token)).subscribe(document))).toBe('FORBIDDEN');
  });
}

/** The refusals a subscription to one session starts with: anonymous sockets, then outsiders (another customer, and another agent when `otherAgentToo`). */
function participantsOnly(document: TypedDocumentNode<unknown, { sessionId: string }>, { otherAgentToo }: { otherAgentToo: boolean }) {
  it('should require authentication', async () => {
    const { session } = await buildActiveChat(t);
    expect(await refusal((await connect(t)).subscribe(document, { sessionId: session.id }))).toBe('UNAUTHENTICATED');
  });

  it('should refuse whoever may not see the session with NOT_FOUND', async () => {
    const { session } = await buildActiveChat(t);
    const { token: otherCustomer } = await startChat(t, { skill: uniqueSkill() });
    const outsiders = [otherCustomer, ...(otherAgentToo ? [(await buildAgent(t)).token] : [])];
    for (const token of outsiders) {
      expect(await refusal((await connect(t, token)).subscribe(document, { sessionId: session.id }))).toBe('NOT_FOUND');
    }
  });
}

/** Consumes events until one matches (events of others' activity may come first). */
async function until<T>(sub: Subscription<T>, match: (value: T) => boolean, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await sub.next(Math.max(1, deadline - Date.now()));
    if (match(value)) return value;
  }
}

function send(token: string, input: SendMessageInput, server = t) {
  return server.http.ok(SendMessageDocument, { input }, token).then((r) => r.sendMessage);
}

const seqs = (events: Array<{ messageAdded: { seq: number } }>) => events.map((e) => e.messageAdded.seq);

describe('Subscription.messageAdded', () => {
  it('should require authentication', async () => {
    const { session } = await buildActiveChat(t);
    const anonymous = await connect(t);
    expect(await refusal(anonymous.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }))).toBe('UNAUTHENTICATED');
  });

  it('should refuse whoever may not see the session with NOT_FOUND, as for an id that does not exist', async () => {
    const { session } = await buildActiveChat(t, { message: 'my card number is …' });
    const { token: otherCustomer } = await startChat(t, { skill: uniqueSkill() });
    const otherAgent = await buildAgent(t);
    for (const token of [otherCustomer, otherAgent.token]) {
      const ws = await connect(t, token);
      const refused = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
      const missing = ws.subscribe(OnMessageAddedDocument, { sessionId: randomUUID(), afterSeq: 0 });
      expect(await refusal(refused)).toBe('NOT_FOUND');
      expect(await refusal(missing)).toBe('NOT_FOUND');
    }
  });

  it('should refuse a negative afterSeq with BAD_USER_INPUT', async () => {
    const { session, visitor } = await buildActiveChat(t, { message: 'one' });
    const ws = await connect(t, visitor);
    expect(await refusal(ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: -1 }))).toBe('BAD_USER_INPUT');
  });

  it('should carry a new message live to the customer, its agent and a supervisor', async () => {
    const { session, visitor, agent, agentName } = await buildActiveChat(t);
    const feeds = [
      await follow(await connect(t, visitor), OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }),
      await follow(await connect(t, agent.token), OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }, 2),
      await follow(await connect(t, supervisor), OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }),
    ];
    const sent = await send(agent.token, { sessionId: session.id, body: 'hello there', clientMessageId: 'live-1' });
    for (const feed of feeds) {
      expect((await feed.next(10000)).messageAdded).toEqual({ ...sent, author: 'AGENT', authorName: agentName, seq: 1 });
    }
  });

  it('should deliver only new messages when subscribed without afterSeq', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'one' });
    await send(agent.token, { sessionId: session.id, body: 'two' });
    await send(visitor, { sessionId: session.id, body: 'three' });
    const feed = await follow(await connect(t, visitor), OnMessageAddedDocument, { sessionId: session.id });
    // The stream starts at the newest seq when the server has set it up, a moment after its topic
    // is live: keep sending until the first new message shows it is.
    const sent: number[] = [];
    let first: { seq: number; body: string } | undefined;
    for (let attempt = 1; !first; attempt++) {
      sent.push((await send(agent.token, { sessionId: session.id, body: `new ${sent.length + 4}` })).seq);
      first = await feed.next(500).then(
        (e) => e.messageAdded,
        (error: unknown) => {
          if (attempt >= 20) throw error;
          return undefined;
        },
      );
    }
    expect(first.seq).toBeGreaterThan(3); // none of the old ones
    expect(first.body).toBe(`new ${first.seq}`);
    const later = (await send(visitor, { sessionId: session.id, body: 'later' })).seq;
    const rest = range(first.seq + 1, later);
    expect(seqs(await feed.take(rest.length, 10000))).toEqual(rest);
    await feed.expectQuiet(300);
  });

  it('should replay the stored messages after afterSeq, then go live, with no gap and no duplicate', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'm1' });
    for (const i of range(2, 5)) await send(i % 2 ? visitor : agent.token, { sessionId: session.id, body: `m${i}` });
    const ws = await connect(t, visitor);
    const feed = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 2 });
    const replayed = await feed.take(3, 10000);
    expect(replayed.map((e) => e.messageAdded.body)).toEqual(['m3', 'm4', 'm5']);
    await send(agent.token, { sessionId: session.id, body: 'm6' });
    expect((await feed.next(10000)).messageAdded).toMatchObject({ seq: 6, body: 'm6' });
    await feed.expectQuiet(300);

    const all = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    expect(seqs(await all.take(6, 10000))).toEqual(range(1, 6));
  });

  it('should deliver exactly afterSeq+1..N once each, in order, to subscribers joining while both sides keep sending', async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    for (const i of range(1, 5)) await send(visitor, { sessionId: session.id, body: `early ${i}` });
    const perSide = 30;
    const total = 5 + 2 * perSide;
    let highest = 5;
    const side = async (token: string, label: string) => {
      for (let i = 0; i < perSide; i++) {
        const m = await send(token, { sessionId: session.id, body: `${label} ${i}` });
        highest = Math.max(highest, m.seq);
      }
    };
    const sending = Promise.all([side(visitor, 'visitor'), side(agent.token, 'agent')]);

    // Clients (re)connecting at different moments, each with the last seq it had seen.
    const joined: Array<{ afterSeq: number; feed: Subscription<{ messageAdded: { seq: number } }> }> = [];
    for (const [i, threshold] of [5, 15, 25, 35, 45].entries()) {
      await waitFor(async () => highest >= threshold || highest >= total, 20000, 5);
      const afterSeq = Math.max(0, highest - 3);
      const ws = await connect(t, i % 2 ? agent.token : visitor);
      joined.push({ afterSeq, feed: ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq }) });
    }
    await sending;

    for (const { afterSeq, feed } of joined) {
      expect(seqs(await feed.take(total - afterSeq, 20000))).toEqual(range(afterSeq + 1, total));
    }
    for (const { feed } of joined) await feed.expectQuiet(300);
  });

  it('should replay and go live without gap or duplicate on another instance than the one the messages are sent to', async () => {
    const second = await startTestServer({ shareWith: t });
    try {
      const { session, visitor, agent } = await buildActiveChat(t, { message: 'from the start' });
      const perSide = 15;
      const total = 1 + 2 * perSide;
      let highest = 1;
      const side = async (token: string, server: TestServer) => {
        for (let i = 0; i < perSide; i++) {
          highest = Math.max(highest, (await send(token, { sessionId: session.id, body: `msg ${i}` }, server)).seq);
        }
      };
      const sending = Promise.all([side(visitor, t), side(agent.token, second)]);
      await waitFor(async () => highest >= 8 || highest >= total, 20000, 5);
      const afterSeq = highest - 2;
      const ws = await connect(second, visitor);
      const feed = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq });
      await sending;
      expect(seqs(await feed.take(total - afterSeq, 20000))).toEqual(range(afterSeq + 1, total));
      await feed.expectQuiet(300);
      await ws.dispose();
      await waitFor(async () => (await activeFeeds(second)) === 0, 10000);
    } finally {
      await second.close();
    }
  });

  it("should end the previous agent's streams when the session is transferred away, and keep the others'", async () => {
    const { session, visitor, agent, skill } = await buildActiveChat(t);
    const next = await buildOnlineAgent(t, { skills: [skill] });
    const agentWs = await connect(t, agent.token);
    const oldMessages = await follow(agentWs, OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }, 2);
    const oldTyping = await follow(agentWs, OnTypingDocument, { sessionId: session.id }, 2);
    const oldUpdates = await follow(agentWs, OnSessionUpdatedDocument, { sessionId: session.id });
    const visitorFeed = await follow(await connect(t, visitor), OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    const supervisorFeed = await follow(await connect(t, supervisor), OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });

    await send(visitor, { sessionId: session.id, body: 'before the transfer' });
    expect((await oldMessages.next(10000)).messageAdded.body).toBe('before the transfer');

    await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: next.id }, agent.token);
    expect(await oldMessages.ended(10000)).toBeUndefined();
    expect(await oldTyping.ended(10000)).toBeUndefined();
    expect(await oldUpdates.ended(10000)).toBeUndefined();

    await send(visitor, { sessionId: session.id, body: 'after the transfer' });
    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, visitor);
    for (const feed of [visitorFeed, supervisorFeed]) {
      expect((await feed.take(2, 10000)).map((e) => e.messageAdded.body)).toEqual(['before the transfer', 'after the transfer']);
    }
    expect(oldMessages.received.map((e) => e.messageAdded.body)).toEqual(['before the transfer']);
    expect(oldTyping.received).toEqual([]);

    const nextFeed = (await connect(t, next.token)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    expect((await nextFeed.take(2, 10000)).map((e) => e.messageAdded.seq)).toEqual([1, 2]);
  });

  it('should release on the server the subscriptions that ended because the agent lost the session', async () => {
    const { session, visitor, agent, skill } = await buildActiveChat(t);
    const next = await buildOnlineAgent(t, { skills: [skill] });
    const baseline = await activeFeeds(t);
    const ws = await connect(t, agent.token);
    const streams = [
      await follow(ws, OnMessageAddedDocument, { sessionId: session.id }, 2),
      await follow(ws, OnTypingDocument, { sessionId: session.id }, 2),
      await follow(ws, OnSessionUpdatedDocument, { sessionId: session.id }),
    ];
    expect(await activeFeeds(t)).toBeGreaterThan(baseline);
    await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: next.id }, agent.token);
    for (const stream of streams) expect(await stream.ended(10000)).toBeUndefined();
    await send(visitor, { sessionId: session.id, body: 'after the transfer' });
    // The agent's socket is still open, yet the server holds nothing for it any more (/metrics).
    await waitFor(async () => (await activeFeeds(t)) === baseline, 10000);
  });

  it("should end the agent's stream when a supervisor puts the session back in the queue", async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    const feed = await follow(await connect(t, agent.token), OnMessageAddedDocument, { sessionId: session.id }, 2);
    await t.http.ok(TransferChatDocument, { sessionId: session.id, skill: uniqueSkill() }, supervisor);
    expect(await feed.ended(10000)).toBeUndefined();
    await send(visitor, { sessionId: session.id, body: 'hello? anyone?' });
    expect(feed.received).toEqual([]);
  });

  it('should end the stream of an agent whose session is transferred away while the subscription is starting', async () => {
    for (let round = 0; round < 16; round++) {
      const { session, agent, skill } = await buildActiveChat(t);
      const next = await buildOnlineAgent(t, { skills: [skill] });
      const ws = await connect(t, agent.token);
      const transfer = t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: next.id }, agent.token);
      // Start the subscription at a different point of the transfer in each round (the window
      // between its authorisation and its watch on the session is a few ms wide).
      await new Promise((r) => setTimeout(r, Math.round(round * 1.5)));
      const feed = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id });
      await transfer;
      // Refused (the transfer came first) or ended (it came after): never left running.
      await feed.ended(10000);
      expect(feed.received.filter(Boolean)).toEqual([]);
    }
  }, 90000);

  it("should never deliver one customer's messages to another customer's subscription", async () => {
    const a = await buildActiveChat(t);
    const b = await buildActiveChat(t);
    const bFeed = await follow(await connect(t, b.visitor), OnMessageAddedDocument, { sessionId: b.session.id, afterSeq: 0 });
    await send(a.visitor, { sessionId: a.session.id, body: 'for A only' });
    await send(a.agent.token, { sessionId: a.session.id, body: 'reply to A' });
    const own = await send(b.visitor, { sessionId: b.session.id, body: 'B speaking' });
    expect((await bFeed.next(10000)).messageAdded).toMatchObject({ id: own.id, sessionId: b.session.id, seq: 1 });
    await bFeed.expectQuiet(300);
  });
});

describe('Subscription.sessionUpdated', () => {
  participantsOnly(OnSessionUpdatedDocument, { otherAgentToo: true });

  it('should tell a queued customer when its session is assigned', async () => {
    const skill = uniqueSkill();
    const { session, token } = await startChat(t, { skill });
    expect(session.status).toBe('QUEUED');
    const feed = await follow(await connect(t, token), OnSessionUpdatedDocument, { sessionId: session.id });
    const agent = await buildOnlineAgent(t, { skills: [skill], name: 'Grace' });
    const update = (await feed.next(10000)).sessionUpdated;
    expect(update).toMatchObject({ id: session.id, status: 'ACTIVE', queuePosition: null, agent: { id: agent.id, name: 'Grace', email: null } });
    expect(update.assignedAt).not.toBeNull();
  });

  it('should tell both sides when the session is closed, and the agent when it is rated', async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    const visitorFeed = await follow(await connect(t, visitor), OnSessionUpdatedDocument, { sessionId: session.id });
    const agentFeed = await follow(await connect(t, agent.token), OnSessionUpdatedDocument, { sessionId: session.id });
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
    for (const feed of [visitorFeed, agentFeed]) {
      const closed = (await feed.next(10000)).sessionUpdated;
      expect(closed).toMatchObject({ id: session.id, status: 'CLOSED' });
      expect(closed.closedAt).not.toBeNull();
    }
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 4, comment: 'quick & kind' }, visitor);
    for (const feed of [visitorFeed, agentFeed]) {
      expect((await feed.next(10000)).sessionUpdated).toMatchObject({ status: 'CLOSED', rating: 4, ratingComment: 'quick & kind' });
    }
  });

  it('should tell the other side when a read receipt raises the read seq, and stay quiet when it does not', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'one' });
    await send(visitor, { sessionId: session.id, body: 'two' });
    await send(visitor, { sessionId: session.id, body: 'three' });
    const feed = await follow(await connect(t, visitor), OnSessionUpdatedDocument, { sessionId: session.id });
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 2 }, agent.token);
    expect((await feed.next(10000)).sessionUpdated).toMatchObject({ agentReadSeq: 2, visitorReadSeq: 0, lastSeq: 3 });
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 1 }, agent.token); // lower: no change
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 3 }, agent.token);
    expect((await feed.next(10000)).sessionUpdated).toMatchObject({ agentReadSeq: 3 });
    await feed.expectQuiet(300);
  });

  it('should tell a queued customer its new place when one ahead of it leaves or is taken', async () => {
    const skill = uniqueSkill();
    const first = await startChat(t, { skill });
    const second = await startChat(t, { skill });
    const third = await startChat(t, { skill });
    expect([first, second, third].map((c) => c.session.queuePosition)).toEqual([1, 2, 3]);
    const feed = await follow(await connect(t, third.token), OnSessionUpdatedDocument, { sessionId: third.session.id });

    await t.http.ok(CloseChatDocument, { sessionId: first.session.id }, first.token);
    expect((await feed.next(10000)).sessionUpdated).toMatchObject({ id: third.session.id, status: 'QUEUED', queuePosition: 2 });

    await buildOnlineAgent(t, { skills: [skill], maxConcurrentChats: 1 }); // takes `second`
    expect((await feed.next(10000)).sessionUpdated).toMatchObject({ id: third.session.id, status: 'QUEUED', queuePosition: 1 });
  });

  it('should tell the customer when its session is transferred to another agent', async () => {
    const { session, visitor, agent, skill } = await buildActiveChat(t);
    const next = await buildOnlineAgent(t, { skills: [skill], name: 'Linus' });
    const feed = await follow(await connect(t, visitor), OnSessionUpdatedDocument, { sessionId: session.id });
    await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: next.id }, agent.token);
    expect((await feed.next(10000)).sessionUpdated).toMatchObject({ status: 'ACTIVE', agent: { id: next.id, name: 'Linus' } });
  });

  it("should never tell one customer about another customer's session", async () => {
    const a = await buildActiveChat(t);
    const b = await buildActiveChat(t);
    const bFeed = await follow(await connect(t, b.visitor), OnSessionUpdatedDocument, { sessionId: b.session.id });
    await send(a.visitor, { sessionId: a.session.id, body: 'hi' });
    await t.http.ok(MarkReadDocument, { sessionId: a.session.id, seq: 1 }, a.agent.token);
    await t.http.ok(CloseChatDocument, { sessionId: a.session.id }, a.visitor);
    await t.http.ok(CloseChatDocument, { sessionId: b.session.id }, b.visitor);
    expect((await bFeed.next(10000)).sessionUpdated).toMatchObject({ id: b.session.id, status: 'CLOSED' });
    await bFeed.expectQuiet(300);
  });
});

describe('Subscription.typing', () => {
  participantsOnly(OnTypingDocument, { otherAgentToo: false });

  it("should show each side the other side's typing, never its own", async () => {
    const { session, visitor, agent, agentName } = await buildActiveChat(t, { name: 'Vera' });
    const visitorFeed = await follow(await connect(t, visitor), OnTypingDocument, { sessionId: session.id });
    const agentFeed = await follow(await connect(t, agent.token), OnTypingDocument, { sessionId: session.id }, 2);

    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, visitor);
    expect((await agentFeed.next(10000)).typing).toEqual({ sessionId: session.id, author: 'VISITOR', name: 'Vera', typing: true });
    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: false }, visitor);
    expect((await agentFeed.next(10000)).typing).toMatchObject({ author: 'VISITOR', typing: false });

    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, agent.token);
    // The visitor's own two events would have come first.
    expect((await visitorFeed.next(10000)).typing).toEqual({ sessionId: session.id, author: 'AGENT', name: agentName, typing: true });
    await agentFeed.expectQuiet(300);
    await visitorFeed.expectQuiet(0);
  });

  it('should show a supervisor both sides', async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    const feed = await follow(await connect(t, supervisor), OnTypingDocument, { sessionId: session.id });
    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, visitor);
    expect((await feed.next(10000)).typing.author).toBe('VISITOR');
    await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, agent.token);
    expect((await feed.next(10000)).typing.author).toBe('AGENT');
  });

  it('should store nothing', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'hi' });
    const count = async () =>
      (
        await sql<{ messages: number; events: number; last_seq: number }>(
          t.databaseUrl,
          `select (select count(*)::int from message where session_id = $1) as messages,
                  (select count(*)::int from session_event where session_id = $1) as events,
                  (select last_seq from chat_session where id = $1) as last_seq`,
          [session.id],
        )
      )[0];
    const before = await count();
    for (const typing of [true, false, true]) {
      expect((await t.http.ok(SetTypingDocument, { sessionId: session.id, typing }, visitor)).setTyping).toBe(true);
      expect((await t.http.ok(SetTypingDocument, { sessionId: session.id, typing }, agent.token)).setTyping).toBe(true);
    }
    expect(await count()).toEqual(before);
    const { session: page } = await t.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0 }, visitor);
    expect(page?.messages.messages.map((m) => m.body)).toEqual(['hi']);
  });

  it("should never show one customer another session's typing", async () => {
    const a = await buildActiveChat(t);
    const b = await buildActiveChat(t);
    const bFeed = await follow(await connect(t, b.visitor), OnTypingDocument, { sessionId: b.session.id });
    await t.http.ok(SetTypingDocument, { sessionId: a.session.id, typing: true }, a.agent.token);
    await t.http.ok(SetTypingDocument, { sessionId: b.session.id, typing: true }, b.agent.token);
    expect((await bFeed.next(10000)).typing).toMatchObject({ sessionId: b.session.id, author: 'AGENT' });
    await bFeed.expectQuiet(300);
  });
});

describe('Subscription.sessionAssigned', () => {
  agentsOnly(OnSessionAssignedDocument);

  it('should tell an agent of a chat routed to it, and no other agent', async () => {
    const skillA = uniqueSkill();
    const skillB = uniqueSkill();
    const a = await buildOnlineAgent(t, { skills: [skillA] });
    const b = await buildOnlineAgent(t, { skills: [skillB] });
    const aFeed = await follow(a.socket!, OnSessionAssignedDocument);
    const bFeed = await follow(b.socket!, OnSessionAssignedDocument);
    const forA = await startChat(t, { skill: skillA, name: 'Ann' });
    expect((await aFeed.next(10000)).sessionAssigned).toMatchObject({ id: forA.session.id, status: 'ACTIVE', agent: { id: a.id }, customer: { name: 'Ann' } });
    const forB = await startChat(t, { skill: skillB });
    expect((await bFeed.next(10000)).sessionAssigned.id).toBe(forB.session.id); // A's would have come first
    await aFeed.expectQuiet(300);
  });

  it('should tell an agent of a queued chat it takes on coming ONLINE, and of a chat transferred to it', async () => {
    const skill = uniqueSkill();
    const { session } = await startChat(t, { skill });
    const agent = await buildAgent(t, { skills: [skill] });
    const ws = await connect(t, agent.token);
    const feed = await follow(ws, OnSessionAssignedDocument);
    await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, agent.token);
    expect((await feed.next(10000)).sessionAssigned).toMatchObject({ id: session.id, status: 'ACTIVE', agent: { id: agent.id } });

    const other = await buildActiveChat(t);
    await t.http.ok(TransferChatDocument, { sessionId: other.session.id, toAgentId: agent.id }, other.agent.token);
    expect((await feed.next(10000)).sessionAssigned).toMatchObject({ id: other.session.id, agent: { id: agent.id } });
  });
});

describe('Subscription.queueUpdated', () => {
  agentsOnly(OnQueueUpdatedDocument);

  it('should send agents the whole queue, first in line first, whenever it changes', async () => {
    const watcher = await buildAgent(t);
    const feed = await follow(await connect(t, watcher.token), OnQueueUpdatedDocument);
    const skill = uniqueSkill();
    const mine = <T extends { skill: string | null }>(queue: T[]) => queue.filter((s) => s.skill === skill);

    const first = await startChat(t, { skill });
    let queue = (await until(feed, (e) => mine(e.queueUpdated).length === 1)).queueUpdated;
    expect(mine(queue)).toEqual([{ id: first.session.id, status: 'QUEUED', skill, queuePosition: 1 }]);

    const second = await startChat(t, { skill });
    queue = (await until(feed, (e) => mine(e.queueUpdated).length === 2)).queueUpdated;
    expect(mine(queue).map((s) => [s.id, s.queuePosition])).toEqual([
      [first.session.id, 1],
      [second.session.id, 2],
    ]);
    const positions = queue.map((s) => s.id);
    expect(positions.indexOf(first.session.id)).toBeLessThan(positions.indexOf(second.session.id));

    await t.http.ok(CloseChatDocument, { sessionId: first.session.id }, first.token);
    queue = (await until(feed, (e) => mine(e.queueUpdated).length === 1)).queueUpdated;
    expect(mine(queue)).toEqual([{ id: second.session.id, status: 'QUEUED', skill, queuePosition: 1 }]);

    await buildOnlineAgent(t, { skills: [skill] });
    queue = (await until(feed, (e) => mine(e.queueUpdated).length === 0)).queueUpdated;
    expect(queue.some((s) => s.id === second.session.id)).toBe(false);
  });

  it('should end on the whole queue after a burst of concurrent changes', async () => {
    const feed = await follow(await connect(t, supervisor), OnQueueUpdatedDocument);
    const skill = uniqueSkill();
    const chats = await Promise.all(range(1, 10).map(() => startChat(t, { skill })));
    const ids = chats.map((c) => c.session.id).sort();
    const last = await until(feed, (e) => e.queueUpdated.filter((s) => s.skill === skill).length === ids.length, 15000);
    expect(
      last.queueUpdated
        .filter((s) => s.skill === skill)
        .map((s) => s.id)
        .sort(),
    ).toEqual(ids);
  });
});

describe('Subscription.agentUpdated', () => {
  agentsOnly(OnAgentUpdatedDocument);

  it("should tell agents of a teammate's status changes", async () => {
    const watcher = await buildAgent(t);
    const feed = await follow(await connect(t, watcher.token), OnAgentUpdatedDocument);
    const mate = await buildAgent(t, { name: 'Mate' });
    await t.http.ok(SetStatusDocument, { status: 'AWAY' }, mate.token);
    const away = (await until(feed, (e) => e.agentUpdated.id === mate.id && e.agentUpdated.status === 'AWAY')).agentUpdated;
    expect(away).toMatchObject({ name: 'Mate', email: mate.email, status: 'AWAY' });
    await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, mate.token);
    await until(feed, (e) => e.agentUpdated.id === mate.id && e.agentUpdated.status === 'ONLINE');
  });

  it('should tell agents when a teammate comes online, and when it is gone', async () => {
    const watcher = await buildAgent(t);
    const feed = await follow(await connect(t, watcher.token), OnAgentUpdatedDocument);
    const mate = await buildAgent(t);
    // Its creation is news already: not online yet.
    expect((await until(feed, (e) => e.agentUpdated.id === mate.id)).agentUpdated.online).toBe(false);

    const mateConsole = await connect(t, mate.token);
    try {
      await until(feed, (e) => e.agentUpdated.id === mate.id && e.agentUpdated.online);
    } finally {
      await mateConsole.dispose();
    }
    // After the grace period (1 s in tests) it is no longer online.
    await until(feed, (e) => e.agentUpdated.id === mate.id && !e.agentUpdated.online, 15000);
  });

  it("should tell agents of a teammate's load", async () => {
    const skill = uniqueSkill();
    const mate = await buildOnlineAgent(t, { skills: [skill] });
    const feed = await follow(await connect(t, supervisor), OnAgentUpdatedDocument);
    const { session, token } = await startChat(t, { skill });
    // (Its coming online may be reported first, still with no chats.)
    await until(feed, (e) => e.agentUpdated.id === mate.id && e.agentUpdated.activeChats === 1);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
    await until(feed, (e) => e.agentUpdated.id === mate.id && e.agentUpdated.activeChats === 0);
  });
});
