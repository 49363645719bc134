/**
 * `npm run bench:storm`: the reconnect storm. STORM_WIDGETS widgets (5,000) and STORM_AGENTS
 * agents (20, with their chats) subscribed through instance A; STORM_RATE messages/s (200) sent
 * through a third instance C; SIGKILL A; every socket reconnects to B (after a random pause of up
 * to STORM_JITTER_MS, 1000) with afterSeq. Measured: time from the kill until each stream has
 * every acknowledged message of its session again (p50/p99/max), Postgres statements per
 * resubscription (B's connections go through a counting proxy, ./pg-count.ts), B's CPU and RSS
 * peak; nothing may be lost or doubled. Results: dist-bench/storm.json and the printed table.
 *
 * Knobs (env): STORM_WIDGETS, STORM_AGENTS, STORM_RATE, STORM_JITTER_MS, STORM_LOADS (load
 * processes, 2), STORM_BEFORE (s of traffic before the kill, 5), STORM_AFTER (s after, 15),
 * STORM_COUNT_STATEMENTS (1; 0: no proxy, for timing), STORM_WARM (1000: other widgets subscribe on
 * B once each before the storm, so that B is as warm as a running instance), BENCH_DATABASE_URL, BENCH_REDIS_URL,
 * STORM_ENV (extra server env, `A=1,B=2`), BENCH_PERF=1 (B is recorded by `perf record` from the kill
 * until every stream has caught up, into dist-bench/profiles/storm-b.perf.data; the servers run with
 * --perf-prof so that `perf inject --jit` names the JS frames).
 */
import fs from 'node:fs';
import path from 'node:path';
import { cpuMicros, rssBytes, sleep, summarize } from './common';
import { cfg as bench, envNumber, log, PROFILES, ROOT, RUN_ID } from './config';
import { dbUrl, withClient } from './db';
import { StatementCounter } from './pg-count';
import { spawnLoad, startPerf, startServer, stopServer, type Load, type Server } from './processes';

const num = envNumber;
const cfg = {
  widgets: num('STORM_WIDGETS', 5000),
  agents: num('STORM_AGENTS', 20),
  rate: num('STORM_RATE', 200),
  jitterMs: num('STORM_JITTER_MS', 1000),
  loads: num('STORM_LOADS', 2),
  before: num('STORM_BEFORE', 5),
  after: num('STORM_AFTER', 15),
  /** Resubscriptions B serves before the storm (other widgets, once each): a running instance is warm. */
  warm: num('STORM_WARM', 1000),
  /** 0: B talks to Postgres directly (no counting proxy, one hop less on every statement: for timing runs on a busy machine). */
  count: num('STORM_COUNT_STATEMENTS', 1) !== 0,
  extraEnv: Object.fromEntries((process.env.STORM_ENV ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string])),
};
const BOSS = { email: 'storm-boss@example.com', password: 'storm-supervisor-password' };

interface Report {
  streams: number;
  consoles: number;
  reconnected: number;
  catchUpMs: number[];
  reconnectDelayMs: number[];
  openMs: number[];
  ackMs: number[];
  firstEventMs: number[];
  neverCaughtUp: number;
  lost: number;
  gaps: number;
  duplicates: number;
  sent: number;
  sendErrors: number;
  errorSamples: string[];
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const json = (await res.json()) as { data?: T; errors?: unknown };
  if (!json.data || json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

/** Agents created by the supervisor, signed in and ONLINE (their consoles connect from a load process). */
async function createAgents(url: string): Promise<Array<{ id: string; token: string }>> {
  const { login: boss } = await gql<{ login: { token: string } }>(url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: BOSS.email, p: BOSS.password });
  const agents: Array<{ id: string; token: string }> = [];
  for (let i = 0; i < cfg.agents; i++) {
    const email = `storm-${i}-${RUN_ID}@example.com`;
    await gql(url, 'mutation($input: CreateAgentInput!) { createAgent(input: $input) { id } }', { input: { name: `Storm agent ${i}`, email, password: BOSS.password, maxConcurrentChats: 3 } }, boss.token);
    const { login } = await gql<{ login: { token: string; agent: { id: string } } }>(url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token agent { id } } }', { e: email, p: BOSS.password });
    await gql(url, 'mutation { setStatus(status: ONLINE) { id } }', {}, login.token);
    agents.push({ id: login.agent.id, token: login.token });
  }
  return agents;
}

