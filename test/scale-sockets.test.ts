import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import WebSocket from 'ws';
import { AgentsDocument, OnMessageAddedDocument, OnTypingDocument, SendMessageDocument } from './generated/graphql';
import { startCluster, TcpProxy, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildActiveChat, buildAgent, connect, loginSupervisor, startChat, waitFor, uniqueSkill } from './support/factories';
import { leave } from './support/leftovers';
import { WsClient } from './support/ws';

/**
 * Sockets that misbehave, against real server processes: a subscriber that stops reading (it must
 * not grow the server's memory without bound) and a connection that goes silent (half-open: the
 * keepalive must reap it, with its subscriptions and Redis channel references).
 */
jest.setTimeout(180_000);

let cluster: Cluster;
let patient: Instance; // keepalive long enough not to interfere with the slow-consumer test
let reaper: Instance; // keepalive of 2 s
let redis: Redis;

beforeAll(async () => {
  cluster = await startCluster({ count: 1, env: { WS_KEEPALIVE_SECONDS: '120' } });
  patient = cluster.instances[0];
  reaper = await cluster.add({ WS_KEEPALIVE_SECONDS: '2' });
  redis = new Redis(cluster.redisUrl, { lazyConnect: true });
  leave(() => redis.disconnect());
  await redis.connect();
});



/** A graphql-transport-ws client by hand, so the test can stop it reading or cut its network. */
class RawSocket {
  readonly frames: Array<{ id?: string; type: string; payload?: unknown }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString())));
    ws.on('error', () => undefined);
  }

  static async open(url: string, token: string): Promise<RawSocket> {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    const socket = new RawSocket(ws);
    leave(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await waitFor(async () => socket.frames.some((f) => f.type === 'connection_ack'), 10_000);
    return socket;
  }

  subscribe(document: Parameters<typeof print>[0], variables: Record<string, unknown>): string {
    const id = randomUUID();
    this.ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: print(document), variables } }));
    return id;
  }
}

async function metric(instance: Instance, name: string): Promise<number> {
  const { body } = await instance.get('/metrics');
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(body);
  if (!match) throw new Error(`no metric ${name}`);
  return Number(match[1]);
}

async function listeners(channel: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', `${cluster.redisPrefix}${channel}`)) as [string, number];
  return Number(reply[1]);
}

describe('a subscriber that reads slower than its chat moves', () => {
  it('should be closed once it falls too far behind, its subscription freed, and then resume by seq with nothing lost', async () => {
    const { agent, session, visitor } = await buildActiveChat(patient);
    // Its network passes 16 KB/s from the server; the agent writes long messages as fast as it can.
    const network = new TcpProxy('127.0.0.1', patient.port);
    await network.listen();
    try {
      const slow = await RawSocket.open(`ws://127.0.0.1:${network.port}/graphql`, visitor);
      slow.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
      const send = (body: string) => patient.http.ok(SendMessageDocument, { input: { sessionId: session.id, body } }, agent.token);
      await send('are you there?');
      await waitFor(async () => slow.frames.some((f) => f.type === 'next'), 10_000);
      const socketsBefore = await metric(patient, 'switchboard_websockets_open');
      const subscriptionsBefore = await metric(patient, 'switchboard_subscriptions_active');
      const rssBefore = await metric(patient, 'switchboard_process_process_resident_memory_bytes');
      expect(await listeners(`message.created:${session.id}`)).toBe(1);

      network.throttle(16 * 1024);
      const body = 'x'.repeat(4000);
      let sent = 1;
      let behind = false;
      while (!behind && sent < 8000) {
        await Promise.all(Array.from({ length: 10 }, () => send(body)));
        sent += 10;
        if (sent % 100 === 1) behind = (await metric(patient, 'switchboard_subscriptions_active')) < subscriptionsBefore;
      }
      // Its stream fell too far behind: the server let go of it, and of its socket.
      expect(behind).toBe(true);
      await waitFor(async () => (await metric(patient, 'switchboard_websockets_open')) < socketsBefore, 15_000, 100);
      const rssAfter = await metric(patient, 'switchboard_process_process_resident_memory_bytes');
      console.log(
        `slow consumer: dropped after ${sent} messages of 4 KB (~${Math.round((sent * 4) / 1024)} MB sent); ` +
          `server RSS ${Math.round(rssBefore / 2 ** 20)} MB -> ${Math.round(rssAfter / 2 ** 20)} MB`,
      );
      // Its subscription and Redis channel reference went with it.
      expect(await metric(patient, 'switchboard_subscriptions_active')).toBe(subscriptionsBefore - 1);
      await waitFor(async () => (await listeners(`message.created:${session.id}`)) === 0, 10_000);
      // Once what was in flight reaches it, it finds its socket closed: 1013 (try again later), or
      // cut, if even the close frame could not get through in time.
      await network.restore();
      expect([1013, 1006]).toContain((await slow.closed).code);

      // It reconnects and resumes from the last seq it got: nothing is lost.
      const seen = slow.frames
        .filter((f) => f.type === 'next')
        .map((f) => (f.payload as { data: { messageAdded: { seq: number } } }).data.messageAdded.seq);
      const last = seen[seen.length - 1];
      expect(seen).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      const [{ last_seq: total }] = await sql<{ last_seq: number }>(cluster.databaseUrl, 'select last_seq from chat_session where id = $1', [session.id]);
      expect(total).toBe(sent);
      const again = await connect(patient, visitor);
      const resumed = again.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: last });
      const rest = await resumed.take(total - last, 30_000);
      expect(rest.map((m) => m.messageAdded.seq)).toEqual(Array.from({ length: total - last }, (_, i) => last + i + 1));
      await resumed.expectQuiet(300);
    } finally {
      await network.close();
    }
  });
});

