/** The three phases: closed-loop rounds, the open-loop curve, the idle-socket curve. */
import path from 'node:path';
import { fdLimit, openFds, rssBytes, sleep, START_CHAT, type LoadResult, type Target } from './common';
import { cfg, LOCAL_ADDRESSES, log, PER_IDLE_CLIENT, PROFILES } from './config';
import { dbUrl, seedIdleSessions } from './db';
import { spawnLoad, startPerf, startServer, stopServer, type Load, type Server } from './processes';

export interface Setup {
  sessions: number;
  startChatPerSecond: number;
  subscribeSeconds: number;
}
export type Closed = LoadResult & { setup: Setup };
export type Open = LoadResult & { offered: number; issued: number; maxInFlight: number };

export async function withLoad<T>(server: Server, fn: (load: Load, setup: Setup) => Promise<T>): Promise<T> {
  const load = await spawnLoad();
  try {
    const setup = await load.call<Setup>({ cmd: 'setup', url: server.url, wsUrl: server.wsUrl, sessions: cfg.sessions, concurrency: Math.min(cfg.senders, 16), localAddresses: LOCAL_ADDRESSES });
    return await fn(load, setup);
  } finally {
    await load.exit();
  }
}

export async function closedRound(server: Server, seconds: number, label?: string): Promise<Closed> {
  return withLoad(server, async (load, setup) => {
    // A short untimed burst right before the window: the server just sat idle while the other one ran.
    if (label && cfg.roundWarmupSeconds > 0) await load.call<LoadResult>({ cmd: 'closed', senders: cfg.senders, seconds: cfg.roundWarmupSeconds, serverPid: server.pid, drainMs: 5000 });
    const perf = cfg.perf && label ? startPerf(server.pid, path.join(PROFILES, `${server.target}-${label}.perf.data`)) : null;
    try {
      const r = await load.call<LoadResult>({ cmd: 'closed', senders: cfg.senders, seconds, serverPid: server.pid, drainMs: 5000 });
      return { ...r, setup };
    } finally {
      await perf?.stop();
    }
  });
}

export function openBroken(r: Open): string | null {
  if (r.lost) return `${r.lost} lost`;
  if (r.errors) return `${r.errors} errors`;
  if (r.subscribersEnded) return `${r.subscribersEnded} subscribers ended`;
  if (r.latency.p99 > 1000) return `p99 ${r.latency.p99.toFixed(0)} ms > 1 s`;
  if (r.rate < 0.9 * r.offered) return `achieved ${r.rate.toFixed(0)}/s < 90% of offered`;
  return null;
}

export async function openCurve(server: Server): Promise<Array<Open & { broken: string | null }>> {
  return withLoad(server, async (load) => {
    const out: Array<Open & { broken: string | null }> = [];
    for (const rate of cfg.rates) {
      const r = await load.call<Open>({ cmd: 'open', rate, seconds: cfg.openSeconds, serverPid: server.pid, drainMs: 5000, maxInFlight: 1024 });
      const broken = openBroken(r);
      out.push({ ...r, broken });
      log(`  ${server.target} open ${rate}/s: achieved ${r.rate.toFixed(0)}/s p50 ${r.latency.p50.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} ms lost ${r.lost}${broken ? ` BROKEN (${broken})` : ''}`);
      if (broken) break;
    }
    return out;
  });
}

export interface IdlePoint {
  requested: number;
  live: number;
  failed: number;
  rssBytes: number;
  fds: number;
  capped: boolean;
  seconds: number;
  errorSamples: string[];
}
export interface IdleCurve {
  baselineRss: number;
  serverFdLimit: { soft: number; hard: number };
  points: IdlePoint[];
  rssPerSocketBytes: number;
  maxLive: number;
  note: string | null;
}