async function main() {
  const db = `sb_storm_${RUN_ID}`;
  const servers: Server[] = [];
  const loads: Load[] = [];
  const counter = new StatementCounter(new URL(dbUrl(db)));
  await withClient(bench.adminUrl, (c) => c.query(`create database ${db}`));
  try {
    await counter.listen();
    const env = { SUPERVISOR_EMAIL: BOSS.email, SUPERVISOR_PASSWORD: BOSS.password, WS_IDLE_SECONDS: '3600', ...cfg.extraEnv };
    const a = await startServer('project', db, { env });
    servers.push(a);
    const b = await startServer('project', db, { env, ...(cfg.count ? { databaseUrl: counter.rewrite(dbUrl(db)) } : {}) });
    const c = await startServer('project', db, { env });
    servers.push(b, c);
    log(`A ${a.pid}, B ${b.pid}${cfg.count ? ' (statements counted)' : ''}, C ${c.pid} (sends)`);

    const agents = await createAgents(c.url);
    for (let i = 0; i < cfg.loads; i++) loads.push(await spawnLoad('storm-load'));
    await loads[0].call({ cmd: 'consoles', wsUrl: a.wsUrl, tokens: agents.map((g) => g.token) });
    const t0 = Date.now();
    const per = Math.ceil(cfg.widgets / cfg.loads);
    await Promise.all(loads.map((l, i) => l.call({ cmd: 'setup', url: c.url, wsUrl: a.wsUrl, count: Math.min(per, cfg.widgets - i * per), tag: `${RUN_ID}-${i}` })));
    log(`${cfg.widgets} widgets started and subscribed on A in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const chats: Array<{ token: string; sessionId: string }> = [];
    for (const g of agents) {
      const { sessions } = await gql<{ sessions: { sessions: Array<{ id: string }> } }>(c.url, 'query { sessions(status: ACTIVE, first: 50) { sessions { id } } }', {}, g.token);
      for (const s of sessions.sessions) chats.push({ token: g.token, sessionId: s.id });
    }
    await loads[0].call({ cmd: 'watch', wsUrl: a.wsUrl, chats });
    log(`${agents.length} agents with ${chats.length} chats watched on A`);

    if (cfg.warm > 0) {
      const t1 = Date.now();
      await Promise.all(loads.map((l, i) => l.call({ cmd: 'warm', url: c.url, wsUrl: b.wsUrl, count: Math.ceil(cfg.warm / cfg.loads), tag: `${RUN_ID}-warm-${i}` })));
      log(`B warmed by ${cfg.warm} other widgets' subscriptions in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      await sleep(1000);
    }
    await Promise.all(loads.map((l) => l.call({ cmd: 'arm', wsUrl: b.wsUrl, jitterMs: cfg.jitterMs })));
    const sending = Promise.all(loads.map((l) => l.call<{ sent: number }>({ cmd: 'send', url: c.url, rate: cfg.rate / cfg.loads, seconds: cfg.before + cfg.after })));
    await sleep(Math.max(0, cfg.before - 3) * 1000);
    const base0 = { at: Date.now(), n: counter.statements };
    await sleep(Math.min(3, cfg.before) * 1000);
    const baseRate = (counter.statements - base0.n) / ((Date.now() - base0.at) / 1000);

    // The storm.
    const perf = bench.perf ? startPerf(b.pid, path.join(PROFILES, 'storm-b.perf.data')) : null;
    if (perf) await sleep(300); // perf attaches
    const tcp0 = tcpCounters();
    let tcpAll: ReturnType<typeof tcpCounters> | null = null;
    const sampleMachine = () => machineSample(b.pid, c.pid, loads.map((l) => l.pid));
    const machine0 = sampleMachine();
    a.child.kill('SIGKILL');
    const killAt = Date.now();
    let machineAll: MachineShare | null = null;
    const stmt0 = counter.statements;
    const texts0 = new Map(counter.texts);
    let textsAll: Array<[string, number]> = [];
    const cpu0 = cpuMicros(b.pid);
    const rss0 = rssBytes(b.pid);
    let rssPeak = rss0;
    let cpuPeak = 0;
    const timeline: number[] = [];
    let last = { at: killAt, cpu: cpu0 };
    let allAt: number | null = null;
    let stmtAll = 0;
    let cpuAll = 0;
    const deadline = killAt + cfg.after * 1000;
    while (Date.now() < deadline) {
      await sleep(250);
      const cpu = cpuMicros(b.pid);
      rssPeak = Math.max(rssPeak, rssBytes(b.pid));
      const cores = (cpu - last.cpu) / ((Date.now() - last.at) * 1000);
      cpuPeak = Math.max(cpuPeak, cores);
      if (allAt === null) timeline.push(cores);
      last = { at: Date.now(), cpu };
      if (allAt === null) {
        const statuses = await Promise.all(loads.map((l) => l.call<{ caughtUp: number; total: number }>({ cmd: 'status' })));
        if (statuses.every((s) => s.caughtUp === s.total)) {
          allAt = Date.now();
          stmtAll = counter.statements;
          textsAll = counter.since(texts0);
          cpuAll = cpu - cpu0;
          machineAll = machineShare(machine0, sampleMachine());
          tcpAll = tcpSince(tcp0);
          await perf?.stop();
          log(`every stream caught up ${allAt - killAt} ms after the kill`);
        }
      }
    }
    await perf?.stop();
    tcpAll ??= tcpSince(tcp0);
    machineAll ??= machineShare(machine0, sampleMachine());
    await sending;
    // Drain: every stream gets what was acknowledged last (or 30 s pass, and the rest is lost).
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(250)) {
      const statuses = await Promise.all(loads.map((l) => l.call<{ behind: number }>({ cmd: 'status' })));
      if (statuses.every((s) => s.behind === 0)) break;
    }
    const reports = await Promise.all(loads.map((l) => l.call<Report>({ cmd: 'report', killAt })));
    const sum = (f: (r: Report) => number) => reports.reduce((n, r) => n + f(r), 0);
    const catchUp = summarize(reports.flatMap((r) => r.catchUpMs));
    const delay = summarize(reports.flatMap((r) => r.reconnectDelayMs));
    const phases = { open: summarize(reports.flatMap((r) => r.openMs)), ack: summarize(reports.flatMap((r) => r.ackMs)), firstEvent: summarize(reports.flatMap((r) => r.firstEventMs)) };
    const reconnected = sum((r) => r.reconnected) + sum((r) => r.consoles);
    const windowS = ((allAt ?? deadline) - killAt) / 1000;
    const statements = (allAt ? stmtAll : counter.statements) - stmt0;
    const result = {
      date: new Date(killAt).toISOString(),
      settings: cfg,
      streams: sum((r) => r.streams),
      consoles: sum((r) => r.consoles),
      reconnected,
      allCaughtUpMs: allAt ? allAt - killAt : null,
      catchUp,
      reconnectDelay: delay,
      phases,
      tcp: tcpAll,
      neverCaughtUp: sum((r) => r.neverCaughtUp),
      lost: sum((r) => r.lost),
      gaps: sum((r) => r.gaps),
      duplicates: sum((r) => r.duplicates),
      sent: sum((r) => r.sent),
      sendErrors: sum((r) => r.sendErrors),
      statements: {
        total: statements,
        baselinePerSecond: baseRate,
        perResubscription: (statements - baseRate * windowS) / Math.max(1, reconnected),
        top: (allAt ? textsAll : counter.since(texts0)).slice(0, 8).map(([text, n]) => ({ perResubscription: n / Math.max(1, reconnected), text })),
      },
      machine: machineAll,
      bCoresEvery250ms: timeline.map((c) => Math.round(c * 100) / 100),
      b: { cpuSecondsToCatchUp: (allAt ? cpuAll : last.cpu - cpu0) / 1e6, cpuPeakCores: cpuPeak, rssBeforeMb: rss0 / 2 ** 20, rssPeakMb: rssPeak / 2 ** 20 },
      errorSamples: reports.flatMap((r) => r.errorSamples).slice(0, 5),
      bOutput: b.stderr.join('').split('\n').slice(-15),
    };
    const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
    const ok = result.lost === 0 && result.gaps === 0 && result.duplicates === 0 && result.neverCaughtUp === 0;
    console.log(
      [
        `Reconnect storm, ${result.date}: ${result.streams} streams (${cfg.widgets} widgets + ${result.streams - cfg.widgets} agent chats) and ${result.consoles} consoles on A, ${cfg.rate} msg/s through C, A SIGKILLed, all reconnect to B within ${cfg.jitterMs} ms (random)`,
        `| metric | value |`,
        `|---|--:|`,
        `| every stream caught up (ms after the kill) | ${result.allCaughtUpMs ?? 'NOT within ' + cfg.after + ' s'} |`,
        `| catch-up per stream p50 / p99 / max ms | ${f(catchUp.p50)} / ${f(catchUp.p99)} / ${f(catchUp.max)} |`,
        `| reconnect started p50 / max ms (the jitter) | ${f(delay.p50)} / ${f(delay.max)} |`,
        `| a resubscription's phases p50 / p99 ms: socket open (TCP + upgrade), then connection_ack, then first event | ${f(phases.open.p50)} / ${f(phases.open.p99)}, ${f(phases.ack.p50)} / ${f(phases.ack.p99)}, ${f(phases.firstEvent.p50)} / ${f(phases.firstEvent.p99)} |`,
        `| the kernel until then: listen-queue overflows, SYN retransmits (the whole machine) | ${tcpAll.listenOverflows} / ${tcpAll.synRetransmits} |`,
        `| Postgres statements per resubscription (B) | ${f(result.statements.perResubscription, 2)} (${statements} in ${f(windowS, 1)} s; baseline ${f(baseRate, 1)}/s) |`,
        ...result.statements.top.map((t) => `|   ${t.perResubscription.toFixed(2)} x \`${t.text.replace(/\|/g, '\\|')}\` | |`),
        `| B CPU per resubscription (ms) | ${f((result.b.cpuSecondsToCatchUp * 1000) / Math.max(1, reconnected), 2)} |`,
        `| B CPU to catch up (s) / peak (cores) | ${f(result.b.cpuSecondsToCatchUp, 2)} / ${f(cpuPeak, 2)} |`,
        `| the machine until then: busy cores, of which B / C / load processes / this process / the rest (Postgres, Redis, ...) | ${f(machineAll.busyCores, 2)}: ${f(machineAll.b, 2)} / ${f(machineAll.c, 2)} / ${f(machineAll.loads, 2)} / ${f(machineAll.orchestrator, 2)} / ${f(machineAll.rest, 2)} |`,
        `| B's cores, every 250 ms from the kill until all caught up | ${timeline.map((c) => c.toFixed(1)).join(' ')} |`,
        `| B RSS before / peak MB | ${f(result.b.rssBeforeMb)} / ${f(result.b.rssPeakMb)} |`,
        `| messages acknowledged / send errors | ${result.sent} / ${result.sendErrors} |`,
        `| lost / gaps / duplicates / never caught up | ${result.lost} / ${result.gaps} / ${result.duplicates} / ${result.neverCaughtUp} |`,
        ok && result.allCaughtUpMs !== null && result.allCaughtUpMs <= 5000 ? 'Goal (all caught up within 5 s, nothing lost or doubled): met' : 'Goal (all caught up within 5 s, nothing lost or doubled): NOT met',
        ...result.errorSamples.map((e) => `  ${e}`),
        ...(ok ? [] : ['B said (last lines):', ...result.bOutput.map((l) => `  ${l.slice(0, 300)}`)]),
      ].join('\n'),
    );
    const out = process.env.STORM_OUT ?? path.join(ROOT, 'dist-bench', 'storm.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    return ok ? 0 : 1;
  } finally {
    await Promise.all(loads.map((l) => l.exit()));
    for (const s of servers) await stopServer(s).catch(() => undefined);
    await counter.close();
    await withClient(bench.adminUrl, (c) => c.query(`drop database if exists ${db} with (force)`)).catch(() => undefined);
  }
}

