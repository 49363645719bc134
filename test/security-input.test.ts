import { randomUUID } from 'node:crypto';
import {
  AgentMetricsDocument,
  CloseChatDocument,
  CreateAgentDocument,
  LoginDocument,
  OnMessageAddedDocument,
  RateChatDocument,
  SendMessageDocument,
  SessionsDocument,
  StartChatDocument,
  TranscriptDocument,
  UpdateAgentDocument,
} from './generated/graphql';
import { sql } from './support/env';
import { buildOnlineAgent, loginSupervisor, startChat, type TestAgent, wsClient } from './support/factories';
import { counts, post, RawSocket, sessionState } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import type { Subscription, WsClient } from './support/ws';

/**
 * Contract, "Limits on input" and "Errors": invalid input is BAD_USER_INPUT, stores and publishes
 * nothing, never reaches Postgres as a 500; text is stored and returned exactly as sent.
 */
let t: TestServer;
let agent: TestAgent;
let supervisor: string;
let chat: { id: string; token: string };
let watcher: WsClient;
let feed: Subscription<{ messageAdded: { body: string; seq: number } }>;

beforeAll(async () => {
  t = await startTestServer();
  supervisor = await loginSupervisor(t);
  agent = await buildOnlineAgent(t, { name: 'Ada' });
  const started = await startChat(t, { message: 'hello' });
  chat = { id: started.session.id, token: started.token };
  watcher = wsClient(t, agent.token);
  feed = watcher.subscribe(OnMessageAddedDocument, { sessionId: chat.id });
  await watcher.connected;
  await new Promise((r) => setTimeout(r, 150));
});

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = '\udc00';

const BAD_MESSAGES: Array<[string, Record<string, unknown>]> = [
  ['an empty body', { body: '' }],
  ['a blank body', { body: ' \n\t ' }],
  ['a body of 4001 characters', { body: 'x'.repeat(4001) }],
  ['a body of 4001 astral characters', { body: '😀'.repeat(4001) }],
  ['a NUL byte in the body', { body: NUL }],
  ['a lone high surrogate in the body', { body: LONE_HIGH }],
  ['a lone low surrogate in the body', { body: LONE_LOW }],
  ['a clientMessageId of 101 characters', { body: 'ok', clientMessageId: 'c'.repeat(101) }],
  ['an empty clientMessageId', { body: 'ok', clientMessageId: '' }],
  ['a NUL byte in the clientMessageId', { body: 'ok', clientMessageId: NUL }],
];

