import { randomUUID } from 'node:crypto';
import {
  CloseChatDocument,
  OnMessageAddedDocument,
  SendMessageDocument,
  SessionDocument,
  TranscriptDocument,
  TransferChatDocument,
  type SendMessageInput,
} from './generated/graphql';
import { sql } from './support/env';
import { buildAgent, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill, buildActiveChat, wsClient } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

/** A chat no agent can take (nobody has its skill): it stays QUEUED. */
async function queuedChat() {
  const { session, token } = await startChat(t, { skill: uniqueSkill() });
  expect(session.status).toBe('QUEUED');
  return { session, visitor: token };
}

function send(token: string | undefined, input: SendMessageInput) {
  return t.http.ok(SendMessageDocument, { input }, token).then((r) => r.sendMessage);
}

async function storedMessages(sessionId: string) {
  return sql<{ seq: number; body: string; author: string; client_message_id: string | null }>(
    t.databaseUrl,
    'select seq, body, author, client_message_id from message where session_id = $1 order by seq',
    [sessionId],
  );
}

async function lastSeqStored(sessionId: string): Promise<number> {
  const rows = await sql<{ last_seq: number }>(t.databaseUrl, 'select last_seq from chat_session where id = $1', [sessionId]);
  return rows[0].last_seq;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Mutation.sendMessage', () => {
  it('should require authentication', async () => {
    const { session } = await buildActiveChat(t);
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'hello?' } });
    expect(code).toBe('UNAUTHENTICATED');
    expect(await storedMessages(session.id)).toHaveLength(0);
  });

  it("should let the session's customer send, as a VISITOR message under its name", async () => {
    const { session, visitor } = await buildActiveChat(t, { name: 'Vera' });
    const message = await send(visitor, { sessionId: session.id, body: 'my order is late', clientMessageId: 'c-1' });
    expect(message).toMatchObject({
      sessionId: session.id,
      seq: 1,
      author: 'VISITOR',
      authorName: 'Vera',
      body: 'my order is late',
      clientMessageId: 'c-1',
    });
    expect(Number.isNaN(Date.parse(message.createdAt))).toBe(false);
    expect(await storedMessages(session.id)).toEqual([{ seq: 1, body: 'my order is late', author: 'VISITOR', client_message_id: 'c-1' }]);
  });

  it("should let the session's agent send, as an AGENT message under its name", async () => {
    const { session, agent, agentName } = await buildActiveChat(t);
    const message = await send(agent.token, { sessionId: session.id, body: 'happy to help' });
    expect(message).toMatchObject({ seq: 1, author: 'AGENT', authorName: agentName, body: 'happy to help', clientMessageId: null });
  });

  it('should let the customer write while the chat is still QUEUED', async () => {
    const { session, visitor } = await queuedChat();
    const message = await send(visitor, { sessionId: session.id, body: 'anyone there?' });
    expect(message.seq).toBe(1);
    const { session: after } = await t.http.ok(SessionDocument, { id: session.id }, visitor);
    expect(after).toMatchObject({ status: 'QUEUED', lastSeq: 1 });
  });

  it('should refuse another customer with NOT_FOUND, as if the session did not exist', async () => {
    const { session } = await buildActiveChat(t);
    const { token: stranger } = await startChat(t, { skill: uniqueSkill() });
    const refused = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'hi' } }, stranger);
    const missing = await t.http.fail(SendMessageDocument, { input: { sessionId: randomUUID(), body: 'hi' } }, stranger);
    expect(refused.code).toBe('NOT_FOUND');
    expect(refused.message).toBe(missing.message);
    expect(await storedMessages(session.id)).toHaveLength(0);
  });

  it('should refuse another customer with NOT_FOUND even when it retries a key the session already holds', async () => {
    const { session, visitor } = await buildActiveChat(t);
    await send(visitor, { sessionId: session.id, body: 'private', clientMessageId: 'shared-key' });
    const { token: stranger } = await startChat(t, { skill: uniqueSkill() });
    const { code, result } = await t.http.fail(
      SendMessageDocument,
      { input: { sessionId: session.id, body: 'peek', clientMessageId: 'shared-key' } },
      stranger,
    );
    expect(code).toBe('NOT_FOUND');
    expect(JSON.stringify(result)).not.toContain('private');
  });

  it('should refuse an agent the session is not assigned to with NOT_FOUND', async () => {
    const { session } = await buildActiveChat(t);
    const other = await buildAgent(t);
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'let me butt in' } }, other.token);
    expect(code).toBe('NOT_FOUND');
    expect(await storedMessages(session.id)).toHaveLength(0);
  });

  it('should refuse an agent with FORBIDDEN on a QUEUED session it can see but does not hold', async () => {
    const { session } = await queuedChat();
    const agent = await buildAgent(t);
    const { session: seen } = await t.http.ok(SessionDocument, { id: session.id }, agent.token);
    expect(seen?.id).toBe(session.id); // agents see the queue
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'hi' } }, agent.token);
    expect(code).toBe('FORBIDDEN');
    expect(await storedMessages(session.id)).toHaveLength(0);
  });

  it('should refuse a supervisor with FORBIDDEN: it sees every session but does not take part', async () => {
    const { session } = await buildActiveChat(t);
    const supervisor = await loginSupervisor(t);
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'hello from above' } }, supervisor);
    expect(code).toBe('FORBIDDEN');
    expect(await storedMessages(session.id)).toHaveLength(0);
  });

  it('should refuse the previous agent with NOT_FOUND once the session was transferred away', async () => {
    const { session, agent, skill } = await buildActiveChat(t);
    const next = await buildOnlineAgent(t, { skills: [skill] });
    await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: next.id }, agent.token);
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'still me' } }, agent.token);
    expect(code).toBe('NOT_FOUND');
    expect((await send(next.token, { sessionId: session.id, body: 'I take over' })).seq).toBe(1);
  });

  it('should answer NOT_FOUND for an id that is not a session id at all', async () => {
    const { visitor } = await buildActiveChat(t);
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: 'not-a-uuid', body: 'hi' } }, visitor);
    expect(code).toBe('NOT_FOUND');
  });

  it('should number messages 1, 2, 3 … per session, whoever sends them', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'first' });
    const a = await send(agent.token, { sessionId: session.id, body: 'second' });
    const b = await send(visitor, { sessionId: session.id, body: 'third' });
    const other = await buildActiveChat(t);
    const c = await send(other.visitor, { sessionId: other.session.id, body: 'elsewhere' });
    expect([a.seq, b.seq]).toEqual([2, 3]);
    expect(c.seq).toBe(1);
    const { session: after } = await t.http.ok(SessionDocument, { id: session.id }, visitor);
    expect(after?.lastSeq).toBe(3);
  });

  it('should give 50 concurrent sends from both sides the seqs 1..50 exactly once, with no gap', async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    const n = 50;
    const sent = await Promise.all(
      range(1, n).map((i) =>
        send(i % 2 ? visitor : agent.token, { sessionId: session.id, body: `message ${i}`, clientMessageId: `k-${i}` }),
      ),
    );
    expect(sent.map((m) => m.seq).sort((x, y) => x - y)).toEqual(range(1, n));
    expect(new Set(sent.map((m) => m.id)).size).toBe(n);

    const stored = await storedMessages(session.id);
    expect(stored.map((m) => m.seq)).toEqual(range(1, n));
    expect(new Set(stored.map((m) => m.body)).size).toBe(n);
    expect(await lastSeqStored(session.id)).toBe(n);
    // Each caller got back the message it stored.
    for (const m of sent) expect(stored[m.seq - 1]).toMatchObject({ body: m.body, client_message_id: m.clientMessageId });

    const { session: page } = await t.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    expect(page?.messages.messages.map((m) => m.seq)).toEqual(range(1, n));
    expect(page?.messages.messages.filter((m) => m.author === 'VISITOR')).toHaveLength(n / 2);
  });

  it('should set firstResponseAt with the agent’s first message, not the visitor’s, and keep it after', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'hello' });
    expect(session.firstResponseAt).toBeNull();
    await send(visitor, { sessionId: session.id, body: 'are you there?' });
    const before = await t.http.ok(SessionDocument, { id: session.id }, visitor);
    expect(before.session?.firstResponseAt).toBeNull();

    const reply = await send(agent.token, { sessionId: session.id, body: 'yes!' });
    const after = await t.http.ok(SessionDocument, { id: session.id }, visitor);
    expect(after.session?.firstResponseAt).toBe(reply.createdAt);
    expect(Date.parse(after.session!.firstResponseAt!)).toBeGreaterThanOrEqual(Date.parse(after.session!.assignedAt!));

    await send(agent.token, { sessionId: session.id, body: 'what can I do?' });
    const later = await t.http.ok(SessionDocument, { id: session.id }, visitor);
    expect(later.session?.firstResponseAt).toBe(reply.createdAt);
  });

  it('should refuse with CONFLICT once the session is CLOSED, for both sides, and store nothing', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'hi' });
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, visitor);
    const fromVisitor = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'one more thing' } }, visitor);
    const fromAgent = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'bye' } }, agent.token);
    expect(fromVisitor.code).toBe('CONFLICT');
    expect(fromAgent.code).toBe('CONFLICT');
    expect((await storedMessages(session.id)).map((m) => m.body)).toEqual(['hi']);
    expect(await lastSeqStored(session.id)).toBe(1);
  });

  describe('idempotency (clientMessageId)', () => {
    it('should return the first message on a retry and store nothing new', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const first = await send(visitor, { sessionId: session.id, body: 'hello', clientMessageId: 'retry-1' });
      const again = await send(visitor, { sessionId: session.id, body: 'hello', clientMessageId: 'retry-1' });
      const changed = await send(visitor, { sessionId: session.id, body: 'hello (edited)', clientMessageId: 'retry-1' });
      expect(again).toEqual(first);
      expect(changed).toEqual(first);
      expect(await storedMessages(session.id)).toHaveLength(1);
      expect(await lastSeqStored(session.id)).toBe(1);
      // The seq that follows is not burnt by the retries.
      expect((await send(visitor, { sessionId: session.id, body: 'next' })).seq).toBe(2);
    });

    it('should publish a retried message only once', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const ws = wsClient(t, visitor);
      await ws.connected;
      const feed = ws.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
      const first = await send(visitor, { sessionId: session.id, body: 'once', clientMessageId: 'pub-1' });
      expect((await feed.next(10000)).messageAdded.id).toBe(first.id);
      await send(visitor, { sessionId: session.id, body: 'once', clientMessageId: 'pub-1' });
      await send(visitor, { sessionId: session.id, body: 'once', clientMessageId: 'pub-1' });
      const fence = await send(visitor, { sessionId: session.id, body: 'fence' });
      // Were a retry published, it would arrive before the fence.
      expect((await feed.next(10000)).messageAdded).toMatchObject({ id: fence.id, seq: 2 });
      await ws.dispose();
    });

    it('should store one message when the same key races from 10 concurrent requests, and return it to all', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const results = await Promise.all(
        range(1, 10).map(() => send(visitor, { sessionId: session.id, body: 'double click', clientMessageId: 'race-1' })),
      );
      expect(new Set(results.map((m) => m.id)).size).toBe(1);
      expect(results.every((m) => m.seq === 1 && m.body === 'double click')).toBe(true);
      expect(await storedMessages(session.id)).toHaveLength(1);
      expect(await lastSeqStored(session.id)).toBe(1);
      expect((await send(visitor, { sessionId: session.id, body: 'next' })).seq).toBe(2);
    });

    it('should keep seqs gapless when retries race with new messages', async () => {
      const { session, visitor, agent } = await buildActiveChat(t);
      const results = await Promise.all(
        range(1, 30).map((i) =>
          send(i % 2 ? visitor : agent.token, { sessionId: session.id, body: `m${i % 10}`, clientMessageId: `key-${i % 10}` }),
        ),
      );
      const stored = await storedMessages(session.id);
      expect(stored.map((m) => m.seq)).toEqual(range(1, 10));
      expect(new Set(stored.map((m) => m.client_message_id)).size).toBe(10);
      expect(await lastSeqStored(session.id)).toBe(10);
      expect(new Set(results.map((m) => m.id)).size).toBe(10);
    });

    it('should treat the same key in a different session as a different message', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const { session: second } = await startChat(t, { skill: uniqueSkill() }, visitor); // same customer, new session
      const a = await send(visitor, { sessionId: session.id, body: 'in the first chat', clientMessageId: 'same-key' });
      const b = await send(visitor, { sessionId: second.id, body: 'in the second chat', clientMessageId: 'same-key' });
      expect(b.id).not.toBe(a.id);
      expect(b).toMatchObject({ sessionId: second.id, seq: 1, body: 'in the second chat', clientMessageId: 'same-key' });
      expect((await storedMessages(session.id)).map((m) => m.body)).toEqual(['in the first chat']);
      expect((await storedMessages(second.id)).map((m) => m.body)).toEqual(['in the second chat']);
    });

    it('should still return the first message when a retry arrives after the chat closed', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const first = await send(visitor, { sessionId: session.id, body: 'thanks, bye', clientMessageId: 'late-retry' });
      await t.http.ok(CloseChatDocument, { sessionId: session.id }, visitor);
      expect(await send(visitor, { sessionId: session.id, body: 'thanks, bye', clientMessageId: 'late-retry' })).toEqual(first);
      expect(await storedMessages(session.id)).toHaveLength(1);
    });
  });

  describe('input limits', () => {
    const refusals: Array<[string, Partial<SendMessageInput>]> = [
      ['an empty body', { body: '' }],
      ['a whitespace-only body', { body: ' \n\t  ' }],
      ['a body over 4000 characters', { body: 'x'.repeat(4001) }],
      ['a body over 4000 characters after trimming', { body: `  ${'y'.repeat(4001)}  ` }],
      ['a clientMessageId over 100 characters', { body: 'hi', clientMessageId: 'k'.repeat(101) }],
      ['a body with a NUL character', { body: 'nul\u0000here' }],
    ];

    it.each(refusals)('should refuse %s with BAD_USER_INPUT and store nothing', async (_label, input) => {
      const { session, visitor } = await buildActiveChat(t);
      const { code, result } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'x', ...input } }, visitor);
      expect(code).toBe('BAD_USER_INPUT');
      expect(result.status).toBeLessThan(500);
      expect(await storedMessages(session.id)).toHaveLength(0);
      expect(await lastSeqStored(session.id)).toBe(0);
    });

    it('should accept exactly 4000 characters, surrounding whitespace not counted, and a 100-character key', async () => {
      const { session, visitor } = await buildActiveChat(t);
      const body = `   ${'z'.repeat(4000)}\n`;
      const key = 'k'.repeat(100);
      const message = await send(visitor, { sessionId: session.id, body, clientMessageId: key });
      expect(message.body).toBe(body);
      expect(message.clientMessageId).toBe(key);
      expect((await storedMessages(session.id))[0].body).toBe(body);
    });

    it('should store and return text exactly as sent: HTML, emoji, leading spaces and newlines', async () => {
      const { session, visitor, agent } = await buildActiveChat(t);
      const bodies = [
        '<script>alert("x")</script> & <b>bold</b> &amp;',
        '  two leading spaces and a trailing one ',
        'emoji 😀👍🏽 and 🇩🇪, accents é ü, CJK 你好',
        'line one\nline two\r\n\ttabbed',
        "quotes ' \" ` and backslash \\ and %s ${x}",
      ];
      const sent = [];
      for (const body of bodies) sent.push(await send(sent.length % 2 ? agent.token : visitor, { sessionId: session.id, body }));
      expect(sent.map((m) => m.body)).toEqual(bodies);
      expect((await storedMessages(session.id)).map((m) => m.body)).toEqual(bodies);
      const { session: page } = await t.http.ok(TranscriptDocument, { id: session.id }, agent.token);
      expect(page?.messages.messages.map((m) => m.body)).toEqual(bodies);
    });
  });
});

