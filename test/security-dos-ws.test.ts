import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import path from 'node:path';
import { startCluster, TcpProxy, type Cluster, type Instance } from './support/cluster';
import { buildActiveChat, waitFor, type Target } from './support/factories';
import type { WsClient } from './support/ws';
import { createTestDatabase, sql } from './support/env';
import { attackTarget, flood, floodInChild, measureAttack, NORMAL_P95_MS, RawSocket, sleep } from './support/security';

/**
 * One visitor against everyone else (Hardening II, items 2 and 5): subscriptions without end,
 * subscribe/complete churn, replays of a large transcript, one read per event per subscription,
 * and a setTyping flood aimed at the agent's console. Replayed against a real server process on loopback, with the default limits
 * (WS_MAX_SUBSCRIPTIONS 100, WS_SUBSCRIBE_RATE 200:600).
 */
let cluster: Cluster;
let database: { url: string; drop(): Promise<void> };
/** Between the server and Postgres: counts what the server sends it. */
let postgres: TcpProxy;
let server: Instance;
let t: Target;
let visitor: string;
let sessionId: string;

let probe: () => Promise<void>;
const TYPING = 'subscription ($id: ID!) { typing(sessionId: $id) { typing } }';

async function metric(name: string): Promise<number> {
  const { body } = await server.get('/metrics');
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  if (!match) throw new Error(`${name} missing from /metrics`);
  return Number(match[1]);
}

/**
 * A reader of its own (argv: url, token, sessionId): 300 messageAdded(afterSeq: 0) on one socket,
 * reading everything until 2 s pass with nothing new (at most 40 s); prints what it got as JSON.
 */
const REPLAY_READER = `
const WebSocket = require('ws');
const [url, token, id] = process.argv.slice(1);
const ws = new WebSocket(url, 'graphql-transport-ws');
const report = { bytes: 0, nexts: 0, refused: [] };
const query = 'subscription ($id: ID!) { messageAdded(sessionId: $id, afterSeq: 0) { seq body } }';
ws.on('message', (data) => {
  report.bytes += data.length;
  const head = data.subarray(0, 40).toString();
  if (head.includes('"type":"next"')) report.nexts++;
  else if (head.includes('"type":"error"')) report.refused.push(data.toString());
  else if (head.includes('connection_ack')) for (let i = 0; i < 300; i++) ws.send(JSON.stringify({ id: 'r' + i, type: 'subscribe', payload: { query, variables: { id } } }));
});
ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + token } })));
const started = Date.now();
let seen = -1;
const done = () => { process.stdout.write(JSON.stringify(report)); process.exit(0); };
ws.on('close', done);
setInterval(() => { if (report.nexts === seen || Date.now() - started > 40000) done(); seen = report.nexts; }, 2000);
`;

const errorCode = (frame: { payload?: unknown }) => (frame.payload as Array<{ extensions?: { code?: string }; message: string }>)[0];

beforeAll(async () => {
  // Rate limits on, as in production, with room for the set-up's own sends.
  database = await createTestDatabase();
  postgres = await TcpProxy.to(database.url);
  cluster = await startCluster({
    count: 1,
    databaseUrl: postgres.rewrite(database.url),
    env: { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '1000:6000', RATE_START_CHAT: '1000:1000' },
  });
  ({ server, t, token: visitor, sessionId, probe } = await attackTarget(cluster));
}, 60_000);


/**
 * One visitor socket sends what `flood` writes, then the test waits 3 s, measured as an attack
 * (the normal client's probe meanwhile); `check` sees the socket still open, then it is closed.
 */
async function floodOneSocket(label: string, flood: (socket: RawSocket) => void, check: (socket: RawSocket, measure: Awaited<ReturnType<typeof measureAttack>>) => Promise<void>) {
  const socket = new RawSocket(t.wsUrl);
  try {
    await socket.init(visitor);
    const measure = await measureAttack(
      label,
      server.pid,
      async () => {
        flood(socket);
        await sleep(3000);
      },
      probe,
    );
    await check(socket, measure);
  } finally {
    await socket.close();
  }
}

