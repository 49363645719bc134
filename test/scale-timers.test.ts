/**
 * The routing timers (desk extension, "Routing additions": no reply) across real server
 * processes: armed as a job in the transaction that assigned the chat, claimed by one instance
 * when due, whichever instance armed it and whatever died since.
 */
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildOnlineAgent, startChat, uniqueSkill, waitFor } from './support/factories';

jest.setTimeout(120_000);

const N = 2;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  cluster = await startCluster({ count: 2, env: { REASSIGN_AFTER_SECONDS: String(N), PRESENCE_TTL_SECONDS: '3' } });
  [a, b] = cluster.instances;
});

type Step = { session_id: string; kind: string; agent_id: string | null; data: Record<string, unknown> };
const trail = (ids: string[]) =>
  sql<Step>(cluster.databaseUrl, `select session_id, kind, agent_id, data from session_event where session_id = any($1::uuid[]) and kind in ('assigned', 'reassigned') order by at, id`, [ids]);

describe('a no-reply timer', () => {
  it('should fire once, on another instance, when the instance that armed it is killed with SIGKILL before it is due', async () => {
    const skill = uniqueSkill();
    const x = await buildOnlineAgent(a, { skills: [skill] });
    const y = await buildOnlineAgent(b, { skills: [skill] });
    const victim = await cluster.add();
    const { session } = await startChat(victim, { skill }); // routed, and its timer armed, by the victim
    expect(session.status).toBe('ACTIVE');
    const first = session.agent!.id;
    expect((await victim.kill()).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    const moved = await waitFor(async () => {
      const [s] = await sql<{ agent_id: string | null; status: string }>(cluster.databaseUrl, 'select agent_id, status from chat_session where id = $1', [session.id]);
      return s.status === 'ACTIVE' && s.agent_id !== first && s;
    }, (N + 6) * 1000, 50);
    console.log(`armed by a killed instance: reassigned ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (REASSIGN_AFTER_SECONDS ${N})`);
    expect(moved.agent_id).toBe(first === x.id ? y.id : x.id);
    const steps = await trail([session.id]);
    expect(steps.map((s) => [s.kind, s.agent_id])).toEqual([
      ['assigned', first],
      ['reassigned', first],
      ['assigned', moved.agent_id],
    ]);
  });

  it('should never fire twice on two instances, and capacity holds throughout (sampled over many chats)', async () => {
    const skill = uniqueSkill();
    const agents = [];
    for (let i = 0; i < 4; i++) agents.push(await buildOnlineAgent(i % 2 ? b : a, { skills: [skill], maxConcurrentChats: 2 }));
    const chats = await Promise.all(Array.from({ length: 8 }, (_, i) => startChat(i % 2 ? b : a, { skill })));
    expect(chats.every((c) => c.session.status === 'ACTIVE')).toBe(true);
    const ids = chats.map((c) => c.session.id);
    // Nobody answers: every chat is taken back every N s, and (all slots full) given back.
    let worst = 0;
    const until = Date.now() + (3 * N + 2) * 1000;
    while (Date.now() < until) {
      const rows = await sql<{ n: number; over: number }>(
        cluster.databaseUrl,
        `select coalesce(max(n), 0)::int as n, (select count(*)::int from agent where active_chats > max_concurrent_chats) as over
           from (select agent_id, count(*)::int as n from chat_session where status = 'ACTIVE' and id = any($1::uuid[]) group by agent_id) x`,
        [ids],
      );
      worst = Math.max(worst, rows[0].n);
      expect(rows[0].over).toBe(0);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(worst).toBeLessThanOrEqual(2);
    const steps = await trail(ids);
    let reassignments = 0;
    for (const id of ids) {
      const mine = steps.filter((s) => s.session_id === id);
      // assigned, reassigned, assigned, reassigned, …: each assignment's timer fired at most once.
      mine.forEach((s, i) => expect([id, i, s.kind]).toEqual([id, i, i % 2 ? 'reassigned' : 'assigned']));
      for (let i = 1; i < mine.length; i += 2) expect(mine[i].data).toEqual({ reason: 'no_reply', fromAgentId: mine[i - 1].agent_id });
      reassignments += Math.floor(mine.length / 2);
    }
    console.log(`${reassignments} reassignments of 8 chats over ${3 * N + 2} s on two instances, none doubled`);
    expect(reassignments).toBeGreaterThanOrEqual(8 * 2);
  });
});
