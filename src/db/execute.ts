import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Pool, type PoolConfig } from 'pg';

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
    if (pool) return (await pool.query(text, values as unknown[])).rows as T[];
  }
  const bindings: unknown[] = [];
  const knexSql = text.replace(/\$(\d+)/g, (_, n: string) => {
    bindings.push(values[Number(n) - 1]);
    return '?';
  });
  return em.execute<T[]>(knexSql, bindings);
}

/** The pool answers a statement. */
export async function ping(pool: Pool): Promise<boolean> {
  await pool.query('select 1');
  return true;
}
