import type { EntityManager } from '@mikro-orm/postgresql';
import { ChatSession } from '../entities';
import { asDate, camel } from './rows';
import type { Readable } from 'node:stream';
import { perTurn, sql, stream } from './execute';
import { isUuid, pgArray } from './sql';

/**
 * The `chat_session` table: its one mapper and its reads. Rows are mapped to entity-shaped
 * objects rather than through the identity map, so a long-lived subscription never serves a
 * stale copy.
 */
export type SessionRow = ChatSession & { queuePosition?: number | null };

export const toSession = (row: Record<string, unknown>): SessionRow => camel(ChatSession.prototype, row) as SessionRow;

/** One session; with `lock`, FOR UPDATE (inside a transaction). */
export async function byId(em: EntityManager, id: string, lock = false): Promise<SessionRow | null> {
  if (!isUuid(id)) return null;
  const rows = await sql(em, `select * from chat_session where id = $1${lock ? ' for update' : ''}`, [id]);
  return rows.length ? toSession(rows[0]) : null;
}

/** `byId` outside a transaction, for subscriptions starting: the reads asked in one turn share a statement (`perTurn`). */
export function sharedReads(em: () => EntityManager): (id: string) => Promise<SessionRow | null> {
  return perTurn(async (ids) => {
    const rows = await sql(em(), 'select * from chat_session where id = any($1::uuid[])', [pgArray(ids)]);
    return new Map(rows.map((row) => [row.id as string, toSession(row)]));
  }, null);
}

/** Several sessions at once (the events' snapshots). */
export async function byIds(em: EntityManager, ids: readonly string[]): Promise<SessionRow[]> {
  if (!ids.length) return [];
  const rows = await em.execute<Array<Record<string, unknown>>>('select * from chat_session where id = any(?::uuid[])', [pgArray(ids)]);
  return rows.map(toSession);
}

/** A customer's sessions, newest first (at most 200). */
export async function ofCustomer(em: EntityManager, customerId: string): Promise<SessionRow[]> {
  const rows = await sql(em, 'select * from chat_session where customer_id = $1 order by created_at desc, id desc limit 200', [customerId]);
  return rows.map(toSession);
}

/** QUEUED sessions, first in line first, each with its position in its skill line. */
export async function queue(em: EntityManager): Promise<SessionRow[]> {
  const rows = await sql(
    em,
    `select *, row_number() over (partition by skill order by queued_at, id)::int as queue_position
       from chat_session where status = 'QUEUED' order by queued_at, id`,
  );
  return rows.map(toSession);
}

/** 1-based place of a QUEUED session among those asking for the same skill (or for none). */
export async function queuePosition(em: EntityManager, sessionId: string): Promise<number> {
  const rows = await sql<{ n: number }>(
    em,
    `select count(*)::int + 1 as n from chat_session q, chat_session s
      where s.id = $1 and q.status = 'QUEUED' and q.skill is not distinct from s.skill
        and (q.queued_at, q.id) < (s.queued_at, s.id)`,
    [sessionId],
  );
  return rows[0].n;
}

export async function queuedIds(em: EntityManager): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, `select id from chat_session where status = 'QUEUED'`);
  return rows.map((r) => r.id);
}

/**
 * Routing: the queue a drain may take from, first come first served. With `fallbackSeconds`, a
 * chat QUEUED for a skill that long (since it last entered the queue) may go to any agent
 * (`fallback`: desk, "Skill fallback").
 */
export async function queuedFor(em: EntityManager, skills: readonly string[], fallbackSeconds = 0): Promise<Array<{ id: string; skill: string | null; fallback: boolean }>> {
  return sql<{ id: string; skill: string | null; fallback: boolean }>(
    em,
    `select id, skill, (skill is not null and $2::int > 0 and entered_queue_at <= now() - make_interval(secs => $2::int)) as fallback
       from chat_session
      where status = 'QUEUED'
        and (skill is null or skill = any($1::text[]) or ($2::int > 0 and entered_queue_at <= now() - make_interval(secs => $2::int)))
      order by queued_at, id limit 1000`,
    [pgArray(skills), fallbackSeconds],
  );
}

