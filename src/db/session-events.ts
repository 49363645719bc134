import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventKind } from '../entities';
import { sql } from './execute';
import { pgArray } from './sql';

/** The `session_event` table (the audit trail): its statements. Written only by `events/audit.ts`. */

export interface SessionEventRow {
  sessionId: string;
  kind: EventKind;
  actorKind: 'visitor' | 'agent' | 'system';
  actorId?: string | null;
  agentId?: string | null;
  data?: Record<string, unknown>;
  /** When it happened, if the change itself stamped a time (the assignment's assigned_at). */
  at?: string | Date;
}

/** `at` defaults to the clock, not the transaction's start (see events/audit.ts). */
export async function insert(em: EntityManager, e: SessionEventRow): Promise<void> {
  await sql(
    em,
    `insert into session_event (id, session_id, kind, actor_kind, actor_id, agent_id, data, at)
     values (gen_random_uuid(), $1, $2, $3, $4, $5, $6::jsonb, coalesce($7::timestamptz, clock_timestamp()))`,
    [e.sessionId, e.kind, e.actorKind, e.actorId ?? null, e.agentId ?? null, JSON.stringify(e.data ?? {}), e.at ?? null],
  );
}

/** One `kind` step per session, by the system, for its current agent at its assigned_at, in the given order. */
export async function insertAssignments(em: EntityManager, kind: EventKind, sessionIds: readonly string[]): Promise<void> {
  await sql(
    em,
    `insert into session_event (id, session_id, kind, actor_kind, agent_id, at)
     select gen_random_uuid(), s.id, $1, 'system', s.agent_id, s.assigned_at
       from chat_session s join unnest($2::uuid[]) with ordinality as a(session_id, i) on s.id = a.session_id
      order by a.i`,
    [kind, pgArray(sessionIds)],
  );
}

export async function exists(em: EntityManager, sessionId: string, kinds: readonly EventKind[]): Promise<boolean> {
  const rows = await sql(em, `select 1 from session_event where session_id = $1 and kind = any($2::text[]) limit 1`, [sessionId, pgArray(kinds)]);
  return rows.length > 0;
}
