import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHmac } from 'node:crypto';
import {
  CloseChatDocument,
  MarkReadDocument,
  MeDocument,
  MySessionsDocument,
  OnTypingDocument,
  QueueDocument,
  RateChatDocument,
  SendMessageDocument,
  SessionDocument,
  SessionsDocument,
  SetTypingDocument,
  StartChatDocument,
  TranscriptDocument,
  TransferChatDocument,
  type SessionStatus,
  type StartChatInput,
} from './generated/graphql';
import { sql, uniqueName } from './support/env';
import { buildActiveChat, buildAgent, buildOnlineAgent, startChat, uniqueSkill, waitFor, type TestAgent } from './support/factories';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Every chat in this file asks for a skill of its own, and every agent has only the skills of its
 * own test, so what one test leaves queued or online never routes another test's chats.
 */
let t: TestServer;
let supervisor: string;

beforeAll(async () => ({ t, supervisor } = await startWithSupervisor()));


/** A chat with a skill of its own unless the test names one. */
const chat = (input: StartChatInput = {}, token?: string) => startChat(t, { skill: uniqueSkill(), ...input }, token);

/** The refusals an agents-only query starts with: no token, then a customer's. */
function agentsOnly(document: TypedDocumentNode<unknown, Record<string, never>>) {
  it('should require authentication', async () => {
    const { code } = await t.http.fail(document, {});
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a customer with FORBIDDEN', async () => {
    const { token } = await chat();
    const { code } = await t.http.fail(document, {}, token);
    expect(code).toBe('FORBIDDEN');
  });
}

/** How many rows each table holds (to show that a refused call stored nothing). */
async function counts(url = t.databaseUrl) {
  const [row] = await sql(
    url,
    `select (select count(*) from customer)::int as customers, (select count(*) from chat_session)::int as sessions,
            (select count(*) from message)::int as messages, (select count(*) from session_event)::int as events`,
  );
  return row;
}

const viewSession = async (id: string, token: string) => (await t.http.ok(SessionDocument, { id }, token)).session;

