import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createTestDatabase, TEST_REDIS_URL, testServerEnv, uniqueName } from './env';
import { leave } from './leftovers';
import { freePort, startServerProcess, type Exit, type ListeningServer } from './process';

export { freePort };

/**
 * Several real server processes (`node dist/src/main.js`, as an operator runs them, started by
 * ./process.ts) on one test database and one Redis prefix, plus the pieces the fault tests need:
 * a TCP proxy that can cut a backing service off (refuse, go silent like a dead network, or
 * trickle like a slow one), and a redis-server of the test's own on a spare port. Each is a
 * leftover (./leftovers.ts), closed after the file's tests: close() kills every instance (SIGKILL)
 * and drops the database; process.ts and this file also SIGKILL their children when the jest
 * worker exits, so no process outlives its test. An Instance serves the factories as a Target.
 */

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export type { Exit };

/** One instance: a listening server process, with the name and environment it was started with. */
export interface Instance extends ListeningServer {
  name: string;
  /** The environment it was started with (restart uses it again). */
  env: Record<string, string>;
}

export interface ClusterOptions {
  count: number;
  /** Extra environment for every instance, exactly as an operator would set it. */
  env?: Record<string, string>;
  /** Defaults: a fresh test database (dropped by close()), the test Redis; always a fresh prefix. */
  databaseUrl?: string;
  redisUrl?: string;
}

export interface Cluster {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  instances: Instance[];
  /** One more instance on the same database and Redis (env overrides the cluster's). */
  add(env?: Record<string, string>): Promise<Instance>;
  /** Starts a stopped instance again with its environment, on a new port. */
  restart(instance: Instance): Promise<Instance>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const redisPrefix = `${uniqueName('c')}:`;
  const base: Record<string, string> = {
    ...testServerEnv({ databaseUrl, redisUrl, redisPrefix }),
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const all: Instance[] = [];
  let n = 0;
  const cluster: Cluster = {
    databaseUrl,
    redisUrl,
    redisPrefix,
    instances: [],
    async add(env = {}) {
      const instance = await spawnInstance(`sb${++n}`, { ...base, ...env });
      all.push(instance);
      return instance;
    },
    async restart(instance) {
      if (instance.running) await instance.kill();
      const again = await spawnInstance(`${instance.name}'`, instance.env);
      all.push(again);
      return again;
    },
    close: leave(async () => {
      await Promise.all(all.filter((i) => i.running).map((i) => i.kill()));
      await database?.drop();
    }),
  };
  try {
    cluster.instances = await Promise.all(Array.from({ length: options.count }, () => cluster.add()));
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Starts `node dist/src/main.js` with `env` and waits until it listens (its log names the port). */
export async function spawnInstance(name: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Instance> {
  const server = await startServerProcess(env, timeoutMs);
  return Object.assign(server, { name, env });
}


/**
 * A TCP proxy in front of a backing service, to make it fail the way a real one does:
 * `refuse()` drops every connection and refuses new ones (the service is down), `blackhole()`
 * keeps connections open but forwards nothing either way (a dead network: half-open sockets),
 * `throttle(n)` passes at most n bytes a second from the service to its clients (a slow reader),
 * `restore()` forwards again at full speed.
 */
export class TcpProxy {
  private server?: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private mode: 'forward' | 'blackhole' = 'forward';
  private rate = 0;
  private pump?: NodeJS.Timeout;
  port = 0;
  /** Bytes forwarded from clients to the service (a count of the statements sent, for tests). */
  bytesUp = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async to(url: string): Promise<TcpProxy> {
    const target = new URL(url);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    leave(() => proxy.close());
    await proxy.listen();
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk: Buffer) => {
        if (this.mode !== 'forward') return;
        this.bytesUp += chunk.length;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (this.mode === 'forward') client.write(chunk);
      });
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
      if (this.rate) upstream.pause();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The service is down: open connections are cut, new ones refused (ECONNREFUSED). */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Connections stay open but nothing gets through, either way. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /** From the service to its clients, at most `bytesPerSecond`; the rest waits in the kernel. */
  throttle(bytesPerSecond: number): void {
    this.rate = bytesPerSecond;
    for (const [, upstream] of this.pairs) upstream.pause();
    this.pump ??= setInterval(() => {
      for (const [, upstream] of this.pairs) {
        const n = Math.min(Math.ceil(this.rate / 20), upstream.readableLength);
        if (n > 0) upstream.read(n); // emits 'data', which forwards it
      }
    }, 50);
  }

  /** Back: forward again at full speed (listening on the same port). */
  async restore(): Promise<void> {
    this.mode = 'forward';
    clearInterval(this.pump);
    this.pump = undefined;
    this.rate = 0;
    for (const [, upstream] of this.pairs) upstream.resume();
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    clearInterval(this.pump);
    await this.refuse();
  }
}

/** A redis-server of the test's own on a spare port (no persistence), to stop and start at will. */
export class RedisServer {
  private child?: ChildProcess;
  private exited?: Promise<Exit>;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    leave(() => server.stop());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    this.child = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        resolve({ code, signal });
      }),
    );
    const deadline = Date.now() + 20_000;
    while (!(await this.ping())) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops it hard (SIGKILL): every connection drops, every key is gone. */
  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
    this.child = undefined;
  }

  /** True when it answers PING. */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  }
}

/**
 * An instance as a TestServer. Not needed any more: the factories take any Target, and an
 * Instance is one. Kept only so that tests written on other branches before this still compile.
 */
export function asServer(instance: Instance): import('./server').TestServer {
  return instance as unknown as import('./server').TestServer;
}
