import { randomUUID } from 'node:crypto';
import { CreateAgentDocument, LoginDocument, OnMessageAddedDocument, SendMessageDocument, StartChatDocument } from './generated/graphql';
import { SUPERVISOR } from './support/env';
import { buildOnlineAgent, loginSupervisor, startChat } from './support/factories';
import { counts, RawSocket, sessionState } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Contract, "Limits on input": token buckets shared by all instances through Redis — startChat per
 * client IP, sendMessage per sender, login per email and IP — RATE_LIMITED with
 * retryAfterSeconds, on HTTP and WebSocket; X-Forwarded-For only with TRUST_PROXY=1.
 */
const ON = { RATE_LIMITS: 'on', RATE_START_CHAT: '1000:1000', RATE_SEND_MESSAGE: '1000:1000', RATE_LOGIN: '1000:1000' };

function expectRateLimited(result: { data?: unknown; errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) {
  const error = result.errors?.[0];
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  const retry = error?.extensions?.retryAfterSeconds;
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(60);
  expect(result.data ?? null).toBeNull();
}

const WS_SEND = 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';
const WS_START = 'mutation { startChat(input: { name: "ws" }) { visitorToken } }';

/** One startChat over a fresh socket whose upgrade carried `X-Forwarded-For: xff`. */
async function startOverWs(server: { wsUrl: string }, xff: string) {
  const socket = new RawSocket(server.wsUrl, { headers: { 'x-forwarded-for': xff } });
  try {
    await socket.init();
    const { errors, data } = await socket.run(WS_START);
    return { errors, data };
  } finally {
    await socket.close();
  }
}

describe('sendMessage, per sender, across two instances sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer({ env: { ...ON, RATE_SEND_MESSAGE: '3:1' } });
    b = await startTestServer({ shareWith: a, env: { ...ON, RATE_SEND_MESSAGE: '3:1' } });
  });

  it('should refuse the fourth message wherever it is sent, storing and publishing nothing', async () => {
    const agent = await buildOnlineAgent(a);
    const chat = await startChat(a);
    const watcher = new WsClient(b.wsUrl, agent.token);
    const feed = watcher.subscribe(OnMessageAddedDocument, { sessionId: chat.session.id });
    await watcher.connected;
    await new Promise((r) => setTimeout(r, 150));
    const input = (body: string) => ({ input: { sessionId: chat.session.id, body } });

    await a.http.ok(SendMessageDocument, input('one'), chat.token);
    await b.http.ok(SendMessageDocument, input('two'), chat.token);
    const socket = new RawSocket(a.wsUrl);
    await socket.init(chat.token);
    expect((await socket.run(WS_SEND, input('three'))).errors).toEqual([]);
    const before = await sessionState(a, chat.session.id);

    expectRateLimited(await b.http.request(SendMessageDocument, input('four'), chat.token));
    expectRateLimited(await a.http.request(SendMessageDocument, input('five'), chat.token));
    const viaWs = await socket.run(WS_SEND, input('six'));
    expectRateLimited({ errors: viaWs.errors, data: viaWs.data });
    const viaOtherWs = new RawSocket(b.wsUrl);
    await viaOtherWs.init(chat.token);
    const six = await viaOtherWs.run(WS_SEND, input('seven'));
    expectRateLimited({ errors: six.errors, data: six.data });

    expect(await sessionState(a, chat.session.id)).toEqual(before);
    expect((await feed.take(3, 5000)).map((m) => m.messageAdded.body)).toEqual(['one', 'two', 'three']);
    await feed.expectQuiet(300);
    // Another sender has a bucket of its own.
    await b.http.ok(SendMessageDocument, input('from the agent'), agent.token);
    await Promise.all([socket.close(), viaOtherWs.close(), watcher.dispose(), agent.socket?.dispose()]);
  });
});

