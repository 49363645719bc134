/**
 * `npm run bench`: the project against a bare reference (bench/reference/server.ts) on the
 * local Postgres and Redis, in one run. See bench/README.md for what is measured and how.
 *
 * Knobs (env): BENCH_QUICK=1 (smoke run), BENCH_SESSIONS (200), BENCH_SENDERS (32),
 * BENCH_SECONDS (8), BENCH_ROUNDS (3), BENCH_WARMUP (5 s, once per server), BENCH_ROUND_WARMUP
 * (2 s, untimed, before each measured window), BENCH_IDLE (5000: sockets for the
 * RSS-per-socket figure), BENCH_IDLE_STEPS (1000,5000,10000,20000), BENCH_RATES
 * (250,500,1000,2000), BENCH_OPEN_SECONDS (4), BENCH_REF_IDLE_STEPS (default: the steps up to
 * BENCH_IDLE), BENCH_TARGETS (project,reference),
 * BENCH_PHASES (closed,open,idle), BENCH_DATABASE_URL (admin URL of the local Postgres),
 * BENCH_REDIS_URL, BENCH_PROFILE=1 (project runs with --cpu-prof into dist-bench/profiles),
 * BENCH_PERF=1 (both run with --perf-prof, in dist-bench/profiles/, and each measured round is
 * recorded with `perf record -k mono -e cpu-clock -g` into <target>-round<n>.perf.data there;
 * then `perf inject --jit -i X.perf.data -o X.jit.data` names the JS frames),
 * BENCH_KEEP_DB=1 (do not drop the benchmark databases), BENCH_OUT (results file).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrationsList } from '../migrations';
import { fdLimit, median, openFds, rssBytes, sleep, START_CHAT, type LoadCommand, type LoadResult, type Target } from './common';

const ROOT = path.resolve(__dirname, '../..');
const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const int = (name: string, dflt: number) => {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const list = (name: string, dflt: number[]) => (env[name] ? env[name]!.split(',').map((x) => Number(x.trim())).filter((x) => x > 0) : dflt);

const cfg = {
  quick: QUICK,
  sessions: int('BENCH_SESSIONS', QUICK ? 50 : 200),
  senders: int('BENCH_SENDERS', QUICK ? 8 : 32),
  seconds: int('BENCH_SECONDS', QUICK ? 3 : 8),
  rounds: int('BENCH_ROUNDS', QUICK ? 1 : 3),
  warmupSeconds: int('BENCH_WARMUP', QUICK ? 1 : 5),
  roundWarmupSeconds: int('BENCH_ROUND_WARMUP', QUICK ? 0 : 2),
  idle: int('BENCH_IDLE', QUICK ? 500 : 5000),
  idleSteps: list('BENCH_IDLE_STEPS', QUICK ? [500, 1000] : [1000, 5000, 10000, 20000]),
  rates: list('BENCH_RATES', QUICK ? [250, 500] : [250, 500, 1000, 2000]),
  /** The reference's idle curve stops at BENCH_IDLE unless listed (its figure is the yardstick at 5k). */
  refIdleSteps: list('BENCH_REF_IDLE_STEPS', []),
  openSeconds: int('BENCH_OPEN_SECONDS', QUICK ? 2 : 4),
  targets: (env.BENCH_TARGETS ?? 'project,reference').split(',').map((t) => t.trim()) as Target[],
  phases: new Set((env.BENCH_PHASES ?? 'closed,open,idle').split(',').map((p) => p.trim())),
  adminUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  profile: env.BENCH_PROFILE === '1',
  perf: env.BENCH_PERF === '1',
  keepDb: env.BENCH_KEEP_DB === '1',
  out: env.BENCH_OUT ?? (QUICK ? path.join(ROOT, 'dist-bench', 'results.quick.json') : path.join(ROOT, 'bench', 'results.json')),
};
if (!cfg.idleSteps.includes(cfg.idle)) cfg.idleSteps = [...cfg.idleSteps, cfg.idle].sort((a, b) => a - b);
if (!cfg.refIdleSteps.length) cfg.refIdleSteps = cfg.idleSteps.filter((n) => n <= cfg.idle);

