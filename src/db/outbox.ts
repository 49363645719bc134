import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/**
 * The `event_outbox` table: one row per event and sink ('webhooks', 'amqp'), written in the
 * transaction of the change that caused it (events/outbox.ts), taken by that sink's relay on a
 * lease, so each row is taken by one instance at a time, and deleted only once handed on.
 */
export type Sink = 'webhooks' | 'amqp';

export interface OutboxEvent {
  id: string;
  type: string;
  at: string;
  /** Null for the send statement's message.created, which names its message instead. */
  data: Record<string, unknown> | null;
  messageId: string | null;
}

export interface OutboxRow extends OutboxEvent {
  seq: string;
}

/** Events of one change, each row one event for one sink, in order. */
export async function insert(em: EntityManager, rows: ReadonlyArray<Omit<OutboxEvent, 'at'> & { sink: Sink }>): Promise<void> {
  if (!rows.length) return;
  await sql(
    em,
    `insert into event_outbox (id, sink, type, data, message_id)
     select e.id, e.sink, e.type, e.data, e.message_id
       from jsonb_to_recordset($1::jsonb) as e(id uuid, sink text, type text, data jsonb, message_id uuid)`,
    [JSON.stringify(rows.map((e) => ({ id: e.id, sink: e.sink, type: e.type, data: e.data, message_id: e.messageId })))],
  );
}

/**
 * The oldest `limit` rows of a sink nobody holds, taken for `leaseSeconds` by one autocommit
 * statement (`FOR UPDATE SKIP LOCKED` inside it: two relays never take one row at once). A relay
 * that dies holding rows frees them when the lease runs out; one that fails frees them at once
 * (`release`). In seq order.
 */
export async function claim(em: EntityManager, sink: Sink, limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
  const rows = await sql(
    em,
    `update event_outbox o set claimed_until = now() + make_interval(secs => $3)
      where o.seq in (select seq from event_outbox where sink = $1 and (claimed_until is null or claimed_until < now())
                       order by seq limit $2 for update skip locked)
      returning o.seq::text, o.id, o.type, o.at, o.data, o.message_id`,
    [sink, limit, leaseSeconds],
  );
  return rows
    .map((r) => ({
      seq: r.seq as string,
      id: r.id as string,
      type: r.type as string,
      at: asDate(r.at).toISOString(),
      data: (r.data as Record<string, unknown> | null) ?? null,
      messageId: (r.message_id as string | null) ?? null,
    }))
    .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
}

/** Handed on: gone (the webhook relay deletes its rows in the statement that inserts their deliveries). */
export async function remove(em: EntityManager, seqs: readonly string[]): Promise<void> {
  if (seqs.length) await sql(em, 'delete from event_outbox where seq = any($1::bigint[])', [pgArray(seqs)]);
}

/** Not handed on after all: free for the next pass, on any instance. */
export async function release(em: EntityManager, seqs: readonly string[]): Promise<void> {
  if (seqs.length) await sql(em, 'update event_outbox set claimed_until = null where seq = any($1::bigint[])', [pgArray(seqs)]);
}