describe('Mutation.startChat', () => {
  it('should give an anonymous caller a visitor token that opens its own session', async () => {
    const skill = uniqueSkill();
    const { startChat: result } = await t.http.ok(StartChatDocument, { input: { name: 'Vera', email: 'vera@example.com', skill } });
    expect(result.visitorToken).toEqual(expect.any(String));
    expect(result.session).toMatchObject({
      status: 'QUEUED',
      skill,
      queuePosition: 1,
      agent: null,
      lastSeq: 0,
      customer: { name: 'Vera', email: 'vera@example.com', externalId: null, verified: false },
    });
    const seen = await viewSession(result.session.id, result.visitorToken);
    expect(seen).toMatchObject({ id: result.session.id, customer: { id: result.session.customer.id } });
  });

  it('should store the optional first message as seq 1, exactly as sent', async () => {
    const body = '  Hello <b>there</b> & "you"  ';
    const { session, token } = await chat({ name: 'Fay', message: body, clientMessageId: 'first-1' });
    expect(session.lastSeq).toBe(1);
    const transcript = (await t.http.ok(TranscriptDocument, { id: session.id }, token)).session!.messages;
    expect(transcript.messages).toEqual([
      expect.objectContaining({ seq: 1, author: 'VISITOR', authorName: 'Fay', body, clientMessageId: 'first-1' }),
    ]);
    const stored = await sql(t.databaseUrl, 'select seq, author, body from message where session_id = $1', [session.id]);
    expect(stored).toEqual([{ seq: 1, author: 'VISITOR', body }]);
  });

  it('should store no message when none is given', async () => {
    const { session, token } = await chat();
    expect(session.lastSeq).toBe(0);
    const transcript = (await t.http.ok(TranscriptDocument, { id: session.id }, token)).session!.messages;
    expect(transcript.messages).toEqual([]);
  });

  it.each<[string, StartChatInput]>([
    ['a name over 200 characters', { name: 'n'.repeat(201) }],
    ['a blank name', { name: '   ' }],
    ['an invalid email', { email: 'not-an-email' }],
    ['a skill with capital letters', { skill: 'Billing' }],
    ['a skill with a space', { skill: 'two words' }],
    ['an empty skill', { skill: '' }],
    ['a skill over 50 characters', { skill: 's'.repeat(51) }],
    ['a blank first message', { message: ' \n\t ' }],
    ['a first message over 4000 characters', { message: 'm'.repeat(4001) }],
    ['a clientMessageId over 100 characters', { message: 'hi', clientMessageId: 'c'.repeat(101) }],
  ])('should refuse %s with BAD_USER_INPUT and store nothing', async (_, input) => {
    const before = await counts();
    const { code } = await t.http.fail(StartChatDocument, { input: { name: 'Visitor', skill: uniqueSkill(), ...input } });
    expect(code).toBe('BAD_USER_INPUT');
    expect(await counts()).toEqual(before);
  });

  it('should accept input at the limits', async () => {
    const name = 'n'.repeat(200);
    const skill = `${uniqueSkill()}_`.padEnd(50, 'x');
    const message = 'm'.repeat(4000);
    const { session, token } = await chat({ name, skill, message, email: 'edge@example.com' });
    expect(session).toMatchObject({ skill, lastSeq: 1, customer: { name, email: 'edge@example.com' } });
    const transcript = (await t.http.ok(TranscriptDocument, { id: session.id }, token)).session!.messages;
    expect(transcript.messages[0].body).toBe(message);
  });

  it('should open a new session for the same customer when a returning visitor sends its token', async () => {
    const first = await chat({ name: 'Rita' });
    const second = await chat({ name: undefined }, first.token);
    expect(second.session.id).not.toBe(first.session.id);
    expect(second.session.customer.id).toBe(first.session.customer.id);
    expect(second.session.customer.name).toBe('Rita');
    // Both tokens stand for the same customer and see both sessions, newest first.
    for (const token of [first.token, second.token]) {
      const { mySessions } = await t.http.ok(MySessionsDocument, {}, token);
      expect(mySessions.map((s) => s.id)).toEqual([second.session.id, first.session.id]);
    }
  });

  it('should refuse an agent token and store nothing', async () => {
    const agent = await buildAgent(t);
    const before = await counts();
    for (const token of [agent.token, supervisor]) {
      const { code } = await t.http.fail(StartChatDocument, { input: { name: 'Agent pretending', skill: uniqueSkill() } }, token);
      expect(code).toBe('FORBIDDEN');
    }
    expect(await counts()).toEqual(before);
  });

  it('should store an externalId without a hash unverified and never link it to an existing customer', async () => {
    const externalId = uniqueName('ext');
    const a = await chat({ externalId });
    const b = await chat({ externalId });
    expect(a.session.customer).toMatchObject({ externalId, verified: false });
    expect(b.session.customer).toMatchObject({ externalId, verified: false });
    expect(b.session.customer.id).not.toBe(a.session.customer.id);
  });

  it('should not verify an identityHash when no IDENTITY_SECRET is configured', async () => {
    const externalId = uniqueName('ext');
    const identityHash = createHmac('sha256', 'some-secret').update(externalId).digest('hex');
    const a = await chat({ externalId, identityHash });
    const b = await chat({ externalId, identityHash });
    expect(a.session.customer.verified).toBe(false);
    expect(b.session.customer.verified).toBe(false);
    expect(b.session.customer.id).not.toBe(a.session.customer.id);
  });

  describe('with IDENTITY_SECRET', () => {
    const secret = 'identity-secret-for-the-tests';
    const sign = (externalId: string) => createHmac('sha256', secret).update(externalId).digest('hex');
    let ti: TestServer;

    beforeAll(async () => {
      ti = await startTestServer({ env: { IDENTITY_SECRET: secret } });
    });

    it('should link a valid externalId + identityHash to the same verified customer across anonymous chats', async () => {
      const externalId = uniqueName('user');
      const a = await startChat(ti, { name: 'Ivy', externalId, identityHash: sign(externalId) });
      const b = await startChat(ti, { name: 'Ivy', externalId, identityHash: sign(externalId) });
      expect(a.session.customer).toMatchObject({ externalId, verified: true });
      expect(b.session.customer).toMatchObject({ id: a.session.customer.id, externalId, verified: true });
      expect(b.session.id).not.toBe(a.session.id);
      // The second visitor token is the same customer: it sees both chats.
      const { mySessions } = await ti.http.ok(MySessionsDocument, {}, b.token);
      expect(mySessions.map((s) => s.id)).toEqual([b.session.id, a.session.id]);
    });

    it('should refuse a wrong identityHash with FORBIDDEN and store nothing', async () => {
      const externalId = uniqueName('user');
      const before = await counts(ti.databaseUrl);
      for (const identityHash of [sign(`${externalId}x`), 'not-hex', sign(externalId).toUpperCase().slice(0, 63)]) {
        const { code } = await ti.http.fail(StartChatDocument, { input: { name: 'Mallory', externalId, identityHash, message: 'hi' } });
        expect(code).toBe('FORBIDDEN');
      }
      expect(await counts(ti.databaseUrl)).toEqual(before);
    });

    it('should never link an externalId without a hash to the verified customer', async () => {
      const externalId = uniqueName('user');
      const verified = await startChat(ti, { name: 'Ivy', externalId, identityHash: sign(externalId) });
      const impostor = await startChat(ti, { name: 'Mallory', externalId });
      expect(impostor.session.customer.id).not.toBe(verified.session.customer.id);
      expect(impostor.session.customer).toMatchObject({ externalId, verified: false, name: 'Mallory' });
      // The impostor cannot see the verified customer's chat.
      expect((await ti.http.ok(SessionDocument, { id: verified.session.id }, impostor.token)).session).toBeNull();
      const { mySessions } = await ti.http.ok(MySessionsDocument, {}, impostor.token);
      expect(mySessions.map((s) => s.id)).toEqual([impostor.session.id]);
    });
  });
});

