import { SendMessageDocument } from './generated/graphql';
import { startCluster } from './support/cluster';
import { sql } from './support/env';
import { buildActiveChat, loginSupervisor, waitFor } from './support/factories';
import { createEndpoint, startReceiver, verify } from './support/webhooks';

/**
 * Webhooks across real server processes: an instance SIGKILLed in the middle of a delivery burst
 * loses no committed event (its outbox rows and half-done attempts are picked up again), and two
 * instances never attempt one delivery at the same time.
 */
describe('webhooks across instances', () => {
  it('should deliver every committed event at least once when an instance is SIGKILLed mid-burst, never two attempts of one delivery at once', async () => {
    const cluster = await startCluster({ count: 2, env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1' } });
    let a = cluster.instances[0];
    const b = cluster.instances[1];
    // Slow, and refusing each delivery's first attempt: attempts overlap in time across instances.
    const receiver = await startReceiver(async (_, n) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return n === 1 ? 503 : 200;
    });
    const supervisor = await loginSupervisor(a);
    const { secret } = await createEndpoint(a, supervisor, { url: receiver.url, events: ['message.created'] });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // every instance reloads the endpoints' types
    const { session, visitor } = await buildActiveChat(a, { via: b });
    const acknowledged: number[] = [];
    const send = async (via: typeof a, i: number) => {
      const result = await via.http.request(SendMessageDocument, { input: { sessionId: session.id, body: `burst ${i}` } }, visitor).catch(() => null);
      if (result?.data?.sendMessage) acknowledged.push(result.data.sendMessage.seq);
    };
    for (let i = 0; i < 40; i++) await Promise.all([send(a, 2 * i), send(b, 2 * i + 1)]);
    await a.kill(); // SIGKILL: its relay, its workers and their claims die with it
    for (let i = 40; i < 60; i++) await send(b, i);
    a = await cluster.restart(a);
    for (let i = 60; i < 80; i++) await Promise.all([send(a, 2 * i), send(b, 2 * i + 1)]);

    const delivered = () => new Set(receiver.of('message.created').filter((r) => r.event.data.chat.id === session.id).map((r) => r.event.data.message.seq as number));
    await waitFor(async () => acknowledged.every((seq) => delivered().has(seq)), 150_000, 500).catch(() => undefined);
    expect(acknowledged.filter((seq) => !delivered().has(seq))).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    for (const r of receiver.received) expect(verify(secret, r)).toEqual(r.event);
    expect(receiver.overlaps).toBe(0);
    // Nothing was sent for what was not stored: every seq delivered is a stored message.
    const { session: stored } = await b.http.ok<{ session: { lastSeq: number } }, unknown>('query($id: ID!) { session(id: $id) { lastSeq } }', { id: session.id }, visitor);
    expect(Math.max(...delivered())).toBeLessThanOrEqual(stored.lastSeq);
  }, 240_000);

  it('should send an endpoint registered on one instance the events of changes committed on another right after, nothing once it is deleted there, and the same after the LISTEN connections were cut', async () => {
    const cluster = await startCluster({ count: 2, env: { WEBHOOK_ALLOW_PRIVATE: '1' } });
    const [a, b] = cluster.instances;
    const receiver = await startReceiver();
    const supervisor = await loginSupervisor(a);
    const { session, visitor } = await buildActiveChat(b);
    const { endpoint } = await createEndpoint(a, supervisor, { url: receiver.url, events: ['message.created'] });
    // b learns of it by NOTIFY: well under its 30 s backstop poll.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'right after' } }, visitor);
    await waitFor(async () => receiver.of('message.created').some((r) => r.event.data.message.seq === sent.sendMessage.seq), 5_000, 50);

    await a.http.ok(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, supervisor);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'after the delete' } }, visitor);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.of('message.created').map((r) => r.event.data.message.seq)).toEqual([sent.sendMessage.seq]);

    // The LISTEN connections cut (as a Postgres restart or a proxy would): what is announced
    // meanwhile is lost, and each instance reloads once it has listened again.
    const listening = async () =>
      (await sql<{ n: number }>(cluster.databaseUrl, `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'switchboard-listen'`))[0].n;
    expect(await listening()).toBe(2);
    await sql(cluster.databaseUrl, `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'switchboard-listen'`);
    await createEndpoint(a, supervisor, { url: receiver.url, events: ['message.created'] });
    await waitFor(async () => (await listening()) === 2, 10_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'after the reconnect' } }, visitor);
    await waitFor(async () => receiver.of('message.created').some((r) => r.event.data.message.seq === again.sendMessage.seq), 5_000, 50);
  }, 120_000);
});