/** Routing: the chosen sessions become ACTIVE with their agents. */
export async function assign(em: EntityManager, sessionIds: readonly string[], agentIds: readonly string[]): Promise<void> {
  await sql(
    em,
    `update chat_session s set status = 'ACTIVE', agent_id = a.agent_id, assigned_at = clock_timestamp(), queued_at = null
       from unnest($1::uuid[], $2::uuid[]) as a(session_id, agent_id)
      where s.id = a.session_id and s.status = 'QUEUED'`,
    [pgArray(sessionIds), pgArray(agentIds)],
  );
}

/**
 * The visitor context as stored (`param`, a jsonb parameter), stamped with the time it was taken:
 * `updatedAt`, an ISO string as the API gives it. The insert here and db/session-desk.ts'
 * setContext both store it this way.
 */
export const stampedContext = (param: string): string =>
  `${param}::jsonb || jsonb_build_object('updatedAt', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

/**
 * A new chat, QUEUED; `lastSeq` 1 when it opens with a message. `visitorContext` (desk: the page the visitor is on, its user agent) is stored
 * with it, in the same statement (db/session-desk.ts keeps it up to date afterwards).
 */
export async function insert(
  em: EntityManager,
  s: { id: string; customerId: string; skill: string | null; lastSeq: number; visitorContext?: Record<string, unknown> | null },
): Promise<void> {
  await sql(
    em,
    `insert into chat_session (id, customer_id, status, skill, queued_at, entered_queue_at, created_at, last_seq, visitor_context, visitor_context_at)
     values ($1, $2, 'QUEUED', $3, clock_timestamp(), date_trunc('milliseconds', now()), date_trunc('milliseconds', now()), $4,
             ${stampedContext('$5')},
             case when $5::jsonb is null then null else clock_timestamp() end)`,
    [s.id, s.customerId, s.skill, s.lastSeq, s.visitorContext ? JSON.stringify(s.visitorContext) : null],
  );
}

export async function close(em: EntityManager, id: string): Promise<void> {
  await sql(em, `update chat_session set status = 'CLOSED', closed_at = now(), queued_at = null where id = $1`, [id]);
}

export async function rate(em: EntityManager, id: string, rating: number, comment: string | null): Promise<void> {
  await sql(em, 'update chat_session set rating = $1, rating_comment = $2 where id = $3', [rating, comment, id]);
}

/** Handed to another agent; assignedAt stays the first assignment (the chat's wait ended then). */
export async function handTo(em: EntityManager, id: string, agentId: string, skill: string | null): Promise<void> {
  await sql(em, `update chat_session set agent_id = $1, agent_read_seq = 0, skill = coalesce($2, skill) where id = $3`, [agentId, skill, id]);
}

/** Back in the queue; `queuedAt` null: at its end now (else the time that places it). */
export async function requeue(em: EntityManager, id: string, p: { skill?: string | null; queuedAt?: Date | null }): Promise<void> {
  await sql(
    em,
    `update chat_session set status = 'QUEUED', agent_id = null, assigned_at = null, agent_read_seq = 0, skill = coalesce($1, skill),
            queued_at = coalesce($2::timestamptz, clock_timestamp()), entered_queue_at = clock_timestamp() where id = $3`,
    [p.skill ?? null, p.queuedAt ?? null, id],
  );
}

/** A supervisor's assignment by hand: ACTIVE with `agentId` now; returns assigned_at. */
export async function assignTo(em: EntityManager, id: string, agentId: string, skill: string | null): Promise<string> {
  const [{ assigned_at }] = await sql<{ assigned_at: string }>(
    em,
    `update chat_session set status = 'ACTIVE', agent_id = $1, assigned_at = clock_timestamp(), queued_at = null, skill = coalesce($2, skill)
      where id = $3 returning assigned_at`,
    [agentId, skill, id],
  );
  return assigned_at;
}

/** Raises one side's read seq (never lowers it; never past the last message); false if unchanged. */
export async function markRead(em: EntityManager, id: string, side: 'visitor' | 'agent', seq: number): Promise<boolean> {
  const column = side === 'visitor' ? 'visitor_read_seq' : 'agent_read_seq';
  const rows = await sql(em, `update chat_session set ${column} = least($1, last_seq) where id = $2 and ${column} < least($1, last_seq) returning id`, [seq, id]);
  return rows.length > 0;
}

/** An agent's ACTIVE sessions, in the order they came. */
export async function activeOf(em: EntityManager, agentId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, `select id from chat_session where agent_id = $1 and status = 'ACTIVE' order by created_at, id`, [agentId]);
  return rows.map((r) => r.id);
}

/** When the head of the queue entered it (now, for an empty queue). */
export async function queueHead(em: EntityManager): Promise<Date> {
  const [{ t }] = await sql<{ t: string }>(em, `select coalesce(min(queued_at), clock_timestamp()) as t from chat_session where status = 'QUEUED'`);
  return asDate(t);
}

/** Erasure: a customer's sessions not CLOSED yet (erasure waits until they are). */
export async function openCount(em: EntityManager, customerId: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from chat_session where customer_id = $1 and status <> 'CLOSED'`, [customerId]);
  return n;
}