describe('Query.session', () => {
  it('should require authentication', async () => {
    const { session } = await chat();
    const { code } = await t.http.fail(SessionDocument, { id: session.id });
    expect(code).toBe('UNAUTHENTICATED');
  });

  it("should show a customer its own session and null for another customer's, an unknown or an invalid id", async () => {
    const mine = await chat({ name: 'Mia' });
    const theirs = await chat({ name: 'Theo' });
    expect(await viewSession(mine.session.id, mine.token)).toMatchObject({ id: mine.session.id, customer: { name: 'Mia' } });
    expect(await viewSession(theirs.session.id, mine.token)).toBeNull();
    expect(await viewSession('00000000-0000-4000-8000-000000000000', mine.token)).toBeNull();
    expect(await viewSession('not-a-session-id', mine.token)).toBeNull();
  });

  it("should show an agent its assigned and the queued sessions, but not another agent's", async () => {
    const skillA = uniqueSkill();
    const skillB = uniqueSkill();
    const a = await buildOnlineAgent(t, { skills: [skillA] });
    const b = await buildOnlineAgent(t, { skills: [skillB] });
    const withA = await chat({ skill: skillA });
    const withB = await chat({ skill: skillB });
    const queued = await chat();
    expect(withA.session.agent?.id).toBe(a.id);
    expect(withB.session.agent?.id).toBe(b.id);
    expect(queued.session.status).toBe('QUEUED');

    expect(await viewSession(withA.session.id, a.token)).toMatchObject({ id: withA.session.id, status: 'ACTIVE' });
    expect(await viewSession(queued.session.id, a.token)).toMatchObject({ id: queued.session.id, status: 'QUEUED' });
    expect(await viewSession(withB.session.id, a.token)).toBeNull();
    expect(await viewSession('not-a-session-id', a.token)).toBeNull();
  });

  it('should show a supervisor any session', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const active = await chat({ skill });
    const queued = await chat();
    expect(await viewSession(active.session.id, supervisor)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    expect(await viewSession(queued.session.id, supervisor)).toMatchObject({ status: 'QUEUED', agent: null });
  });
});

