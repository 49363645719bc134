import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  AgentsDocument,
  OnMessageAddedDocument,
  SendMessageDocument,
  StartChatDocument,
  TranscriptDocument,
} from './generated/graphql';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildActiveChat, buildOnlineAgent, connect, loginSupervisor, startChat, waitFor, uniqueSkill } from './support/factories';

/**
 * Instances dying: SIGKILL (a crash: nothing of the shutdown runs) and SIGTERM (a deploy: drain).
 * Each test starts its own victim next to the two survivors.
 */
jest.setTimeout(180_000);

const TTL_SECONDS = 3;
const GRACE_SECONDS = 1;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  cluster = await startCluster({ count: 2, env: { PRESENCE_TTL_SECONDS: String(TTL_SECONDS), PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS) } });
  [a, b] = cluster.instances;
});

function send(through: Instance, token: string, sessionId: string, body: string, clientMessageId?: string) {
  return through.http.ok(SendMessageDocument, { input: { sessionId, body, clientMessageId } }, token).then((r) => r.sendMessage);
}

describe('an instance killed with SIGKILL', () => {
  it("should lose nothing: its clients resume on another instance with afterSeq and get exactly what they missed", async () => {
    const victim = await cluster.add();
    const { agent, session, visitor } = await buildActiveChat(b, { via: victim, agent: { maxConcurrentChats: 3 } });

    const before = await connect(victim, visitor);
    const feed = before.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));
    for (const body of ['one', 'two', 'three']) await send(b, agent.token, session.id, body);
    const seen = (await feed.take(3, 10_000)).map((m) => m.messageAdded);
    expect(seen.map((m) => m.seq)).toEqual([1, 2, 3]);

    // Sends in flight to the victim when it dies: some answered, some never.
    const keys = Array.from({ length: 20 }, (_, i) => `crash-${i}-${randomUUID()}`);
    const inFlight = keys.map((key, i) =>
      send(victim, visitor, session.id, `in flight ${i}`, key).then(
        (m) => ({ key, ok: true as const, seq: m.seq }),
        () => ({ key, ok: false as const }),
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    const exit = await victim.kill();
    expect(exit.signal).toBe('SIGKILL');
    const outcomes = await Promise.all(inFlight);
    console.log(`SIGKILL: ${outcomes.filter((o) => o.ok).length} of 20 sends in flight were answered before the kill, the rest retried elsewhere`);
    expect((await before.closed).code).not.toBe(1000);

    // Meanwhile the agent goes on through B.
    await send(b, agent.token, session.id, 'while you were away');

    // The widget retries what it never got an answer for, with the same clientMessageId, elsewhere.
    for (const o of outcomes) if (!o.ok) await send(a, visitor, session.id, 'retried', o.key);

    // ... and resumes on A from the last seq it saw.
    const after = await connect(a, visitor);
    const resumed = after.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 3 });
    const missed = (await resumed.take(21, 10_000)).map((m) => m.messageAdded);
    expect(missed.map((m) => m.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 4));
    expect(missed.filter((m) => m.author === 'VISITOR').map((m) => m.clientMessageId).sort()).toEqual([...keys].sort());
    expect(missed.some((m) => m.body === 'while you were away')).toBe(true);
    // Every send that was answered kept its seq.
    for (const o of outcomes) if (o.ok) expect(missed.find((m) => m.clientMessageId === o.key)?.seq).toBe(o.seq);

    await send(b, agent.token, session.id, 'live again');
    expect((await resumed.next(10_000)).messageAdded).toMatchObject({ seq: 25, body: 'live again' });
    await resumed.expectQuiet(500);
    const { session: stored } = await a.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    expect(stored?.messages.messages.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));

    // The crashed instance comes back (same environment, new process) and serves the same chat.
    const back = await cluster.restart(victim);
    const there = (await connect(back, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 24 });
    expect((await there.next(10_000)).messageAdded.seq).toBe(25);
    await send(back, visitor, session.id, 'back again');
    expect((await there.next(10_000)).messageAdded).toMatchObject({ seq: 26, body: 'back again' });
    expect((await resumed.next(10_000)).messageAdded.seq).toBe(26);
  });

  it('should leave no ghost agents: chats stop routing to its agents within the grace period plus the presence TTL', async () => {
    const victim = await cluster.add();
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(victim, { skills: [skill], maxConcurrentChats: 100 });
    const supervisor = await loginSupervisor(a);
    const { session: first } = await startChat(a, { skill });
    expect(first.agent?.id).toBe(agent.id);

    await victim.kill();
    const killedAt = Date.now();
    const bound = killedAt + (TTL_SECONDS + GRACE_SECONDS) * 1000;
    // Probe through the survivors until well past grace + TTL, noting when each chat started.
    const probes: Array<{ at: number; status: string; id: string }> = [];
    while (Date.now() < bound + 1500 || !probes.some((p) => p.status === 'QUEUED')) {
      const at = Date.now();
      const { session } = await startChat(probes.length % 2 ? a : b, { skill });
      probes.push({ at, status: session.status, id: session.id });
      if (Date.now() - killedAt > 60_000) throw new Error('chats were still routed to the dead instance after 60 s');
      await new Promise((r) => setTimeout(r, 150));
    }
    const firstQueued = probes.find((p) => p.status === 'QUEUED')!;
    console.log(
      `SIGKILL: chats stopped routing to the dead instance's agent ${firstQueued.at - killedAt} ms after the kill ` +
        `(${probes.length} probes; TTL ${TTL_SECONDS} s, grace ${GRACE_SECONDS} s)`,
    );
    // Every chat started after grace + TTL waited in the queue instead of going to the ghost.
    const late = probes.filter((p) => p.at > bound);
    expect(late.length).toBeGreaterThan(0);
    for (const p of late) expect(p.status).toBe('QUEUED');
    const queued = firstQueued;
    const { agents } = await b.http.ok(AgentsDocument, {}, supervisor);
    expect(agents.find((x) => x.id === agent.id)?.online).toBe(false);

    // Its console reconnects to a survivor: online again, and the queue drains to it.
    agent.socket = await connect(a, agent.token);
    await waitFor(async () => {
      const rows = await sql<{ status: string }>(cluster.databaseUrl, 'select status from chat_session where id = $1', [queued.id]);
      return rows[0]?.status === 'ACTIVE';
    }, 15_000);
  });
});