/** The kernel's TCP counters that a full listen queue moves (the TcpExt lines of /proc/net/netstat). */
function tcpCounters(): { listenOverflows: number; synRetransmits: number } {
  const read = (file: string, prefix: string): Map<string, number> => {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(prefix));
    const names = lines[0]?.split(/\s+/).slice(1) ?? [];
    const values = lines[1]?.split(/\s+/).slice(1).map(Number) ?? [];
    return new Map(names.map((n, i) => [n, values[i]]));
  };
  const ext = read('/proc/net/netstat', 'TcpExt:');
  return { listenOverflows: ext.get('ListenOverflows') ?? NaN, synRetransmits: ext.get('TCPSynRetrans') ?? NaN };
}

function tcpSince(from: ReturnType<typeof tcpCounters>): ReturnType<typeof tcpCounters> {
  const now = tcpCounters();
  return { listenOverflows: now.listenOverflows - from.listenOverflows, synRetransmits: now.synRetransmits - from.synRetransmits };
}

interface MachineSample {
  at: number;
  busy: number;
  b: number;
  c: number;
  loads: number;
  orchestrator: number;
}
type MachineShare = { busyCores: number; b: number; c: number; loads: number; orchestrator: number; rest: number };

/** CPU time (µs) of the whole machine (from /proc/stat) and of the storm's own processes. */
function machineSample(b: number, c: number, loads: number[]): MachineSample {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busyTicks = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + (cpu[7] ?? 0);
  const self = process.cpuUsage();
  return { at: Date.now(), busy: busyTicks * 10_000, b: cpuMicros(b), c: cpuMicros(c), loads: loads.reduce((n, pid) => n + cpuMicros(pid), 0), orchestrator: self.user + self.system };
}

/** Cores used on average between two samples, in all and by each. */
function machineShare(from: MachineSample, to: MachineSample): MachineShare {
  const us = Math.max(1, (to.at - from.at) * 1000);
  const d = (k: keyof MachineSample) => (to[k] - from[k]) / us;
  const busyCores = d('busy');
  return { busyCores, b: d('b'), c: d('c'), loads: d('loads'), orchestrator: d('orchestrator'), rest: busyCores - d('b') - d('c') - d('loads') - d('orchestrator') };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
