/**
 * What the soak runs on: a database of its own on the local Postgres, a redis-server of its own
 * (to restart), N server processes on fixed ports (to kill and restart on the same port) and
 * Debian's nginx in front of them, run unprivileged with a temporary copy of deploy/nginx.conf
 * that names those ports. The processes and the Redis come from test/support/ (the tests' own
 * helpers), so the soak starts servers exactly as the scale tests do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RedisServer } from '../test/support/cluster';
import { freePort, startServerProcess, type ListeningServer } from '../test/support/process';
import { sleep } from './common';
import { ROOT, SECRET } from './config';

export const SUPERVISOR = { email: 'soak-boss@example.com', password: 'soak-supervisor-password' };

export class Instances {
  readonly servers: Array<ListeningServer | undefined> = [];

  private constructor(
    readonly ports: number[],
    private readonly env: Record<string, string>,
  ) {}

  static async start(count: number, env: Record<string, string>): Promise<Instances> {
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const instances = new Instances(ports, env);
    // One at a time: each runs the migrations on start-up.
    for (let i = 0; i < count; i++) await instances.start(i);
    return instances;
  }

  async start(i: number): Promise<void> {
    // This checkout's build (test/support/process.ts, compiled into dist-bench/, would look beside itself).
    this.servers[i] = await startServerProcess({ ...this.env, PORT: String(this.ports[i]) }, 90_000, { cwd: ROOT, main: path.join(ROOT, 'dist', 'src', 'main.js') });
  }

  /** SIGKILL: nothing of its shutdown runs; its sockets drop, its requests in flight fail. */
  async kill(i: number): Promise<void> {
    await this.servers[i]?.kill();
    this.servers[i] = undefined;
  }

  get pids(): number[] {
    return this.servers.flatMap((s) => (s?.running ? [s.pid] : []));
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s?.terminate().catch(() => undefined)));
  }
}

/** The server environment: production, rate limits on (startChat's per-IP bucket opened wide: every client is one address). */
export function serverEnv(databaseUrl: string, redisUrl: string, prefix: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    AUTH_SECRET: SECRET,
    TRUST_PROXY: '1',
    RATE_START_CHAT: '100000:100000',
    RATE_LOGIN: '1000:1000',
    RATE_LOGIN_IP: '1000:1000',
    SUPERVISOR_EMAIL: SUPERVISOR.email,
    SUPERVISOR_PASSWORD: SUPERVISOR.password,
    WS_MAX_SOCKETS_PER_IP: '1000000',
  };
}

export class Nginx {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
    private readonly output: string[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/graphql`;
  }

  /** deploy/nginx.conf with this run's listen port, upstream ports, pid file and temp paths. */
  static configFor(ports: number[], listen: number, dir: string): string {
    const conf = fs.readFileSync(path.join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
    const servers = conf.match(/^(\s*)server 127\.0\.0\.1:\d+ (.*);$/m);
    if (!servers) throw new Error('deploy/nginx.conf: no upstream server line');
    const upstream = ports.map((p) => `${servers[1]}server 127.0.0.1:${p} ${servers[2]};`).join('\n');
    return conf
      .replace(/^\s*server 127\.0\.0\.1:\d+ .*;\n/gm, '')
      .replace(/(upstream switchboard \{\n(?:\s*#.*\n|\s*least_conn;\n)*)/, `$1${upstream}\n`)
      .replace(/listen 8080;/, `listen 127.0.0.1:${listen};`)
      .replace(/^pid .*;$/m, `pid ${dir}/nginx.pid;`)
      .replace(/\/tmp\/switchboard-nginx-/g, `${dir}/`)
      .replace(/^error_log \/dev\/stderr (\w+);$/m, `error_log ${dir}/error.log $1;`)
      .replace(/access_log \/dev\/stdout;/, 'access_log off;');
  }

  static async start(ports: number[]): Promise<Nginx> {
    const bin = ['/usr/sbin/nginx', 'nginx'].find((b) => spawnSync(b, ['-v']).status === 0);
    if (!bin) throw new Error('nginx is not installed (Debian: apt-get install nginx); the soak installs nothing');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-soak-nginx-'));
    fs.chmodSync(dir, 0o755); // a root master runs its workers as nobody
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'nginx.conf'), Nginx.configFor(ports, port, dir));
    const child = spawn(bin, ['-p', dir, '-c', 'nginx.conf', '-e', `${dir}/error.log`, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (d: Buffer) => {
      output.push(d.toString());
      if (output.length > 200) output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    process.once('exit', () => child.kill('SIGKILL'));
    const nginx = new Nginx(child, port, dir, output);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited:\n${output.join('')}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return nginx;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`nginx did not answer /healthz within 20 s:\n${output.join('')}`);
      await sleep(100);
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** nginx's own error log (upstream failures it saw), last lines. */
  errorLog(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGQUIT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { RedisServer };
