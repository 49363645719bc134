/**
 * "Disconnected agents" (desk extension) across real server processes: the timer is state in
 * Postgres swept by every instance, so it fires once, on one instance, whichever instances die.
 */
import { OnSessionUpdatedDocument, SessionDocument } from './generated/graphql';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { sql } from './support/env';
import { buildActiveChat, connect, loginSupervisor, waitFor} from './support/factories';

jest.setTimeout(120_000);

const TTL_SECONDS = 2;
const GRACE_SECONDS = 1;
const REQUEUE_SECONDS = 3;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  cluster = await startCluster({
    count: 2,
    env: { PRESENCE_TTL_SECONDS: String(TTL_SECONDS), PRESENCE_GRACE_SECONDS: String(GRACE_SECONDS), REQUEUE_DISCONNECTED_SECONDS: String(REQUEUE_SECONDS) },
  });
  [a, b] = cluster.instances;
});

const requeues = (sessionId: string) =>
  sql<{ actor_kind: string; data: Record<string, unknown> }>(cluster.databaseUrl, `select actor_kind, data from session_event where session_id = $1 and kind = 'requeued'`, [sessionId]);

describe('an agent whose instance is killed with SIGKILL', () => {
  it('should have its chats requeued once, REQUEUE_DISCONNECTED_SECONDS after it dropped out, and get them back when it reconnects', async () => {
    const victim = await cluster.add();
    const { agent, session: { id: sessionId }, visitor } = await buildActiveChat(victim, { via: a });
    const watcher = await connect(b, visitor);
    const updates = watcher.subscribe(OnSessionUpdatedDocument, { sessionId });
    await new Promise((r) => setTimeout(r, 200)); // the subscription is registered

    const killed = await victim.kill();
    expect(killed.signal).toBe('SIGKILL');
    const killedAt = Date.now();
    // The visitor is told (on another instance): waiting again, no agent.
    for (;;) {
      const { sessionUpdated } = await updates.next(TTL_SECONDS * 1000 + REQUEUE_SECONDS * 1000 + 8000);
      if (sessionUpdated.status === 'QUEUED') {
        expect(sessionUpdated.agent).toBeNull();
        break;
      }
    }
    const waited = (Date.now() - killedAt) / 1000;
    console.log(`SIGKILL → requeued after ${waited.toFixed(1)} s (TTL ${TTL_SECONDS} s, REQUEUE_DISCONNECTED_SECONDS ${REQUEUE_SECONDS})`);
    // The agent dropped out between the kill and TTL later; the requeue is due REQUEUE after that.
    expect(waited).toBeGreaterThanOrEqual(REQUEUE_SECONDS - 1);
    expect(waited).toBeLessThan(TTL_SECONDS + REQUEUE_SECONDS + 5);
    // Two instances swept; it happened once.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await requeues(sessionId)).toEqual([{ actor_kind: 'system', data: { reason: 'disconnected' } }]);
    const [row] = await sql<{ status: string }>(cluster.databaseUrl, 'select status from agent where id = $1', [agent.id]);
    expect(row.status).toBe('ONLINE');

    await connect(b, agent.token);
    const supervisor = await loginSupervisor(a);
    const back = await waitFor(async () => {
      const { session } = await a.http.ok(SessionDocument, { id: sessionId }, supervisor);
      return session?.status === 'ACTIVE' && session;
    }, 5000, 50);
    expect(back.agent?.id).toBe(agent.id);
  });

  it('should still fire when every instance was down at the time it was due: within 5 s of one coming back', async () => {
    const victim = await cluster.add();
    const spare = await cluster.add();
    const { session: { id: sessionId } } = await buildActiveChat(victim, { via: spare });
    // Everything that could have swept dies (a and b stop sweeping for this test's duration too).
    await Promise.all([victim.kill(), spare.kill(), a.kill(), b.kill()]);
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, (TTL_SECONDS + REQUEUE_SECONDS + 2) * 1000));
    const [still] = await sql<{ status: string }>(cluster.databaseUrl, 'select status from chat_session where id = $1', [sessionId]);
    expect(still.status).toBe('ACTIVE'); // nobody was there to do it
    const again = await cluster.restart(a);
    const upAt = Date.now();
    await waitFor(async () => {
      const [s] = await sql<{ status: string }>(cluster.databaseUrl, 'select status from chat_session where id = $1', [sessionId]);
      return s.status === 'QUEUED';
    }, 5000, 100);
    console.log(`requeued ${((Date.now() - upAt) / 1000).toFixed(1)} s after an instance came back (${((upAt - downAt) / 1000).toFixed(1)} s after all were down)`);
    expect(await requeues(sessionId)).toEqual([{ actor_kind: 'system', data: { reason: 'disconnected' } }]);
    a = again;
  });
});