describe('startChat per IP and login per email and IP, across two instances', () => {
  let a: TestServer;
  let b: TestServer;
  const env = { ...ON, RATE_START_CHAT: '2:1', RATE_LOGIN: '3:1' };
  beforeAll(async () => {
    a = await startTestServer({ env });
    b = await startTestServer({ shareWith: a, env });
  });

  it('should refuse the third chat from one IP, whatever X-Forwarded-For says without TRUST_PROXY, storing nothing', async () => {
    await a.http.ok(StartChatDocument, { input: { name: 'one' } });
    await b.http.ok(StartChatDocument, { input: { name: 'two' } });
    const before = await counts(a);
    for (const [server, xff] of [
      [a, '198.51.100.7'],
      [b, '198.51.100.8, 10.0.0.1'],
      [a, undefined],
    ] as const) {
      const headers: Record<string, string> = xff ? { 'x-forwarded-for': xff } : {};
      expectRateLimited(await server.http.request(StartChatDocument, { input: { name: 'three', message: 'spam' } }, undefined, headers));
    }
    expectRateLimited(await startOverWs(b, '198.51.100.9'));
    expect(await counts(a)).toEqual(before);
  });

  it('should refuse logins to one email from one IP after the burst, even with the right password', async () => {
    const supervisor = await loginSupervisor(a);
    const email = `target-${randomUUID().slice(0, 8)}@example.com`;
    await a.http.ok(CreateAgentDocument, { input: { name: 'Target', email, password: 'right-password' } }, supervisor);
    for (const server of [a, b, a]) {
      const wrong = await server.http.request(LoginDocument, { email, password: 'wrong-password' });
      expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectRateLimited(await b.http.request(LoginDocument, { email, password: 'right-password' }));
    expectRateLimited(await a.http.request(LoginDocument, { email: email.toUpperCase(), password: 'right-password' }));
    const socket = new RawSocket(a.wsUrl);
    await socket.init();
    const ws = await socket.run('mutation ($e: String!) { login(email: $e, password: "right-password") { token } }', { e: email });
    expectRateLimited({ errors: ws.errors, data: ws.data });
    await socket.close();
    // Another email from the same IP is not affected.
    expect((await b.http.ok(LoginDocument, SUPERVISOR)).login.token).toBeTruthy();
  });
});

describe('X-Forwarded-For with TRUST_PROXY=1', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ...ON, RATE_START_CHAT: '1:1', TRUST_PROXY: '1' } });
  });

  it('should key startChat by the first hop, on HTTP and WebSocket', async () => {
    const start = (xff: string) => t.http.request(StartChatDocument, { input: { name: 'proxied' } }, undefined, { 'x-forwarded-for': xff });
    expect((await start('203.0.113.1')).errors).toBeUndefined();
    expectRateLimited(await start('203.0.113.1, 10.0.0.1'));
    expect((await start('203.0.113.2, 203.0.113.1')).errors).toBeUndefined();

    const before = await counts(t);
    expectRateLimited(await startOverWs(t, '203.0.113.2'));
    expect(await counts(t)).toEqual(before);
    expect((await startOverWs(t, '203.0.113.3')).errors).toEqual([]);
  });
});

describe('RATE_LIMITS=off', () => {
  it('should apply no limit at all', async () => {
    const t = await startTestServer({ env: { RATE_LIMITS: 'off', RATE_START_CHAT: '1:1', RATE_SEND_MESSAGE: '1:1' } });
    try {
      const agent = await buildOnlineAgent(t);
      const chat = await startChat(t);
      await startChat(t);
      for (let i = 0; i < 5; i++) await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: `m${i}` } }, chat.token);
      await agent.socket?.dispose();
    } finally {
      await t.close();
    }
  });
});

describe('Redis failing under the rate limiter', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { ...ON, RATE_START_CHAT: '2:1' } });
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('should fall back to in-memory buckets: no 500, and still limited', async () => {
    const redis = t.app.redis as unknown as Record<string, unknown>;
    const take = redis.sbTakeToken;
    redis.sbTakeToken = () => Promise.reject(new Error('Connection is closed.'));
    const warned = jest.spyOn(t.app.logger, 'warn');
    try {
      const first = await t.http.request(StartChatDocument, { input: { name: 'one' } });
      expect(first.errors).toBeUndefined();
      expect((await t.http.request(StartChatDocument, { input: { name: 'two' } })).errors).toBeUndefined();
      const before = await counts(t);
      expectRateLimited(await t.http.request(StartChatDocument, { input: { name: 'three' } }));
      expect(await counts(t)).toEqual(before);
      expect(warned).toHaveBeenCalled();
    } finally {
      redis.sbTakeToken = take;
    }
  });
});
