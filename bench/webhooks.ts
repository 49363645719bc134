/**
 * The webhook phase (issue 13, "Measure"): a fresh project server and a receiver in this process
 * that answers 204 at once.
 *   - added CPU per message: the open loop at WEBHOOK_RATE msg/s, with no endpoint and then with
 *     one endpoint on message.created; server CPU from the first send until the receiver has
 *     every delivery (or 1 s after the last send, with none), per message acknowledged;
 *   - delivery lag at that rate: the receiver's clock minus the message's createdAt;
 *   - throughput: closed-loop senders for T seconds with 1 and then 10 endpoints, deliveries per
 *     second from the first send until the last delivery arrived.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { cpuMicros, sleep, summarize, type LoadResult } from './common';
import { cfg, env, log, PROFILES } from './config';
import { withLoad } from './phases';
import { startPerf, startServer, stopServer, type Server } from './processes';

const RATE = Number(env.BENCH_WEBHOOK_RATE ?? 200);
/** Measured pairs of windows (none, one endpoint); medians reported. */
const REPEAT = Number(env.BENCH_WEBHOOK_REPEAT ?? (cfg.quick ? 1 : 5));
const SUPERVISOR = { email: 'bench-supervisor@example.com', password: 'bench-supervisor-password' };

export interface WebhookBench {
  rate: number;
  cpuPerMessageMicros: { none: number; one: number; addedPercent: number; pairs: Array<{ none: number; one: number }> };
  lagMs: { p50: number; p99: number; max: number; delivered: number; sent: number };
  throughput: Array<{ endpoints: number; messages: number; deliveries: number; seconds: number; perSecond: number }>;
}

