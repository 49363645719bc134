import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Customer } from '../entities';
import { perTurn, sql } from './execute';
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

/**
 * Whether visitor tokens' customers still exist and were not erased (auth/tokens.ts, on a cache
 * miss); the checks asked in one turn share a statement (`perTurn`): when thousands of widgets
 * reconnect to an instance that has not seen their tokens, one read each was a third of its
 * statements.
 */
export function validity(em: () => EntityManager): (id: string) => Promise<boolean> {
  return perTurn(async (ids) => {
    const rows = await sql<{ id: string }>(em(), 'select id from customer where id = any($1::uuid[]) and erased_at is null', [pgArray(ids)]);
    return new Map(rows.map((r) => [r.id, true]));
  }, false);
}

/** Erasure: locks the customer; null when there is none. */
export async function lock(em: EntityManager, id: string): Promise<{ id: string; erasedAt: Date | null } | null> {
  const rows = await sql<{ id: string; erased_at: Date | null }>(em, 'select id, erased_at from customer where id = $1 for update', [id]);
  return rows.length ? { id: rows[0].id, erasedAt: rows[0].erased_at } : null;
}

/**
 * Erasure of the profile: name, email and externalId removed for good. With `whenDone`, only the
 * customers whose every session is erased (retention). Returns the ids erased now.
 */
export async function erase(em: EntityManager, ids: readonly string[], whenDone = false): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    em,
    `update customer c set name = null, email = null, external_id = null, verified = false, erased_at = coalesce(erased_at, now())
      where c.id = any($1::uuid[]) and (c.erased_at is null or c.name is not null or c.email is not null or c.external_id is not null)
        ${whenDone ? 'and not exists (select 1 from chat_session s where s.customer_id = c.id and s.erased_at is null)' : ''}
      returning id`,
    [pgArray(ids)],
  );
  return rows.map((r) => r.id);
}

/** customerExport: the profile as stored. */
export async function exportOf(em: EntityManager, id: string): Promise<Record<string, unknown> | null> {
  const rows = await sql<{ doc: Record<string, unknown> }>(em, 'select to_jsonb(c) as doc from customer c where id = $1', [id]);
  return rows[0]?.doc ?? null;
}
