/** The benchmark's settings, from the environment (the knobs are listed in ./run.ts), and its constants. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Target } from './common';

export const ROOT = path.resolve(__dirname, '../..');
export const env = process.env;
export const QUICK = env.BENCH_QUICK === '1';
/** A non-negative number from the environment (the benchmark's, the storm's and the soak's knobs). */
export const envNumber = (name: string, dflt: number) => {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const int = envNumber;
const list = (name: string, dflt: number[]) => (env[name] ? env[name]!.split(',').map((x) => Number(x.trim())).filter((x) => x > 0) : dflt);

export const cfg = {
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
  phases: new Set((env.BENCH_PHASES ?? 'closed,open,idle,webhooks').split(',').map((p) => p.trim())),
  adminUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  profile: env.BENCH_PROFILE === '1',
  perf: env.BENCH_PERF === '1',
  keepDb: env.BENCH_KEEP_DB === '1',
  out: env.BENCH_OUT ?? (QUICK ? path.join(ROOT, 'dist-bench', 'results.quick.json') : path.join(ROOT, 'bench', 'results.json')),
};
if (!cfg.idleSteps.includes(cfg.idle)) cfg.idleSteps = [...cfg.idleSteps, cfg.idle].sort((a, b) => a - b);
if (!cfg.refIdleSteps.length) cfg.refIdleSteps = cfg.idleSteps.filter((n) => n <= cfg.idle);


export const SECRET = `bench-${randomBytes(24).toString('hex')}`;
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
export const WANT_FDS = 65536;
/** Raise the soft open-files limit as far as the hard limit allows (the hard limit needs privileges). */
export const ULIMIT = `ulimit -n ${WANT_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`;
export const LOCAL_ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
export const PER_IDLE_CLIENT = 5000;
export const PROFILES = path.join(ROOT, 'dist-bench', 'profiles');

export const log = (...args: unknown[]) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