/**
 * Erasure: the rating comment and the visitor's pages go, the facts (times, agent, rating, status, tags) stay. Only sessions
 * not erased yet are touched; their ids come back (each erased once, however often asked).
 */
export async function erase(em: EntityManager, where: { customerId: string } | { ids: readonly string[] }): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    em,
    `update chat_session set rating_comment = null, visitor_context = null, erased_at = now()
      where ${'customerId' in where ? 'customer_id = $1' : 'id = any($1::uuid[])'} and erased_at is null returning id`,
    ['customerId' in where ? where.customerId : pgArray(where.ids)],
  );
  return rows.map((r) => r.id);
}

/**
 * Retention: up to `limit` sessions closed more than `days` days ago and not erased yet, locked
 * (SKIP LOCKED: two sweeps never take the same session).
 */
export async function dueForRetention(em: EntityManager, days: number, limit: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    em,
    `select id from chat_session
      where status = 'CLOSED' and erased_at is null and closed_at < now() - make_interval(days => $1)
      order by closed_at limit $2 for update skip locked`,
    [days, limit],
  );
  return rows.map((r) => r.id);
}

/** The customers of these sessions. */
export async function customersOf(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  const rows = await sql<{ customer_id: string }>(em, 'select distinct customer_id from chat_session where id = any($1::uuid[])', [pgArray(ids)]);
  return rows.map((r) => r.customer_id);
}

/** A customer's sessions with everything stored about them, for customerExport (JSON from Postgres). */
export async function exportOf(em: EntityManager, customerId: string): Promise<unknown[]> {
  const rows = await sql<{ doc: unknown[] | null }>(
    em,
    `select json_agg(json_build_object(
              'session', to_jsonb(s) - 'erased_at',
              'messages', (select coalesce(json_agg(to_jsonb(m) order by m.seq), '[]') from message m where m.session_id = s.id),
              'events', (select coalesce(json_agg(to_jsonb(e) order by e.at), '[]') from session_event e where e.session_id = s.id)
            ) order by s.created_at) as doc
       from chat_session s where s.customer_id = $1`,
    [customerId],
  );
  return rows[0]?.doc ?? [];
}

