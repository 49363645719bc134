import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';

/**
 * Advisory locks: no table's, so their own module. The keys are named where they are decided
 * (`ROUTING_LOCK` in services/routing.ts; the migration lock in db/database.ts, taken on its own
 * connection before MikroORM starts).
 */

/** Held until the transaction `em` runs in ends; waits for whoever holds it. */
export async function transactionLock(em: EntityManager, key: number): Promise<void> {
  if (!em.isInTransaction()) throw new Error('a transaction lock outside a transaction would be released at once');
  await sql(em, 'select pg_advisory_xact_lock($1)', [key]);
}