describe('Query.mySessions', () => {
  it('should require authentication', async () => {
    const { code } = await t.http.fail(MySessionsDocument, {});
    expect(code).toBe('UNAUTHENTICATED');
  });

  it("should list the customer's own sessions, newest first, and no one else's", async () => {
    const first = await chat({ name: 'Nia' });
    const second = await chat({}, first.token);
    const third = await chat({}, first.token);
    const other = await chat({ name: 'Otto' });
    const mine = (await t.http.ok(MySessionsDocument, {}, first.token)).mySessions;
    expect(mine.map((s) => s.id)).toEqual([third.session.id, second.session.id, first.session.id]);
    expect(new Set(mine.map((s) => s.customer.id))).toEqual(new Set([first.session.customer.id]));
    const theirs = (await t.http.ok(MySessionsDocument, {}, other.token)).mySessions;
    expect(theirs.map((s) => s.id)).toEqual([other.session.id]);
  });
});

describe('Query.sessions', () => {
  const page = (token: string, vars: { status?: SessionStatus; first?: number; after?: string | null } = {}) =>
    t.http.ok(SessionsDocument, vars, token).then((r) => r.sessions);

  /** Every page until endCursor is null. */
  async function allPages(token: string, first: number, status?: SessionStatus) {
    const pages: string[][] = [];
    let after: string | null = null;
    for (let i = 0; i < 100; i++) {
      const result = await page(token, { first, after, status });
      pages.push(result.sessions.map((s) => s.id));
      if (!result.endCursor) return pages;
      after = result.endCursor;
    }
    throw new Error('paging did not end');
  }

  let agent: TestAgent;
  let skill: string;
  /** The agent's sessions, oldest first. */
  const created: string[] = [];

  beforeAll(async () => {
    skill = uniqueSkill();
    agent = await buildOnlineAgent(t, { skills: [skill], maxConcurrentChats: 10 });
    for (let i = 0; i < 7; i++) {
      const { session } = await chat({ skill, name: `Pager ${i}` });
      expect(session.agent?.id).toBe(agent.id);
      created.push(session.id);
    }
  });

  agentsOnly(SessionsDocument);

  it('should list only the sessions assigned to the agent, newest first', async () => {
    const otherSkill = uniqueSkill();
    const other = await buildOnlineAgent(t, { skills: [otherSkill] });
    const notMine = await chat({ skill: otherSkill });
    expect(notMine.session.agent?.id).toBe(other.id);
    const result = await page(agent.token);
    expect(result.sessions.map((s) => s.id)).toEqual([...created].reverse());
    expect(result.endCursor).toBeNull();
    const theirs = await page(other.token);
    expect(theirs.sessions.map((s) => s.id)).toEqual([notMine.session.id]);
  });

  it('should page with first/after across several pages with no duplicates or gaps', async () => {
    const pages = await allPages(agent.token, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...created].reverse());
    // A page size that divides the total exactly: the last full page says there is no more.
    const seven = await page(agent.token, { first: 7 });
    expect(seven.sessions).toHaveLength(7);
    expect(seven.endCursor).toBeNull();
  });

  it('should filter by status', async () => {
    const [oldest, second] = created;
    await t.http.ok(CloseChatDocument, { sessionId: oldest }, agent.token);
    await t.http.ok(CloseChatDocument, { sessionId: second }, agent.token);
    const closed = await page(agent.token, { status: 'CLOSED' });
    expect(closed.sessions.map((s) => s.id)).toEqual([second, oldest]);
    expect(closed.sessions.every((s) => s.status === 'CLOSED')).toBe(true);
    const active = await page(agent.token, { status: 'ACTIVE' });
    expect(active.sessions.map((s) => s.id)).toEqual(created.slice(2).reverse());
    expect((await page(agent.token, { status: 'QUEUED' })).sessions).toEqual([]);
    // Paging and the filter together.
    expect((await allPages(agent.token, 2, 'ACTIVE')).flat()).toEqual(created.slice(2).reverse());
  });

  it('should show a supervisor every session, newest first', async () => {
    const queued = await chat();
    const pages = await allPages(supervisor, 4);
    const ids = pages.flat();
    const [{ n }] = await sql<{ n: number }>(t.databaseUrl, 'select count(*)::int as n from chat_session');
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(ids[0]).toBe(queued.session.id);
    expect(ids).toEqual(expect.arrayContaining(created));
    const stored = await sql<{ id: string }>(t.databaseUrl, 'select id from chat_session order by created_at desc, id desc');
    expect(ids).toEqual(stored.map((r) => r.id));

    const queuedOnly = await allPages(supervisor, 200, 'QUEUED');
    expect(queuedOnly.flat()).toContain(queued.session.id);
    const statuses = await sql<{ status: string }>(t.databaseUrl, 'select status from chat_session where id = any($1::uuid[])', [queuedOnly.flat()]);
    expect(new Set(statuses.map((r) => r.status))).toEqual(new Set(['QUEUED']));
  });

  it.each([0, -1, 201])('should refuse first = %i with BAD_USER_INPUT', async (first) => {
    const { code } = await t.http.fail(SessionsDocument, { first }, agent.token);
    expect(code).toBe('BAD_USER_INPUT');
  });

  it('should accept first = 200', async () => {
    const result = await page(agent.token, { first: 200 });
    expect(result.sessions).toHaveLength(created.length);
  });

  it.each(['garbage', Buffer.from('yesterday|not-a-uuid').toString('base64url'), ''.padEnd(40, '!')])(
    'should refuse the cursor %j with BAD_USER_INPUT',
    async (after) => {
      const { code } = await t.http.fail(SessionsDocument, { first: 3, after }, agent.token);
      expect(code).toBe('BAD_USER_INPUT');
    },
  );
});

