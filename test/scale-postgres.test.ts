import { randomUUID } from 'node:crypto';
import {
  LoginDocument,
  OnMessageAddedDocument,
  SendMessageDocument,
  SessionDocument,
  StartChatDocument,
  TranscriptDocument,
} from './generated/graphql';
import { startCluster, TcpProxy, type Cluster, type Instance } from './support/cluster';
import { createTestDatabase, sql, SUPERVISOR } from './support/env';
import { buildActiveChat, connect, waitFor} from './support/factories';
import type { GqlResult } from './support/http';

/**
 * Postgres going away under two real instances. They reach it through a TCP proxy the test
 * controls: `refuse()` is Postgres down (connections cut, new ones refused), `restore()` is it
 * back. Backends are also killed with pg_terminate_backend, as a failover or an operator does.
 */
jest.setTimeout(180_000);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: TcpProxy;
let cluster: Cluster;
let a: Instance, b: Instance;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await TcpProxy.to(database.url);
  cluster = await startCluster({ count: 2, databaseUrl: proxy.rewrite(database.url) });
  [a, b] = cluster.instances;
});

/** What a client sees of a refusal while a backing service is down: retryable, nothing internal. */
function expectRetryable(result: GqlResult<unknown>) {
  expect(result.status).toBeLessThan(500);
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors!;
  expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: true });
  expect(error.message).toBe('The service is briefly unavailable; retry shortly.');
  expect(JSON.stringify(result)).not.toMatch(/ECONN|postgres|select|insert|update|knex|stack|at /i);
}

describe('Postgres going away', () => {
  it('should refuse with a retryable error and 503 on /readyz while it is down, come back by itself, and store a retried send once', async () => {
    const { agent, session, visitor } = await buildActiveChat(a, { via: b });
    const live = (await connect(a, visitor)).subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));
    await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'before' } }, visitor);
    expect((await live.next(10_000)).messageAdded.seq).toBe(1);

    await proxy.refuse();
    const key = `pg-down-${randomUUID()}`;
    for (const instance of [a, b]) {
      await waitFor(async () => (await instance.get('/readyz')).status === 503, 10_000);
      expect((await instance.get('/healthz')).status).toBe(200);
      expectRetryable(await instance.http.request(SendMessageDocument, { input: { sessionId: session.id, body: 'while down', clientMessageId: key } }, visitor));
      expectRetryable(await instance.http.request(SessionDocument, { id: session.id }, visitor));
      expectRetryable(await instance.http.request(StartChatDocument, { input: { name: 'Someone' } }));
      expectRetryable(await instance.http.request(LoginDocument, SUPERVISOR));
    }

    await proxy.restore();
    for (const instance of [a, b]) await waitFor(async () => (await instance.get('/readyz')).status === 200, 20_000);
    // The widget retries with the same clientMessageId, through either instance: stored once.
    const first = await a.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'while down', clientMessageId: key } }, visitor);
    const again = await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'while down', clientMessageId: key } }, visitor);
    expect(first.sendMessage.seq).toBe(2);
    expect(again.sendMessage.id).toBe(first.sendMessage.id);
    const rows = await sql(database.url, 'select seq from message where session_id = $1 and client_message_id = $2', [session.id, key]);
    expect(rows).toEqual([{ seq: 2 }]);

    // Everything works again, including the live stream that was open all along.
    await b.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'after' } }, agent.token);
    expect((await live.take(2, 10_000)).map((m) => m.messageAdded.seq)).toEqual([2, 3]);
    await live.expectQuiet(300);
    const { startChat: fresh } = await b.http.ok(StartChatDocument, { input: { name: 'Someone' } });
    expect(fresh.session.id).toBeTruthy();
  });

  it('should lose and double nothing when its backends are terminated while sends are in flight', async () => {
    const { agent, session, visitor } = await buildActiveChat(a, { via: b });
    const refusals: Array<GqlResult<unknown>> = [];
    const answered = new Map<string, number>();
    // Six clients, each sending ten messages one after another through alternating instances,
    // retrying a refused send with its clientMessageId, as the widget does.
    const client = async (c: number) => {
      for (let i = 0; i < 10; i++) {
        const key = `kill-${c}-${i}-${randomUUID()}`;
        for (let attempt = 0; ; attempt++) {
          const result = await ((c + i + attempt) % 2 ? a : b).http.request(
            SendMessageDocument,
            { input: { sessionId: session.id, body: `client ${c} message ${i}`, clientMessageId: key } },
            c % 2 ? visitor : agent.token,
          );
          if (result.data) {
            answered.set(key, result.data.sendMessage.seq);
            break;
          }
          refusals.push(result);
          if (attempt > 50) throw new Error(`send never succeeded: ${JSON.stringify(result.errors)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const clients = Promise.all(Array.from({ length: 6 }, (_, c) => client(c)));
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      await new Promise((r) => setTimeout(r, 60));
      const rows = await sql(
        database.url,
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database.name],
      );
      killed += rows.length;
    }
    await clients;

    expect(killed).toBeGreaterThan(0);
    for (const refusal of refusals) expectRetryable(refusal);
    const { session: stored } = await a.http.ok(TranscriptDocument, { id: session.id, afterSeq: 0, limit: 200 }, visitor);
    const messages = stored!.messages.messages;
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(messages.map((m) => m.clientMessageId).sort()).toEqual([...answered.keys()].sort());
    // Every send kept the seq it was told.
    for (const m of messages) expect(answered.get(m.clientMessageId!)).toBe(m.seq);
    console.log(`pg_terminate_backend: ${killed} backends killed over 5 rounds; ${refusals.length} sends refused (all retryable) and retried`);
  });
});
