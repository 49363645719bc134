/**
 * One GraphQL pipeline over HTTP: `POST /graphql` may run on graphql-js directly (the direct path,
 * src/http/graphql-post.ts) or through Express and Apollo. A client must not be able to tell which:
 * a fixed corpus of requests (valid, invalid, failing, bad tokens, each Accept variant, GET and
 * POST) goes to a server with the direct path and to one without (same database), and the two
 * answers must agree on status, headers and every byte. The requests real clients send (Apollo
 * Client 4, urql configured as the README says, plain fetch) must take the direct path.
 */
import { startChat, loginSupervisor } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

const AC4_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';
const URQL_ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
const CLIENT_LIBRARY = { clientLibrary: { name: '@apollo/client', version: '4.3.8' } };

interface Request {
  name: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** POST: the body (an object is JSON-encoded); GET: the query-string parameters. */
  body: unknown;
  /** Run on graphql-js directly by the server that has the direct path. */
  direct?: boolean;
}

/** The headers that differ between any two responses (time, connection handling). */
const VOLATILE = new Set(['date', 'connection', 'keep-alive']);

async function send(t: TestServer, request: Request) {
  const get = request.method === 'GET';
  const url = get ? `${t.url}?${new URLSearchParams(request.body as Record<string, string>)}` : t.url;
  const response = await fetch(url, {
    method: request.method ?? 'POST',
    headers: get ? request.headers : { 'content-type': 'application/json', ...request.headers },
    body: get ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
  });
  const headers = [...response.headers].filter(([name]) => !VOLATILE.has(name));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()).toString('utf8') };
}

const directCount = async (t: TestServer) => (await t.app.metrics.operations.get()).values.filter((v) => v.labels.path === 'direct').reduce((sum, v) => sum + v.value, 0);

