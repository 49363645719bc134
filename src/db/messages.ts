import type { EntityManager } from '@mikro-orm/postgresql';
import type { Author } from '../entities';
import type { MessagePayload } from '../pubsub/topics';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/**
 * The `message` table: its columns, its one mapper, its statements. Raw SQL on purpose: sending
 * and replaying are the measured hot paths (bench/README.md).
 */
const COLUMNS = 'id, session_id, seq, author, author_name, body, client_message_id, created_at';

export function toPayload(row: Record<string, unknown>): MessagePayload {
  return {
    id: row.id as string,
    sessionId: row.session_id as string,
    seq: row.seq as number,
    author: row.author as Author,
    authorName: (row.author_name as string | null) ?? null,
    body: row.body as string,
    clientMessageId: (row.client_message_id as string | null) ?? null,
    createdAt: asDate(row.created_at).toISOString(),
  };
}

/** A message just stored, as it goes live: with the session's agent at that moment. */
function toLive(row: Record<string, unknown>): MessagePayload {
  return { ...toPayload(row), agentId: (row.session_agent_id as string | null) ?? null };
}

/**
 * The hot path (design: "The hot path"). One statement, so one round trip and its own
 * transaction: the UPDATE takes the next seq under the session's row lock (concurrent senders of
 * one session queue behind it, so seq follows commit order with no gap), refuses closed sessions
 * and strangers, and skips a clientMessageId already stored; the INSERT writes the message.
 * A unique violation on (session_id, client_message_id), from two racing retries, rolls the
 * whole statement back, seq included. An agent's message also stamps last_agent_seq/_at, what the
 * unread-reply email (services/email.ts) looks for.
 *
 * Its guard repeats the policy's `message.send` (policies/session.ts) in SQL, for speed; the
 * table in test/policy.test.ts proves they agree on every (viewer, session state) pair. SYSTEM
 * is an API key's message (its scope checked before, by `requireScope`): any open session, the
 * key's name as authorName.
 */
const SEND = `
with s as (
  update chat_session
     set last_seq = last_seq + 1,
         first_response_at = case when $1::text = 'AGENT' then coalesce(first_response_at, now()) else first_response_at end,
         last_agent_seq = case when $1::text = 'AGENT' then last_seq + 1 else last_agent_seq end,
         last_agent_at = case when $1::text = 'AGENT' then now() else last_agent_at end
   where id = $2::uuid and status <> 'CLOSED'
     and case $1::text when 'VISITOR' then customer_id = $3::uuid when 'AGENT' then agent_id = $3::uuid and status = 'ACTIVE' else true end
     and ($4::text is null or not exists (select 1 from message m where m.session_id = $2::uuid and m.client_message_id = $4::text))
  returning id, last_seq, agent_id
), m as (
  insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
  select gen_random_uuid(), s.id, s.last_seq, $1::text, $3::uuid,
         case $1::text when 'VISITOR' then (select name from customer where id = $3::uuid)
                       when 'AGENT' then (select name from agent where id = $3::uuid)
                       else (select name from api_key where id = $3::uuid) end,
         $5::text, $4::text, now()
    from s
  returning ${COLUMNS}
)
select m.*, s.agent_id as session_agent_id from m, s`;

/**
 * The same, when some sink wants message.created (events/outbox.ts): the statement also writes
 * the event's outbox rows, one per sink ($6), so the event commits with the message, in the same
 * single statement (its data is read by the relay from the message it names).
 */
const SEND_WITH_EVENT = SEND.replace(
  /\nselect m\.\*, s\.agent_id as session_agent_id from m, s$/,
  `, o as (
  insert into event_outbox (id, sink, type, message_id)
  select e.id, k.sink, 'message.created', m.id from m cross join (select gen_random_uuid() as id) e cross join unnest($6::text[]) as k(sink)
)
select m.*, s.agent_id as session_agent_id from m, s`,
);

export interface Send {
  author: Author;
  authorId: string;
  sessionId: string;
  body: string;
  clientMessageId: string | null;
}

