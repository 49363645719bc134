import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Customer } from '../entities';
import { sql } from './execute';
import { camel } from './rows';
import { pgArray } from './sql';

/**
 * The `customer` table: its one mapper and its statements. The cold paths (a returning visitor's
 * details, a new visitor) use the `Customer` entity (`em.findOne`, `em.create`, `flush`). Two stay
 * SQL: linking a verified externalId is one `insert … on conflict` on the partial unique index
 * (`external_id` where verified), which is what makes two instances linking the same person at once
 * end with one customer; and the field loader and typing's name read rows, not the identity map,
 * so a long-lived socket never sees a stale copy.
 */
export const toCustomer = (row: Record<string, unknown>): Customer => camel(Customer.prototype, row) as Customer;

export async function byIds(em: EntityManager, ids: readonly string[]): Promise<Customer[]> {
  const rows = await sql(em, 'select * from customer where id = any($1::uuid[])', [pgArray(ids)]);
  return rows.map(toCustomer);
}

interface Details {
  name: string | null;
  email: string | null;
  externalId: string | null;
}

/** The one verified customer with that externalId, created or updated (a valid identity pair). */
export async function upsertVerified(em: EntityManager, p: Details): Promise<string> {
  const rows = await sql<{ id: string }>(
    em,
    `insert into customer (id, name, email, external_id, verified, created_at) values ($1, $2, $3, $4, true, now())
     on conflict (external_id) where verified
     do update set name = coalesce(excluded.name, customer.name), email = coalesce(excluded.email, customer.email)
     returning id`,
    [randomUUID(), p.name, p.email, p.externalId],
  );
  return rows[0].id;
}

/** A returning visitor's details, filled in where given (a verified externalId never changes); null if it is gone. */
export async function update(em: EntityManager, id: string, p: Details): Promise<string | null> {
  const customer = await em.findOne(Customer, { id }, { refresh: true });
  if (!customer) return null;
  if (p.name !== null) customer.name = p.name;
  if (p.email !== null) customer.email = p.email;
  if (!customer.verified && customer.externalId === null && p.externalId !== null) customer.externalId = p.externalId;
  await em.flush();
  return customer.id;
}

export async function insert(em: EntityManager, p: Details): Promise<string> {
  const customer = em.create(Customer, { ...p, verified: false });
  await em.persist(customer).flush();
  return customer.id;
}

/** Who is typing, by name. */
export async function nameOf(em: EntityManager, id: string): Promise<string | null> {
  const rows = await sql<{ name: string | null }>(em, 'select name from customer where id = $1', [id]);
  return rows[0]?.name ?? null;
}
