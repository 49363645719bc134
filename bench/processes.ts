/** The two servers under test and the load generator, as child processes (and `perf record` of one). */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../test/support/process';
import { sleep, type LoadCommand, type Target } from './common';
import { cfg, env, log, PROFILES, ROOT, RUN_ID, SECRET, ULIMIT } from './config';
import { dbUrl } from './db';

export interface Server {
  target: Target;
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  wsUrl: string;
  db: string;
  stderr: string[];
}

/** `options.env` adds to (or overrides) the environment; `options.databaseUrl` replaces the database's URL (a proxy in front of it). */
export async function startServer(target: Target, db: string, options: { env?: Record<string, string>; databaseUrl?: string } = {}): Promise<Server> {
  const port = await freePort();
  const common = { DATABASE_URL: options.databaseUrl ?? dbUrl(db), REDIS_URL: cfg.redisUrl, PORT: String(port), HOST: '0.0.0.0', AUTH_SECRET: SECRET };
  let script: string;
  let nodeArgs: string[] = [];
  let serverEnv: NodeJS.ProcessEnv;
  if (target === 'project') {
    script = path.join(ROOT, 'dist', 'src', 'main.js');
    // Every load socket comes from this one address: the per-IP socket cap would stop the idle steps.
    serverEnv = { ...common, NODE_ENV: 'production', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', REDIS_PREFIX: `sbb${RUN_ID}:`, WS_MAX_SOCKETS_PER_IP: '1000000', ...options.env };
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
    env: { PATH: env.PATH, HOME: env.HOME, ...serverEnv, ...options.env },
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

export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(timer);
}

export interface Load {
  pid: number;
  call<T = unknown>(cmd: LoadCommand | { cmd: string; [key: string]: unknown }): Promise<T>;
  exit(): Promise<void>;
}

/** A load generator child process: bench/load.ts, or another script of bench/ that speaks the same IPC. */
export async function spawnLoad(name = 'load'): Promise<Load> {
  const script = path.join(ROOT, 'dist-bench', 'bench', `${name}.js`);
  const child = spawn('sh', ['-c', `${ULIMIT}; exec "${process.execPath}" "${script}"`], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // Calls may overlap (a storm's `send` runs while `arm` and `status` come and go): answers carry the call's id.
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let ready: (v: unknown) => void = () => undefined;
  const readyP = new Promise((r) => (ready = r));
  let first = true;
  child.on('message', (msg: { ok: boolean; result?: unknown; error?: string; id?: number }) => {
    if (first) {
      first = false;
      ready(msg.result);
      return;
    }
    const w = msg.id === undefined ? undefined : waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new Error(`load generator: ${msg.error}`));
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load generator exited (${code})`));
    waiting.clear();
  });
  await readyP;
  return {
    pid: child.pid as number,
    call<T>(cmd: LoadCommand | { cmd: string }) {
      return new Promise<T>((resolve, reject) => {
        const id = ++nextId;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ ...cmd, id });
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

/** `perf record` of one process (software cpu-clock: works in VMs without hardware counters). */
export function startPerf(pid: number, file: string): { stop(): Promise<void> } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const child = spawn('perf', ['record', '-q', '-k', 'mono', '-F', '999', '-e', 'cpu-clock', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  child.on('error', (error) => log(`perf record failed: ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    // Once: a second call waits for the same exit (perf may end by the signal: no exit code).
    stop: () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      if (!stopping) {
        child.kill('SIGINT');
        stopping = exited;
      }
      return stopping;
    },
  };
}

