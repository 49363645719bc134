import {
  AgentsDocument,
  CloseChatDocument,
  OnSessionAssignedDocument,
  QueueDocument,
  SessionDocument,
  StartChatDocument,
} from './generated/graphql';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildOnlineAgent, loginSupervisor, startChat, waitFor, type TestAgent, uniqueSkill } from './support/factories';
import type { Subscription } from './support/ws';

/** Routing with two real server processes racing on one database. */
jest.setTimeout(180_000);

let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  cluster = await startCluster({ count: 2 });
  [a, b] = cluster.instances;
});

describe('routing with several instances', () => {
  it('should route a chat started on one instance to an agent whose console is on another', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(a, { skills: [skill], maxConcurrentChats: 3 });
    const supervisor = await loginSupervisor(b);

    const seenFromB = (await b.http.ok(AgentsDocument, {}, supervisor)).agents.find((x) => x.id === agent.id);
    expect(seenFromB).toMatchObject({ status: 'ONLINE', online: true });
    const { session } = await startChat(b, { skill });
    expect(session.status).toBe('ACTIVE');
    expect(session.agent?.id).toBe(agent.id);

    // Its console closes on A: after the grace period, B no longer routes to it.
    await agent.socket!.dispose();
    await waitFor(async () => {
      const { agents: team } = await b.http.ok(AgentsDocument, {}, supervisor);
      return team.find((x) => x.id === agent.id)?.online === false;
    }, 15_000);
    const { session: later } = await startChat(b, { skill });
    expect(later.status).toBe('QUEUED');
  });

  it('should keep every agent within capacity and route every waiting chat once while chats start and close at once through all instances', async () => {
    const skill = uniqueSkill();
    const team: TestAgent[] = [];
    for (let i = 0; i < 4; i++) team.push(await buildOnlineAgent(i % 2 ? a : b, { skills: [skill], maxConcurrentChats: 2 }));
    const supervisor = await loginSupervisor(a);

    // A sampler watches the books while it all happens: no agent ever above 2 ACTIVE sessions.
    let sampling = true;
    let samples = 0;
    const violations: unknown[] = [];
    const sampler = (async () => {
      while (sampling) {
        const rows = await sql<{ agent_id: string; n: number }>(
          cluster.databaseUrl,
          `select agent_id, count(*)::int as n from chat_session where skill = $1 and status = 'ACTIVE' group by agent_id having count(*) > 2`,
          [skill],
        );
        violations.push(...rows);
        samples++;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const queueChecks: number[][] = [];

    // 30 visitors arrive through either instance; each chats a moment once an agent has it, then closes.
    const visit = async (i: number) => {
      await new Promise((r) => setTimeout(r, (i * 37) % 400));
      const via = i % 2 ? a : b;
      const other = i % 2 ? b : a;
      const { startChat: started } = await via.http.ok(StartChatDocument, { input: { name: `Visitor ${i}`, skill } });
      const id = started.session.id;
      const token = started.visitorToken;
      if (started.session.status === 'QUEUED') {
        if (i % 5 === 0) {
          const { queue } = await other.http.ok(QueueDocument, {}, supervisor);
          queueChecks.push(queue.filter((s) => s.skill === skill).map((s) => s.queuePosition!));
        }
        await waitFor(async () => (await other.http.ok(SessionDocument, { id }, token)).session?.status === 'ACTIVE', 60_000, 50);
      }
      await new Promise((r) => setTimeout(r, 100 + ((i * 53) % 300)));
      await other.http.ok(CloseChatDocument, { sessionId: id }, token);
      return id;
    };
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => visit(i)));
    sampling = false;
    await sampler;

    expect(samples).toBeGreaterThan(10);
    expect(violations).toEqual([]);
    for (const positions of queueChecks) expect(positions).toEqual(positions.map((_, k) => k + 1));
    // Every chat was assigned exactly once, and closed; every agent's books are back to zero.
    const assignments = await sql<{ session_id: string; n: number }>(
      cluster.databaseUrl,
      `select session_id, count(*)::int as n from session_event where kind = 'assigned' and session_id = any($1::uuid[]) group by session_id`,
      [ids],
    );
    expect(assignments).toHaveLength(30);
    for (const row of assignments) expect(row.n).toBe(1);
    const { agents: seen } = await b.http.ok(AgentsDocument, {}, supervisor);
    for (const agent of team) expect(seen.find((x) => x.id === agent.id)?.activeChats).toBe(0);
  });

  describe('40 chats at once against 6 agents of capacity 3', () => {
    const skill = uniqueSkill();
    let team: TestAgent[];
    let chats: Array<{ id: string; token: string; via: Instance }>;
    let supervisor: string;

    beforeAll(async () => {
      supervisor = await loginSupervisor(a);
      // Three consoles on each instance: presence is shared through Redis.
      team = [];
      for (let i = 0; i < 6; i++) team.push(await buildOnlineAgent(i % 2 ? a : b, { skills: [skill], maxConcurrentChats: 3 }));
    });

    it('should assign exactly 18, each agent at 3, and queue the rest at 1..22 when they start concurrently through two instances', async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const via = i % 2 ? a : b;
          return via.http.ok(StartChatDocument, { input: { name: `Visitor ${i}`, skill } }).then((r) => ({ via, payload: r.startChat }));
        }),
      );
      chats = results.map((r) => ({ id: r.payload.session.id, token: r.payload.visitorToken, via: r.via }));

      const active = results.filter((r) => r.payload.session.status === 'ACTIVE');
      expect(active).toHaveLength(18);
      const perAgent = new Map<string, number>();
      for (const r of active) perAgent.set(r.payload.session.agent!.id, (perAgent.get(r.payload.session.agent!.id) ?? 0) + 1);
      expect([...perAgent.keys()].sort()).toEqual(team.map((x) => x.id).sort());
      expect([...perAgent.values()]).toEqual([3, 3, 3, 3, 3, 3]);

      const { agents: seen } = await b.http.ok(AgentsDocument, {}, supervisor);
      for (const agent of team) expect(seen.find((x) => x.id === agent.id)?.activeChats).toBe(3);

      const { queue } = await a.http.ok(QueueDocument, {}, supervisor);
      const ours = queue.filter((s) => s.skill === skill);
      expect(ours).toHaveLength(22);
      expect(ours.map((s) => s.queuePosition)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      // Each visitor sees its own place, and the places are 1..22 once each.
      const places = await Promise.all(
        chats
          .filter((c) => ours.some((s) => s.id === c.id))
          .map((c) => c.via.http.ok(SessionDocument, { id: c.id }, c.token).then((r) => r.session!.queuePosition)),
      );
      expect(places.sort((x, y) => x! - y!)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));

      // No session was ever assigned twice.
      const assignedTwice = await sql(
        cluster.databaseUrl,
        `select session_id from session_event where kind = 'assigned' group by session_id having count(*) > 1`,
      );
      expect(assignedTwice).toEqual([]);
    });

    it('should refill every agent to capacity from the head of the queue when all their chats close at once', async () => {
      const assigned = new Map<string, Subscription<unknown>>();
      for (const agent of team) assigned.set(agent.id, agent.socket!.subscribe(OnSessionAssignedDocument));
      await new Promise((r) => setTimeout(r, 300));
      const { queue: before } = await a.http.ok(QueueDocument, {}, supervisor);
      const line = before.filter((s) => s.skill === skill).map((s) => s.id);
      const activeIds = new Set(
        (await sql<{ id: string }>(cluster.databaseUrl, `select id from chat_session where skill = $1 and status = 'ACTIVE'`, [skill])).map((r) => r.id),
      );
      expect(activeIds.size).toBe(18);

      // Each visitor closes its own chat, through the instance it did not start on.
      const closing = chats.filter((c) => activeIds.has(c.id));
      await Promise.all(closing.map((c) => (c.via === a ? b : a).http.ok(CloseChatDocument, { sessionId: c.id }, c.token)));

      // Every agent hears of 3 new chats, and they are the first 18 in line.
      const handedOut: string[] = [];
      for (const agent of team) {
        const events = (await assigned.get(agent.id)!.take(3, 15_000)) as Array<{ sessionAssigned: { id: string; agent: { id: string } } }>;
        for (const e of events) expect(e.sessionAssigned.agent.id).toBe(agent.id);
        handedOut.push(...events.map((e) => e.sessionAssigned.id));
      }
      expect(handedOut.sort()).toEqual(line.slice(0, 18).sort());

      const { agents: seen } = await b.http.ok(AgentsDocument, {}, supervisor);
      for (const agent of team) expect(seen.find((x) => x.id === agent.id)?.activeChats).toBe(3);
      const { queue: after } = await b.http.ok(QueueDocument, {}, supervisor);
      const left = after.filter((s) => s.skill === skill);
      expect(left.map((s) => s.id)).toEqual(line.slice(18));
      expect(left.map((s) => s.queuePosition)).toEqual([1, 2, 3, 4]);

      // The books agree with the sessions: every agent's count is its ACTIVE sessions, at most 3.
      const counts = await sql<{ id: string; active_chats: number; actual: number }>(
        cluster.databaseUrl,
        `select g.id, g.active_chats, (select count(*)::int from chat_session s where s.agent_id = g.id and s.status = 'ACTIVE') as actual
           from agent g where $1 = any(g.skills)`,
        [skill],
      );
      for (const row of counts) expect(row).toMatchObject({ active_chats: 3, actual: 3 });
      for (const sub of assigned.values()) await sub.expectQuiet(300);
    });
  });
});