export async function idleCurve(target: Target, db: string): Promise<IdleCurve> {
  const server = await startServer(target, db);
  const loads: Load[] = [];
  try {
    const limit = fdLimit(server.pid);
    const maxSockets = Math.max(0, limit.soft - 64);
    const steps = (target === 'reference' ? cfg.refIdleSteps : cfg.idleSteps).map((n) => ({ n: Math.min(n, maxSockets), capped: n > maxSockets }));
    const top = Math.max(...steps.map((s) => s.n));
    // One customer (its token), one session per idle widget, each with a stored message.
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: START_CHAT, variables: { input: { name: 'Idle', message: 'hello' } } }),
    });
    const started = (await res.json()) as { data: { startChat: { visitorToken: string; session: { id: string; customer: { id: string } } } } };
    const { visitorToken, session } = started.data.startChat;
    const ids = await seedIdleSessions(dbUrl(db), session.customer.id, top);
    const clients = Math.max(1, Math.ceil(top / PER_IDLE_CLIENT));
    for (let i = 0; i < clients; i++) loads.push(await spawnLoad());
    // Warm the subscribe path once, then the baseline.
    await loads[0].call({ cmd: 'idle', wsUrl: server.wsUrl, token: visitorToken, sessionIds: [session.id], concurrency: 1, localAddresses: LOCAL_ADDRESSES });
    await sleep(2000);
    const baselineRss = rssBytes(server.pid);
    const points: IdlePoint[] = [];
    let opened = 0;
    let note: string | null = null;
    for (const step of steps) {
      if (step.n <= opened) continue;
      const batch = ids.slice(opened, step.n);
      const t0 = Date.now();
      const parts = loads.map((_, i) => batch.filter((__, j) => j % clients === i));
      const results = await Promise.all(
        parts.map((sessionIds, i) =>
          sessionIds.length
            ? loads[i].call<{ live: number; failed: number; errorSamples: string[] }>({ cmd: 'idle', wsUrl: server.wsUrl, token: visitorToken, sessionIds, concurrency: 50, localAddresses: LOCAL_ADDRESSES.slice(i % 2 ? 3 : 0) })
            : Promise.resolve({ live: 0, failed: 0, errorSamples: [] as string[] }),
        ),
      );
      opened = step.n;
      await sleep(1500);
      const statuses = await Promise.all(loads.map((l) => l.call<{ idleOpen: number }>({ cmd: 'status' })));
      const live = statuses.reduce((a, s) => a + s.idleOpen, 0) - 1; // minus the warm-up socket
      const failed = results.reduce((a, r) => a + r.failed, 0);
      const point: IdlePoint = {
        requested: step.n,
        live,
        failed,
        rssBytes: rssBytes(server.pid),
        fds: openFds(server.pid),
        capped: step.capped,
        seconds: (Date.now() - t0) / 1000,
        errorSamples: results.flatMap((r) => r.errorSamples).slice(0, 3),
      };
      points.push(point);
      log(`  ${target} idle ${step.n}${step.capped ? ' (capped by fd limit)' : ''}: live ${live}, RSS ${(point.rssBytes / 1048576).toFixed(0)} MB, fds ${point.fds}, ${point.seconds.toFixed(1)} s`);
      if (failed > step.n * 0.01) {
        note = `stopped at ${step.n}: ${failed} subscriptions failed (${point.errorSamples.join('; ')})`;
        break;
      }
    }
    if (steps.some((s) => s.capped)) {
      note = `${note ? `${note}; ` : ''}server open-files limit is ${limit.soft} (hard ${limit.hard}; raising it needs CAP_SYS_RESOURCE), so the largest step was capped at ${maxSockets}`;
    }
    const at = points.find((p) => p.requested === cfg.idle) ?? points[points.length - 1];
    return {
      baselineRss,
      serverFdLimit: limit,
      points,
      rssPerSocketBytes: at ? (at.rssBytes - baselineRss) / Math.max(1, at.live) : NaN,
      maxLive: Math.max(0, ...points.map((p) => p.live)),
      note,
    };
  } finally {
    await Promise.all(loads.map((l) => l.exit()));
    await stopServer(server);
  }
}

