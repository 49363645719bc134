import { getIntrospectionQuery } from 'graphql';
import { OnMessageAddedDocument, SendMessageDocument } from './generated/graphql';
import { buildOnlineAgent, startChat } from './support/factories';
import { counts, post, RawSocket, sleep, wsOnce } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Contract, "Limits on input": depth > 16, > 30 aliases, > 5000 tokens, more than one operation,
 * HTTP bodies and WebSocket frames over 100 KB: refused before execution, on both transports.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});

/** `__type(name: "Query") { fields { type { ofType { … { name } } } } }`, `depth` levels deep (cheap to run). */
function deepType(depth: number, root = '__type(name: "Query")'): string {
  const wrappers = [root, 'fields', 'type', ...Array(Math.max(0, depth - 4)).fill('ofType')];
  return `{ ${wrappers.map((w) => `${w} {`).join(' ')} name ${'}'.repeat(wrappers.length)} }`;
}

/** The same, under `__schema { queryType { … } } }`, which some depth rules skip as "introspection". */
function deepSchema(depth: number): string {
  const wrappers = ['__schema', 'queryType', 'fields', 'type', ...Array(Math.max(0, depth - 5)).fill('ofType')];
  return `{ ${wrappers.map((w) => `${w} {`).join(' ')} name ${'}'.repeat(wrappers.length)} }`;
}

/** A depth-`depth` query written as a chain of fragments, each spreading the next. */
function deepFragments(depth: number): string {
  const levels = ['fields', 'type', ...Array(Math.max(0, depth - 4)).fill('ofType')];
  const fragments = levels.map((field, i) => {
    const on = i === 1 ? '__Field' : '__Type';
    const inner = i === levels.length - 1 ? 'name' : `...F${i + 1}`;
    return `fragment F${i} on ${on} { ${field} { ${inner} } }`;
  });
  return `{ __type(name: "Query") { ...F0 } } ${fragments.join(' ')}`;
}

const aliasedStartChats = (n: number) =>
  `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: startChat(input: { name: "alias" }) { visitorToken }`).join(' ')} }`;

function expectRefused(errors: Array<{ message: string; extensions?: Record<string, unknown> }> | undefined, pattern: RegExp) {
  expect(errors?.length).toBeGreaterThan(0);
  expect(errors![0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(errors![0].message).toMatch(pattern);
}

describe('query depth', () => {
  it('should refuse a query deeper than 16 over HTTP before execution, with a 400', async () => {
    const response = await post(t, { query: deepType(17) });
    expect(response.status).toBe(400);
    expectRefused(response.json?.errors, /depth/i);
    expect(response.json?.data).toBeUndefined();
  });

  it('should refuse a deep query rooted at __schema too (introspection is not exempt)', async () => {
    const response = await post(t, { query: deepSchema(17) });
    expect(response.status).toBe(400);
    expectRefused(response.json?.errors, /depth/i);
    expect(response.json?.data).toBeUndefined();
  });

  it('should count depth through fragments, so a deep query cannot hide in them', async () => {
    const response = await post(t, { query: deepFragments(17) });
    expectRefused(response.json?.errors, /depth/i);
    expect(response.json?.data).toBeUndefined();
  });

  it('should accept depth 16, written inline or through fragments', async () => {
    for (const query of [deepType(16), deepSchema(16), deepFragments(16)]) {
      const response = await post(t, { query });
      expect(response.json?.errors).toBeUndefined();
      expect(response.status).toBe(200);
    }
  });

  it('should answer the standard introspection query on HTTP and WebSocket', async () => {
    const http = await post(t, { query: getIntrospectionQuery() });
    expect(http.json?.errors).toBeUndefined();
    expect((http.json?.data?.__schema as { types: unknown[] }).types.length).toBeGreaterThan(10);
    const ws = await wsOnce(t, getIntrospectionQuery());
    expect(ws.errors).toEqual([]);
    expect((ws.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(10);
  });

  it('should refuse a deep query over WebSocket with an error for that operation, keeping the socket', async () => {
    const socket = new RawSocket(t.wsUrl);
    await socket.init();
    for (const query of [deepType(17), deepSchema(17), deepFragments(17)]) {
      const result = await socket.run(query);
      expectRefused(result.errors, /depth/i);
      expect(result.next.filter((n) => n.data)).toEqual([]);
    }
    expect(socket.isOpen).toBe(true);
    expect((await socket.run('{ __typename }')).data).toEqual({ __typename: 'Query' });
    await socket.close();
  });
});

describe('aliases', () => {
  it('should refuse more than 30 aliases over HTTP before anything runs', async () => {
    const before = await counts(t);
    const response = await post(t, { query: aliasedStartChats(31) });
    expect(response.status).toBe(400);
    expectRefused(response.json?.errors, /alias/i);
    expect(response.json?.data).toBeUndefined();
    expect(await counts(t)).toEqual(before);
  });

  it('should count aliases inside fragments', async () => {
    const fields = Array.from({ length: 16 }, (_, i) => `m${i}: me { id }`).join(' ');
    const response = await post(t, { query: `{ ...A x: __type(name: "Query") { name } ... on Query { ...A } } fragment A on Query { ${fields} }` });
    // 16 aliases in A, spread twice, plus one: 33.
    expectRefused(response.json?.errors, /alias/i);
  });

  it('should accept 30 aliases', async () => {
    const response = await post(t, { query: `{ ${Array.from({ length: 30 }, (_, i) => `m${i}: me { id }`).join(' ')} }` });
    expect(response.json?.errors).toBeUndefined();
    expect(Object.keys(response.json?.data ?? {})).toHaveLength(30);
  });

  it('should refuse more than 30 aliases over WebSocket, storing nothing', async () => {
    const before = await counts(t);
    const result = await wsOnce(t, aliasedStartChats(31));
    expectRefused(result.errors, /alias/i);
    expect(await counts(t)).toEqual(before);
  });
});

describe('tokens', () => {
  const bloated = `mutation { startChat(input: { name: "tokens" }) { visitorToken ${'__typename '.repeat(5000)} } }`;

  it('should refuse a document of more than 5000 tokens over HTTP, storing nothing', async () => {
    const before = await counts(t);
    const response = await post(t, { query: bloated });
    expect(response.status).toBe(400);
    expectRefused(response.json?.errors, /tokens/i);
    expect(response.json?.data).toBeUndefined();
    expect(await counts(t)).toEqual(before);
  });

  it('should accept a document just under the limit', async () => {
    // About 4980 tokens, mostly a long default list (repeating one field instead trips graphql's own
    // overlap guard). Parsed and validated, it reaches the resolver, which wants a signed-in agent.
    const list = Array.from({ length: 4950 }, () => '"s"').join(' ');
    const response = await post(t, { query: `mutation ($i: UpdateAgentInput! = { skills: [${list}] }) { updateAgent(id: "x", input: $i) { id } }` });
    expect(response.json?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a document of more than 5000 tokens over WebSocket, storing nothing', async () => {
    const before = await counts(t);
    const result = await wsOnce(t, bloated);
    expectRefused(result.errors, /tokens/i);
    expect(await counts(t)).toEqual(before);
  });
});

describe('one operation per request', () => {
  const one = 'mutation { startChat(input: { name: "batch" }) { visitorToken } }';

  it('should refuse a batched HTTP request (a JSON array) without running any of it', async () => {
    const before = await counts(t);
    const response = await post(t, [{ query: one }, { query: one }]);
    expect(response.status).toBe(400);
    const errors = Array.isArray(response.json) ? [] : response.json?.errors;
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await counts(t)).toEqual(before);
  });

  it('should refuse a document with two operations and no operationName, on both transports', async () => {
    const before = await counts(t);
    const query = `mutation A { startChat(input: { name: "a" }) { visitorToken } } mutation B { startChat(input: { name: "b" }) { visitorToken } }`;
    const response = await post(t, { query });
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const ws = await wsOnce(t, query);
    expect(ws.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await counts(t)).toEqual(before);
  });
});

describe('HTTP body size', () => {
  it('should answer 413 to a body over 100 KB, as a GraphQL-shaped error, storing nothing', async () => {
    const before = await counts(t);
    const response = await post(t, { query: 'mutation($i: StartChatInput!) { startChat(input: $i) { visitorToken } }', variables: { i: { name: 'big' } }, extensions: { pad: 'x'.repeat(101 * 1024) } });
    expect(response.status).toBe(413);
    expect(response.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.text).not.toMatch(/at .*\.js|<html|stack/i);
    expect(await counts(t)).toEqual(before);
  });

  it('should answer 413 to a chunked body over 100 KB (no Content-Length), storing nothing', async () => {
    const before = await counts(t);
    const payload = JSON.stringify({ query: 'mutation { startChat(input: { name: "chunked" }) { visitorToken } }', extensions: { pad: 'x'.repeat(101 * 1024) } });
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < payload.length; i += 16 * 1024) controller.enqueue(new TextEncoder().encode(payload.slice(i, i + 16 * 1024)));
        controller.close();
      },
    });
    const response = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await counts(t)).toEqual(before);
  });

  it('should accept a body just under 100 KB', async () => {
    const response = await post(t, { query: '{ __typename }', extensions: { pad: 'x'.repeat(99 * 1024) } });
    expect(response.status).toBe(200);
    expect(response.json?.data).toEqual({ __typename: 'Query' });
  });
});

describe('WebSocket frame size', () => {
  it('should close a socket that sends a frame over 100 KB, run nothing, and leave other sockets alone', async () => {
    const agent = await buildOnlineAgent(t);
    const chat = await startChat(t, { message: 'hi' });
    const bystander = new WsClient(t.wsUrl, chat.token);
    const feed = bystander.subscribe(OnMessageAddedDocument, { sessionId: chat.session.id, afterSeq: 1 });
    await bystander.connected;
    const before = await counts(t);

    // graphql-ws reports the refused frame on the console ("Max payload size exceeded").
    const console_ = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const attacker = new RawSocket(t.wsUrl);
    await attacker.init();
    const padding = 'x'.repeat(101 * 1024);
    attacker.send({ id: 'big', type: 'subscribe', payload: { query: `mutation { startChat(input: { name: "${padding}" }) { visitorToken } }` } });
    const closed = await attacker.closed;
    expect(closed.code).toBe(1009);
    console_.mockRestore();
    expect(attacker.frames.filter((f) => f.id === 'big')).toEqual([]);
    expect(await counts(t)).toEqual(before);

    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'still here' } }, agent.token);
    expect((await feed.next(5000)).messageAdded.body).toBe('still here');
    await bystander.dispose();
    await agent.socket?.dispose();
  });

  it('should accept a frame just under 100 KB', async () => {
    const socket = new RawSocket(t.wsUrl);
    await socket.init();
    const result = await socket.run(`{ __typename ${'__typename '.repeat(10)} }`, { pad: 'x'.repeat(99 * 1024) });
    expect(result.data).toEqual({ __typename: 'Query' });
    await socket.close();
  });
});

describe('connection_init', () => {
  it('should close a socket that sends no connection_init within 3 s with 4408, leaving others open', async () => {
    const other = new RawSocket(t.wsUrl);
    await other.init();
    const idle = new RawSocket(t.wsUrl);
    await idle.opened;
    const started = Date.now();
    const closed = await idle.closed;
    expect(closed.code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(Date.now() - started).toBeLessThan(6000);
    await sleep(100);
    expect(other.isOpen).toBe(true);
    expect((await other.run('{ __typename }')).data).toEqual({ __typename: 'Query' });
    await other.close();
  }, 20000);

  it('should refuse an operation sent before connection_init (4401) without running it', async () => {
    const before = await counts(t);
    const socket = new RawSocket(t.wsUrl);
    await socket.opened;
    socket.start('mutation { startChat(input: { name: "early" }) { visitorToken } }');
    expect((await socket.closed).code).toBe(4401);
    expect(await counts(t)).toEqual(before);
  });
});
