import { MarkReadDocument, OnSessionUpdatedDocument, SendMessageDocument } from './generated/graphql';
import { buildOnlineAgent, loginSupervisor, startChat, waitFor } from './support/factories';
import { CONTRACT_CODES, counts, get, post, RawSocket, wsOnce } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Contract, "Errors": every refusal carries a contract code; INTERNAL_SERVER_ERROR is masked
 * (no stack, no SQL, no internal message) and logged in full; in production no "Did you mean".
 * Transport: CSRF prevention stays on; CORS_ORIGINS limits browsers on HTTP and WebSocket alike.
 */
let dev: TestServer;
let prod: TestServer;
beforeAll(async () => {
  [dev, prod] = await Promise.all([startTestServer(), startTestServer({ env: { NODE_ENV: 'production' } })]);
});
afterEach(() => {
  jest.restoreAllMocks();
});

/** What a leak looks like: SQL, a stack frame, a file path, an internal marker. */
const LEAK = /select |insert |relation "|SECRET-INTERNAL|\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|stacktrace|"stack"/i;

/** An error as a driver or a bug would raise it: SQL in the message, a stack of file paths. */
function internalError(): Error {
  const error = new Error('SECRET-INTERNAL: select * from chat_session where id = $1 -- relation "chat_session" does not exist');
  error.stack = `${error.message}\n    at Reads.queue (/app/src/services/reads.ts:91:13)`;
  return error;
}

const SUGGESTIBLE: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  { name: 'a mistyped field', query: '{ sesion(id: "x") { id } }' },
  { name: 'a mistyped argument', query: '{ session(idd: "x") { id } }' },
  { name: 'a mistyped enum literal', query: '{ agents(status: ONLNE) { id } }' },
  { name: 'a mistyped enum in variables', query: 'query ($s: AgentStatus) { agents(status: $s) { id } }', variables: { s: 'ONLNE' } },
  { name: 'a mistyped type', query: '{ ... on Qury { __typename } }' },
  { name: 'a mistyped input field', query: 'mutation { startChat(input: { nme: "x" }) { visitorToken } }' },
];

describe('"Did you mean" suggestions', () => {
  it.each(SUGGESTIBLE)('should leave them out in production for $name, on HTTP and WebSocket', async ({ query, variables }) => {
    const before = await counts(prod);
    const http = await post(prod, { query, variables });
    const ws = await wsOnce(prod, query, variables);
    for (const errors of [http.json?.errors, ws.errors]) {
      expect(errors?.length).toBeGreaterThan(0);
      expect(errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(errors)).not.toMatch(/did you mean/i);
    }
    expect(http.json?.data ?? null).toBeNull();
    expect(await counts(prod)).toEqual(before);
  });

  it('should still be given outside production (so the checks above can see them)', async () => {
    const http = await post(dev, { query: SUGGESTIBLE[0].query });
    expect(JSON.stringify(http.json?.errors)).toMatch(/did you mean/i);
  });
});