const SECRET = `bench-${randomBytes(24).toString('hex')}`;
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const WANT_FDS = 65536;
/** Raise the soft open-files limit as far as the hard limit allows (the hard limit needs privileges). */
const ULIMIT = `ulimit -n ${WANT_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`;
const LOCAL_ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const PER_IDLE_CLIENT = 5000;
const PROFILES = path.join(ROOT, 'dist-bench', 'profiles');

const log = (...args: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

// ---- Postgres ---------------------------------------------------------------------------------
function dbUrl(name: string): string {
  const url = new URL(cfg.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
/** The reference gets the project's own schema: its migrations, applied as SQL. */
async function applyMigrations(url: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const { class: M } of migrationsList) {
      const m = new (M as unknown as new (driver: unknown, config: unknown) => { up(): Promise<void>; getQueries(): unknown[] })(null, null);
      await m.up();
      for (const q of m.getQueries()) {
        if (typeof q !== 'string') throw new Error('bench: only string migrations can be applied to the reference database');
        await c.query(q);
      }
    }
  });
}
/** Idle widgets: `count` sessions of one customer, each with one stored message (seq 1). */
async function seedIdleSessions(url: string, customerId: string, count: number): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `with s as (
         insert into chat_session (id, customer_id, status, queued_at, created_at, last_seq)
         select gen_random_uuid(), $1, 'QUEUED', clock_timestamp(), now(), 1 from generate_series(1, $2)
         returning id
       )
       insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
       select gen_random_uuid(), s.id, 1, 'VISITOR', $1, 'Idle', 'hello', null, now() from s
       returning session_id`,
      [customerId, count],
    );
    return rows.map((r) => r.session_id as string);
  });
}

// ---- processes --------------------------------------------------------------------------------
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  target: Target;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  wsUrl: string;
  db: string;
  stderr: string[];
}

