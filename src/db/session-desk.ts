import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionStatus } from '../entities';
import { sql } from './execute';
import { asDate } from './rows';
import { stampedContext, toSession, type SessionRow } from './sessions';
import { pgArray } from './sql';

/**
 * The desk's statements on `chat_session` (its tags and visitor context, added by the desk
 * migration) and the search over sessions and their messages. Kept beside db/sessions.ts, which
 * owns the lifecycle; both map rows with its `toSession`.
 */

export interface ContextRow {
  pageUrl: string | null;
  pageTitle: string | null;
  referrer: string | null;
  locale: string | null;
  timeZone: string | null;
  userAgent: string | null;
  updatedAt: string;
}

/** Replaces the set. */
export async function setTags(em: EntityManager, sessionId: string, tags: readonly string[]): Promise<void> {
  await sql(em, 'update chat_session set tags = $2::text[] where id = $1', [sessionId, pgArray(tags)]);
}

/**
 * The visitor's page now. At most one a second is kept: a change within a second of the last
 * kept one is dropped (returns false).
 */
export async function setContext(em: EntityManager, sessionId: string, context: Omit<ContextRow, 'updatedAt'>): Promise<boolean> {
  const rows = await sql(
    em,
    `update chat_session set visitor_context = ${stampedContext('$2')},
            visitor_context_at = clock_timestamp()
      where id = $1 and (visitor_context_at is null or visitor_context_at < clock_timestamp() - interval '1 second') returning id`,
    [sessionId, JSON.stringify(context)],
  );
  return rows.length > 0;
}

export function contextOf(session: SessionRow): ContextRow | null {
  const raw = session.visitorContext as ContextRow | null | undefined;
  return raw ? { ...raw, updatedAt: asDate(raw.updatedAt).toISOString() } : null;
}

export function tagsOf(session: SessionRow): string[] {
  return (session.tags as string[] | undefined) ?? [];
}

export interface EventRow {
  id: string;
  kind: string;
  at: string;
  actorKind: string;
  agentId: string | null;
  data: string;
}

/** The audit trail of a session, oldest first (at most 1000 steps). */
export async function events(em: EntityManager, sessionId: string): Promise<EventRow[]> {
  const rows = await sql(em, 'select id, kind, at, actor_kind, agent_id, data from session_event where session_id = $1 order by at, id limit 1000', [sessionId]);
  return rows.map((r) => ({
    id: r.id as string,
    kind: r.kind as string,
    at: asDate(r.at).toISOString(),
    actorKind: r.actor_kind as string,
    agentId: (r.agent_id as string | null) ?? null,
    data: JSON.stringify(r.data ?? {}),
  }));
}

export interface SessionQuery {
  /** Only this agent's sessions (an agent's own view); undefined: everyone's. */
  visibleTo?: string;
  agentId?: string | null;
  status?: SessionStatus | null;
  tag?: string | null;
  search?: string | null;
  from?: Date | null;
  to?: Date | null;
  customerId?: string;
  /** Newest-first keyset cursor (no search). */
  before?: { createdAt: string; id: string };
  /** Ranked search: rows to skip. */
  offset?: number;
  limit: number;
}

/**
 * `sessions(…)` and `Customer.sessions`: newest first, or most relevant first with `search`
 * (Postgres full-text search over the messages, the GIN index on `message.search`).
 */
export async function find(em: EntityManager, q: SessionQuery): Promise<SessionRow[]> {
  const values: unknown[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  const where: string[] = [];
  if (q.visibleTo) where.push(`s.agent_id = ${param(q.visibleTo)}::uuid`);
  if (q.agentId) where.push(`s.agent_id = ${param(q.agentId)}::uuid`);
  if (q.customerId) where.push(`s.customer_id = ${param(q.customerId)}::uuid`);
  if (q.status) where.push(`s.status = ${param(q.status)}`);
  if (q.tag) where.push(`s.tags @> array[${param(q.tag)}::text]`);
  if (q.from) where.push(`s.created_at >= ${param(q.from.toISOString())}::timestamptz`);
  if (q.to) where.push(`s.created_at < ${param(q.to.toISOString())}::timestamptz`);
  if (q.before) where.push(`(s.created_at, s.id) < (${param(q.before.createdAt)}::timestamptz, ${param(q.before.id)}::uuid)`);
  const filters = where.length ? `where ${where.join(' and ')}` : '';
  if (q.search) {
    const text = `with r as (
        select m.session_id, max(ts_rank(m.search, t.q)) as rank
          from message m, plainto_tsquery('simple', ${param(q.search)}) t(q)
         where m.search @@ t.q group by m.session_id)
      select s.*, r.rank from chat_session s join r on r.session_id = s.id ${filters}
       order by r.rank desc, s.created_at desc, s.id desc limit ${param(q.limit)} offset ${param(q.offset ?? 0)}`;
    return (await sql(em, text, values)).map((row) => {
      delete row.rank;
      return toSession(row);
    });
  }
  const text = `select s.* from chat_session s ${filters} order by s.created_at desc, s.id desc limit ${param(q.limit)}`;
  return (await sql(em, text, values)).map(toSession);
}

/** Whether `agentId` has an ACTIVE chat with this customer now (it may then read the customer's history). */
export async function chattingWith(em: EntityManager, agentId: string, customerId: string): Promise<boolean> {
  const rows = await sql(em, `select 1 from chat_session where agent_id = $1 and customer_id = $2 and status = 'ACTIVE' limit 1`, [agentId, customerId]);
  return rows.length > 0;
}