describe('a connection that goes silent (half-open)', () => {
  it('should be reaped by the keepalive, freeing its subscriptions, Redis channels and presence', async () => {
    const skill = uniqueSkill();
    const agent = await buildAgent(reaper, { skills: [skill] });
    await reaper.http.ok(`mutation { setStatus(status: ONLINE) { id } }`, undefined, agent.token);
    const { session, token: visitor } = await startChat(reaper, { skill });
    const supervisor = await loginSupervisor(patient);

    // Both reach the reaper through a network the test can cut.
    const network = new TcpProxy('127.0.0.1', reaper.port);
    await network.listen();
    const url = `ws://127.0.0.1:${network.port}/graphql`;
    try {
      const agentConsole = await RawSocket.open(url, agent.token);
      await waitFor(async () => (await patient.http.ok(AgentsDocument, {}, supervisor)).agents.find((x) => x.id === agent.id)?.online, 10_000);
      // The chat started before the agent was online: it is routed to it now.
      await waitFor(async () => {
        const rows = await sql<{ agent_id: string }>(cluster.databaseUrl, 'select agent_id from chat_session where id = $1', [session.id]);
        return rows[0]?.agent_id === agent.id;
      }, 10_000);
      const widget = await RawSocket.open(url, visitor);
      widget.subscribe(OnMessageAddedDocument, { sessionId: session.id });
      widget.subscribe(OnTypingDocument, { sessionId: session.id });
      agentConsole.subscribe(OnMessageAddedDocument, { sessionId: session.id });
      await waitFor(async () => (await listeners(`message.created:${session.id}`)) === 1 && (await listeners(`typing.changed:${session.id}`)) === 1, 10_000);
      const open = await metric(reaper, 'switchboard_websockets_open');
      const subscriptions = await metric(reaper, 'switchboard_subscriptions_active');
      expect(open).toBeGreaterThanOrEqual(2);
      expect(subscriptions).toBeGreaterThanOrEqual(3);

      network.blackhole();
      const cut = Date.now();
      await waitFor(async () => (await metric(reaper, 'switchboard_websockets_open')) === open - 2, 30_000, 100);
      const reapedMs = Date.now() - cut;
      await waitFor(async () => (await metric(reaper, 'switchboard_subscriptions_active')) <= subscriptions - 3, 10_000);
      expect(await listeners(`message.created:${session.id}`)).toBe(0);
      expect(await listeners(`typing.changed:${session.id}`)).toBe(0);
      // The agent whose only console it was goes offline for everyone after the grace period.
      await waitFor(async () => (await patient.http.ok(AgentsDocument, {}, supervisor)).agents.find((x) => x.id === agent.id)?.online === false, 15_000);
      console.log(`half-open: reaped ${reapedMs} ms after the network went silent (keepalive 2 s)`);
    } finally {
      await network.close();
    }
    // Others carry on.
    const other: WsClient = await connect(reaper, visitor);
    const feed = other.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await reaper.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'still here' } }, visitor);
    expect((await feed.next(10_000)).messageAdded.body).toBe('still here');
  });
});
