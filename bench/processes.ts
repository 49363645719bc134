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

/** `extra`: more environment for the project's server (a phase's own settings). */
export async function startServer(target: Target, db: string, extra: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const common = { DATABASE_URL: dbUrl(db), REDIS_URL: cfg.redisUrl, PORT: String(port), HOST: '0.0.0.0', AUTH_SECRET: SECRET };
  let script: string;
  let nodeArgs: string[] = [];
  let serverEnv: NodeJS.ProcessEnv;
  if (target === 'project') {
    script = path.join(ROOT, 'dist', 'src', 'main.js');
    // Every load socket comes from this one address: the per-IP socket cap would stop the idle steps.
    serverEnv = { ...common, NODE_ENV: 'production', RATE_LIMITS: 'off', LOG_LEVEL: 'warn', REDIS_PREFIX: `sbb${RUN_ID}:`, WS_MAX_SOCKETS_PER_IP: '1000000', ...extra };
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

export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 12_000);
  await exited;
  clearTimeout(timer);
}

export interface Load {
  pid: number;
  call<T = unknown>(cmd: LoadCommand): Promise<T>;
  exit(): Promise<void>;
}

export async function spawnLoad(): Promise<Load> {
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

/** `perf record` of one process (software cpu-clock: works in VMs without hardware counters). */
export function startPerf(pid: number, file: string): { stop(): Promise<void> } {
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