describe('Query.queue', () => {
  agentsOnly(QueueDocument);

  it('should list the queued sessions first in line first, with their place in their skill line', async () => {
    const agent = await buildAgent(t);
    const skillX = uniqueSkill();
    const skillY = uniqueSkill();
    const activeSkill = uniqueSkill();
    await buildOnlineAgent(t, { skills: [activeSkill] });
    const active = await chat({ skill: activeSkill });
    expect(active.session.status).toBe('ACTIVE');
    const x1 = await chat({ skill: skillX });
    const y1 = await chat({ skill: skillY });
    const x2 = await chat({ skill: skillX });
    const mine = new Set([active.session.id, x1.session.id, y1.session.id, x2.session.id]);

    const queueOf = async () => (await t.http.ok(QueueDocument, {}, agent.token)).queue.filter((s) => mine.has(s.id));
    expect((await queueOf()).map((s) => [s.id, s.status, s.queuePosition])).toEqual([
      [x1.session.id, 'QUEUED', 1],
      [y1.session.id, 'QUEUED', 1],
      [x2.session.id, 'QUEUED', 2],
    ]);

    // When the first in line leaves, the one behind it moves up.
    await t.http.ok(CloseChatDocument, { sessionId: x1.session.id }, x1.token);
    expect((await queueOf()).map((s) => [s.id, s.queuePosition])).toEqual([
      [y1.session.id, 1],
      [x2.session.id, 1],
    ]);
  });
});

