/**
 * `npm run soak`: the chaos soak. Three instances behind nginx (deploy/nginx.conf), a mixed load
 * through nginx only (./soak-load.ts), faults on a schedule (SIGKILL a random instance and
 * restart it every SOAK_KILL_EVERY seconds, one Redis restart, one pg_terminate_backend of every
 * server connection), then the invariant check (./soak-checks.ts). Prints a report, writes it to
 * dist-bench/soak.json, and exits 1 on any violation (2 if it could not run, 3 on its own timeout).
 *
 * Knobs (env): SOAK_SECONDS (600), SOAK_SCALE=ci (a scaled-down load for CI), SOAK_IDLE (2000),
 * SOAK_CHATS (200), SOAK_AGENTS (20), SOAK_CAPACITY (8 chats per agent), SOAK_INSTANCES (3),
 * SOAK_KILL_EVERY (60 s), SOAK_DATABASE_URL (admin URL), SOAK_AMQP_URL (the local RabbitMQ; the event
 * stream is checked where it answers), SOAK_KEEP_DB=1.
 * It installs nothing: nginx and redis-server must be there (.ci/run installs them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { withClient } from '../test/support/env';
import { sleep } from './common';
import { envNumber, ROOT, RUN_ID } from './config';
import { dbUrl } from './db';
import { finalInvariants, Sampler, waitForCatchUp, type Invariant } from './soak-checks';
import { SoakEvents } from './soak-events';
import { Instances, Nginx, RedisServer, serverEnv, SUPERVISOR } from './soak-env';
import { SoakLoad } from './soak-load';

const env = process.env;
const CI = env.SOAK_SCALE === 'ci';
const num = envNumber;
const cfg = {
  seconds: num('SOAK_SECONDS', 600),
  idle: num('SOAK_IDLE', CI ? 300 : 2000),
  chats: num('SOAK_CHATS', CI ? 30 : 200),
  agents: num('SOAK_AGENTS', CI ? 6 : 20),
  capacity: num('SOAK_CAPACITY', CI ? 5 : 8),
  instances: num('SOAK_INSTANCES', 3),
  killEvery: num('SOAK_KILL_EVERY', 60),
  adminUrl: env.SOAK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  keepDb: env.SOAK_KEEP_DB === '1',
  /** The event stream is checked where this broker answers. */
  amqpUrl: env.SOAK_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};
/** Setup, the catch-up and the checks on top of SOAK_SECONDS; past this the soak gives up (exit 3). */
const OVERALL_MS = (cfg.seconds + 330) * 1000;
const log = (...args: unknown[]) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...args);

interface Fault {
  at: number;
  what: string;
  ms: number;
}