describe('ChatSession.messages', () => {
  let chat: Awaited<ReturnType<typeof buildActiveChat>>;
  const total = 7;

  beforeAll(async () => {
    chat = await buildActiveChat(t);
    for (const i of range(1, total)) {
      await send(i % 2 ? chat.visitor : chat.agent.token, { sessionId: chat.session.id, body: `line ${i}` });
    }
  });

  async function page(vars: { afterSeq?: number; beforeSeq?: number; limit?: number }, token = chat.visitor) {
    const { session } = await t.http.ok(TranscriptDocument, { id: chat.session.id, ...vars }, token);
    return { seqs: session!.messages.messages.map((m) => m.seq), hasMore: session!.messages.hasMore, messages: session!.messages.messages };
  }

  it('should require authentication', async () => {
    const { code, result } = await t.http.fail(TranscriptDocument, { id: chat.session.id, afterSeq: 0 });
    expect(code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(result)).not.toContain('line 1');
  });

  it('should give the newest `limit` messages, oldest first, when neither afterSeq nor beforeSeq is given', async () => {
    expect(await page({ limit: 3 })).toMatchObject({ seqs: [5, 6, 7], hasMore: true });
    expect(await page({ limit: total })).toMatchObject({ seqs: range(1, total), hasMore: false });
    expect(await page({})).toMatchObject({ seqs: range(1, total), hasMore: false }); // default limit 50
  });

  it('should page forwards with afterSeq, hasMore telling whether newer ones remain', async () => {
    expect(await page({ afterSeq: 0, limit: 3 })).toMatchObject({ seqs: [1, 2, 3], hasMore: true });
    expect(await page({ afterSeq: 3, limit: 3 })).toMatchObject({ seqs: [4, 5, 6], hasMore: true });
    expect(await page({ afterSeq: 4, limit: 3 })).toMatchObject({ seqs: [5, 6, 7], hasMore: false });
    expect(await page({ afterSeq: 6, limit: 3 })).toMatchObject({ seqs: [7], hasMore: false });
    expect(await page({ afterSeq: total, limit: 3 })).toMatchObject({ seqs: [], hasMore: false });
  });

  it('should page backwards with beforeSeq, hasMore telling whether older ones remain', async () => {
    expect(await page({ beforeSeq: 8, limit: 3 })).toMatchObject({ seqs: [5, 6, 7], hasMore: true });
    expect(await page({ beforeSeq: 5, limit: 3 })).toMatchObject({ seqs: [2, 3, 4], hasMore: true });
    expect(await page({ beforeSeq: 4, limit: 3 })).toMatchObject({ seqs: [1, 2, 3], hasMore: false });
    expect(await page({ beforeSeq: 2, limit: 3 })).toMatchObject({ seqs: [1], hasMore: false });
    expect(await page({ beforeSeq: 1, limit: 3 })).toMatchObject({ seqs: [], hasMore: false });
  });

  it('should walk the whole transcript back and forth without losing or repeating a message', async () => {
    const forwards: number[] = [];
    for (let after = 0, more = true; more; ) {
      const p = await page({ afterSeq: after, limit: 2 });
      forwards.push(...p.seqs);
      after = p.seqs[p.seqs.length - 1] ?? after;
      more = p.hasMore;
    }
    const backwards: number[] = [];
    let p = await page({ limit: 2 });
    backwards.unshift(...p.seqs);
    while (p.hasMore) {
      p = await page({ beforeSeq: p.seqs[0], limit: 2 });
      backwards.unshift(...p.seqs);
    }
    expect(forwards).toEqual(range(1, total));
    expect(backwards).toEqual(range(1, total));
  });

  it('should give the same transcript to the agent and carry each message’s author and body', async () => {
    const { messages } = await page({ afterSeq: 0, limit: 200 }, chat.agent.token);
    expect(messages.map((m) => m.body)).toEqual(range(1, total).map((i) => `line ${i}`));
    expect(messages.map((m) => m.author)).toEqual(range(1, total).map((i) => (i % 2 ? 'VISITOR' : 'AGENT')));
    expect(messages.every((m) => m.sessionId === chat.session.id)).toBe(true);
  });

  it('should accept limits 1 and 200', async () => {
    expect(await page({ limit: 1 })).toMatchObject({ seqs: [7], hasMore: true });
    expect(await page({ afterSeq: 0, limit: 200 })).toMatchObject({ seqs: range(1, total), hasMore: false });
  });

  it.each([0, -1, 201, 1000])('should refuse limit %i with BAD_USER_INPUT', async (limit) => {
    for (const vars of [{ limit }, { afterSeq: 0, limit }, { beforeSeq: 5, limit }]) {
      const { code, result } = await t.http.fail(TranscriptDocument, { id: chat.session.id, ...vars }, chat.visitor);
      expect(code).toBe('BAD_USER_INPUT');
      expect(result.status).toBeLessThan(500);
    }
  });

  it('should show nothing of the transcript to someone who may not see the session', async () => {
    const { token: stranger } = await startChat(t, { skill: uniqueSkill() });
    const other = await buildAgent(t);
    for (const token of [stranger, other.token]) {
      const { session } = await t.http.ok(TranscriptDocument, { id: chat.session.id, afterSeq: 0 }, token);
      expect(session).toBeNull();
    }
  });
});