describe('Mutation.closeChat', () => {
  it('should require authentication', async () => {
    const { session } = await chat();
    const { code } = await t.http.fail(CloseChatDocument, { sessionId: session.id });
    expect(code).toBe('UNAUTHENTICATED');
    expect((await viewSession(session.id, supervisor))?.status).toBe('QUEUED');
  });

  it('should let the customer close its chat, after which it takes no more messages', async () => {
    const { session, token } = await chat({ message: 'hello' });
    const { closeChat } = await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
    expect(closeChat).toMatchObject({ id: session.id, status: 'CLOSED', closedAt: expect.any(String) });
    expect((await viewSession(session.id, token))?.status).toBe('CLOSED');
    const { code } = await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'anyone?' } }, token);
    expect(code).toBe('CONFLICT');
  });

  it('should let the agent close its chat and free its capacity for the next in line', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill], maxConcurrentChats: 1 });
    const first = await chat({ skill });
    const waiting = await chat({ skill });
    expect(first.session.agent?.id).toBe(agent.id);
    expect(waiting.session.status).toBe('QUEUED');

    const { closeChat } = await t.http.ok(CloseChatDocument, { sessionId: first.session.id }, agent.token);
    expect(closeChat.status).toBe('CLOSED');
    expect(await viewSession(waiting.session.id, waiting.token)).toMatchObject({ status: 'ACTIVE', agent: { id: agent.id } });
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(1);

    await t.http.ok(CloseChatDocument, { sessionId: waiting.session.id }, waiting.token);
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(0);
  });

  it("should let a supervisor close any chat and free the agent's capacity", async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const { session } = await chat({ skill });
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(1);
    const { closeChat } = await t.http.ok(CloseChatDocument, { sessionId: session.id }, supervisor);
    expect(closeChat).toMatchObject({ status: 'CLOSED', agent: { id: agent.id } });
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(0);
  });

  it('should leave an already closed chat as it was', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const { session, token } = await chat({ skill });
    await chat({ skill });
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(2);
    const first = (await t.http.ok(CloseChatDocument, { sessionId: session.id }, token)).closeChat;
    for (const caller of [token, agent.token, supervisor]) {
      const again = (await t.http.ok(CloseChatDocument, { sessionId: session.id }, caller)).closeChat;
      expect(again).toMatchObject({ status: 'CLOSED', closedAt: first.closedAt });
    }
    // The agent's other chat still counts; the closed one was freed once.
    expect((await t.http.ok(MeDocument, {}, agent.token)).me?.activeChats).toBe(1);
    const closedEvents = await sql(t.databaseUrl, `select 1 from session_event where session_id = $1 and kind = 'closed'`, [session.id]);
    expect(closedEvents).toHaveLength(1);
  });

  it('should answer NOT_FOUND to a stranger and leave the chat open', async () => {
    const skill = uniqueSkill();
    await buildOnlineAgent(t, { skills: [skill] });
    const otherAgent = await buildAgent(t);
    const { session, token } = await chat({ skill });
    const stranger = await chat();
    for (const caller of [stranger.token, otherAgent.token]) {
      const { code } = await t.http.fail(CloseChatDocument, { sessionId: session.id }, caller);
      expect(code).toBe('NOT_FOUND');
    }
    const unknown = await t.http.fail(CloseChatDocument, { sessionId: '00000000-0000-4000-8000-000000000000' }, stranger.token);
    expect(unknown.code).toBe('NOT_FOUND');
    expect((await viewSession(session.id, token))?.status).toBe('ACTIVE');
  });
});

describe('Mutation.rateChat', () => {
  async function closedChat() {
    const { session, visitor: token, agent } = await buildActiveChat(t);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
    return { session, token, agent };
  }

  it('should require authentication', async () => {
    const { session } = await closedChat();
    const { code } = await t.http.fail(RateChatDocument, { sessionId: session.id, rating: 5 });
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('should let the customer rate a closed chat, with the comment stored exactly as sent', async () => {
    const { session, token } = await closedChat();
    const comment = 'Quick & <i>kind</i> — thanks!';
    const { rateChat } = await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 4, comment }, token);
    expect(rateChat).toMatchObject({ rating: 4, ratingComment: comment });
    expect(await viewSession(session.id, supervisor)).toMatchObject({ rating: 4, ratingComment: comment });
  });

  it('should refuse to rate a chat that is not closed with CONFLICT', async () => {
    const skill = uniqueSkill();
    await buildOnlineAgent(t, { skills: [skill] });
    const active = await chat({ skill });
    const queued = await chat();
    for (const c of [active, queued]) {
      const { code } = await t.http.fail(RateChatDocument, { sessionId: c.session.id, rating: 5 }, c.token);
      expect(code).toBe('CONFLICT');
      expect((await viewSession(c.session.id, c.token))?.rating).toBeNull();
    }
  });

  it('should refuse a second rating with CONFLICT and keep the first', async () => {
    const { session, token } = await closedChat();
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 2, comment: 'slow' }, token);
    const { code } = await t.http.fail(RateChatDocument, { sessionId: session.id, rating: 5, comment: 'actually great' }, token);
    expect(code).toBe('CONFLICT');
    expect(await viewSession(session.id, token)).toMatchObject({ rating: 2, ratingComment: 'slow' });
  });

  it.each([
    ['a rating of 0', { rating: 0 }],
    ['a rating of 6', { rating: 6 }],
    ['a comment over 2000 characters', { rating: 3, comment: 'c'.repeat(2001) }],
  ])('should refuse %s with BAD_USER_INPUT and store nothing', async (_, args) => {
    const { session, token } = await closedChat();
    const { code } = await t.http.fail(RateChatDocument, { sessionId: session.id, ...args }, token);
    expect(code).toBe('BAD_USER_INPUT');
    expect(await viewSession(session.id, token)).toMatchObject({ rating: null, ratingComment: null });
  });

  it('should accept ratings 1 and 5 and a comment of 2000 characters', async () => {
    const low = await closedChat();
    expect((await t.http.ok(RateChatDocument, { sessionId: low.session.id, rating: 1 }, low.token)).rateChat.rating).toBe(1);
    const high = await closedChat();
    const comment = 'c'.repeat(2000);
    const { rateChat } = await t.http.ok(RateChatDocument, { sessionId: high.session.id, rating: 5, comment }, high.token);
    expect(rateChat).toMatchObject({ rating: 5, ratingComment: comment });
  });

  it('should let only the customer rate: its agent and a supervisor are FORBIDDEN, a stranger NOT_FOUND', async () => {
    const { session, token, agent } = await closedChat();
    for (const caller of [agent.token, supervisor]) {
      expect((await t.http.fail(RateChatDocument, { sessionId: session.id, rating: 5 }, caller)).code).toBe('FORBIDDEN');
    }
    const stranger = await chat();
    expect((await t.http.fail(RateChatDocument, { sessionId: session.id, rating: 5 }, stranger.token)).code).toBe('NOT_FOUND');
    expect((await viewSession(session.id, token))?.rating).toBeNull();
  });
});

