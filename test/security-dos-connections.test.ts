import net from 'node:net';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { startChat, type Target } from './support/factories';
import { measureAttack, NORMAL_P95_MS, RawSocket, sleep } from './support/security';
import { startTestServer } from './support/server';

/**
 * Connection exhaustion (Hardening II, item 4) and /metrics exposure ("Also"), against a real
 * server process on loopback with short limits: silent TCP connections are timed out, sockets
 * per IP are capped, sockets that hold nothing are closed, and every refusal is counted.
 */
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let cluster: Cluster;
let server: Instance;
let t: Target;

const healthz = async () => {
  const response = await fetch(`${server.base}/healthz`);
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
};

async function rejected(reason: string): Promise<number> {
  const response = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const match = new RegExp(`^switchboard_connections_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(await response.text());
  return Number(match?.[1] ?? 0);
}

beforeAll(async () => {
  cluster = await startCluster({
    count: 1,
    env: { HTTP_HEADERS_TIMEOUT_MS: '2000', WS_MAX_SOCKETS_PER_IP: '20', WS_IDLE_SECONDS: '2', METRICS_PUBLIC: '0', METRICS_TOKEN },
  });
  server = cluster.instances[0];
  t = server;
}, 60_000);


describe('silent TCP connections', () => {
  it('should close 500 connections that send nothing within the headers timeout, count them, and keep serving meanwhile', async () => {
    const before = await rejected('http_timeout');
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    try {
      const measure = await measureAttack(
        '500 silent TCP connections',
        server.pid,
        async () => {
          for (let i = 0; i < 500; i++) {
            const socket = net.connect(server.port, '127.0.0.1');
            socket.on('error', () => undefined);
            socket.on('close', () => closedByServer++);
            sockets.push(socket);
          }
          const deadline = Date.now() + 6000;
          while (closedByServer < 500 && Date.now() < deadline) await sleep(100);
        },
        healthz,
      );
      expect(closedByServer).toBe(500);
      expect(measure.ms).toBeLessThan(5000); // 2 s of headers timeout, checked every second
      expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
      expect((await rejected('http_timeout')) - before).toBe(500);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('WebSockets', () => {
  it('should open at most WS_MAX_SOCKETS_PER_IP sockets from one address, refuse the rest with 429, and count them', async () => {
    const before = await rejected('ws_per_ip');
    const sockets = Array.from({ length: 40 }, () => new RawSocket(t.wsUrl));
    try {
      const outcomes = await Promise.all(sockets.map((s) => s.opened.then(() => 'open', () => s.refusedStatus)));
      expect(outcomes.filter((o) => o === 'open')).toHaveLength(20);
      expect(outcomes.filter((o) => o === 429)).toHaveLength(20);
      expect((await rejected('ws_per_ip')) - before).toBe(20);
      await healthz();
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
  });

  it('should close a socket that holds no subscription for WS_IDLE_SECONDS, and keep one that does', async () => {
    await sleep(200); // the previous test's sockets are gone
    const before = await rejected('ws_idle');
    const { session, token } = await startChat(t);
    const idle = new RawSocket(t.wsUrl);
    const busy = new RawSocket(t.wsUrl);
    try {
      await Promise.all([idle.init(), busy.init(token)]);
      busy.start('subscription ($id: ID!) { sessionUpdated(sessionId: $id) { id } }', { id: session.id });
      const started = Date.now();
      const closed = await idle.closed;
      expect(closed).toEqual({ code: 1000, reason: 'Idle: no subscription' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(Date.now() - started).toBeLessThan(5000);
      await sleep(2500);
      expect(busy.isOpen).toBe(true);
      expect((await rejected('ws_idle')) - before).toBe(1);
    } finally {
      await Promise.all([idle.close(), busy.close()]);
    }
  });

  it('should let a normal client connect again once the flood is gone', async () => {
    const sockets = Array.from({ length: 20 }, () => new RawSocket(t.wsUrl));
    try {
      await Promise.all(sockets.map((s) => s.init()));
      expect((await sockets[0].run('{ __typename }')).data).toEqual({ __typename: 'Query' });
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
  });
});

describe('GET /metrics', () => {
  it('should need the bearer METRICS_TOKEN on the main port when one is set', async () => {
    expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/switchboard_websockets_open/);
  });

  it('should not be on the main port by default, and be served on METRICS_PORT when set', async () => {
    const local = await startTestServer({ env: { METRICS_PUBLIC: '0', METRICS_PORT: '0' } });
    try {
      expect((await fetch(`${local.server.url}/metrics`)).status).toBe(404);
      expect(local.server.metricsPort).toBeGreaterThan(0);
      const own = await fetch(`http://127.0.0.1:${local.server.metricsPort}/metrics`);
      expect(own.status).toBe(200);
      expect(await own.text()).toMatch(/switchboard_process_process_max_fds/);
      expect((await fetch(`http://127.0.0.1:${local.server.metricsPort}/graphql`)).status).toBe(404);
    } finally {
      await local.close();
    }
  });
});