describe('an instance sent SIGTERM', () => {
  it('should close its WebSockets with 1001, finish the request in flight, refuse new ones and exit 0 within 10 s', async () => {
    const victim = await cluster.add();
    const { agent, session, visitor, skill } = await buildActiveChat(victim, { via: a, agent: { maxConcurrentChats: 3 } });
    const visitorSocket = await connect(victim, visitor);
    visitorSocket.subscribe(OnMessageAddedDocument, { sessionId: session.id });

    // Hold the routing lock, so that a startChat through the victim is still in flight when SIGTERM comes.
    const blocker = new Client({ connectionString: cluster.databaseUrl });
    await blocker.connect();
    let inFlight: Promise<{ status: number; data: unknown; errors?: unknown }>;
    try {
      await blocker.query('begin');
      await blocker.query('select pg_advisory_xact_lock(7310002)');
      inFlight = victim.http.request(StartChatDocument, { input: { name: 'Late visitor', skill } });
      await waitFor(async () => {
        const rows = await sql<{ n: number }>(
          cluster.databaseUrl,
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 7310002 and not granted`,
        );
        return rows[0].n > 0;
      }, 15_000);

      const terminated = victim.terminate();
      // The sockets are told to go elsewhere at once, while the request still waits.
      expect((await agent.socket!.closed).code).toBe(1001);
      expect((await visitorSocket.closed).code).toBe(1001);
      // It no longer accepts anything new.
      await expect(fetch(`${victim.base}/healthz`)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 1000));
      await blocker.query('commit');

      const finished = await inFlight;
      expect(finished.status).toBe(200);
      expect(finished.errors).toBeUndefined();
      expect((finished.data as { startChat: { session: { id: string } } }).startChat.session.id).toBeTruthy();
      const exit = await terminated;
      console.log(`SIGTERM: exited ${exit.code} after ${exit.ms} ms (1 s of it waiting for the request in flight)`);
      expect(exit.code).toBe(0);
      expect(exit.ms).toBeLessThan(10_000);
    } finally {
      await blocker.end().catch(() => undefined);
    }
    // The chat it was asked for is stored, and everything goes on through the others.
    const { startChat: late } = (await inFlight).data as { startChat: { session: { id: string } } };
    const rows = await sql(cluster.databaseUrl, 'select id from chat_session where id = $1', [late.session.id]);
    expect(rows).toHaveLength(1);
    const resumed = (await connect(b, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await send(a, visitor, session.id, 'still here');
    expect((await resumed.next(10_000)).messageAdded.body).toBe('still here');
  });
});
