import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClientBase } from 'pg';

interface KnexPool {
  acquireConnection(): Promise<ClientBase>;
  releaseConnection(connection: ClientBase): Promise<void>;
}

/**
 * One SQL statement with `$1…` placeholders, run directly on a pg connection from MikroORM's own
 * pool (so no extra connections, same type parsers). For the hot path: it skips MikroORM's
 * execute wrapper and knex's query compiler and runner, which cost more CPU than the statement's
 * own round trip (see bench/README.md). Outside a transaction it is exactly one autocommit
 * statement, as `em.execute` would send; inside one it goes through `em.execute`, on the
 * transaction's connection.
 */
export async function query<T = Record<string, unknown>>(em: EntityManager, text: string, values: readonly unknown[]): Promise<T[]> {
  if (em.isInTransaction()) {
    const bindings: unknown[] = [];
    const sql = text.replace(/\$(\d+)/g, (_, n: string) => {
      bindings.push(values[Number(n) - 1]);
      return '?';
    });
    return em.execute<T[]>(sql, bindings);
  }
  const pool = em.getConnection().getKnex().client as unknown as KnexPool;
  const connection = await pool.acquireConnection();
  try {
    const result = await connection.query(text, values as unknown[]);
    return result.rows as T[];
  } finally {
    void pool.releaseConnection(connection);
  }
}
