import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { leave } from './leftovers';
import { migratedTemplate } from './template';

/** The real services the tests use; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';
export const SUPERVISOR = { email: 'boss@example.com', password: 'supervisor-pass' };

/**
 * The environment every test server starts with, in-process or as a process: the shared
 * database and Redis prefix, a fixed AUTH_SECRET, rate limits off (tests turn them on), short
 * presence timings, the supervisor the factories sign in as, /metrics public, and the socket
 * limits out of the way.
 */
export function testServerEnv(p: { databaseUrl: string; redisUrl?: string; redisPrefix: string }): Record<string, string> {
  return {
    DATABASE_URL: p.databaseUrl,
    REDIS_URL: p.redisUrl ?? TEST_REDIS_URL,
    REDIS_PREFIX: p.redisPrefix,
    AUTH_SECRET,
    RATE_LIMITS: 'off',
    PRESENCE_GRACE_SECONDS: '1',
    PRESENCE_TTL_SECONDS: '3',
    SUPERVISOR_EMAIL: SUPERVISOR.email,
    SUPERVISOR_PASSWORD: SUPERVISOR.password,
    // Tests read GET /metrics on the main port; every test client is 127.0.0.1; the factories'
    // console sockets hold no subscription (the security-dos tests set their own limits).
    METRICS_PUBLIC: '1',
    WS_MAX_SOCKETS_PER_IP: '100000',
    WS_IDLE_SECONDS: '3600',
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function urlFor(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One pg connection to `url` for the length of `fn` (also bench/'s way to Postgres). */
export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const admin = <T>(fn: (client: Client) => Promise<T>) => withClient(ADMIN_DATABASE_URL, fn);

/**
 * A fresh database for one test file, dropped after its tests (a leftover) or by `drop()`: a copy
 * of the migrated template (support/template.ts), or, with `empty`, nothing in it (for what tests
 * migrating a fresh database).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = uniqueName('sb_test');
  const template = options.empty ? null : await migratedTemplate(ADMIN_DATABASE_URL);
  await admin((c) => c.query(`create database ${name}${template ? ` template ${template}` : ''}`));
  return {
    name,
    url: urlFor(name),
    drop: leave(() => admin((c) => c.query(`drop database if exists ${name} with (force)`))),
  };
}

/** Runs SQL against a test database (for assertions on what was stored, never to set up state). */
export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  return withClient(url, async (client) => (await client.query(text, params)).rows as T[]);
}