describe('Mutation.markRead', () => {
  /** An active chat with three messages: visitor, agent, visitor. */
  async function chatWithMessages() {
    const { session, visitor: token, agent } = await buildActiveChat(t, { message: 'one' });
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'two' } }, agent.token);
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'three' } }, token);
    return { session, token, agent };
  }

  it('should require authentication', async () => {
    const { session } = await chatWithMessages();
    const { code } = await t.http.fail(MarkReadDocument, { sessionId: session.id, seq: 1 });
    expect(code).toBe('UNAUTHENTICATED');
  });

  it("should raise the caller's side's read seq only", async () => {
    const { session, token, agent } = await chatWithMessages();
    const byVisitor = (await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 2 }, token)).markRead;
    expect(byVisitor).toMatchObject({ lastSeq: 3, visitorReadSeq: 2, agentReadSeq: 0 });
    const byAgent = (await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 3 }, agent.token)).markRead;
    expect(byAgent).toMatchObject({ visitorReadSeq: 2, agentReadSeq: 3 });
    expect(await viewSession(session.id, token)).toMatchObject({ visitorReadSeq: 2, agentReadSeq: 3 });
  });

  it('should never lower a read seq', async () => {
    const { session, token, agent } = await chatWithMessages();
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 3 }, token);
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 2 }, agent.token);
    expect((await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 1 }, token)).markRead.visitorReadSeq).toBe(3);
    expect((await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 0 }, agent.token)).markRead.agentReadSeq).toBe(2);
  });

  it('should clamp a read seq to the last message', async () => {
    const { session, token, agent } = await chatWithMessages();
    expect((await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 99 }, token)).markRead.visitorReadSeq).toBe(3);
    expect((await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 1000 }, agent.token)).markRead.agentReadSeq).toBe(3);
    // A later message is unread until marked.
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'four' } }, agent.token);
    expect(await viewSession(session.id, token)).toMatchObject({ lastSeq: 4, visitorReadSeq: 3 });
  });

  it('should refuse a negative seq with BAD_USER_INPUT', async () => {
    const { session, token } = await chatWithMessages();
    expect((await t.http.fail(MarkReadDocument, { sessionId: session.id, seq: -1 }, token)).code).toBe('BAD_USER_INPUT');
  });

  it('should answer NOT_FOUND to a stranger', async () => {
    const { session, token } = await chatWithMessages();
    const stranger = await chat();
    const otherAgent = await buildAgent(t);
    for (const caller of [stranger.token, otherAgent.token]) {
      expect((await t.http.fail(MarkReadDocument, { sessionId: session.id, seq: 3 }, caller)).code).toBe('NOT_FOUND');
    }
    expect(await viewSession(session.id, token)).toMatchObject({ visitorReadSeq: 0, agentReadSeq: 0 });
  });
});

