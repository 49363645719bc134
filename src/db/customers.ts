import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Customer } from '../entities';
import { camel } from './rows';
import { sql } from './execute';
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

/** A visitor token's customer still exists and was not erased (auth/tokens.ts, on a cache miss). */
export async function isValid(em: EntityManager, id: string): Promise<boolean> {
  return (await sql(em, 'select 1 from customer where id = $1 and erased_at is null', [id])).length > 0;
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