describe('subscriptions per socket', () => {
  it('should hold at most 100 of 10,000 typing subscriptions on one socket, refuse the excess by name, keep the socket and everyone else fast', async () => {
    const before = await metric('switchboard_subscriptions_active');
    await floodOneSocket('10,000 typing subscriptions on one socket (3 s)', (socket) => {
      for (let i = 0; i < 10_000; i++) socket.start(TYPING, { id: sessionId });
    }, async (socket, measure) => {
      const errors = socket.frames.filter((f) => f.type === 'error').map(errorCode);
      const byLimit = errors.filter((e) => e.extensions?.code === 'BAD_USER_INPUT');
      expect(byLimit.length).toBeGreaterThan(0);
      expect(byLimit[0].message).toMatch(/already holds 100 subscriptions \(WS_MAX_SUBSCRIPTIONS\)/);
      // Every other frame is answered, and cheaply: refused by the frame rate before any document is looked at.
      expect(errors).toHaveLength(9_900);
      expect(errors.filter((e) => e.extensions?.code === 'RATE_LIMITED').length).toBeGreaterThan(9_000);
      expect(measure.cpuMs).toBeLessThan(2000);
      expect(await metric('switchboard_subscriptions_active')).toBe(before + 100);
      expect(socket.isOpen).toBe(true);
      expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
      expect(measure.rssMb.peak - measure.rssMb.before).toBeLessThan(100);
    });
    // Closing the socket frees all of them.
    await sleep(300);
    expect(await metric('switchboard_subscriptions_active')).toBe(before);
  });

  it('should rate-limit 20,000 subscribe/complete pairs, the server spending little CPU on them', async () => {
    await floodOneSocket('20,000 subscribe/complete pairs (3 s)', (socket) => {
      for (let i = 0; i < 20_000; i++) socket.send({ id: socket.start(TYPING, { id: sessionId }), type: 'complete' });
    }, async (socket, measure) => {
      expect(socket.isOpen).toBe(true);
      expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
      expect(measure.cpuMs).toBeLessThan(1500);
    });
  });
});