function startReceiver() {
  const arrivals: Array<{ at: number; createdAt: number }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { message?: { createdAt: string } } };
      arrivals.push({ at, createdAt: event.data.message ? Date.parse(event.data.message.createdAt) : at });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 5000;
  return new Promise<{ url: string; arrivals: typeof arrivals; close(): Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/hook`, arrivals, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

async function gql<T>(server: Server, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: T; errors?: unknown };
  if (!json.data) throw new Error(`bench webhooks: ${JSON.stringify(json.errors)}`);
  return json.data;
}

/** Until `n` deliveries arrived (or `ms` passed): when the last one came. */
async function drained(arrivals: ReadonlyArray<{ at: number }>, n: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (arrivals.length < n && Date.now() < deadline) await sleep(20);
  return arrivals.length ? arrivals[arrivals.length - 1].at : Date.now();
}

export async function webhookPhase(db: string): Promise<WebhookBench> {
  const receiver = await startReceiver();
  const server = await startServer('project', db, { env: { WEBHOOK_ALLOW_PRIVATE: '1', SUPERVISOR_EMAIL: SUPERVISOR.email, SUPERVISOR_PASSWORD: SUPERVISOR.password } });
  try {
    const { login } = await gql<{ login: { token: string } }>(server, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: SUPERVISOR.email, p: SUPERVISOR.password });
    const token = login.token;
    const endpoints: string[] = [];
    const setEndpoints = async (n: number) => {
      while (endpoints.length > n) await gql(server, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoints.pop() }, token);
      while (endpoints.length < n) {
        const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(
          server,
          'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
          { input: { url: `${receiver.url}/${endpoints.length}`, events: ['message.created'] } },
          token,
        );
        endpoints.push(createWebhookEndpoint.endpoint.id);
      }
    };
    return await withLoad(server, async (load) => {
      const seconds = Math.max(cfg.openSeconds * 2, 4);
      const openRun = async (withEndpoint: boolean, label?: string) => {
        await setEndpoints(withEndpoint ? 1 : 0);
        receiver.arrivals.length = 0;
        // BENCH_PERF=1: each measured window recorded (dist-bench/profiles/webhooks-none|one.perf.data).
        const perf = cfg.perf && label ? startPerf(server.pid, path.join(PROFILES, `webhooks-${label}.perf.data`)) : null;
        const cpu0 = cpuMicros(server.pid);
        const r = await load.call<LoadResult>({ cmd: 'open', rate: RATE, seconds, serverPid: server.pid, drainMs: 5000, maxInFlight: 1024 });
        if (withEndpoint) await drained(receiver.arrivals, r.sent, 30_000);
        else await sleep(1000);
        const cpu = (cpuMicros(server.pid) - cpu0) / Math.max(1, r.sent);
        await perf?.stop();
        return { r, cpu };
      };
      await openRun(true); // warm-up, the delivery path included (its code compiled before the windows)
      // Pairs of windows, none then one, REPEAT times: medians (a single pair swings by ±10 % on a shared machine).
      const nones: number[] = [];
      const ones: Array<{ cpu: number; sent: number; lags: number[] }> = [];
      for (let i = 0; i < REPEAT; i++) {
        nones.push((await openRun(false, i === 0 ? 'none' : undefined)).cpu);
        const one = await openRun(true, i === 0 ? 'one' : undefined);
        ones.push({ cpu: one.cpu, sent: one.r.sent, lags: receiver.arrivals.map((a) => a.at - a.createdAt) });
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const none = { cpu: median(nones) };
      const one = { cpu: median(ones.map((o) => o.cpu)), r: { sent: ones.reduce((n, o) => n + o.sent, 0) } };
      const lags = ones.flatMap((o) => o.lags);
      const lag = summarize(lags);
      // The added share: the median of the pairs' own ratios (each pair ran back to back, so the machine's drift cancels out).
      const added = median(ones.map((o, i) => (o.cpu / nones[i] - 1) * 100));
      log(`  webhooks: pairs (none → one µs/msg): ${nones.map((n, i) => `${n.toFixed(0)} → ${ones[i].cpu.toFixed(0)}`).join(', ')}`);
      log(`  webhooks: CPU ${none.cpu.toFixed(0)} → ${one.cpu.toFixed(0)} µs/msg (medians) at ${RATE} msg/s, +${added.toFixed(0)} % (median of the pairs); lag p50 ${lag.p50.toFixed(0)} p99 ${lag.p99.toFixed(0)} ms (${lags.length}/${one.r.sent})`);
      const throughput: WebhookBench['throughput'] = [];
      for (const n of [1, 10]) {
        await setEndpoints(n);
        receiver.arrivals.length = 0;
        const started = Date.now();
        const r = await load.call<LoadResult>({ cmd: 'closed', senders: cfg.senders, seconds: cfg.seconds, serverPid: server.pid, drainMs: 5000 });
        const last = await drained(receiver.arrivals, r.sent * n, 120_000);
        const took = (last - started) / 1000;
        throughput.push({ endpoints: n, messages: r.sent, deliveries: receiver.arrivals.length, seconds: took, perSecond: receiver.arrivals.length / took });
        log(`  webhooks: ${n} endpoint(s): ${receiver.arrivals.length}/${r.sent * n} deliveries in ${took.toFixed(1)} s = ${(receiver.arrivals.length / took).toFixed(0)}/s`);
      }
      return {
        rate: RATE,
        cpuPerMessageMicros: { none: none.cpu, one: one.cpu, addedPercent: added, pairs: nones.map((n, i) => ({ none: n, one: ones[i].cpu })) },
        lagMs: { p50: lag.p50, p99: lag.p99, max: lag.max, delivered: lags.length, sent: one.r.sent },
        throughput,
      };
    });
  } finally {
    // The server logs at warn: a relay or delivery that failed during the phase explains a lag.
    const warnings = server.stderr.join('').split('\n').filter((line) => /webhook|relay/.test(line));
    if (warnings.length) log(`  webhooks: the server warned ${warnings.length} time(s), e.g. ${warnings[0].slice(0, 300)}`);
    await stopServer(server);
    await receiver.close();
  }
}

export function webhookTable(w: WebhookBench): string[][] {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  return [
    ['webhooks (project)', 'value', 'target'],
    [`CPU/msg at ${w.rate} msg/s, no endpoint (median of ${w.cpuPerMessageMicros.pairs.length})`, `${f(w.cpuPerMessageMicros.none)} µs`, ''],
    [`CPU/msg at ${w.rate} msg/s, 1 endpoint on message.created`, `${f(w.cpuPerMessageMicros.one)} µs`, ''],
    ['added CPU/msg (median of the pairs)', `+${f(w.cpuPerMessageMicros.addedPercent, 1)} % (${w.cpuPerMessageMicros.pairs.map((p) => `${f((p.one / p.none - 1) * 100)}`).join(', ')})`, '≤ +15 %'],
    [`delivery lag at ${w.rate} msg/s p50 / p99`, `${f(w.lagMs.p50)} / ${f(w.lagMs.p99)} ms (${w.lagMs.delivered}/${w.lagMs.sent})`, 'p99 ≤ 1000 ms'],
    ...w.throughput.map((t) => [`deliveries/s, ${t.endpoints} endpoint(s)`, `${f(t.perSecond)} (${t.deliveries}/${t.messages * t.endpoints} in ${f(t.seconds, 1)} s)`, '']),
  ];
}