async function main(): Promise<number> {
  const started = Date.now();
  const database = `sb_soak_${RUN_ID}`;
  const prefix = `soak${RUN_ID}:`;
  let instances: Instances | undefined;
  let nginx: Nginx | undefined;
  let redis: RedisServer | undefined;
  let load: SoakLoad | undefined;
  let sampler: Sampler | undefined;
  let probe: Redis | undefined;
  let events: SoakEvents | undefined;
  const faults: Fault[] = [];
  try {
    await withClient(cfg.adminUrl, (c) => c.query(`create database ${database}`));
    redis = await RedisServer.start();
    events = await SoakEvents.start(cfg.amqpUrl);
    instances = await Instances.start(cfg.instances, { ...serverEnv(dbUrl(database), redis.url, prefix), ...events.env });
    nginx = await Nginx.start(instances.ports);
    log(`instances on ${instances.ports.join(', ')} behind nginx on ${nginx.port}; Redis on ${redis.port}; database ${database}`);

    load = new SoakLoad(nginx.url, nginx.wsUrl, cfg);
    await load.startAgents(SUPERVISOR);
    await load.startIdle(dbUrl(database));
    // After the idle widgets' seeded sessions (written straight to Postgres): from here on every chat and message is an event.
    await events.register(nginx.url, await load.supervisorToken(SUPERVISOR));
    load.startChats();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: (t) => Math.min(t * 100, 1000), lazyConnect: true });
    probe.on('error', () => undefined);
    await probe.connect();
    sampler = new Sampler(dbUrl(database), probe, `${prefix}presence`);
    sampler.start();
    log(`load running: ${cfg.agents} agents (capacity ${cfg.capacity}), ${cfg.chats} live chats, ${cfg.idle} idle widgets, for ${cfg.seconds} s`);

    // The schedule: kills every killEvery s from killEvery/2; Redis at 40 %, Postgres at 70 %.
    const t0 = Date.now();
    const plan: Array<{ at: number; run: () => Promise<string> }> = [];
    for (let at = cfg.killEvery / 2; at < cfg.seconds - 5; at += cfg.killEvery) {
      plan.push({
        at,
        run: async () => {
          const i = Math.floor(Math.random() * cfg.instances);
          await instances!.kill(i);
          await instances!.start(i);
          return `SIGKILL instance ${i} (port ${instances!.ports[i]}), restarted`;
        },
      });
    }
    plan.push({
      at: Math.max(10, cfg.seconds * 0.4),
      run: async () => {
        await redis!.stop();
        await sleep(2000);
        await redis!.start();
        return 'Redis SIGKILLed, restarted after 2 s (every key lost)';
      },
    });
    plan.push({
      at: Math.max(15, cfg.seconds * 0.7),
      run: async () => {
        const n = await withClient(cfg.adminUrl, async (c) => (await c.query(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [database])).rows[0].n as number);
        return `pg_terminate_backend of all ${n} server connections`;
      },
    });
    plan.sort((a, b) => a.at - b.at);
    let nextChurn = Date.now() + 5000;
    while (Date.now() - t0 < cfg.seconds * 1000) {
      const due = plan[0] && Date.now() - t0 >= plan[0].at * 1000 ? plan.shift()! : undefined;
      if (due) {
        const f0 = Date.now();
        const what = await due.run();
        faults.push({ at: (f0 - t0) / 1000, what, ms: Date.now() - f0 });
        log(`fault at ${((f0 - t0) / 1000).toFixed(0)} s: ${what} (${Date.now() - f0} ms)`);
      }
      if (Date.now() > nextChurn) {
        nextChurn = Date.now() + 5000;
        load.churn(0.01);
      }
      await sleep(250);
    }
    log(`load stopping after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${load.counts.sent} messages acknowledged`);
    await load.stop();
    await sampler.stop();
    const catchUp = await waitForCatchUp(load, dbUrl(database), 30_000);
    const invariants = [...sampler.invariants(), ...(await finalInvariants(load, dbUrl(database), catchUp)), ...(await events.check(dbUrl(database), 90_000))];
    const text = report(load, invariants, faults, (Date.now() - started) / 1000);
    console.log(text);
    const out = path.join(ROOT, 'dist-bench', 'soak.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({ date: new Date(started).toISOString(), settings: cfg, counts: load.counts, errors: load.errors.counts, errorSamples: load.errors.samples, faults, invariants, text }, null, 2)}\n`);
    return invariants.some((i) => i.violations > 0) ? 1 : 0;
  } finally {
    load?.close();
    await sampler?.stop();
    probe?.disconnect();
    await events?.close();
    await nginx?.stop().catch(() => undefined);
    await instances?.stop();
    await redis?.stop();
    if (!cfg.keepDb) await withClient(cfg.adminUrl, (c) => c.query(`drop database if exists ${database} with (force)`)).catch((error: unknown) => log('could not drop the database:', error));
  }
}

function report(load: SoakLoad, invariants: Invariant[], faults: Fault[], seconds: number): string {
  const socketDrops = load.sockets.reduce((n, s) => n + s.drops, 0);
  const lines = [
    `Switchboard chaos soak, ${new Date().toISOString()}${CI ? ' (CI scale)' : ''}`,
    `Settings: ${cfg.seconds} s, ${cfg.instances} instances behind nginx, ${cfg.agents} agents x ${cfg.capacity}, ${cfg.chats} live chats, ${cfg.idle} idle widgets, a kill every ${cfg.killEvery} s`,
    `Load: ${load.counts.sent} messages acknowledged, ${load.counts.startChats} chats started, ${load.counts.closes} closed, ${load.counts.transfers} transferred, ${load.counts.statusChanges} status changes; ${load.sockets.length} sockets, ${socketDrops} reconnects (${load.counts.plannedDrops} of them planned drops)`,
    'Faults:',
    ...faults.map((f) => `  ${f.at.toFixed(0).padStart(4)} s  ${f.what} (${f.ms} ms)`),
    `Errors seen by clients (retried where retryable): ${Object.entries(load.errors.counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    ...load.errors.samples.slice(0, 6).map((s) => `  e.g. ${s}`),
    '',
    '| invariant | violations | checked |',
    '|---|--:|---|',
    ...invariants.map((i) => `| ${i.name} | ${i.violations} | ${i.detail} |`),
    ...invariants.flatMap((i) => (i.violations ? ['', `${i.name}:`, ...i.samples.map((s) => `  ${s}`)] : [])),
    '',
    `${invariants.some((i) => i.violations) ? 'FAILED' : 'PASSED'} in ${seconds.toFixed(0)} s.`,
  ];
  return lines.join('\n');
}

const watchdog = setTimeout(() => {
  log(`the soak did not finish within ${OVERALL_MS / 1000} s: giving up`);
  process.exit(3);
}, OVERALL_MS);
main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