describe('unexpected errors', () => {
  it.each([
    ['production', () => prod],
    ['test', () => dev],
  ])('should be masked over HTTP and logged in full (%s)', async (_mode, server) => {
    const t = server();
    const supervisor = await loginSupervisor(t);
    const failure = internalError();
    jest.spyOn(t.app.reads, 'queue').mockRejectedValue(failure);
    const logged = jest.spyOn(t.app.logger, 'error');
    const response = await post(t, { query: '{ queue { id } }' }, { authorization: `Bearer ${supervisor}` });
    expect(response.json?.errors).toEqual([expect.objectContaining({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(response.text).not.toMatch(LEAK);
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ err: failure }), expect.any(String));
  });

  it('should be masked over WebSocket, for a query and for a subscription that fails as it starts', async () => {
    const supervisor = await loginSupervisor(prod);
    const failure = internalError();
    jest.spyOn(prod.app.reads, 'queue').mockRejectedValue(failure);
    jest.spyOn(prod.app.reads, 'visibleSession').mockRejectedValue(failure);
    const logged = jest.spyOn(prod.app.logger, 'error');
    const socket = new RawSocket(prod.wsUrl);
    await socket.init(supervisor);
    const query = await socket.run('{ queue { id } }');
    const sub = await socket.run('subscription { sessionUpdated(sessionId: "7b0c2f5e-0f6a-4c1e-9a57-3c4d5e6f7a8b") { id } }');
    for (const result of [query, sub]) {
      expect(result.errors).toEqual([expect.objectContaining({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(JSON.stringify(result.errors)).not.toMatch(LEAK);
    }
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ err: failure }), expect.any(String));
    expect(socket.isOpen).toBe(true);
    await socket.close();
  });

  it('should be masked when a live subscription fails mid-stream', async () => {
    const t = prod;
    const agent = await buildOnlineAgent(t);
    const chat = await startChat(t, { message: 'hi' });
    const watcher = new WsClient(t.wsUrl, chat.token);
    const feed = watcher.subscribe(OnSessionUpdatedDocument, { sessionId: chat.session.id });
    await watcher.connected;
    // Prove it is live (a read receipt is news), then make the next read behind an event fail.
    await waitFor(async () => {
      await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'x' } }, agent.token);
      const { markRead } = await t.http.ok(MarkReadDocument, { sessionId: chat.session.id, seq: 1000 }, chat.token);
      return (await feed.next(1000).catch(() => null)) && markRead;
    });
    const failure = internalError();
    jest.spyOn(t.app.reads, 'session').mockRejectedValue(failure);
    const logged = jest.spyOn(t.app.logger, 'error');
    t.app.bus.publish('session.updated', chat.session.id, { sessionId: chat.session.id });
    const error = await feed.ended(5000);
    expect(JSON.stringify(error)).toMatch(/Internal server error/);
    expect(JSON.stringify(error)).toMatch(/INTERNAL_SERVER_ERROR/);
    expect(JSON.stringify(error)).not.toMatch(LEAK);
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ err: failure }), expect.any(String));
    await watcher.dispose();
    await agent.socket?.dispose();
  });

  it("should mask graphql-ws's own close reason when a hook fails unexpectedly", async () => {
    const supervisor = await loginSupervisor(prod);
    jest.spyOn(prod.app.presence, 'connect').mockImplementation(() => {
      throw internalError();
    });
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const socket = new RawSocket(prod.wsUrl);
    await socket.opened;
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${supervisor}` } });
    const closed = await socket.closed;
    expect(closed.code).toBe(4500);
    expect(closed.reason).not.toMatch(LEAK);
  });
});

describe('request errors', () => {
  const mutation = 'mutation { startChat(input: { name: "csrf" }) { visitorToken } }';

  it('should give every refusal of a malformed request a contract code, with no stack', async () => {
    const before = await counts(prod);
    const cases: Array<Promise<{ status: number; text: string; json?: { errors?: Array<{ extensions?: Record<string, unknown> }> } }>> = [
      post(prod, '{ "query": '), // malformed JSON
      post(prod, { query: '{ session(' }), // parse error
      post(prod, { query: 5 }), // query not a string
      post(prod, {}), // no query
      post(prod, { query: '{ __typename }', variables: 'nope' }), // variables not an object
      post(prod, { query: 'query A { __typename }', operationName: 'B' }), // unknown operation
      post(prod, { query: 'query ($n: Int!) { sessions(first: $n) { endCursor } }', variables: { n: 'ten' } }), // bad variable
      post(prod, mutation, { 'content-type': 'text/plain' }), // CSRF
      get(prod, { query: mutation }), // CSRF (a simple GET)
      get(prod, { query: mutation }, { 'apollo-require-preflight': 'true' }), // mutation over GET
      post(prod, [{ query: '{ __typename }' }]), // batch
      post(prod, { query: '{ __typename }' }, { authorization: 'Bearer forged' }), // bad token (401)
      post(prod, { query: '{ __typename }', extensions: { pad: 'x'.repeat(101 * 1024) } }), // 413
    ];
    for (const response of await Promise.all(cases)) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(CONTRACT_CODES).toContain(response.json?.errors?.[0]?.extensions?.code);
      expect(response.text).not.toMatch(LEAK);
    }
    expect(await counts(prod)).toEqual(before);
  });

  it('should refuse a text/plain POST (CSRF), storing nothing', async () => {
    const before = await counts(dev);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await post(dev, { query: mutation }, { 'content-type': type });
      expect(response.status).toBe(400);
      expect(response.json?.data ?? null).toBeNull();
    }
    expect(await counts(dev)).toEqual(before);
  });

  it('should refuse a mutation over GET, with or without a preflight header, storing nothing', async () => {
    const before = await counts(dev);
    const simple = await get(dev, { query: mutation });
    expect(simple.status).toBe(400);
    const preflighted = await get(dev, { query: mutation }, { 'apollo-require-preflight': 'true' });
    expect(preflighted.status).toBe(405);
    expect(preflighted.json?.data ?? null).toBeNull();
    expect(await counts(dev)).toEqual(before);
  });
});

describe('CORS_ORIGINS', () => {
  let t: TestServer;
  const good = 'https://good.example';
  const evil = 'https://evil.example';
  beforeAll(async () => {
    t = await startTestServer({ env: { CORS_ORIGINS: `${good}, https://other.example` } });
  });

  const preflight = (server: TestServer, origin: string) =>
    fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('should allow only listed origins in CORS preflight and responses', async () => {
    expect((await preflight(t, good)).headers.get('access-control-allow-origin')).toBe(good);
    expect((await preflight(t, evil)).headers.get('access-control-allow-origin')).toBeNull();
    const response = await post(t, { query: '{ __typename }' }, { origin: evil });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should refuse WebSocket upgrades from other origins, running nothing, and accept listed ones', async () => {
    const before = await counts(t);
    const refused = new RawSocket(t.wsUrl, { origin: evil });
    await expect(refused.opened).rejects.toThrow(/refused/);
    expect(refused.refusedStatus).toBeGreaterThanOrEqual(400);
    expect(await counts(t)).toEqual(before);

    const allowed = new RawSocket(t.wsUrl, { origin: good });
    await allowed.init();
    expect((await allowed.run('{ __typename }')).data).toEqual({ __typename: 'Query' });
    await allowed.close();
    // Non-browser clients send no Origin: they are not limited by CORS.
    const headless = new RawSocket(t.wsUrl);
    await headless.init();
    await headless.close();
  });

  it('should let any origin in when CORS_ORIGINS is unset', async () => {
    expect((await preflight(dev, evil)).headers.get('access-control-allow-origin')).toBe(evil);
    const socket = new RawSocket(dev.wsUrl, { origin: evil });
    await socket.init();
    await socket.close();
  });
});
