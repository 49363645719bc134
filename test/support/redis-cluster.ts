import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leave } from './leftovers';
import { freePort } from './process';

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes in cluster mode (no
 * replicas, no persistence but the cluster's node table), each on a spare port with its
 * `--cluster-config-file` in a temporary directory, joined by `redis-cli --cluster create`.
 * `stop(i)` SIGKILLs one master (its slots are down until it is back); `start(i)` restarts it on
 * the same port with the same node file, so it rejoins with its slots (empty, as after a crash
 * without persistence). A leftover (./leftovers.ts): every process is killed and the directory
 * removed after the test (or file) that started it; SIGKILLed too when the jest worker exits.
 */

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface RedisClusterOptions {
  masters?: number;
  /** `cluster-require-full-coverage`: yes (Redis' default) stops the whole cluster while a master is down. */
  fullCoverage?: boolean;
}

export class RedisCluster {
  private readonly procs: Array<ChildProcess | undefined> = [];

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
    private readonly fullCoverage: boolean,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const count = options.masters ?? 3;
    const ports: number[] = [];
    while (ports.length < count) {
      const port = await freePort();
      // The cluster bus listens on port + 10000: both must be free and below 65536.
      if (port < 55_000 && !ports.includes(port)) ports.push(port);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-redis-cluster-'));
    const cluster = new RedisCluster(ports, dir, options.fullCoverage ?? true);
    leave(() => cluster.close());
    for (let i = 0; i < count; i++) await cluster.start(i);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    await cluster.waitUntil('cluster_state:ok');
    return cluster;
  }

  /** `host:port,host:port,...`, as REDIS_CLUSTER_NODES takes it. */
  get nodes(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** Starts master `i` (again): same port, same node file. */
  async start(i: number): Promise<void> {
    const port = this.ports[i];
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', path.join(this.dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '2000', '--cluster-require-full-coverage', this.fullCoverage ? 'yes' : 'no',
      '--dir', this.dir,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.add(child);
    child.once('exit', () => children.delete(child));
    this.procs[i] = child;
    const deadline = Date.now() + 20_000;
    while (this.cli(i, 'ping').trim() !== 'PONG') {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on ${port} did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILLs master `i`: its connections drop, its keys are gone. */
  async stop(i: number): Promise<void> {
    const child = this.procs[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.procs[i] = undefined;
  }

  /** `redis-cli` against master `i` (or the first one running). */
  cli(i: number, ...args: string[]): string {
    const r = spawnSync('redis-cli', ['-p', String(this.ports[i]), ...args], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout : '';
  }

  /** Waits until every running master's CLUSTER INFO contains `text` (e.g. cluster_state:ok). */
  async waitUntil(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.ports.map((_, i) => i).filter((i) => this.procs[i]);
      if (running.every((i) => this.cli(i, 'cluster', 'info').includes(text))) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster: not ${text} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Index of the master that serves `key`'s slot. */
  masterOf(key: string): number {
    const slot = Number(this.cli(0, 'cluster', 'keyslot', key).trim());
    const shards = this.cli(0, 'cluster', 'slots');
    // redis-cli prints CLUSTER SLOTS flat: start, end, ip, port, id, ... for each range.
    const lines = shards.split('\n').map((l) => l.trim());
    for (let k = 0; k + 3 < lines.length; k++) {
      const [start, end, , port] = [Number(lines[k]), Number(lines[k + 1]), lines[k + 2], Number(lines[k + 3])];
      if (lines[k + 2] === '127.0.0.1' && slot >= start && slot <= end) return this.ports.indexOf(port);
    }
    throw new Error(`no master for slot ${slot}`);
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.ports.length; i++) await this.stop(i);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
