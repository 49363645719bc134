import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { OnMessageAddedDocument, SendMessageDocument, StartChatDocument } from './generated/graphql';
import { freePort } from './support/cluster';
import { leave } from './support/leftovers';
import { createTestDatabase, SUPERVISOR, TEST_REDIS_URL, uniqueName } from './support/env';
import { buildOnlineAgent, connect, loginSupervisor, waitFor } from './support/factories';
import { HttpClient } from './support/http';
import type { TestServer } from './support/server';

/** deploy/: the script that runs N instances, and the nginx config and Procfile that go with it. */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(ROOT, 'deploy', 'run-instances.sh');
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let script: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase({ empty: true });
  // The script and its instances share a process group of their own: nothing outlives the file
  // (a leftover, so it is killed before the database is dropped).
  leave(() => {
    if (script?.pid && script.exitCode === null && script.signalCode === null) process.kill(-script.pid, 'SIGKILL');
  });
});

/** Two consecutive free ports. */
async function twoPorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = await new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false));
      server.listen(port + 1, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (next && port + 1 < 65536) return port;
  }
}

function run(args: string[], env: Record<string, string>) {
  const child = spawn('bash', [SCRIPT, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, exited, output: () => output };
}

const server = (port: number) => ({ http: new HttpClient(`http://127.0.0.1:${port}/graphql`), wsUrl: `ws://127.0.0.1:${port}/graphql` }) as unknown as TestServer;

describe('deploy/run-instances.sh', () => {
  it('should run N instances that serve the same chats with one shared secret, and stop them all on SIGTERM', async () => {
    const port = await twoPorts();
    const started = run(['2', String(port)], {
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `${uniqueName('d')}:`,
      RATE_LIMITS: 'off',
      SUPERVISOR_EMAIL: SUPERVISOR.email,
      SUPERVISOR_PASSWORD: SUPERVISOR.password,
    });
    script = started.child;
    const [first, second] = [server(port), server(port + 1)];
    for (const p of [port, port + 1]) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${p}/readyz`)).status === 200, 60_000, 200);
    }
    // No AUTH_SECRET was given: the script made one for all of them, so tokens work everywhere.
    expect(started.output()).toMatch(/no AUTH_SECRET, using a random one shared by these 2 instances/);
    const supervisor = await loginSupervisor(first);
    expect((await second.http.request(`{ me { id } }`, undefined, supervisor)).data).toMatchObject({ me: { id: expect.any(String) } });

    const agent = await buildOnlineAgent(first, { skills: ['deploy'] });
    const { startChat } = await second.http.ok(StartChatDocument, { input: { name: 'Vic', skill: 'deploy' } });
    expect(startChat.session.agent?.id).toBe(agent.id);
    const visitor = await connect(second, startChat.visitorToken);
    const feed = visitor.subscribe(OnMessageAddedDocument, { sessionId: startChat.session.id, afterSeq: 0 });
    await first.http.ok(SendMessageDocument, { input: { sessionId: startChat.session.id, body: 'hello across instances' } }, agent.token);
    expect((await feed.next(10_000)).messageAdded.body).toBe('hello across instances');
    // Each line of output says which instance wrote it.
    expect(started.output()).toContain(`[${port}] `);
    expect(started.output()).toContain(`[${port + 1}] `);

    const stoppedAt = Date.now();
    process.kill(started.child.pid!, 'SIGTERM');
    expect((await visitor.closed).code).toBe(1001);
    const exit = await started.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - stoppedAt).toBeLessThan(10_000);
    for (const p of [port, port + 1]) await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
    await agent.socket?.dispose();
    await visitor.dispose();
  });

  it('should refuse to start instances that would not share a database and a bus', async () => {
    const noRedis = run(['2', '4001'], { DATABASE_URL: database.url });
    expect((await noRedis.exited).code).toBe(1);
    expect(noRedis.output()).toMatch(/set REDIS_URL/);
    const noDatabase = run(['2', '4001'], { REDIS_URL: TEST_REDIS_URL });
    expect((await noDatabase.exited).code).toBe(1);
    expect(noDatabase.output()).toMatch(/set DATABASE_URL/);
  });
});

describe('deploy/nginx.conf', () => {
  it('should balance HTTP and WebSocket upgrades over the instances deploy/Procfile and run-instances.sh start', () => {
    const conf = readFileSync(path.join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
    const procfile = readFileSync(path.join(ROOT, 'deploy', 'Procfile'), 'utf8');
    const upstream = [...conf.matchAll(/^\s*server 127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));
    const processes = [...procfile.matchAll(/PORT=(\d+)/g)].map((m) => Number(m[1]));
    expect(upstream).toEqual([4001, 4002, 4003]);
    expect(processes).toEqual(upstream); // run-instances.sh defaults: 3 instances from 4001
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
  });
});