describe('replays', () => {
  beforeAll(async () => {
    // 199 messages of the largest body (4,000 × U+0001: 24 KB each in JSON).
    const body = '\u0001'.repeat(4000);
    await flood(198, 8, () => t.http.ok('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { sessionId, body } }, visitor));
  }, 60_000);

  it('should bound what 300 messageAdded(afterSeq: 0) on a 199-message session hold and send, the reader getting whole streams', async () => {
    // The reader runs in a process of its own: receiving hundreds of MB would otherwise slow this
    // process's probe, not the server's.
    let report = { bytes: 0, nexts: 0, refused: [] as string[] };
    const measure = await measureAttack(
      '300 replays of a 199-message session of 24 KB messages',
      server.pid,
      async () => {
        const child = spawn(process.execPath, ['-e', REPLAY_READER, t.wsUrl, visitor, sessionId], { cwd: path.resolve(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        await new Promise((resolve) => child.once('exit', resolve));
        report = JSON.parse(out) as typeof report;
      },
      probe,
    );
    console.log(`[dos] replays: ${report.nexts} messages, ${(report.bytes / 2 ** 20).toFixed(0)} MB sent, ${report.refused.length} subscriptions refused`);
    // 100 streams at most, each of the 199 messages once.
    expect(report.refused.length).toBe(200);
    expect(report.refused[0]).toMatch(/WS_MAX_SUBSCRIPTIONS/);
    expect(report.nexts).toBeLessThanOrEqual(100 * 199);
    expect(report.bytes).toBeLessThan(100 * 199 * 24_100 + 1_000_000);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    expect(measure.rssMb.peak - measure.rssMb.before).toBeLessThan(200);
  }, 60_000);
});

describe('one read per event per instance', () => {
  it('should read the session once per markRead for 99 sessionUpdated subscriptions, not once per subscription', async () => {
    const socket = new RawSocket(t.wsUrl);
    await flood(40, 4, () => t.http.ok('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { sessionId, body: 'read me' } }, visitor));
    const [{ last_seq: last }] = await sql<{ last_seq: number }>(database.url, 'select last_seq from chat_session where id = $1', [sessionId]);
    const markReads = async (from: number) => {
      const before = postgres.bytesUp;
      for (let seq = from; seq < from + 20; seq++) {
        await t.http.ok('mutation ($id: ID!, $seq: Int!) { markRead(sessionId: $id, seq: $seq) { id } }', { id: sessionId, seq }, visitor);
      }
      await sleep(300);
      return postgres.bytesUp - before;
    };
    try {
      // Alone, 20 markRead send Postgres this much.
      const alone = await markReads(last - 40);
      await socket.init(visitor);
      const ids = Array.from({ length: 99 }, () => socket.start('subscription ($id: ID!) { sessionUpdated(sessionId: $id) { visitorReadSeq } }', { id: sessionId }));
      await sleep(500);
      const watched = await markReads(last - 20);
      await socket.waitFor((f) => f.id === ids[98] && JSON.stringify(f.payload).includes(`"visitorReadSeq":${last - 1}`), 10_000);
      console.log(`[dos] 20 markRead: ${alone} bytes to Postgres alone, ${watched} with 99 sessionUpdated subscriptions`);
      expect(ids.every((id) => socket.events(id).length === 20)).toBe(true);
      // One read per event for all 99 (about a third more than alone), not 99 (about 30 times more).
      expect(watched).toBeLessThan(alone * 2);
    } finally {
      await socket.close();
    }
  });
});

describe('a visitor flooding setTyping', () => {
  it("should neither disconnect its agent nor fill the agent's feed: typing is rate-limited and coalesced", async () => {
    const chat = await buildActiveChat(t);
    const agentConsole = chat.agent.socket as WsClient;
    let closed: { code: number } | undefined;
    void agentConsole.closed.then((c) => (closed = c));
    const OnTyping = 'subscription ($id: ID!) { typing(sessionId: $id) { typing } }';
    const OnMessage = 'subscription ($id: ID!) { messageAdded(sessionId: $id) { seq body } }';
    const typing: unknown[] = [];
    const messages: unknown[] = [];
    const subscribe = (query: string, into: unknown[]) =>
      agentConsole.client.subscribe({ query, variables: { id: chat.session.id } }, { next: (v) => into.push(v.data), error: () => undefined, complete: () => undefined });
    subscribe(OnTyping, typing);
    subscribe(OnMessage, messages);
    await sleep(300);
    let answers: Record<string, number> = {};
    const agentProbe = async () => {
      const { data } = await t.http.request(`query { session(id: "${chat.session.id}") { id status } }`, undefined, chat.agent.token);
      if ((data as { session?: { status: string } } | null)?.session?.status !== 'ACTIVE') throw new Error("the agent's query failed");
    };
    const measure = await measureAttack(
      '30 concurrent setTyping loops for 4 s',
      server.pid,
      async () => {
        const body = { query: `mutation { setTyping(sessionId: "${chat.session.id}", typing: %bool%) }` };
        answers = await floodInChild(t.url, { body, headers: { authorization: `Bearer ${chat.visitor}` }, concurrency: 30, ms: 4000 });
      },
      agentProbe,
    );
    await sleep(1500); // the last coalescing window closes
    console.log(`[dos] typing flood: answers ${JSON.stringify(answers)}; the agent got ${typing.length} typing events`);
    expect(answers.OK).toBeLessThanOrEqual(10 + 2 * 4 + 2); // the burst, then 2 a second
    expect(answers.RATE_LIMITED).toBeGreaterThan(100);
    // At most two events per coalescing window (1 s) reached the agent.
    expect(typing.length).toBeGreaterThan(0);
    expect(typing.length).toBeLessThanOrEqual(2 * 6);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    // Its console socket is healthy: still open, and the next message arrives.
    expect(closed).toBeUndefined();
    await t.http.ok('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { sessionId: chat.session.id, body: 'still there?' } }, chat.visitor);
    await waitFor(async () => messages.some((m) => (m as { messageAdded: { body: string } }).messageAdded.body === 'still there?'), 5000);
    await agentConsole.dispose();
  }, 30_000);
});

describe('a stream that falls behind on the server side', () => {
  it('should end only that subscription when its socket is drained, never the healthy socket', async () => {
    const socket = new RawSocket(t.wsUrl);
    const redis = new Redis(cluster.redisUrl);
    try {
      await socket.init(visitor);
      const behind = socket.start('subscription ($id: ID!) { sessionUpdated(sessionId: $id) { id } }', { id: sessionId });
      await sleep(300);
      // Postgres answers slowly (each event's read waits), and 1,500 updates arrive at once from
      // other instances: the stream falls 1,000 events behind while its socket has sent everything.
      postgres.throttle(20_000);
      const burst = redis.pipeline();
      for (let i = 0; i < 1500; i++) burst.publish(`${cluster.redisPrefix}session.updated:${sessionId}`, JSON.stringify({ sessionId }));
      await burst.exec();
      const ended = await socket.waitFor((f) => f.id === behind && f.type === 'error', 20_000);
      await postgres.restore();
      expect((ended.payload as Array<{ extensions?: Record<string, unknown> }>)[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: true });
      // The socket stays, and serves: a query, and a new subscription that gets its event.
      expect(socket.isOpen).toBe(true);
      expect((await socket.run('{ __typename }')).data).toEqual({ __typename: 'Query' });
      const again = socket.start('subscription ($id: ID!) { sessionUpdated(sessionId: $id) { visitorReadSeq } }', { id: sessionId });
      await sleep(300);
      await t.http.ok('mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { sessionId, body: 'after the burst' } }, visitor);
      const [{ last_seq: last }] = await sql<{ last_seq: number }>(database.url, 'select last_seq from chat_session where id = $1', [sessionId]);
      await t.http.ok('mutation ($id: ID!, $seq: Int!) { markRead(sessionId: $id, seq: $seq) { id } }', { id: sessionId, seq: last }, visitor);
      await socket.waitFor((f) => f.id === again && f.type === 'next' && JSON.stringify(f.payload).includes(`"visitorReadSeq":${last}`), 5000);
      expect(socket.isOpen).toBe(true);
    } finally {
      await postgres.restore();
      redis.disconnect();
      await socket.close();
    }
  }, 40_000);
});
