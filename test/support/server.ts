import 'reflect-metadata';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer, type ServerOptions } from '../../src/http/server';
import { createLogger } from '../../src/logger';
import { createTestDatabase, testServerEnv, uniqueName } from './env';
import { loginSupervisor } from './factories';
import { HttpClient } from './http';
import { leave } from './leftovers';

export interface TestServer {
  app: App;
  server: RunningServer;
  url: string;
  wsUrl: string;
  databaseUrl: string;
  redisPrefix: string;
  http: HttpClient;
  /** Closes it now (it is also closed after the file's tests, with what was opened on it). */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra environment, as strings, exactly as an operator would set it. */
  env?: Record<string, string | undefined>;
  /** Share another server's database and Redis prefix (several instances). */
  shareWith?: TestServer;
  /** startServer's own options (e.g. `{ direct: false }`: every request through Express and Apollo). */
  server?: ServerOptions;
}

/**
 * A real server in this process on a random port, against the real Postgres and Redis, with its
 * own database and Redis prefix. Rate limits are off unless the test turns them on. It is a
 * leftover (./leftovers.ts): closed after the file's tests, after the sockets opened on it.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.shareWith ? undefined : await createTestDatabase();
  const databaseUrl = options.shareWith?.databaseUrl ?? database!.url;
  const redisPrefix = options.shareWith?.redisPrefix ?? `${uniqueName('t')}:`;
  const config = loadConfig({
    ...testServerEnv({ databaseUrl, redisPrefix }),
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const app = await createApp(config, createLogger(config.LOG_LEVEL));
  const server = await startServer(app, 0, '127.0.0.1', options.server);
  const close = leave(async () => {
    await server.close();
    await app.close();
    await database?.drop();
  });
  return {
    app,
    server,
    url: `${server.url}/graphql`,
    wsUrl: `ws://127.0.0.1:${server.port}/graphql`,
    databaseUrl,
    redisPrefix,
    http: new HttpClient(`${server.url}/graphql`),
    close,
  };
}

/** A server (as startTestServer) and the supervisor's token on it, for the files whose tests share both. */
export async function startWithSupervisor(options: TestServerOptions = {}): Promise<{ t: TestServer; supervisor: string }> {
  const t = await startTestServer(options);
  return { t, supervisor: await loginSupervisor(t) };
}