/** How many chats wait (the queue-depth gauge). */
export async function queueDepth(em: EntityManager): Promise<number> {
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from chat_session where status = 'QUEUED'`);
  return n;
}

/** ISO-8601 UTC text of a timestamptz column, as the API writes dates. */
const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The sessions export (GET /api/v1/exports/sessions.csv): every session created in [from, to),
 * oldest first, with its customer, its agent and its first message, streamed from a cursor as
 * arrays in the order of EXPORT_COLUMNS.
 */
export const EXPORT_COLUMNS = [
  'id', 'status', 'skill', 'createdAt', 'assignedAt', 'firstResponseAt', 'closedAt', 'customerId', 'customerName', 'customerEmail',
  'agentId', 'agentName', 'messages', 'rating', 'ratingComment', 'firstMessage',
] as const;

export function exportRows(em: EntityManager, from: Date, to: Date): Promise<Readable> {
  return stream(
    em,
    `select s.id, s.status, s.skill, ${iso('s.created_at')} as created_at, ${iso('s.assigned_at')} as assigned_at,
            ${iso('s.first_response_at')} as first_response_at, ${iso('s.closed_at')} as closed_at,
            s.customer_id, c.name as customer_name, c.email as customer_email, s.agent_id, a.name as agent_name,
            s.last_seq as messages, s.rating, s.rating_comment,
            (select m.body from message m where m.session_id = s.id and m.seq = 1) as first_message
       from chat_session s join customer c on c.id = s.customer_id left join agent a on a.id = s.agent_id
      where s.created_at >= $1 and s.created_at < $2
      order by s.created_at, s.id`,
    [from, to],
    'array',
  );
}

/**
 * Availability: a skill line's queue, and the median seconds from start to (first) assignment of
 * its chats assigned in the last hour, with how many there were.
 */
export async function skillLine(em: EntityManager, skill: string | null): Promise<{ queued: number; samples: number; medianWait: number | null }> {
  const [row] = await sql<{ queued: number; samples: number; median_wait: number | null }>(
    em,
    `select (select count(*)::int from chat_session where status = 'QUEUED' and skill is not distinct from $1::text) as queued,
            count(*)::int as samples,
            percentile_cont(0.5) within group (order by extract(epoch from (assigned_at - created_at)))::float8 as median_wait
       from chat_session where assigned_at >= now() - interval '1 hour' and skill is not distinct from $1::text`,
    [skill],
  );
  return { queued: row.queued, samples: row.samples, medianWait: row.median_wait };
}

/**
 * The unread-reply email (desk: "Email"): sessions with an agent message the visitor has not read
 * and no email has covered, written `delaySeconds` ago or more, no email in the last 15 minutes.
 * Read through the partial index chat_session_unread_by_visitor.
 */
const NOTIFY_DUE = `s.last_agent_seq > s.visitor_read_seq and s.last_agent_seq > s.notified_seq
   and (s.notified_at is null or s.notified_at <= now() - interval '15 minutes')
   and exists (select 1 from message m where m.session_id = s.id and m.author = 'AGENT'
                 and m.seq > greatest(s.visitor_read_seq, s.notified_seq) and m.created_at <= now() - make_interval(secs => $1::int))`;

export async function notifyDue(em: EntityManager, delaySeconds: number, limit = 200): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, `select s.id from chat_session s where ${NOTIFY_DUE} order by s.last_agent_at limit $2`, [delaySeconds, limit]);
  return rows.map((r) => r.id);
}

/**
 * Claims one due notification (once, whichever instances sweep): what it covers is recorded now.
 * Returns the customer's email (null: nothing to send, the claim only retires it) and the seq
 * the email covers up to; null when it is no longer due.
 */
export async function claimNotify(em: EntityManager, id: string, delaySeconds: number): Promise<{ customerId: string; email: string | null; upToSeq: number } | null> {
  const rows = await sql<{ customer_id: string; email: string | null; up_to: number }>(
    em,
    `update chat_session s set notified_seq = s.last_agent_seq, notified_at = case when c.email is null then s.notified_at else now() end
       from customer c
      where s.id = $2 and c.id = s.customer_id and ${NOTIFY_DUE}
      returning s.customer_id, c.email, s.last_agent_seq as up_to`,
    [delaySeconds, id],
  );
  return rows.length ? { customerId: rows[0].customer_id, email: rows[0].email, upToSeq: rows[0].up_to } : null;
}

/** Skill fallback: which of these sessions are QUEUED for a skill (their timers arm). */
export async function queuedWithSkill(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, `select id from chat_session where id = any($1::uuid[]) and skill is not null and status = 'QUEUED'`, [pgArray(ids)]);
  return rows.map((r) => r.id);
}