describe('sendMessage input', () => {
  it.each(BAD_MESSAGES)('should refuse %s with BAD_USER_INPUT on HTTP and WebSocket, storing and publishing nothing', async (_what, input) => {
    const before = await sessionState(t, chat.id);
    const http = await t.http.request(SendMessageDocument, { input: { sessionId: chat.id, ...input } as never }, chat.token);
    expect(http.status).toBeLessThan(500);
    expect(http.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(http.data).toBeNull();
    const socket = new RawSocket(t.wsUrl);
    await socket.init(chat.token);
    const ws = await socket.run('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { sessionId: chat.id, ...input } });
    expect(ws.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await socket.close();
    expect(await sessionState(t, chat.id)).toEqual(before);
    await feed.expectQuiet(300);
  });

  it('should refuse a NUL byte written inside the query text itself', async () => {
    const before = await sessionState(t, chat.id);
    const http = await post(t, { query: `mutation { sendMessage(input: { sessionId: "${chat.id}", body: "a\\u0000b" }) { id } }` }, { authorization: `Bearer ${chat.token}` });
    expect(http.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const raw = await post(t, { query: `mutation { sendMessage(input: { sessionId: "${chat.id}", body: "a\u0000b" }) { id } }` }, { authorization: `Bearer ${chat.token}` });
    expect(raw.status).toBeLessThan(500);
    expect(raw.json?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await sessionState(t, chat.id)).toEqual(before);
  });

  it('should not turn bytes that are not UTF-8 into a 500', async () => {
    const before = await counts(t);
    const head = Buffer.from(JSON.stringify({ query: 'mutation ($n: String) { startChat(input: { name: $n }) { session { customer { name } } } }', variables: { n: 'XX' } }));
    const body = Buffer.from(head.toString().replace('"XX"', '"\u0001\u0001"'));
    body[body.indexOf(1)] = 0xff;
    body[body.indexOf(1)] = 0xc3;
    const response = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await response.json()) as { data?: { startChat: { session: { customer: { name: string } } } }; errors?: Array<{ extensions: { code: string } }> };
    expect(response.status).toBeLessThan(500);
    if (json.errors) {
      expect(json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(await counts(t)).toEqual(before);
    } else {
      // Decoded as U+FFFD, which is valid text, and kept as decoded.
      expect(json.data?.startChat.session.customer.name).toBe('\ufffd\ufffd');
    }
  });
});

describe('startChat input', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a name of 201 characters', { name: 'n'.repeat(201) }],
    ['a blank name', { name: '   ' }],
    ['an invalid email', { email: 'not-an-email' }],
    ['an uppercase skill', { skill: 'Billing' }],
    ['a skill with a space', { skill: 'a b' }],
    ['a skill of 51 characters', { skill: 's'.repeat(51) }],
    ['an empty first message', { message: '' }],
    ['a first message of 4001 characters', { message: 'm'.repeat(4001) }],
    ['a clientMessageId of 101 characters', { message: 'hi', clientMessageId: 'c'.repeat(101) }],
    ['an externalId of 201 characters', { externalId: 'e'.repeat(201) }],
    ['a NUL byte in the name', { name: NUL }],
    ['a lone surrogate in the email', { email: `a${LONE_HIGH}@example.com` }],
    ['a NUL byte in the externalId', { externalId: NUL }],
  ])('should refuse %s with BAD_USER_INPUT on HTTP and WebSocket, storing nothing', async (_what, input) => {
    const before = await counts(t);
    const http = await t.http.request(StartChatDocument, { input: input as never });
    expect(http.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(http.data).toBeNull();
    const socket = new RawSocket(t.wsUrl);
    await socket.init();
    const ws = await socket.run('mutation ($input: StartChatInput!) { startChat(input: $input) { visitorToken } }', { input });
    expect(ws.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await socket.close();
    expect(await counts(t)).toEqual(before);
  });
});

describe('other input', () => {
  it('should refuse a bad rating or an over-long comment, leaving the session unrated', async () => {
    const closed = await startChat(t, { message: 'bye' });
    await t.http.ok(CloseChatDocument, { sessionId: closed.session.id }, closed.token);
    const before = await sessionState(t, closed.session.id);
    for (const vars of [{ rating: 0 }, { rating: 6 }, { rating: 5, comment: 'c'.repeat(2001) }, { rating: 5, comment: NUL }]) {
      const result = await t.http.request(RateChatDocument, { sessionId: closed.session.id, ...vars }, closed.token);
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await sessionState(t, closed.session.id)).toEqual(before);
  });

  it('should refuse page sizes outside 1 to 200 and negative seqs', async () => {
    for (const vars of [{ limit: 0 }, { limit: 201 }, { afterSeq: -1 }, { beforeSeq: -1 }]) {
      const result = await t.http.request(TranscriptDocument, { id: chat.id, ...vars }, chat.token);
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const first of [0, 201]) {
      const result = await t.http.request(SessionsDocument, { first }, supervisor);
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('should refuse forged page cursors as BAD_USER_INPUT, never a database error', async () => {
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    const id = randomUUID();
    for (const after of ['garbage', cursor(`2024|${id}`), cursor(`1|${id}`), cursor(`0000-01-01T00:00:00.000Z|${id}`), cursor(`2024-02-31T00:00:00.000Z|${id}`), cursor(`+275760-09-13T00:00:00.000Z|${id}`), cursor(`2024-01-01T00:00:00.000Z|x`)]) {
      const result = await t.http.request(SessionsDocument, { first: 5, after }, supervisor);
      expect({ after, code: result.errors?.[0].extensions?.code }).toEqual({ after, code: 'BAD_USER_INPUT' });
    }
    // A real cursor still works.
    const page = await t.http.ok(SessionsDocument, { first: 1 }, supervisor);
    if (page.sessions.endCursor) await t.http.ok(SessionsDocument, { first: 1, after: page.sessions.endCursor }, supervisor);
  });

  it('should refuse malformed or extreme dates as BAD_USER_INPUT, never a database error', async () => {
    for (const from of ['yesterday', '2024-13-01T00:00:00Z', '2024-01-01', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-05:00', '9999-12-31T23:59:59Z']) {
      const result = await t.http.request(AgentMetricsDocument, { from }, supervisor);
      // Refused, every one: an accepted date (no error) fails here as much as a database error.
      expect({ from, code: result.errors?.[0].extensions?.code ?? 'accepted', data: result.data }).toEqual({ from, code: 'BAD_USER_INPUT', data: null });
    }
  });

  it('should refuse bad agent input, storing and changing nothing', async () => {
    const before = await counts(t);
    for (const input of [
      { name: 'A', email: 'a@example.com', password: 'short' },
      { name: 'A', email: 'not-an-email', password: 'long-enough' },
      { name: 'A', email: 'b@example.com', password: 'long-enough', skills: ['Bad Skill'] },
      { name: 'A', email: 'c@example.com', password: 'long-enough', maxConcurrentChats: 101 },
      { name: NUL, email: 'd@example.com', password: 'long-enough' },
      { name: '', email: 'e@example.com', password: 'long-enough' },
    ]) {
      const result = await t.http.request(CreateAgentDocument, { input }, supervisor);
      expect({ input, code: result.errors?.[0].extensions?.code }).toEqual({ input, code: 'BAD_USER_INPUT' });
    }
    const [row] = await sql(t.databaseUrl, 'select name, skills, max_concurrent_chats from agent where id = $1', [agent.id]);
    for (const input of [{ skills: ['UPPER'] }, { maxConcurrentChats: -1 }, { name: ' ' }, { skills: [LONE_LOW] }]) {
      const result = await t.http.request(UpdateAgentDocument, { id: agent.id, input }, supervisor);
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await sql(t.databaseUrl, 'select name, skills, max_concurrent_chats from agent where id = $1', [agent.id])).toEqual([row]);
    expect(await counts(t)).toEqual(before);
  });

  it('should refuse a NUL byte in a login email as BAD_USER_INPUT', async () => {
    const result = await t.http.request(LoginDocument, { email: `boss${NUL}@example.com`, password: 'whatever1' });
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('text is kept verbatim', () => {
  const TEXTS = [
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "Robert'); DROP TABLE message;--",
    '  leading and trailing spaces, \n newlines \r\n and\ttabs  ',
    '&lt;b&gt; &amp; &#x27; \\u0000 %00 ${7*7} {{7*7}}',
    'RTL \u202e and zero-width \u200b\u200d joiners, emoji 👩🏽‍💻 🇳🇱',
    `${'x'.repeat(3999)}😀`,
  ];

  it.each(TEXTS.map((text, i) => [i, text]))('should store and return text %# exactly as sent, on HTTP and WebSocket', async (_i, text) => {
    const viaHttp = await t.http.ok(SendMessageDocument, { input: { sessionId: chat.id, body: text } }, chat.token);
    expect(viaHttp.sendMessage.body).toBe(text);
    expect((await feed.next(5000)).messageAdded.body).toBe(text);

    const socket = new RawSocket(t.wsUrl);
    await socket.init(agent.token);
    const viaWs = await socket.run('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { body seq } }', { input: { sessionId: chat.id, body: text } });
    await socket.close();
    const sent = (viaWs.data as { sendMessage: { body: string; seq: number } }).sendMessage;
    expect(sent.body).toBe(text);
    expect((await feed.next(5000)).messageAdded.body).toBe(text);

    const stored = await sql<{ body: string }>(t.databaseUrl, 'select body from message where session_id = $1 and seq in ($2, $3) order by seq', [chat.id, viaHttp.sendMessage.seq, sent.seq]);
    expect(stored.map((r) => r.body)).toEqual([text, text]);
    const transcript = await t.http.ok(TranscriptDocument, { id: chat.id, afterSeq: viaHttp.sendMessage.seq - 1, limit: 2 }, chat.token);
    expect(transcript.session?.messages.messages.map((m) => m.body)).toEqual([text, text]);
  });

  it('should keep names verbatim too', async () => {
    const name = '<b>Zoë</b> "O\'Brien" & co';
    const started = await t.http.ok(StartChatDocument, { input: { name } });
    expect(started.startChat.session.customer.name).toBe(name);
  });
});
