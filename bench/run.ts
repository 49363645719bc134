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
 * BENCH_PHASES (closed,open,idle,webhooks), BENCH_WEBHOOK_RATE (200: the webhook phase's open-loop rate), BENCH_DATABASE_URL (admin URL of the local Postgres),
 * BENCH_REDIS_URL, BENCH_PROFILE=1 (project runs with --cpu-prof into dist-bench/profiles),
 * BENCH_PERF=1 (both run with --perf-prof, in dist-bench/profiles/, and each measured round is
 * recorded with `perf record -k mono -e cpu-clock -g` into <target>-round<n>.perf.data there;
 * then `perf inject --jit -i X.perf.data -o X.jit.data` names the JS frames),
 * BENCH_KEEP_DB=1 (do not drop the benchmark databases), BENCH_OUT (results file).
 *
 * This file only orchestrates: ./config.ts (settings), ./db.ts and ./processes.ts (databases,
 * servers, load generator), ./phases.ts (closed, open, idle), ./targets.ts (the one list of
 * metrics and targets, rendered to the table and to the JSON) and ./report.ts (tables, README).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fdLimit, type Target } from './common';
import { cfg, log, ROOT, RUN_ID } from './config';
import { applyMigrations, dbUrl, withClient } from './db';
import { closedRound, idleCurve, openCurve, type Closed, type IdleCurve, type Open } from './phases';
import { startServer, stopServer, type Server } from './processes';
import { curveTable, fmt, idleTable, summarizeRounds, table, updateReadme, type Summary } from './report';
import { mainRows, ratios, tableRows, targetsJson, type Measured } from './targets';
import { webhookPhase, webhookTable, type WebhookBench } from './webhooks';

/** Warm-up, then `cfg.rounds` measured rounds per target, alternating which goes first. */
async function closedPhase(servers: Partial<Record<Target, Server>>): Promise<Record<Target, Closed[]>> {
  const closed: Record<Target, Closed[]> = { project: [], reference: [] };
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
  return closed;
}

function machine(): string {
  const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

const notesOf = (idle: Measured['idle']) => cfg.targets.flatMap((t) => (idle[t]?.note ? [`${t}: ${idle[t]!.note}`] : []));

function report(startedAt: Date, seconds: number, m: Measured, webhooks: WebhookBench | null): string {
  const settings = `S=${cfg.sessions} sessions, C=${cfg.senders} senders, T=${cfg.seconds} s x ${cfg.rounds} rounds (alternating, medians), warm-up ${cfg.warmupSeconds} s + ${cfg.roundWarmupSeconds} s per round, open loop ${cfg.openSeconds} s/step, idle steps ${cfg.idleSteps.join('/')}`;
  const notes = notesOf(m.idle);
  return [
    `Switchboard benchmark, ${startedAt.toISOString()}${cfg.quick ? ' (QUICK smoke run, not comparable)' : ''}`,
    `Machine: ${machine()}`,
    `Settings: ${settings}`,
    '',
    table(tableRows(mainRows(m))),
    '',
    table(curveTable(m.open)),
    '',
    table(idleTable(m.idle)),
    ...(webhooks ? ['', table(webhookTable(webhooks))] : []),
    ...(notes.length ? ['', ...notes.map((n) => `* ${n}`)] : []),
    '',
    `Run took ${seconds.toFixed(0)} s.`,
  ].join('\n');
}

async function main() {
  const startedAt = new Date();
  const t0 = Date.now();
  const self = fdLimit();
  log(`settings: ${JSON.stringify({ ...cfg, phases: [...cfg.phases] })}`);
  log(`open files: soft ${self.soft}, hard ${self.hard}`);
  const dbs: Record<Target, string> = { project: `sb_bench_${RUN_ID}_p`, reference: `sb_bench_${RUN_ID}_r` };
  const servers: Partial<Record<Target, Server>> = {};
  try {
    await withClient(cfg.adminUrl, async (c) => {
      for (const t of cfg.targets) await c.query(`create database ${dbs[t]}`);
    });
    if (cfg.targets.includes('reference')) await applyMigrations(dbUrl(dbs.reference));

    let closed: Record<Target, Closed[]> = { project: [], reference: [] };
    const open: Partial<Record<Target, Array<Open & { broken: string | null }>>> = {};
    if (cfg.phases.has('closed') || cfg.phases.has('open')) {
      for (const t of cfg.targets) servers[t] = await startServer(t, dbs[t]);
      log(`servers up: ${cfg.targets.map((t) => `${t} pid ${servers[t]!.pid} fds ${fdLimit(servers[t]!.pid).soft}`).join(', ')}`);
      if (cfg.phases.has('closed')) closed = await closedPhase(servers);
      if (cfg.phases.has('open')) for (const t of cfg.targets) open[t] = await openCurve(servers[t]!);
      for (const t of cfg.targets) await stopServer(servers[t]!);
    }
    const idle: Partial<Record<Target, IdleCurve>> = {};
    if (cfg.phases.has('idle')) for (const t of cfg.targets) idle[t] = await idleCurve(t, dbs[t]);
    const webhooks = cfg.phases.has('webhooks') && cfg.targets.includes('project') ? await webhookPhase(dbs.project) : null;

    const sum: Partial<Record<Target, Summary>> = {};
    for (const t of cfg.targets) if (closed[t].length) sum[t] = summarizeRounds(closed[t]);
    const measured: Measured = { sum, open, idle };
    const seconds = (Date.now() - t0) / 1000;
    const text = report(startedAt, seconds, measured, webhooks);
    console.log(text);

    const results = {
      date: startedAt.toISOString(),
      machine: machine(),
      settings: { ...cfg, phases: [...cfg.phases] },
      summary: sum,
      ratios: ratios(measured),
      targets: targetsJson(mainRows(measured)),
      closed,
      open,
      idle,
      webhooks,
      notes: notesOf(idle),
      table: text,
      seconds,
    };
    fs.mkdirSync(path.dirname(cfg.out), { recursive: true });
    fs.writeFileSync(cfg.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${path.relative(ROOT, cfg.out)}`);
    if (!cfg.quick && !process.env.BENCH_OUT) updateReadme(text);
  } finally {
    for (const s of Object.values(servers)) if (s) await stopServer(s).catch(() => undefined);
    if (!cfg.keepDb) {
      await withClient(cfg.adminUrl, async (c) => {
        for (const t of cfg.targets) await c.query(`drop database if exists ${dbs[t]} with (force)`);
      }).catch((error: unknown) => log('could not drop the benchmark databases:', error));
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