async function startServer(target: Target, db: string): Promise<Server> {
  const port = await freePort();
  const common = { DATABASE_URL: dbUrl(db), REDIS_URL: cfg.redisUrl, PORT: String(port), HOST: '0.0.0.0', AUTH_SECRET: SECRET };
  let script: string;
  let nodeArgs: string[] = [];
  let serverEnv: NodeJS.ProcessEnv;
  if (target === 'project') {
    script = path.join(ROOT, 'dist', 'src', 'main.js');
    // Every load socket comes from this one address: the per-IP socket cap would stop the idle steps.
    serverEnv = { ...common, NODE_ENV: 'production', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', REDIS_PREFIX: `sbb${RUN_ID}:`, WS_MAX_SOCKETS_PER_IP: '1000000' };
    if (cfg.profile) {
      fs.mkdirSync(PROFILES, { recursive: true });
      nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`];
    }
  } else {
    script = path.join(ROOT, 'dist-bench', 'bench', 'reference', 'server.js');
    serverEnv = { ...common, NODE_ENV: 'production', REDIS_PREFIX: `refb${RUN_ID}:` };
  }
  if (cfg.perf) {
    // jitdump (jit-<pid>.dump in the cwd): `perf inject --jit` then names JS frames correctly even
    // after V8 moves or frees code, which a --perf-basic-prof map cannot.
    fs.mkdirSync(PROFILES, { recursive: true });
    nodeArgs.push('--perf-prof', '--interpreted-frames-native-stack');
  }
  const command = `${ULIMIT}; exec "${process.execPath}" ${nodeArgs.join(' ')} "${script}"`;
  const child = spawn('sh', ['-c', command], {
    cwd: cfg.perf ? PROFILES : ROOT,
    env: { PATH: env.PATH, HOME: env.HOME, ...serverEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const keep = (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 200) stderr.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${target} server exited during start-up:\n${stderr.join('')}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${target} server did not start within 90 s:\n${stderr.join('')}`);
    await sleep(100);
  }
  return { target, child, pid: child.pid as number, port, url: `${url}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, db, stderr };
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(timer);
}

interface Load {
  pid: number;
  call<T = unknown>(cmd: LoadCommand): Promise<T>;
  exit(): Promise<void>;
}

async function spawnLoad(): Promise<Load> {
  const script = path.join(ROOT, 'dist-bench', 'bench', 'load.js');
  const child = spawn('sh', ['-c', `${ULIMIT}; exec "${process.execPath}" "${script}"`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  let ready: (v: unknown) => void = () => undefined;
  const readyP = new Promise((r) => (ready = r));
  let first = true;
  child.on('message', (msg: { ok: boolean; result?: unknown; error?: string }) => {
    if (first) {
      first = false;
      ready(msg.result);
      return;
    }
    const w = waiting.shift();
    if (!w) return;
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new Error(`load generator: ${msg.error}`));
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`load generator exited (${code})`));
  });
  await readyP;
  return {
    pid: child.pid as number,
    call<T>(cmd: LoadCommand) {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ resolve: resolve as (v: unknown) => void, reject });
        child.send(cmd);
      });
    },
    async exit() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ cmd: 'exit' } satisfies LoadCommand);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- phases -----------------------------------------------------------------------------------
interface Setup {
  sessions: number;
  startChatPerSecond: number;
  subscribeSeconds: number;
}
type Closed = LoadResult & { setup: Setup };
type Open = LoadResult & { offered: number; issued: number; maxInFlight: number };

async function withLoad<T>(server: Server, fn: (load: Load, setup: Setup) => Promise<T>): Promise<T> {
  const load = await spawnLoad();
  try {
    const setup = await load.call<Setup>({ cmd: 'setup', url: server.url, wsUrl: server.wsUrl, sessions: cfg.sessions, concurrency: Math.min(cfg.senders, 16), localAddresses: LOCAL_ADDRESSES });
    return await fn(load, setup);
  } finally {
    await load.exit();
  }
}

async function closedRound(server: Server, seconds: number, label?: string): Promise<Closed> {
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

/** `perf record` of one process (software cpu-clock: works in VMs without hardware counters). */
function startPerf(pid: number, file: string): { stop(): Promise<void> } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const child = spawn('perf', ['record', '-q', '-k', 'mono', '-F', '999', '-e', 'cpu-clock', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  child.on('error', (error) => log(`perf record failed: ${error.message}`));
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.pid === undefined) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

function openBroken(r: Open): string | null {
  if (r.lost) return `${r.lost} lost`;
  if (r.errors) return `${r.errors} errors`;
  if (r.subscribersEnded) return `${r.subscribersEnded} subscribers ended`;
  if (r.latency.p99 > 1000) return `p99 ${r.latency.p99.toFixed(0)} ms > 1 s`;
  if (r.rate < 0.9 * r.offered) return `achieved ${r.rate.toFixed(0)}/s < 90% of offered`;
  return null;
}

async function openCurve(server: Server): Promise<Array<Open & { broken: string | null }>> {
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

interface IdlePoint {
  requested: number;
  live: number;
  failed: number;
  rssBytes: number;
  fds: number;
  capped: boolean;
  seconds: number;
  errorSamples: string[];
}
interface IdleCurve {
  baselineRss: number;
  serverFdLimit: { soft: number; hard: number };
  points: IdlePoint[];
  rssPerSocketBytes: number;
  maxLive: number;
  note: string | null;
}

async function idleCurve(target: Target, db: string): Promise<IdleCurve> {
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

// ---- report -----------------------------------------------------------------------------------
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

interface Summary {
  rate: number;
  p50: number;
  p95: number;
  p99: number;
  cpuPerMessage: number;
  lost: number;
  errors: number;
  misordered: number;
  startChatPerSecond: number;
  machineBusy: number;
  clientCpuPerMessage: number;
}
function summarizeRounds(rounds: Closed[]): Summary {
  return {
    rate: median(rounds.map((r) => r.rate)),
    p50: median(rounds.map((r) => r.latency.p50)),
    p95: median(rounds.map((r) => r.latency.p95)),
    p99: median(rounds.map((r) => r.latency.p99)),
    cpuPerMessage: median(rounds.map((r) => r.serverCpuMicros / Math.max(1, r.sent))),
    lost: rounds.reduce((a, r) => a + r.lost, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    misordered: rounds.reduce((a, r) => a + r.misordered + r.duplicates + r.subscribersEnded, 0),
    startChatPerSecond: median(rounds.map((r) => r.setup.startChatPerSecond)),
    machineBusy: median(rounds.map((r) => r.machineBusy)),
    clientCpuPerMessage: median(rounds.map((r) => r.clientCpuMicros / Math.max(1, r.sent))),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main() {
  const startedAt = new Date();
  const t0 = Date.now();
  const self = fdLimit();
  log(`settings: ${JSON.stringify({ ...cfg, phases: [...cfg.phases] })}`);
  log(`open files: soft ${self.soft}, hard ${self.hard}`);
  const dbs: Record<Target, string> = { project: `sb_bench_${RUN_ID}_p`, reference: `sb_bench_${RUN_ID}_r` };
  const results: Record<string, unknown> = {};
  const servers: Partial<Record<Target, Server>> = {};
  try {
    await withClient(cfg.adminUrl, async (c) => {
      for (const t of cfg.targets) await c.query(`create database ${dbs[t]}`);
    });
    if (cfg.targets.includes('reference')) await applyMigrations(dbUrl(dbs.reference));

    const closed: Record<Target, Closed[]> = { project: [], reference: [] };
    const open: Partial<Record<Target, Array<Open & { broken: string | null }>>> = {};
    if (cfg.phases.has('closed') || cfg.phases.has('open')) {
      for (const t of cfg.targets) servers[t] = await startServer(t, dbs[t]);
      log(`servers up: ${cfg.targets.map((t) => `${t} pid ${servers[t]!.pid} fds ${fdLimit(servers[t]!.pid).soft}`).join(', ')}`);
      if (cfg.phases.has('closed')) {
        for (const t of cfg.targets) {
          if (cfg.warmupSeconds > 0) {
            const w = await closedRound(servers[t]!, cfg.warmupSeconds);
            log(`  ${t} warm-up: ${fmt(w.rate)} msg/s`);
          }
        }
        for (let round = 0; round < cfg.rounds; round++) {
          const order = round % 2 ? [...cfg.targets].reverse() : cfg.targets;
          for (const t of order) {
            const r = await closedRound(servers[t]!, cfg.seconds, `round${round + 1}`);
            closed[t].push(r);
            log(
              `  round ${round + 1} ${t}: ${fmt(r.rate)} msg/s, p50 ${fmt(r.latency.p50, 1)} p95 ${fmt(r.latency.p95, 1)} p99 ${fmt(r.latency.p99, 1)} ms, ` +
                `CPU ${fmt(r.serverCpuMicros / Math.max(1, r.sent))} µs/msg (sys ${fmt(r.serverSysMicros / Math.max(1, r.sent))}), lost ${r.lost}, errors ${r.errors}, machine ${fmt(r.machineBusy * 100)}% busy` +
                (r.errorSamples.length ? `\n    errors: ${r.errorSamples.join('\n    ')}` : ''),
            );
          }
        }
      }
      if (cfg.phases.has('open')) for (const t of cfg.targets) open[t] = await openCurve(servers[t]!);
      for (const t of cfg.targets) await stopServer(servers[t]!);
    }
    const idle: Partial<Record<Target, IdleCurve>> = {};
    if (cfg.phases.has('idle')) for (const t of cfg.targets) idle[t] = await idleCurve(t, dbs[t]);

    // ---- the table
    const sum: Partial<Record<Target, Summary>> = {};
    for (const t of cfg.targets) if (closed[t].length) sum[t] = summarizeRounds(closed[t]);
    const P = sum.project;
    const R = sum.reference;
    const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b ? a / b : NaN);
    const openAt = (t: Target, rate: number) => open[t]?.find((o) => o.offered === rate);
    const lostTotal = (t: Target) =>
      (sum[t]?.lost ?? 0) + (open[t] ?? []).reduce((a, o) => a + o.lost, 0);
    const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'NOT met');
    const rows: string[][] = [['metric', 'project', 'reference', 'project/ref', 'target', 'verdict']];
    const tput = ratio(P?.rate, R?.rate);
    rows.push(['messages/s (closed loop, median)', fmt(P?.rate ?? NaN), fmt(R?.rate ?? NaN), fmt(tput, 2), '>= 0.70', verdict(Number.isFinite(tput) ? tput >= 0.7 : null)]);
    rows.push(['latency p50 ms (send -> subscriber)', fmt(P?.p50 ?? NaN, 1), fmt(R?.p50 ?? NaN, 1), fmt(ratio(P?.p50, R?.p50), 2), '', '']);
    rows.push(['latency p95 ms', fmt(P?.p95 ?? NaN, 1), fmt(R?.p95 ?? NaN, 1), fmt(ratio(P?.p95, R?.p95), 2), '', '']);
    rows.push(['latency p99 ms', fmt(P?.p99 ?? NaN, 1), fmt(R?.p99 ?? NaN, 1), fmt(ratio(P?.p99, R?.p99), 2), '', '']);
    const cpu = ratio(P?.cpuPerMessage, R?.cpuPerMessage);
    rows.push(['server CPU µs/message', fmt(P?.cpuPerMessage ?? NaN), fmt(R?.cpuPerMessage ?? NaN), fmt(cpu, 2), '<= 1.43 (ref/project >= 0.7)', verdict(Number.isFinite(cpu) ? cpu <= 1 / 0.7 : null)]);
    const rssP = idle.project?.rssPerSocketBytes;
    const rssR = idle.reference?.rssPerSocketBytes;
    const rss = ratio(rssP, rssR);
    rows.push([`RSS KB per idle subscribed socket (at ${cfg.idle})`, fmt((rssP ?? NaN) / 1024, 1), fmt((rssR ?? NaN) / 1024, 1), fmt(rss, 2), '<= 1.50', verdict(Number.isFinite(rss) ? rss <= 1.5 : null)]);
    const o1000P = openAt('project', 1000);
    const o1000R = openAt('reference', 1000);
    rows.push([
      'p99 ms at 1000 msg/s offered (open loop)',
      o1000P ? fmt(o1000P.latency.p99, 1) : 'not reached',
      o1000R ? fmt(o1000R.latency.p99, 1) : 'not reached',
      fmt(ratio(o1000P?.latency.p99, o1000R?.latency.p99), 2),
      '<= 50 ms (project)',
      verdict(cfg.phases.has('open') && cfg.targets.includes('project') ? Boolean(o1000P && o1000P.latency.p99 <= 50 && !o1000P.broken) : null),
    ]);
    const maxP = idle.project?.maxLive;
    rows.push([
      'idle subscribed sockets held (max step)',
      fmt(maxP ?? NaN),
      fmt(idle.reference?.maxLive ?? NaN),
      '',
      '>= 20000 (project)',
      verdict(idle.project ? (maxP ?? 0) >= 20000 : null),
    ]);
    const lostP = lostTotal('project');
    const lostR = lostTotal('reference');
    const badOrder = (t: Target) => (sum[t]?.misordered ?? 0) + (open[t] ?? []).reduce((a, o) => a + o.misordered + o.duplicates + o.subscribersEnded, 0);
    rows.push(['messages lost (all loads)', String(lostP), String(lostR), '', '0', verdict(lostP === 0 && badOrder('project') === 0)]);
    rows.push(['gaps/duplicates/ended streams', String(badOrder('project')), String(badOrder('reference')), '', '0', '']);
    rows.push(['sendMessage errors', String((P?.errors ?? 0) + (open.project ?? []).reduce((a, o) => a + o.errors, 0)), String((R?.errors ?? 0) + (open.reference ?? []).reduce((a, o) => a + o.errors, 0)), '', '0', '']);
    rows.push(['startChat/s (setup, info)', fmt(P?.startChatPerSecond ?? NaN), fmt(R?.startChatPerSecond ?? NaN), fmt(ratio(P?.startChatPerSecond, R?.startChatPerSecond), 2), '', '']);
    rows.push(['machine busy % during rounds (info)', fmt((P?.machineBusy ?? NaN) * 100), fmt((R?.machineBusy ?? NaN) * 100), '', '', '']);

    const curveRows: string[][] = [['open loop offered msg/s', ...cfg.targets.flatMap((t) => [`${t} achieved`, `${t} p50 ms`, `${t} p99 ms`])]];
    for (const rate of cfg.rates) {
      curveRows.push([
        String(rate),
        ...cfg.targets.flatMap((t) => {
          const o = openAt(t, rate);
          if (!o) return ['-', '-', '-'];
          return [fmt(o.rate) + (o.broken ? ' (broke)' : ''), fmt(o.latency.p50, 1), fmt(o.latency.p99, 1)];
        }),
      ]);
    }
    const idleRows: string[][] = [['idle sockets', ...cfg.targets.flatMap((t) => [`${t} live`, `${t} RSS MB`, `${t} KB/socket`])]];
    for (const n of cfg.idleSteps) {
      idleRows.push([
        String(n),
        ...cfg.targets.flatMap((t) => {
          const c = idle[t];
          const p = c?.points.find((x) => x.requested === n || (x.capped && n > x.requested && x === c.points[c.points.length - 1]));
          if (!c || !p) return ['-', '-', '-'];
          return [String(p.live) + (p.capped ? '*' : ''), fmt(p.rssBytes / 1048576), fmt((p.rssBytes - c.baselineRss) / Math.max(1, p.live) / 1024, 1)];
        }),
      ]);
    }
    for (const t of cfg.targets) if (idle[t]) idleRows.push([`baseline (${t})`, ...cfg.targets.flatMap((u) => (u === t ? ['0', fmt(idle[t]!.baselineRss / 1048576), ''] : ['', '', '']))]);

    const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
    const machine = `${os.cpus().length} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.type()} ${os.release()}`;
    const settings = `S=${cfg.sessions} sessions, C=${cfg.senders} senders, T=${cfg.seconds} s x ${cfg.rounds} rounds (alternating, medians), warm-up ${cfg.warmupSeconds} s + ${cfg.roundWarmupSeconds} s per round, open loop ${cfg.openSeconds} s/step, idle steps ${cfg.idleSteps.join('/')}`;
    const notes = cfg.targets.flatMap((t) => (idle[t]?.note ? [`${t}: ${idle[t]!.note}`] : []));
    const elapsed = (Date.now() - t0) / 1000;
    const text = [
      `Switchboard benchmark, ${startedAt.toISOString()}${cfg.quick ? ' (QUICK smoke run, not comparable)' : ''}`,
      `Machine: ${machine}`,
      `Settings: ${settings}`,
      '',
      table(rows),
      '',
      table(curveRows),
      '',
      table(idleRows),
      ...(notes.length ? ['', ...notes.map((n) => `* ${n}`)] : []),
      '',
      `Run took ${elapsed.toFixed(0)} s.`,
    ].join('\n');
    console.log(text);

    Object.assign(results, {
      date: startedAt.toISOString(),
      machine,
      settings: { ...cfg, phases: [...cfg.phases] },
      summary: sum,
      ratios: { throughput: tput, cpuPerMessage: cpu, rssPerIdleSocket: rss, p99Closed: ratio(P?.p99, R?.p99) },
      targets: {
        throughput: Number.isFinite(tput) ? tput >= 0.7 : null,
        cpuPerMessage: Number.isFinite(cpu) ? cpu <= 1 / 0.7 : null,
        rssPerIdleSocket: Number.isFinite(rss) ? rss <= 1.5 : null,
        p99At1000: o1000P ? o1000P.latency.p99 <= 50 && !o1000P.broken : null,
        idle20k: idle.project ? (maxP ?? 0) >= 20000 : null,
        zeroLost: lostP === 0 && badOrder('project') === 0,
      },
      closed,
      open,
      idle,
      notes,
      table: text,
      seconds: elapsed,
    });
    fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
    fs.writeFileSync(cfg.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${path.relative(ROOT, cfg.out)}`);
    if (!cfg.quick && !env.BENCH_OUT) updateReadme(text);
  } finally {
    for (const s of Object.values(servers)) if (s) await stopServer(s).catch(() => undefined);
    if (!cfg.keepDb) {
      await withClient(cfg.adminUrl, async (c) => {
        for (const t of cfg.targets) await c.query(`drop database if exists ${dbs[t]} with (force)`);
      }).catch((error: unknown) => log('could not drop the benchmark databases:', error));
    }
  }
}

/** The README shows the latest full run's table, between markers. */
function updateReadme(text: string): void {
  const file = path.join(ROOT, 'bench', 'README.md');
  if (!fs.existsSync(file)) return;
  const readme = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) return;
  fs.writeFileSync(file, `${readme.slice(0, a + start.length)}\n\`\`\`\n${text}\n\`\`\`\n${readme.slice(b)}`);
  log('bench/README.md updated');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
