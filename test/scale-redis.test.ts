import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { OnMessageAddedDocument, SendMessageDocument, SessionDocument, TranscriptDocument } from './generated/graphql';
import { RedisServer, startCluster, type Cluster, type Instance } from './support/cluster';
import { buildOnlineAgent, connect, startChat, waitFor, type TestAgent, uniqueSkill } from './support/factories';
import { limitedDatabase } from './support/faults';

/**
 * Redis restarting mid-chat, under two real instances. The test runs its own redis-server (no
 * persistence) on a spare port, so stopping it loses every key and connection, as a real restart does.
 */
jest.setTimeout(180_000);

let redis: RedisServer;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  redis = await RedisServer.start();
  cluster = await startCluster({ count: 2, redisUrl: redis.url, env: { PRESENCE_TTL_SECONDS: '3', PRESENCE_GRACE_SECONDS: '1' } });
  [a, b] = cluster.instances;
});

type Outcome = { ok: true; seq: number } | { ok: false; code?: unknown; retryable?: unknown; status: number; message?: string; at?: number };

async function trySend(through: Instance, token: string, sessionId: string, body: string, clientMessageId: string): Promise<Outcome> {
  const result = await through.http.request(SendMessageDocument, { input: { sessionId, body, clientMessageId } }, token);
  if (result.data?.sendMessage) return { ok: true, seq: result.data.sendMessage.seq };
  const error = result.errors?.[0];
  return { ok: false, code: error?.extensions?.code, retryable: error?.extensions?.retryable, status: result.status, message: error?.message, at: Date.now() };
}

