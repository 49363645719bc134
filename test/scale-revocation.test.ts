import { AgentsDocument, OnAgentUpdatedDocument, RevokeApiKeyDocument } from './generated/graphql';
import { startCluster, TcpProxy, type Cluster, type Instance } from './support/cluster';
import { TEST_REDIS_URL } from './support/env';
import { loginSupervisor, waitFor, wsClient } from './support/factories';
import { buildApiKey } from './support/keys';
import { RestClient } from './support/rest';

/**
 * Revoking an API key, with real server processes: the key is refused, and its open sockets are
 * closed with 4403, within 5 seconds on every instance; also on one that was cut off from Redis
 * when the revocation was published (it re-checks against Postgres once its bus is back).
 */
jest.setTimeout(120_000);

let cluster: Cluster;
let a: Instance;
let b: Instance;
let cut: Instance;
let proxy: TcpProxy;
let supervisor: string;

beforeAll(async () => {
  proxy = await TcpProxy.to(TEST_REDIS_URL);
  cluster = await startCluster({ count: 2 });
  [a, b] = cluster.instances;
  cut = await cluster.add({ REDIS_URL: proxy.rewrite(TEST_REDIS_URL) });
  supervisor = await loginSupervisor(a);
});

/** A key in use on `on`: verified there (cached) and holding a live subscription. */
async function inUse(on: Instance, name: string) {
  const key = await buildApiKey(a, ['AGENTS_READ'], name, supervisor);
  await on.http.ok(AgentsDocument, {}, key.secret);
  expect((await new RestClient(on.base).get('/agents', { token: key.secret })).status).toBe(200);
  const client = wsClient(on, key.secret);
  const stream = client.subscribe(OnAgentUpdatedDocument, {});
  await client.connected;
  await stream.expectQuiet(200);
  return { key, client };
}

describe('revoking an API key across instances', () => {
  it('should refuse it and close its sockets with 4403 within 5 s on another instance', async () => {
    const { key, client } = await inUse(b, 'revoked on a, used on b');
    const started = Date.now();
    await a.http.ok(RevokeApiKeyDocument, { id: key.id }, supervisor);
    const closed = await Promise.race([client.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000).unref())]);
    expect(closed).toEqual({ code: 4403, reason: 'Forbidden' });
    const socketClosedMs = Date.now() - started;
    await waitFor(async () => (await b.http.request(AgentsDocument, {}, key.secret)).status === 401, 5000 - (Date.now() - started));
    expect(Date.now() - started).toBeLessThan(5000);
    console.log(`revocation on another instance: socket closed after ${socketClosedMs} ms, key refused after ${Date.now() - started} ms`);
    expect((await new RestClient(b.base).get('/agents', { token: key.secret })).status).toBe(401);
    expect((await wsClient(b, key.secret).closed).code).toBe(4403);
  });

  it('should catch up from Postgres on an instance that missed the revocation while Redis was away', async () => {
    const { key, client } = await inUse(cut, 'revoked while the bus was down');
    await proxy.refuse();
    await new Promise((r) => setTimeout(r, 500)); // its subscriber has noticed
    await a.http.ok(RevokeApiKeyDocument, { id: key.id }, supervisor);
    // Its cache is not trusted while its bus is deaf: the key is refused from the database.
    await waitFor(async () => (await cut.http.request(AgentsDocument, {}, key.secret)).status === 401, 5000);
    await proxy.restore();
    const restored = Date.now();
    expect(await client.closed).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(Date.now() - restored).toBeLessThan(5000);
  });
});
