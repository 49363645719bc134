import { randomUUID } from 'node:crypto';
import {
  MarkReadDocument,
  OnMessageAddedDocument,
  OnSessionUpdatedDocument,
  OnTypingDocument,
  SendMessageDocument,
  SetTypingDocument,
  TranscriptDocument,
} from './generated/graphql';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildActiveChat, connect, loginSupervisor} from './support/factories';

/** Three real server processes on one database and one Redis. */
jest.setTimeout(120_000);

let cluster: Cluster;
let a: Instance, b: Instance, c: Instance;

beforeAll(async () => {
  cluster = await startCluster({ count: 3 });
  [a, b, c] = cluster.instances;
});

describe('several instances on one Postgres and one Redis', () => {
  it('should deliver what is sent through one instance to subscribers on every other one', async () => {
    const { agent, session, visitor } = await buildActiveChat(a, { via: b });

    const visitorOnC = (await connect(c, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id });
    const agentOnA = (await connect(a, agent.token)).subscribe(OnMessageAddedDocument, { sessionId: session.id });
    const supervisorOnB = (await connect(b, await loginSupervisor(b))).subscribe(OnMessageAddedDocument, { sessionId: session.id });
    const typingOnC = agent.socket!.subscribe(OnTypingDocument, { sessionId: session.id });
    const updatesOnC = (await connect(c, visitor)).subscribe(OnSessionUpdatedDocument, { sessionId: session.id });
    // Subscriptions start asynchronously: one round trip through each before anything is sent.
    await new Promise((r) => setTimeout(r, 300));

    await a.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'hello from A' } }, agent.token);
    await c.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'hi, sent through C' } }, visitor);
    await b.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, visitor);

    for (const feed of [visitorOnC, agentOnA, supervisorOnB]) {
      const messages = (await feed.take(2, 10_000)).map((m) => m.messageAdded);
      expect(messages.map((m) => [m.seq, m.author, m.body])).toEqual([
        [1, 'AGENT', 'hello from A'],
        [2, 'VISITOR', 'hi, sent through C'],
      ]);
    }
    expect((await typingOnC.next(10_000)).typing).toMatchObject({ author: 'VISITOR', typing: true });
    // A send raises lastSeq only: no sessionUpdated for it, but the read receipt below is one.
    await a.http.ok(MarkReadDocument, { sessionId: session.id, seq: 2 }, agent.token);
    expect((await updatesOnC.next(10_000)).sessionUpdated.agentReadSeq).toBe(2);
  });

  it('should number 60 concurrent sends through two instances 1..60 and stream them in order to each instance', async () => {
    const { agent, session, visitor } = await buildActiveChat(a, { via: b });
    const feedOnA = (await connect(a, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    const feedOnB = (await connect(b, agent.token)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));

    const sent = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const through = i % 2 ? a : b;
        const token = i % 3 ? visitor : agent.token;
        return through.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `message ${i}` } }, token).then((r) => r.sendMessage);
      }),
    );
    const seqs = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(sent.map((m) => m.seq).sort((x, y) => x - y)).toEqual(seqs);

    const { session: stored } = await c.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    expect(stored?.messages.messages.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(stored?.messages.messages.map((m) => m.body)).size).toBe(60);

    for (const feed of [feedOnA, feedOnB]) {
      const live = (await feed.take(60, 15_000)).map((m) => m.messageAdded);
      expect(live.map((m) => m.seq)).toEqual(seqs);
      // What streamed is what was stored.
      expect(live.map((m) => m.id)).toEqual(stored?.messages.messages.map((m) => m.id));
      await feed.expectQuiet(500);
    }
  });

  it('should store one message when the same send is retried through another instance at the same time', async () => {
    const { session, visitor } = await buildActiveChat(c, { via: a });
    const feed = (await connect(b, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));
    const input = { sessionId: session.id, body: 'only once, please', clientMessageId: `retry-${randomUUID()}` };

    const results = await Promise.all([a, b, c, a, b, c].map((i) => i.http.ok(SendMessageDocument, { input }, visitor)));

    const ids = new Set(results.map((r) => r.sendMessage.id));
    expect(ids.size).toBe(1);
    expect(results[0].sendMessage).toMatchObject({ seq: 1, clientMessageId: input.clientMessageId });
    const rows = await sql<{ seq: number }>(cluster.databaseUrl, 'select seq from message where session_id = $1', [session.id]);
    expect(rows).toEqual([{ seq: 1 }]);
    expect((await feed.next(10_000)).messageAdded.seq).toBe(1);
    await feed.expectQuiet(500);
  });
});