describe('Redis restarting mid-chat', () => {
  it('should report the outage on /readyz, keep chats going once it is back, and let a client resuming by seq miss nothing', async () => {
    const skill = uniqueSkill();
    const agent: TestAgent = await buildOnlineAgent(a, { skills: [skill] });
    const { session, token: visitor } = await startChat(b, { skill });
    expect(session.agent?.id).toBe(agent.id);
    const live = (await connect(b, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));
    const send = (through: Instance, token: string, body: string, key: string = randomUUID()) => trySend(through, token, session.id, body, key);
    expect(await send(a, agent.token, 'before')).toEqual({ ok: true, seq: 1 });
    expect((await live.next(10_000)).messageAdded.seq).toBe(1);

    await redis.stop();
    for (const instance of [a, b]) {
      await waitFor(async () => (await instance.get('/readyz')).status === 503, 10_000);
      expect((await instance.get('/healthz')).status).toBe(200);
    }
    // Postgres is the source of truth: with Redis down (and rate limits off, as here) sends are
    // still stored; only their live fan-out is lost, and recovered below.
    expect(await send(a, agent.token, 'during the outage', 'during-1')).toEqual({ ok: true, seq: 2 });
    expect(await send(b, visitor, 'me too', 'during-2')).toEqual({ ok: true, seq: 3 });

    await redis.start();
    for (const instance of [a, b]) await waitFor(async () => (await instance.get('/readyz')).status === 200, 15_000);
    // A widget that never saw its answer retries with the same clientMessageId: the first stands.
    expect(await send(b, visitor, 'me too', 'during-2')).toEqual({ ok: true, seq: 3 });
    expect(await send(a, agent.token, 'after, through A')).toEqual({ ok: true, seq: 4 });
    expect(await send(b, visitor, 'after, through B')).toEqual({ ok: true, seq: 5 });

    // The live stream on B picks up again (its Redis subscription came back); what it missed
    // while Redis was down is filled in from Postgres, in order, once.
    const rest = (await live.take(4, 15_000)).map((m) => m.messageAdded);
    expect(rest.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    await live.expectQuiet(500);

    // A client that resumes by seq, anywhere, misses nothing.
    const resumed = (await connect(a, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 1 });
    expect((await resumed.take(4, 10_000)).map((m) => m.messageAdded.seq)).toEqual([2, 3, 4, 5]);
    // ... and live messages reach it, sent through the other instance.
    expect(await send(b, visitor, 'and live')).toEqual({ ok: true, seq: 6 });
    expect((await resumed.next(10_000)).messageAdded.seq).toBe(6);
    expect((await live.next(10_000)).messageAdded.seq).toBe(6);

    const { session: stored } = await b.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    expect(stored?.messages.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('should publish a retried send again: a stream that missed it live gets it without waiting for another message', async () => {
    const skill = uniqueSkill();
    const agent: TestAgent = await buildOnlineAgent(a, { skills: [skill] });
    const { session, token: visitor } = await startChat(b, { skill });
    const live = (await connect(b, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await trySend(a, agent.token, session.id, 'before', randomUUID())).toEqual({ ok: true, seq: 1 });
    expect((await live.next(10_000)).messageAdded.seq).toBe(1);

    // Stored while Redis is away: its publish is lost (as when an instance dies right after the commit).
    await redis.stop();
    await waitFor(async () => (await a.get('/readyz')).status === 503, 10_000);
    expect(await trySend(a, agent.token, session.id, 'unheard', 'unheard-1')).toEqual({ ok: true, seq: 2 });
    // Long enough for ioredis to give up on the queued publish (maxRetriesPerRequest), so it is gone.
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    for (const instance of [a, b]) await waitFor(async () => (await instance.get('/readyz')).status === 200, 15_000);
    await live.expectQuiet(1000);

    // The console never saw its answer and sends again with the same key: stored once, heard now.
    expect(await trySend(a, agent.token, session.id, 'unheard', 'unheard-1')).toEqual({ ok: true, seq: 2 });
    const heard = await live.next(10_000);
    expect([heard.messageAdded.seq, heard.messageAdded.body]).toEqual([2, 'unheard']);
    await live.expectQuiet(500);
  });

  it('should route a chat that was queued during the outage to an agent that stayed connected, once Redis is back', async () => {
    const skill = uniqueSkill();
    const agent: TestAgent = await buildOnlineAgent(a, { skills: [skill] });

    await redis.stop();
    await waitFor(async () => (await b.get('/readyz')).status === 503, 10_000);
    // B cannot see A's consoles while Redis is down: the chat waits in the queue.
    const { session, token } = await startChat(b, { skill });
    expect(session.status).toBe('QUEUED');

    await redis.start();
    // The agent's console never went away: once presence is back, the queue drains to it.
    const assigned = await waitFor(async () => {
      const { session: now } = await b.http.ok(SessionDocument, { id: session.id }, token);
      return now?.status === 'ACTIVE' ? now : false;
    }, 20_000);
    expect(assigned.agent?.id).toBe(agent.id);
  });

  it('should keep accepting sends with rate limits on, each instance falling back to its own buckets', async () => {
    const limited = await cluster.add({ RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '1000:1000', RATE_START_CHAT: '1000:1000', RATE_LOGIN: '1000:1000' });
    const skill = uniqueSkill();
    await buildOnlineAgent(limited, { skills: [skill] });
    const { session, token } = await startChat(limited, { skill });

    await redis.stop();
    await waitFor(async () => (await limited.get('/readyz')).status === 503, 10_000);
    expect(await trySend(limited, token, session.id, 'while Redis is down', 'limited-1')).toEqual({ ok: true, seq: 1 });

    await redis.start();
    await waitFor(async () => (await limited.get('/readyz')).status === 200, 15_000);
    // The retry of the same key stores nothing new; the next message follows it.
    expect(await trySend(limited, token, session.id, 'while Redis is down', 'limited-1')).toEqual({ ok: true, seq: 1 });
    expect(await trySend(limited, token, session.id, 'and the next', 'limited-2')).toEqual({ ok: true, seq: 2 });
  });

  it("should keep every watching widget's presence alive in a few commands per refresh, and write it all again after Redis loses it", async () => {
    // The unread-reply email waits while a widget watches its chat: that is this presence, kept
    // in Redis so that every instance knows. PRESENCE_TTL_SECONDS is 3 here: a refresh a second.
    const WIDGETS = 40;
    const chats = await Promise.all(Array.from({ length: WIDGETS }, () => startChat(b, { skill: uniqueSkill() })));
    const streams = await Promise.all(chats.map(async ({ session, token }) => (await connect(b, token)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 })));
    const client = new Redis(redis.url);
    try {
      /** Sessions with an unexpired widget-presence entry. */
      const watched = async () => {
        const keys = await client.keys('*widget-*presence*');
        const members = (await Promise.all(keys.map((k) => client.zrangebyscore(k, `(${Date.now()}`, '+inf')))).flat();
        return new Set(members.map((m) => m.split('|')[0]));
      };
      const unwatched = async () => {
        const now = await watched();
        return chats.filter(({ session }) => !now.has(session.id)).length;
      };
      await waitFor(async () => (await unwatched()) === 0, 5000);

      await client.config('RESETSTAT');
      await new Promise((r) => setTimeout(r, 3500));
      const stats = await client.info('commandstats');
      const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // Three or four refreshes on each instance, each a ZMSCORE and a ZADD for its agents and the
      // same for its widgets: 32 at most; one ZADD per widget per refresh would be 120 or more.
      expect(calls('zadd') + calls('zmscore')).toBeLessThanOrEqual(32);
      expect(await unwatched()).toBe(0);

      // Redis loses everything (a restart without persistence): the next refresh writes it all again.
      await client.flushall();
      expect(await unwatched()).toBe(WIDGETS);
      await waitFor(async () => (await unwatched()) === 0, 5000);
    } finally {
      client.disconnect();
      for (const stream of streams) stream.dispose();
    }
  });
});

/**
 * The restart looped, with sends in flight: SCALE_REDIS_LOOPS restarts (a short default here;
 * set it higher to hunt a rare failure), each with several chats sending without pause through
 * two instances with rate limits on (every send asks Redis for a token), during the outage and
 * right after Redis is back, with Postgres at its connection limit. No send may fail, none may be
 * stored twice, and both sides' live streams see every message once, in order.
 *
 * What failed here: when Redis came back, the sends the outage had held up (waiting in ioredis'
 * queue for a rate-limit token) and every stream's gap fill reached Postgres at once; the
 * statement pool grew to serve them, and Postgres, with no connection to spare, refused the new
 * ones ("too many clients"): a send failed, or a stream ended.
 */
describe('Redis restarting again and again with sends in flight', () => {
  const loops = Number(process.env.SCALE_REDIS_LOOPS ?? 3);
  const CHATS = 8;

  it(`should accept every send and deliver every message once, in order, through ${loops} restarts`, async () => {
    const limits = { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '100000:100000', RATE_START_CHAT: '1000:1000', RATE_LOGIN: '1000:1000', RATE_LOGIN_IP: '1000:1000' };
    // On a database of their own whose role Postgres lets open no more connections than it holds
    // once the chats are going: Postgres at its connection limit, as a busy one is.
    const database = await limitedDatabase();
    const env = { ...limits, DATABASE_URL: database.url };
    const [agents, visitors] = await Promise.all([cluster.add(env), cluster.add(env)]);
    const chats = await Promise.all(
      Array.from({ length: CHATS }, async () => {
        const skill = uniqueSkill();
        const agent = await buildOnlineAgent(agents, { skills: [skill] });
        const { session, token } = await startChat(visitors, { skill });
        expect(session.agent?.id).toBe(agent.id);
        const streams = [
          (await connect(visitors, token)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }),
          (await connect(agents, agent.token)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 }),
        ];
        return { id: session.id, visitor: token, agent: agent.token, streams, outcomes: [] as Outcome[] };
      }),
    );
    await new Promise((r) => setTimeout(r, 300));

    let stopped = false;
    const senders = chats.map(async (chat) => {
      for (let n = 0; !stopped; n++) {
        const [through, token] = n % 2 ? [visitors, chat.visitor] : [agents, chat.agent];
        chat.outcomes.push(await trySend(through, token, chat.id, `message ${n}`, randomUUID()));
      }
    });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await pause(1000);
    await database.limitToOpen();
    // Outages and quiet spells of varying length, so the restart lands at different points of
    // ioredis' reconnect cycle (between retries, during the ready check, with commands queued).
    const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));
    for (let i = 0; i < loops; i++) {
      await pause(random(100, 800));
      await redis.stop();
      await pause(random(200, 2000));
      await redis.start();
      for (const instance of [agents, visitors]) await waitFor(async () => (await instance.get('/readyz')).status === 200, 15_000);
      await pause(random(100, 1500));
    }
    stopped = true;
    await Promise.all(senders);
    await database.unlimit();
    await Promise.all([agents.kill(), visitors.kill()]); // before their database and role are dropped

    // A failed send is shown with what the servers logged about it (the cause, not just a code).
    const logged = [agents, visitors].flatMap((i) => i.logs.filter((l) => /backing service unavailable|unexpected error/.test(String(l.msg))));
    const why = logged.map((l) => ({ msg: l.msg, err: (l.err as { message?: string } | undefined)?.message, stack: (l.err as { stack?: string } | undefined)?.stack?.slice(0, 800) }));
    for (const chat of chats) {
      const failed = chat.outcomes.filter((o) => !o.ok);
      expect({ failed, why: failed.length ? why : [] }).toEqual({ failed: [], why: [] });
      const seqs = chat.outcomes.map((o) => (o.ok ? o.seq : 0));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      for (const stream of chat.streams) {
        const got = (await stream.take(seqs.length, 15_000)).map((m) => m.messageAdded.seq);
        expect(got).toEqual(seqs);
        await stream.expectQuiet(200);
      }
    }
  });
});
