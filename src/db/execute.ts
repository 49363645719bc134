import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import type { Readable } from 'node:stream';
import { Client, Pool, type ClientConfig, type PoolConfig } from 'pg';
import QueryStream from 'pg-query-stream';
import { isUuid, pgCode } from './sql';

/**
 * The one way the table modules (`db/<table>.ts`) run SQL: `$1…` placeholders, rows back.
 *
 * Inside a transaction the statement runs on the transaction's connection, through MikroORM's
 * public `em.execute`. Outside one it is a single autocommit statement on the statement pool: a
 * plain `pg.Pool` opened beside MikroORM's with MikroORM's own connection options (its type
 * parsers included), so the hot path (send, replay) skips knex's query compiler and runner, which
 * cost more CPU than the statement's round trip (bench/README.md), without reaching into knex's
 * private pool. When MikroORM 7 replaces knex by kysely only the transaction branch may change.
 */
const pools = new WeakMap<object, Pool>();

export function openStatementPool(orm: MikroORM, options: PoolConfig): Pool {
  const connection = orm.em.getConnection();
  const pool = new Pool({ ...(connection.getConnectionOptions() as PoolConfig), ...options });
  // An idle client's error (Postgres restarted) drops that client; the next statement reconnects.
  pool.on('error', () => undefined);
  pools.set(connection, pool);
  return pool;
}

export async function sql<T = Record<string, unknown>>(em: EntityManager, text: string, values: readonly unknown[] = []): Promise<T[]> {
  if (!em.isInTransaction()) {
    const pool = pools.get(em.getConnection());
    if (pool) return (await whenConnected(() => pool.query(text, values as unknown[]))).rows as T[];
  }
  const bindings: unknown[] = [];
  const knexSql = text.replace(/\$(\d+)/g, (_, n: string) => {
    bindings.push(values[Number(n) - 1]);
    return '?';
  });
  return em.execute<T[]>(knexSql, bindings);
}

/** Ids one shared statement reads at most (`perTurn`). */
const PER_TURN_BATCH = 500;

/**
 * A read by id that the callers asking within one turn of the event loop share: one statement for
 * all of them (a DataLoader without cache, run by `setImmediate`, at most PER_TURN_BATCH ids), so
 * thousands of widgets resubscribing at once after an instance died cost Postgres a few hundred
 * statements, not one each. Each answer is as fresh as a read made at the end of the turn it was
 * asked in; alone, a read waits for nothing else. `read` gets the distinct valid uuids and returns
 * what it found; an id it did not find (or not a uuid) gets `missing`. Outside a transaction only.
 */
export function perTurn<V>(read: (ids: string[]) => Promise<ReadonlyMap<string, V>>, missing: V): (id: string) => Promise<V> {
  const loader = new DataLoader<string, V>(
    async (ids) => {
      const found = await read([...new Set(ids)]); // uuids only: the others never reach the loader
      return ids.map((id) => (found.has(id) ? found.get(id)! : missing));
    },
    { cache: false, maxBatchSize: PER_TURN_BATCH, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (id) => (isUuid(id) ? loader.load(id) : Promise.resolve(missing));
}

/**
 * Postgres refusing a new connection (at max_connections, or starting up) refuses before any
 * statement ran, so `work` is tried again, for up to about three seconds: by then a pooled
 * connection is usually free. A burst (sends held up by something and let through at once, every
 * stream filling a gap at once) then no longer fails because a pool had to grow at the moment the
 * server had no connection to spare. Statements on the pool and transactions (services/
 * transaction.ts) go through it.
 */
const REFUSED_CONNECTION = new Set(['53300', '57P03']); // too_many_connections, cannot_connect_now
const RETRY_DELAYS_MS = [20, 50, 100, 200, 400, 800, 1600];

export async function whenConnected<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= RETRY_DELAYS_MS.length || !REFUSED_CONNECTION.has(refusal(error) ?? '')) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }
}

/** The SQLSTATE of a refused connection: pg's error, or the one MikroORM wrapped it in. */
function refusal(error: unknown): string | undefined {
  return pgCode(error) ?? pgCode((error as { previous?: unknown } | null)?.previous) ?? (error as { sqlState?: string } | null)?.sqlState;
}

/** The pool answers a statement. */
export async function ping(pool: Pool): Promise<boolean> {
  await pool.query('select 1');
  return true;
}

/**
 * A statement's rows as a stream, read from a server-side cursor in batches (pg-query-stream), on
 * a connection of its own (MikroORM's connection options, without the statement and query
 * timeouts: a long export is not a hung statement; and outside the statement pool, so a slow
 * reader never holds a connection the hot path needs). Memory stays flat however many rows there
 * are; a reader that stops early (the client went away) ends the cursor and the connection. For
 * the streamed exports only (http/exports.ts bounds how many run at once).
 */
export async function stream(em: EntityManager, text: string, values: readonly unknown[] = [], rowMode?: 'array'): Promise<Readable> {
  const pool = pools.get(em.getConnection());
  if (!pool) throw new Error('no statement pool');
  const options = { ...(pool as unknown as { options: ClientConfig }).options, statement_timeout: undefined, query_timeout: undefined };
  const client = new Client(options);
  client.on('error', () => undefined); // a dropped connection fails the stream, below
  await client.connect();
  const rows = client.query(new QueryStream(text, values as unknown[], { batchSize: 100, highWaterMark: 100, rowMode }));
  rows.once('close', () => void client.end().catch(() => undefined));
  return rows;
}
