import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/**
 * The `event_outbox` table: one row per event and sink ('webhooks', 'amqp'), written in the
 * transaction of the change that caused it (events/outbox.ts), read and deleted by that sink's
 * relay under `FOR UPDATE SKIP LOCKED`, so each row is taken by one instance at a time and is
 * deleted only in the transaction that handed it on.
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
 * The oldest `limit` rows of a sink that no other relay holds, locked until the caller's
 * transaction ends.
 */
export async function claim(em: EntityManager, sink: Sink, limit: number): Promise<OutboxRow[]> {
  const rows = await sql(
    em,
    `select seq::text, id, type, at, data, message_id from event_outbox where sink = $1 order by seq limit $2 for update skip locked`,
    [sink, limit],
  );
  return rows.map((r) => ({
    seq: r.seq as string,
    id: r.id as string,
    type: r.type as string,
    at: asDate(r.at).toISOString(),
    data: (r.data as Record<string, unknown> | null) ?? null,
    messageId: (r.message_id as string | null) ?? null,
  }));
}

export async function remove(em: EntityManager, seqs: readonly string[]): Promise<void> {
  if (seqs.length) await sql(em, 'delete from event_outbox where seq = any($1::bigint[])', [pgArray(seqs)]);
}
