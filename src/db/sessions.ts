import type { EntityManager } from '@mikro-orm/postgresql';
import { ChatSession, type SessionStatus } from '../entities';
import { camel } from './rows';
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
  const rows = await em.execute<Array<Record<string, unknown>>>(`select * from chat_session where id = ?${lock ? ' for update' : ''}`, [id]);
  return rows.length ? toSession(rows[0]) : null;
}

/** Newest first, cursor paged; `agentId` limits it to one agent's. */
export async function page(
  em: EntityManager,
  p: { agentId?: string; status?: SessionStatus | null; before?: { createdAt: string; id: string }; limit: number },
): Promise<SessionRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (p.agentId) {
    where.push('agent_id = ?');
    params.push(p.agentId);
  }
  if (p.status) {
    where.push('status = ?');
    params.push(p.status);
  }
  if (p.before) {
    where.push('(created_at, id) < (?::timestamptz, ?::uuid)');
    params.push(p.before.createdAt, p.before.id);
  }
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select * from chat_session ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at desc, id desc limit ?`,
    [...params, p.limit],
  );
  return rows.map(toSession);
}

/** A customer's sessions, newest first (at most 200). */
export async function ofCustomer(em: EntityManager, customerId: string): Promise<SessionRow[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>('select * from chat_session where customer_id = ? order by created_at desc, id desc limit 200', [customerId]);
  return rows.map(toSession);
}

/** QUEUED sessions, first in line first, each with its position in its skill line. */
export async function queue(em: EntityManager): Promise<SessionRow[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select *, row_number() over (partition by skill order by queued_at, id)::int as queue_position
       from chat_session where status = 'QUEUED' order by queued_at, id`,
  );
  return rows.map(toSession);
}

/** 1-based place of a QUEUED session among those asking for the same skill (or for none). */
export async function queuePosition(em: EntityManager, sessionId: string): Promise<number> {
  const rows = await em.execute<Array<{ n: number }>>(
    `select count(*)::int + 1 as n from chat_session q, chat_session s
      where s.id = ? and q.status = 'QUEUED' and q.skill is not distinct from s.skill
        and (q.queued_at, q.id) < (s.queued_at, s.id)`,
    [sessionId],
  );
  return rows[0].n;
}

export async function queuedIds(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<Array<{ id: string }>>(`select id from chat_session where status = 'QUEUED'`);
  return rows.map((r) => r.id);
}

/** Routing: the queue a drain may take from, first come first served. */
export async function queuedFor(em: EntityManager, skills: readonly string[]): Promise<Array<{ id: string; skill: string | null }>> {
  return em.execute<Array<{ id: string; skill: string | null }>>(
    `select id, skill from chat_session
      where status = 'QUEUED' and (skill is null or skill = any(?::text[]))
      order by queued_at, id limit 1000`,
    [pgArray(skills)],
  );
}

/** Routing: the chosen sessions become ACTIVE with their agents. */
export async function assign(em: EntityManager, sessionIds: readonly string[], agentIds: readonly string[]): Promise<void> {
  await em.execute(
    `update chat_session s set status = 'ACTIVE', agent_id = a.agent_id, assigned_at = clock_timestamp(), queued_at = null
       from unnest(?::uuid[], ?::uuid[]) as a(session_id, agent_id)
      where s.id = a.session_id and s.status = 'QUEUED'`,
    [pgArray(sessionIds), pgArray(agentIds)],
  );
}