/**
 * The stored message, or null when the guard refused it (or its clientMessageId is stored).
 * `sinks`: the outbox sinks that want its message.created (none: the plain statement).
 */
export async function insertGuarded(em: EntityManager, m: Send, sinks: readonly string[] = []): Promise<MessagePayload | null> {
  const values = [m.author, m.sessionId, m.authorId, m.clientMessageId, m.body];
  const rows = sinks.length ? await sql(em, SEND_WITH_EVENT, [...values, pgArray(sinks)]) : await sql(em, SEND, values);
  return rows.length ? toLive(rows[0]) : null;
}

/** A chat's opening message, seq 1, in the transaction that creates the chat. */
export async function insertFirst(em: EntityManager, m: Omit<Send, 'author'>): Promise<MessagePayload> {
  const rows = await sql(
    em,
    `insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
     values (gen_random_uuid(), $1, 1, 'VISITOR', $2, (select name from customer where id = $2), $3, $4, now())
     returning ${COLUMNS}`,
    [m.sessionId, m.authorId, m.body, m.clientMessageId],
  );
  return toPayload(rows[0]);
}

/** Messages by id (the outbox's message.created rows name theirs). */
export async function byIds(em: EntityManager, ids: readonly string[]): Promise<MessagePayload[]> {
  const rows = await sql(em, `select ${COLUMNS} from message where id = any($1::uuid[])`, [pgArray(ids)]);
  return rows.map(toPayload);
}

export async function byClientId(em: EntityManager, sessionId: string, clientMessageId: string): Promise<MessagePayload | null> {
  const rows = await sql(em, `select ${COLUMNS} from message where session_id = $1 and client_message_id = $2`, [sessionId, clientMessageId]);
  return rows.length ? toPayload(rows[0]) : null;
}

/** Stored messages of a session after `afterSeq` (and before `beforeSeq`), oldest first: replay and gap filling. */
export async function after(em: EntityManager, sessionId: string, afterSeq: number, limit: number, beforeSeq?: number): Promise<MessagePayload[]> {
  const rows = await sql(
    em,
    `select ${COLUMNS} from message where session_id = $1 and seq > $2${beforeSeq !== undefined ? ' and seq < $4' : ''} order by seq limit $3`,
    beforeSeq !== undefined ? [sessionId, afterSeq, limit, beforeSeq] : [sessionId, afterSeq, limit],
  );
  return rows.map(toPayload);
}

/** The newest `limit` messages before `beforeSeq` (or overall), oldest first. */
export async function before(em: EntityManager, sessionId: string, beforeSeq: number | null, limit: number): Promise<MessagePayload[]> {
  const rows = await sql(
    em,
    `select * from (select ${COLUMNS} from message where session_id = $1${beforeSeq !== null ? ' and seq < $3' : ''} order by seq desc limit $2) m order by seq`,
    beforeSeq !== null ? [sessionId, limit, beforeSeq] : [sessionId, limit],
  );
  return rows.map(toPayload);
}

/**
 * Erasure: every body in these sessions becomes '' (the agents' replies quote the customer too)
 * and the visitor's name on its lines goes; seq, authors and times stay (metrics count them).
 * Returns how many messages had anything left to erase.
 */
export async function eraseIn(em: EntityManager, sessionIds: readonly string[]): Promise<number> {
  if (!sessionIds.length) return 0;
  const rows = await sql(
    em,
    `update message set body = '', author_name = case when author = 'VISITOR' then null else author_name end
      where session_id = any($1::uuid[]) and (body <> '' or (author = 'VISITOR' and author_name is not null)) returning 1`,
    [pgArray(sessionIds)],
  );
  return rows.length;
}

/** Whether the agent wrote in the session at or after `since` (no-reply timers). */
export async function agentWroteSince(em: EntityManager, sessionId: string, agentId: string, since: Date): Promise<boolean> {
  const rows = await sql(em, `select 1 from message where session_id = $1 and author = 'AGENT' and author_id = $2 and created_at >= $3 limit 1`, [sessionId, agentId, since]);
  return rows.length > 0;
}