describe('POST /graphql: the direct path and Apollo answer alike', () => {
  let direct: TestServer;
  let apollo: TestServer;
  let corpus: Request[];

  beforeAll(async () => {
    direct = await startTestServer();
    apollo = await startTestServer({ shareWith: direct, server: { direct: false } });
    const chat = await startChat(direct, { name: 'Corpus', message: 'hello' });
    const supervisor = await loginSupervisor(direct);
    const visitor = { authorization: `Bearer ${chat.token}` };
    const sessionQuery = `query Session($id: ID!) { session(id: $id) { id status lastSeq messages { messages { seq body author } hasMore } } }`;
    const send = `mutation SendMessage($input: SendMessageInput!) { sendMessage(input: $input) { id seq body clientMessageId createdAt } }`;
    // Stored once here, so that sending it again (a retry) answers the same message on both.
    const retry = { input: { sessionId: chat.session.id, body: 'kept once', clientMessageId: 'corpus-retry' } };
    await direct.http.ok(send, retry, chat.token);
    const ac4 = (query: string, operationName: string, variables: Record<string, unknown>) => ({ operationName, variables, extensions: CLIENT_LIBRARY, query });
    corpus = [
      // What real clients send, valid: the direct path.
      { name: 'Apollo Client 4 query', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4(sessionQuery, 'Session', { id: chat.session.id }), direct: true },
      { name: 'Apollo Client 4 sendMessage (a retry)', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4(send, 'SendMessage', retry), direct: true },
      { name: 'urql POST', headers: { accept: URQL_ACCEPT, ...visitor }, body: { query: sessionQuery, operationName: 'Session', variables: { id: chat.session.id } }, direct: true },
      { name: 'plain fetch, no Accept', headers: visitor, body: { query: '{ mySessions { id status } }' }, direct: true },
      { name: 'Accept */*', headers: { accept: '*/*', ...visitor }, body: { query: '{ mySessions { id } }' }, direct: true },
      { name: 'Accept application/json', headers: { accept: 'application/json' }, body: { query: '{ __typename }' }, direct: true },
      { name: 'Accept graphql-response+json', headers: { accept: 'application/graphql-response+json' }, body: { query: '{ __typename }' }, direct: true },
      { name: 'a supervisor', headers: { accept: AC4_ACCEPT, authorization: `Bearer ${supervisor}` }, body: ac4('query Me { me { name role } }', 'Me', {}), direct: true },
      { name: 'CORS origin', headers: { accept: AC4_ACCEPT, origin: 'https://shop.example' }, body: ac4('query T { __typename }', 'T', {}), direct: true },
      { name: 'two operations, one named', headers: visitor, body: { query: 'query A { __typename } query B { mySessions { id } }', operationName: 'B' }, direct: true },
      // Errors during execution: still the direct path.
      { name: 'not signed in', headers: { accept: AC4_ACCEPT }, body: ac4('query Mine { mySessions { id } }', 'Mine', {}), direct: true },
      { name: 'a session that does not exist', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4(send, 'SendMessage', { input: { sessionId: '7b0c2f5e-0f6a-4c1e-9a57-3c4d5e6f7a8b', body: 'x', clientMessageId: 'c' } }), direct: true },
      { name: 'a visitor asking for the queue', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4('query Q { queue { id } }', 'Q', {}), direct: true },
      { name: 'input refused by validation', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4(send, 'SendMessage', { input: { sessionId: chat.session.id, body: '   ', clientMessageId: 'blank' } }), direct: true },
      // Invalid requests: Apollo answers them on both servers.
      { name: 'a syntax error', headers: { accept: AC4_ACCEPT }, body: { query: '{ mySessions { id ' } },
      { name: 'an unknown field', headers: { accept: AC4_ACCEPT }, body: { query: '{ nope }' } },
      { name: 'too deep', body: { query: `{ ${'mySessions { '.repeat(17)} id ${'} '.repeat(17)} }` } },
      { name: 'two operations, no name', body: { query: 'query A { __typename } query B { __typename }' } },
      { name: 'an unknown operation name', body: { query: 'query A { __typename }', operationName: 'B' } },
      { name: 'a variable of the wrong type', headers: visitor, body: { query: sessionQuery, variables: { id: { not: 'an id' } } } },
      { name: 'a missing variable', headers: visitor, body: { query: sessionQuery } },
      { name: 'variables as a string', body: { query: '{ __typename }', variables: '{}' } },
      { name: 'extensions as a string', body: { query: '{ __typename }', extensions: '{}' } },
      { name: 'a persisted query', body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } } },
      { name: 'a subscription over POST', headers: { accept: AC4_ACCEPT, ...visitor }, body: ac4('subscription S($id: ID!) { sessionUpdated(sessionId: $id) { id } }', 'S', { id: chat.session.id }) },
      { name: 'an anonymous subscription over POST', body: { query: 'subscription { queueUpdated { id } }' } },
      { name: 'a batch', body: [{ query: '{ __typename }' }] },
      { name: 'malformed JSON', body: '{"query": ' },
      { name: 'a JSON string', body: '"{ __typename }"' },
      { name: 'an empty object', body: {} },
      { name: 'an unknown body key', body: { query: '{ __typename }', id: 'x' } },
      { name: 'Accept text/html', headers: { accept: 'text/html' }, body: { query: '{ __typename }' } },
      { name: 'Accept with a callback', headers: { accept: 'application/json; callbackSpec=1.0' }, body: { query: '{ __typename }' } },
      // Bad tokens: 401 from Apollo on both.
      { name: 'a garbage token', headers: { accept: AC4_ACCEPT, authorization: 'Bearer garbage' }, body: ac4('query T { __typename }', 'T', {}) },
      { name: 'a tampered token', headers: { authorization: `Bearer ${chat.token.slice(0, -2)}xx` }, body: { query: '{ mySessions { id } }' } },
      { name: 'not a bearer', headers: { authorization: 'Basic Zm9vOmJhcg==' }, body: { query: '{ __typename }' } },
      // GET: Express and Apollo on both servers.
      { name: 'GET with the preflight header', method: 'GET', headers: { 'apollo-require-preflight': 'true', ...visitor }, body: { query: '{ mySessions { id } }' } },
      { name: "GET as urql sends it by default (CSRF)", method: 'GET', headers: { accept: URQL_ACCEPT }, body: { query: '{ __typename }' } },
      { name: 'GET of a mutation', method: 'GET', headers: { 'apollo-require-preflight': 'true' }, body: { query: 'mutation { closeChat(sessionId: "x") { id } }' } },
      { name: 'GET of a subscription', method: 'GET', headers: { 'apollo-require-preflight': 'true' }, body: { query: 'subscription { queueUpdated { id } }' } },
      { name: 'a text/plain POST (CSRF)', headers: { 'content-type': 'text/plain' }, body: { query: '{ __typename }' } },
    ];
  });

  afterAll(async () => {
    await apollo?.close();
    await direct?.close();
  });

  it('should answer every request of the corpus with the same status, headers and bytes on both paths', async () => {
    const differences: string[] = [];
    for (const request of corpus) {
      const [a, b] = [await send(direct, request), await send(apollo, request)];
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${request.name}:\n  direct ${JSON.stringify(a)}\n  apollo ${JSON.stringify(b)}`);
    }
    expect(differences).toEqual([]);
  });

  it("should run real clients' valid requests on the direct path, and nothing else", async () => {
    for (const request of corpus) {
      const before = await directCount(direct);
      await send(direct, request);
      expect({ name: request.name, direct: (await directCount(direct)) - before }).toEqual({ name: request.name, direct: request.direct ? 1 : 0 });
    }
    expect(await directCount(apollo)).toBe(0);
  });

  it('should serve urql as the README configures it, and refuse its default GET as CSRF', async () => {
    const query = { query: '{ __typename }' };
    const byDefault = await send(direct, { name: 'urql default', method: 'GET', headers: { accept: URQL_ACCEPT }, body: query });
    expect(byDefault.status).toBe(400);
    expect(JSON.parse(byDefault.body).errors[0]).toEqual(expect.objectContaining({ message: expect.stringMatching(/Cross-Site Request Forgery/), extensions: { code: 'BAD_USER_INPUT' } }));
    const configured: Request[] = [
      { name: 'urql, preferGetMethod: false', headers: { accept: URQL_ACCEPT }, body: query },
      { name: "urql, fetchOptions: { headers: { 'apollo-require-preflight': 'true' } }", method: 'GET', headers: { accept: URQL_ACCEPT, 'apollo-require-preflight': 'true' }, body: query },
      { name: 'Apollo Client, useGETForQueries with the preflight header', method: 'GET', headers: { accept: AC4_ACCEPT, 'apollo-require-preflight': 'true' }, body: { ...query, extensions: JSON.stringify(CLIENT_LIBRARY) } },
    ];
    for (const request of configured) {
      const response = await send(direct, request);
      expect({ name: request.name, status: response.status, body: JSON.parse(response.body) }).toEqual({ name: request.name, status: 200, body: { data: { __typename: 'Query' } } });
    }
  });

  it('should refuse a subscription over HTTP with BAD_USER_INPUT, logging nothing above debug', async () => {
    const logged = ['warn', 'error'].map((level) => jest.spyOn(direct.app.logger, level as 'warn' | 'error'));
    const subscription = corpus.filter((r) => r.name.includes('subscription over POST'));
    for (const request of subscription) {
      const response = await send(direct, request);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).errors).toEqual([
        expect.objectContaining({ message: 'subscriptions are served over WebSocket at /graphql.', extensions: { code: 'BAD_USER_INPUT' } }),
      ]);
    }
    for (const spy of logged) expect(spy).not.toHaveBeenCalled();
  });
});
