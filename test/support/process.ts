import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { HttpClient } from './http';
import { leave } from './leftovers';

/**
 * The built server (`node dist/src/main.js`) as a real child process, started the way an operator
 * starts it: with exactly the environment given (plus PATH), nothing inherited from jest (which
 * sets NODE_ENV=test). Every output line is kept, parsed as pino JSON when it is JSON.
 *
 * Disposal: each child is a leftover (./leftovers.ts): after the test (or file) that started it,
 * it gets SIGTERM and is waited for (so an embedded Postgres is shut down by the server itself),
 * and SIGKILL after the grace period; `stopServerProcesses()` does the same for all at once. As a
 * last resort every child is SIGKILLed when the jest worker exits.
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  pid: number;
  /** Every line printed on stdout or stderr, in order (JSON parsed; other lines as { msg }). */
  logs: LogLine[];
  /** The raw output, stdout and stderr interleaved as received. */
  output(): string;
  exited: Promise<Exit>;
  readonly running: boolean;
  /** Resolves with the first log line (already printed or still to come) that matches. */
  waitForLog(match: string | RegExp | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (SIGTERM) and resolves with the exit and how long it took. */
  terminate(signal?: NodeJS.Signals): Promise<Exit & { ms: number }>;
  /** SIGKILL: gone at once, nothing of its shutdown runs. */
  kill(): Promise<Exit>;
}

/** A server process that printed its "Switchboard listening" line. */
export interface ListeningServer extends ServerProcess {
  port: number;
  /** The "Switchboard listening" line (it carries `ms`, the start-up time). */
  listening: LogLine;
  /** http://127.0.0.1:port */
  base: string;
  url: string;
  wsUrl: string;
  http: HttpClient;
  get(pathname: string): Promise<{ status: number; body: string; contentType: string | null }>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const matches = (match: string | RegExp | ((line: LogLine) => boolean), line: LogLine): boolean => {
  if (typeof match === 'function') return match(line);
  const msg = typeof line.msg === 'string' ? line.msg : '';
  return typeof match === 'string' ? msg.includes(match) : match.test(msg);
};

/** Where to run it: this checkout's build from the repository root, unless a test says otherwise
 *  (`cwd` is also where `.env` is looked for; `main` another checkout's dist/src/main.js). */
export interface SpawnOptions {
  cwd?: string;
  main?: string;
}

/** Starts `node dist/src/main.js` with `env` (and PATH) and returns at once. */
export function spawnServer(env: Record<string, string | undefined>, options: SpawnOptions = {}): ServerProcess {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
  const child = spawn(process.execPath, [options.main ?? MAIN], { cwd: options.cwd ?? ROOT, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  leave(() => stopChild(child));
  const logs: LogLine[] = [];
  const raw: string[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      children.delete(child);
      resolve({ code, signal });
    });
  });
  // 'exit' can come before the last output lines are read; 'close' comes after both streams end.
  const drained = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const onLine = (text: string) => {
    raw.push(text);
    let line: LogLine;
    try {
      const parsed: unknown = JSON.parse(text);
      line = parsed && typeof parsed === 'object' ? (parsed as LogLine) : { msg: text };
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const waiter of waiters) waiter(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);

  const proc: ServerProcess = {
    pid: child.pid!,
    logs,
    output: () => raw.join('\n'),
    exited: exited.then(async (exit) => {
      await drained;
      return exit;
    }),
    get running() {
      return running;
    },
    waitForLog(match, timeoutMs = 60_000) {
      const found = logs.find((line) => matches(match, line));
      if (found) return Promise.resolve(found);
      return new Promise<LogLine>((resolve, reject) => {
        const done = (error: Error | null, line?: LogLine) => {
          clearTimeout(timer);
          waiters.delete(onNew);
          if (error) reject(error);
          else resolve(line!);
        };
        const onNew = (line: LogLine) => {
          if (matches(match, line)) done(null, line);
        };
        const timer = setTimeout(() => done(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms:\n${tail(raw)}`)), timeoutMs);
        waiters.add(onNew);
        void proc.exited.then((exit) => {
          if (waiters.has(onNew)) done(new Error(`server exited (${exit.code ?? exit.signal}) before a log line matching ${String(match)}:\n${tail(raw)}`));
        });
      });
    },
    async terminate(signal = 'SIGTERM') {
      const started = Date.now();
      if (running) child.kill(signal);
      const exit = await proc.exited;
      return { ...exit, ms: Date.now() - started };
    },
    async kill() {
      if (running) child.kill('SIGKILL');
      return proc.exited;
    },
  };
  return proc;
}

/**
 * Starts the server and waits for its "Switchboard listening" line (which names the port); fails
 * with the output if it exits first or takes longer than `timeoutMs`.
 */
export async function startServerProcess(env: Record<string, string | undefined>, timeoutMs = 60_000, options: SpawnOptions = {}): Promise<ListeningServer> {
  const proc = spawnServer(env, options);
  let listening: LogLine;
  try {
    listening = await proc.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('Switchboard listening') && typeof line.port === 'number', timeoutMs);
  } catch (error) {
    await proc.terminate();
    throw error;
  }
  const port = listening.port as number;
  const base = `http://127.0.0.1:${port}`;
  return Object.assign(proc, {
    port,
    listening,
    base,
    url: `${base}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    http: new HttpClient(`${base}/graphql`),
    async get(pathname: string) {
      const response = await fetch(`${base}${pathname}`);
      return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') };
    },
  });
}

/** Runs the server until it exits by itself (e.g. refusing a bad configuration). */
export async function runUntilExit(env: Record<string, string | undefined>, timeoutMs = 30_000, options: SpawnOptions = {}): Promise<Exit & { output: string; logs: LogLine[] }> {
  const proc = spawnServer(env, options);
  const timer = setTimeout(() => void proc.kill(), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, output: proc.output(), logs: proc.logs };
}

/** SIGTERM a server process if it still runs and wait for it; SIGKILL it after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every server process still running, as stopChild does. */
export async function stopServerProcesses(graceMs = 15_000): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, graceMs)));
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Pids of the processes whose command line contains `text` (Linux /proc; empty elsewhere). */
export function processesMentioning(text: string): number[] {
  if (!fs.existsSync('/proc')) return [];
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tail(lines: string[]): string {
  return lines.slice(-25).join('\n');
}