describe('Mutation.setTyping', () => {
  it('should require authentication', async () => {
    const { session } = await chat();
    const { code } = await t.http.fail(SetTypingDocument, { sessionId: session.id, typing: true });
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('should return true to either participant and show the other side the indicator', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill], name: 'Tara' });
    const { session, token } = await chat({ skill, name: 'Tess' });
    const visitorWs = new WsClient(t.wsUrl, token);
    try {
      const agentSees = agent.socket!.subscribe(OnTypingDocument, { sessionId: session.id });
      const visitorSees = visitorWs.subscribe(OnTypingDocument, { sessionId: session.id });
      await visitorWs.connected;
      // The subscriptions start asynchronously: repeat until the first event arrives.
      await waitFor(async () => {
        expect((await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: true }, token)).setTyping).toBe(true);
        return agentSees.received.length > 0;
      });
      expect((await agentSees.next()).typing).toEqual({ sessionId: session.id, author: 'VISITOR', name: 'Tess', typing: true });
      await waitFor(async () => {
        expect((await t.http.ok(SetTypingDocument, { sessionId: session.id, typing: false }, agent.token)).setTyping).toBe(true);
        return visitorSees.received.length > 0;
      });
      expect((await visitorSees.next()).typing).toEqual({ sessionId: session.id, author: 'AGENT', name: 'Tara', typing: false });
    } finally {
      await visitorWs.dispose();
    }
  });

  it('should answer NOT_FOUND to a stranger and FORBIDDEN to a supervisor, who is no participant', async () => {
    const skill = uniqueSkill();
    await buildOnlineAgent(t, { skills: [skill] });
    const { session } = await chat({ skill });
    const stranger = await chat();
    const otherAgent = await buildAgent(t);
    for (const caller of [stranger.token, otherAgent.token]) {
      expect((await t.http.fail(SetTypingDocument, { sessionId: session.id, typing: true }, caller)).code).toBe('NOT_FOUND');
    }
    expect((await t.http.fail(SetTypingDocument, { sessionId: session.id, typing: true }, supervisor)).code).toBe('FORBIDDEN');
  });
});

describe('session audit trail', () => {
  it('should record created, queued, assigned, transferred, requeued, closed and rated, in order', async () => {
    const skill = uniqueSkill();
    const { session, token } = await chat({ skill, message: 'need help' });
    expect(session.status).toBe('QUEUED');

    const first = await buildOnlineAgent(t, { skills: [skill] });
    await waitFor(async () => (await viewSession(session.id, token))?.agent?.id === first.id, 10_000);
    const second = await buildOnlineAgent(t, { skills: [skill] });
    const transferred = (await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: second.id }, first.token)).transferChat;
    expect(transferred.agent?.id).toBe(second.id);

    // Back to the queue for a skill nobody has: it waits there.
    const requeued = (await t.http.ok(TransferChatDocument, { sessionId: session.id, skill: uniqueSkill() }, second.token)).transferChat;
    expect(requeued).toMatchObject({ status: 'QUEUED', agent: null });

    await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 5 }, token);

    const events = await sql<{ kind: string; agent_id: string | null }>(
      t.databaseUrl,
      'select kind, agent_id from session_event where session_id = $1 order by at, id',
      [session.id],
    );
    expect(events.map((e) => e.kind)).toEqual(['created', 'queued', 'assigned', 'transferred', 'requeued', 'closed', 'rated']);
    expect(events.find((e) => e.kind === 'assigned')?.agent_id).toBe(first.id);
    expect(events.find((e) => e.kind === 'transferred')?.agent_id).toBe(second.id);
  });

  it('should record created then assigned for a chat routed at once', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    for (let i = 0; i < 5; i++) {
      const { session } = await chat({ skill });
      expect(session.agent?.id).toBe(agent.id);
      await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
      const events = await sql<{ kind: string }>(t.databaseUrl, 'select kind from session_event where session_id = $1 order by at, id', [session.id]);
      expect(events.map((e) => e.kind)).toEqual(['created', 'assigned', 'closed']);
    }
  });
});
