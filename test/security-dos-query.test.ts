import { randomUUID } from 'node:crypto';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { attackTarget, flood, floodInChild, measureAttack, NORMAL_P95_MS, post, RawSocket } from './support/security';
import type { Target } from './support/factories';

/**
 * Documents cheap to send and dear to check or to answer (Hardening II, items 1 and 3, and the
 * document cache and nesting of "Also"), replayed against a real server process on loopback.
 * Each asserts the refusal, and that a normal client's query meanwhile stays fast.
 */
let cluster: Cluster;
let server: Instance;
let t: Target;
let visitor: string;
let sessionId: string;

let probe: () => Promise<void>;

beforeAll(async () => {
  cluster = await startCluster({ count: 1 });
  ({ server, t, token: visitor, sessionId, probe } = await attackTarget(cluster));
}, 60_000);


const codes = (response: { json?: { errors?: Array<{ extensions?: { code?: unknown } }> } }) => response.json?.errors?.map((e) => e.extensions?.code);

describe('field duplication: { me { id } × 1240 }', () => {
  const duplicated = `{ ${Array.from({ length: 1240 }, () => 'me { id }').join(' ')} }`;

  it('should refuse it over HTTP before graphql-js compares the fields, and keep a normal query fast while three clients loop on it', async () => {
    expect(duplicated.length).toBeLessThan(13_000);
    const first = await post(t, { query: duplicated });
    expect(first.status).toBe(400);
    expect(codes(first)).toEqual(['BAD_USER_INPUT']);
    expect(first.json?.errors?.[0].message).toMatch(/selects 2480 fields; the limit is 500/);

    let counts: Record<string, number> = {};
    const measure = await measureAttack(
      'field duplication over HTTP, 3 clients for 3 s',
      server.pid,
      async () => (counts = await floodInChild(t.url, { body: { query: duplicated }, concurrency: 3, ms: 3000 })),
      probe,
    );
    console.log(`[dos] field duplication answers: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts)).toEqual(['BAD_USER_INPUT']);
    expect(counts.BAD_USER_INPUT).toBeGreaterThan(30);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
  });

  it('should refuse it over WebSocket with an error frame per subscribe, the socket staying open and the event loop free', async () => {
    const socket = new RawSocket(t.wsUrl);
    try {
      await socket.init();
      const measure = await measureAttack(
        'field duplication over WebSocket, 100 frames',
        server.pid,
        async () => {
          const ids = Array.from({ length: 100 }, () => socket.start(duplicated));
          for (const id of ids) await socket.waitFor((f) => f.id === id && f.type === 'error', 10_000);
        },
        probe,
      );
      const errors = socket.frames.filter((f) => f.type === 'error').map((f) => (f.payload as Array<{ extensions?: { code?: string } }>)[0].extensions?.code);
      expect(errors).toHaveLength(100);
      expect(new Set(errors)).toEqual(new Set(['BAD_USER_INPUT']));
      expect(socket.isOpen).toBe(true);
      expect((await socket.run('{ __typename }')).data).toEqual({ __typename: 'Query' });
      expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    } finally {
      await socket.close();
    }
  });

  it('should refuse 51 directives (GraphQL Armor max-directives)', async () => {
    const response = await post(t, { query: `{ __typename ${'@include(if: true) '.repeat(51)}}` });
    expect(response.status).toBe(400);
    expect(response.json?.errors?.[0].message).toMatch(/Directives limit of 50 exceeded/);
  });
});

describe('response amplification: 30 aliases × messages(limit: 200) of 4,000 × U+0001', () => {
  const body = '\u0001'.repeat(4000);
  const amplified = `query { session(id: "${randomUUID()}") { ${Array.from({ length: 30 }, (_, i) => `m${i}: messages(limit: 200) { messages { body } }`).join(' ')} } }`;

  beforeAll(async () => {
    // 200 messages of the largest body, each 24 KB in JSON.
    await flood(200, 8, () => t.http.ok('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { sessionId, body } }, visitor));
  }, 60_000);

  it('should refuse the query (2 KB asking for 143 MB) with a limit naming the size, while eight at once leave memory and a normal query alone', async () => {
    const query = amplified.replace(/session\(id: "[^"]+"\)/, `session(id: "${sessionId}")`);
    expect(query.length).toBeLessThan(2500);
    let refusals = 0;
    const measure = await measureAttack(
      'response amplification, 8 concurrent × 5',
      server.pid,
      () =>
        flood(40, 8, async () => {
          const response = await post(t, { query }, { authorization: `Bearer ${visitor}` });
          expect(response.status).toBe(400);
          expect(response.json?.errors?.[0].message).toMatch(/could answer up to 1\d\d\.\d MB .*the limit is 6\.0 MB/);
          refusals++;
        }),
      probe,
    );
    expect(refusals).toBe(40);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    expect(measure.rssMb.peak - measure.rssMb.before).toBeLessThan(100);
  });

  it('should still answer one full page: 200 of those messages, 4.7 MB', async () => {
    const response = await post(t, { query: `{ session(id: "${sessionId}") { messages(limit: 200) { messages { seq body } } } }` }, { authorization: `Bearer ${visitor}` });
    expect(response.status).toBe(200);
    expect((response.json?.data as { session: { messages: { messages: unknown[] } } }).session.messages.messages).toHaveLength(200);
    expect(response.text.length).toBeGreaterThan(4_700_000);
  });

  it('should refuse the same over WebSocket', async () => {
    const socket = new RawSocket(t.wsUrl);
    try {
      await socket.init(visitor);
      const result = await socket.run(amplified.replace(/session\(id: "[^"]+"\)/, `session(id: "${sessionId}")`));
      expect(result.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors[0].message).toMatch(/the limit is 6\.0 MB/);
    } finally {
      await socket.close();
    }
  });
});

describe('the document cache', () => {
  const hits = async () => {
    const { body } = await server.get('/metrics');
    return Number(/switchboard_document_cache_total\{result="hit"\} (\d+)/.exec(body)?.[1] ?? 0);
  };

  it('should evict the least recently used: after 1,100 junk documents, a new one is cached and a normal query stays fast', async () => {
    const measure = await measureAttack(
      'document cache, 1,100 distinct junk documents',
      server.pid,
      () => flood(1100, 4, (i) => post(t, { query: `{ junk${i}: __typename }` })),
      probe,
    );
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    const query = `{ fresh${randomUUID().slice(0, 8)}: __typename }`;
    expect((await post(t, { query })).status).toBe(200);
    const before = await hits();
    expect((await post(t, { query })).status).toBe(200);
    expect(await hits()).toBe(before + 1);
  });
});

describe('nesting', () => {
  const deep = `{ session(id: "x") { messages(limit: ${'['.repeat(2000)}1${']'.repeat(2000)}) { hasMore } } }`;

  it('should answer a 2,000-deep list literal with a clean BAD_USER_INPUT over HTTP, never a stack overflow', async () => {
    const response = await post(t, { query: deep });
    expect(response.status).toBe(400);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.json?.errors?.[0].message).toMatch(/nests brackets over 999 deep; the limit is 64/);
    expect(response.text).not.toMatch(/call stack/i);
  });

  it('should answer the same over WebSocket, and in a GET query string', async () => {
    const socket = new RawSocket(t.wsUrl);
    try {
      await socket.init();
      const result = await socket.run(deep);
      expect(result.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors[0].message).toMatch(/the limit is 64/);
    } finally {
      await socket.close();
    }
    const get = `{ __typename(x: ${'['.repeat(1000)}1${']'.repeat(1000)}) }`;
    const response = await fetch(`${t.url}?${new URLSearchParams({ query: get })}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/the limit is 64/);
  });
});
