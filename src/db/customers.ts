import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Customer } from '../entities';
import { camel } from './rows';
import { pgArray } from './sql';

/** The `customer` table: its one mapper and its statements. */
export const toCustomer = (row: Record<string, unknown>): Customer => camel(Customer.prototype, row) as Customer;

export async function byIds(em: EntityManager, ids: readonly string[]): Promise<Customer[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>('select * from customer where id = any(?::uuid[])', [pgArray(ids)]);
  return rows.map(toCustomer);
}

interface Details {
  name: string | null;
  email: string | null;
  externalId: string | null;
}

/** The one verified customer with that externalId, created or updated (a valid identity pair). */
export async function upsertVerified(em: EntityManager, p: Details): Promise<string> {
  const rows = await em.execute<Array<{ id: string }>>(
    `insert into customer (id, name, email, external_id, verified, created_at) values (?, ?, ?, ?, true, now())
     on conflict (external_id) where verified
     do update set name = coalesce(excluded.name, customer.name), email = coalesce(excluded.email, customer.email)
     returning id`,
    [randomUUID(), p.name, p.email, p.externalId],
  );
  return rows[0].id;
}

/** A returning visitor's details, filled in where given (a verified externalId never changes); null if it is gone. */
export async function update(em: EntityManager, id: string, p: Details): Promise<string | null> {
  const rows = await em.execute<Array<{ id: string }>>(
    `update customer set name = coalesce(?, name), email = coalesce(?, email),
            external_id = case when verified then external_id else coalesce(external_id, ?) end
      where id = ? returning id`,
    [p.name, p.email, p.externalId, id],
  );
  return rows[0]?.id ?? null;
}

export async function insert(em: EntityManager, p: Details): Promise<string> {
  const id = randomUUID();
  await em.execute(`insert into customer (id, name, email, external_id, verified, created_at) values (?, ?, ?, ?, false, now())`, [id, p.name, p.email, p.externalId]);
  return id;
}

/** Who is typing, by name. */
export async function nameOf(em: EntityManager, table: 'customer' | 'agent', id: string): Promise<string | null> {
  const rows = await em.execute<Array<{ name: string | null }>>(`select name from ${table} where id = ?`, [id]);
  return rows[0]?.name ?? null;
}
