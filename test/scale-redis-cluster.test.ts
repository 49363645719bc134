import { randomUUID } from 'node:crypto';
import { OnMessageAddedDocument, SendMessageDocument, TranscriptDocument } from './generated/graphql';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { buildActiveChat, buildOnlineAgent, connect, startChat, uniqueSkill, waitFor } from './support/factories';
import { runUntilExit } from './support/process';
import { RedisCluster } from './support/redis-cluster';

/**
 * REDIS_CLUSTER_NODES: two real instances on a 3-master Redis Cluster the test starts itself
 * (test/support/redis-cluster.ts). Live messages cross instances over sharded pub/sub, presence
 * and rate-limit buckets are shared through the cluster, and chats go on when a master dies and
 * comes back.
 */
jest.setTimeout(180_000);

let redis: RedisCluster;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  redis = await RedisCluster.start({ masters: 3 });
  cluster = await startCluster({ count: 2, env: { REDIS_URL: '', REDIS_CLUSTER_NODES: redis.nodes } });
  [a, b] = cluster.instances;
});

async function send(through: Instance, token: string, sessionId: string, body: string, clientMessageId: string = randomUUID()) {
  const result = await through.http.request(SendMessageDocument, { input: { sessionId, body, clientMessageId } }, token);
  const error = result.errors?.[0];
  return result.data?.sendMessage ? { ok: true as const, seq: result.data.sendMessage.seq } : { ok: false as const, code: error?.extensions?.code };
}

/** Subscribers of a sharded channel on the master that owns its slot. */
function shardSubscribers(channel: string): number {
  const reply = redis.cli(redis.masterOf(channel), 'pubsub', 'shardnumsub', channel).trim().split('\n');
  return Number(reply[1] ?? 0);
}

/**
 * An ACTIVE chat (agent on A, visitor on B) whose visitor follows it on B, once its sharded
 * channel is subscribed. The session's topics are hash-tagged by its id: one channel, on the
 * shard that owns the id.
 */
async function chatFollowedOnB() {
  const chat = await buildActiveChat(a, { via: b });
  const live = (await connect(b, chat.visitor)).subscribe(OnMessageAddedDocument, { sessionId: chat.session.id, afterSeq: 0 });
  const channel = `${cluster.redisPrefix}message.created:{${chat.session.id}}`;
  await waitFor(async () => shardSubscribers(channel) === 1, 10_000);
  return { ...chat, live, channel };
}

describe('Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  it('should refuse REDIS_URL and REDIS_CLUSTER_NODES together, and a node list that is not host:port', async () => {
    const both = await runUntilExit({ ...a.env, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(both.code).not.toBe(0);
    expect(both.output).toMatch(/REDIS_CLUSTER_NODES: cannot be set together with REDIS_URL/);
    const bad = await runUntilExit({ ...a.env, REDIS_CLUSTER_NODES: 'localhost' });
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/REDIS_CLUSTER_NODES: must be a comma-separated list of host:port/);
  });

  it('should deliver a message sent through one instance to a subscriber on the other, over its session shard', async () => {
    const { agent, session, visitor, live } = await chatFollowedOnB();
    expect(await send(a, agent.token, session.id, 'hello from A')).toEqual({ ok: true, seq: 1 });
    expect(await send(b, visitor, session.id, 'hi from B')).toEqual({ ok: true, seq: 2 });
    const got = (await live.take(2, 10_000)).map((m) => m.messageAdded);
    expect(got.map((m) => [m.seq, m.body])).toEqual([
      [1, 'hello from A'],
      [2, 'hi from B'],
    ]);
  });

  it('should share presence: a chat started on B goes at once to an agent whose console is on A', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(a, { skills: [skill] });
    const { session } = await startChat(b, { skill });
    expect(session.status).toBe('ACTIVE');
    expect(session.agent?.id).toBe(agent.id);
    expect(redis.cli(redis.masterOf(`${cluster.redisPrefix}{presence}`), 'zcard', `${cluster.redisPrefix}{presence}`).trim()).not.toBe('0');
  });

  it('should share a rate-limit bucket between instances (one Lua bucket on its slot)', async () => {
    const limits = { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '3:1', RATE_START_CHAT: '1000:1000', RATE_LOGIN: '1000:1000', RATE_LOGIN_IP: '1000:1000' };
    const [x, y] = await Promise.all([cluster.add(limits), cluster.add(limits)]);
    const { session, visitor } = await buildActiveChat(x, { via: y });
    const sent = [await send(x, visitor, session.id, 'one'), await send(y, visitor, session.id, 'two'), await send(x, visitor, session.id, 'three')];
    expect(sent.map((s) => s.ok)).toEqual([true, true, true]);
    // Three tokens in all, whichever instance took them: the fourth is refused on either.
    expect(await send(y, visitor, session.id, 'four')).toEqual({ ok: false, code: 'RATE_LIMITED' });
    expect(await send(x, visitor, session.id, 'five')).toEqual({ ok: false, code: 'RATE_LIMITED' });
  });

  it('should keep chats going through a master restart: nothing stored is lost, live streams resume in order', async () => {
    const { agent, session, visitor, live, channel } = await chatFollowedOnB();
    expect(await send(a, agent.token, session.id, 'before')).toEqual({ ok: true, seq: 1 });
    expect((await live.next(10_000)).messageAdded.seq).toBe(1);

    // Kill the master that owns this session's shard.
    const owner = redis.masterOf(channel);
    await redis.stop(owner);
    await waitFor(async () => (await a.get('/readyz')).status === 503 || (await b.get('/readyz')).status === 503, 15_000);
    // Postgres is the source of truth: sends are stored while the shard is down (rate limits off).
    expect(await send(a, agent.token, session.id, 'during 1', 'during-1')).toEqual({ ok: true, seq: 2 });
    expect(await send(b, visitor, session.id, 'during 2', 'during-2')).toEqual({ ok: true, seq: 3 });

    await redis.start(owner);
    await redis.waitUntil('cluster_state:ok');
    for (const instance of [a, b]) await waitFor(async () => (await instance.get('/readyz')).status === 200, 20_000);
    // The subscriber re-subscribed on the restarted master.
    await waitFor(async () => shardSubscribers(channel) === 1, 20_000);

    expect(await send(a, agent.token, session.id, 'after, through A')).toEqual({ ok: true, seq: 4 });
    expect(await send(b, visitor, session.id, 'after, through B')).toEqual({ ok: true, seq: 5 });
    // What the stream missed while the shard was down is filled from Postgres, in order, once.
    expect((await live.take(4, 20_000)).map((m) => m.messageAdded.seq)).toEqual([2, 3, 4, 5]);
    await live.expectQuiet(500);

    // A new subscriber on the other instance hears the next live message.
    const resumed = (await connect(a, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 5 });
    await waitFor(async () => shardSubscribers(channel) === 2, 10_000);
    expect(await send(b, visitor, session.id, 'and live')).toEqual({ ok: true, seq: 6 });
    expect((await resumed.next(10_000)).messageAdded.seq).toBe(6);
    expect((await live.next(10_000)).messageAdded.seq).toBe(6);

    const { session: stored } = await b.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    expect(stored?.messages.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
