import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Agent, AgentRole, AgentStatus } from '../entities';
import { sql } from './execute';
import { camel } from './rows';
import { pgArray } from './sql';

/**
 * The `agent` table: its columns, its one mapper, its statements.
 *
 * Cold paths use the `Agent` entity the way MikroORM's users do: sign-in and the start-up
 * supervisor (`byEmail`, `countSupervisors`), creating an agent (`insert`: `em.create` + `flush`)
 * and changing one (`lockForUpdate`, then the service sets fields and flushes). What routing,
 * presence and live streams read and write is SQL here: it runs under the routing lock, where
 * every round trip counts, or every second on every instance. `active_chats` is written only by
 * routing (services/routing.ts), through the slot statements.
 */
const COLUMNS = 'id, name, email, role, status, skills, max_concurrent_chats, active_chats, last_assigned_at, last_seen_at, created_at';

export const toAgent = (row: Record<string, unknown>): Agent => camel(Agent.prototype, row) as Agent;

export async function byIds(em: EntityManager, ids: readonly string[]): Promise<Agent[]> {
  const rows = await sql(em, `select ${COLUMNS} from agent where id = any($1::uuid[])`, [pgArray(ids)]);
  return rows.map(toAgent);
}

export async function byId(em: EntityManager, id: string): Promise<Agent | null> {
  return (await byIds(em, [id]))[0] ?? null;
}

export async function list(em: EntityManager, status?: AgentStatus | null): Promise<Agent[]> {
  const rows = await sql(em, `select ${COLUMNS} from agent ${status ? 'where status = $1' : ''} order by name, id`, status ? [status] : []);
  return rows.map(toAgent);
}

export async function exists(em: EntityManager, id: string): Promise<boolean> {
  return (await sql(em, 'select 1 from agent where id = $1', [id])).length > 0;
}

/** Sign-in and the start-up supervisor: the agent with that (lower-cased) email, its password hash loaded. */
export function byEmail(em: EntityManager, email: string): Promise<Agent | null> {
  return em.findOne(Agent, { email }, { populate: ['passwordHash'] });
}

export function countSupervisors(em: EntityManager): Promise<number> {
  return em.count(Agent, { role: AgentRole.SUPERVISOR });
}

export interface NewAgent {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  role: AgentRole;
  skills: string[];
  maxConcurrentChats: number;
}

/** A new agent, OFFLINE with no chats. A taken email throws the driver's unique violation (and leaves `em` clean). */
export async function insert(em: EntityManager, a: NewAgent): Promise<void> {
  const agent = em.create(Agent, { ...a, status: AgentStatus.OFFLINE });
  try {
    await em.persist(agent).flush();
  } catch (error) {
    em.getUnitOfWork().unsetIdentity(agent);
    throw error;
  }
}

/**
 * The agent, read afresh and locked FOR UPDATE until the transaction ends (a change of status,
 * skills or capacity). The caller sets its fields and flushes: only the fields it changed are
 * written, so the slot statements routing runs in the same transaction are not overwritten.
 */
export function lockForUpdate(em: EntityManager, id: string): Promise<Agent | null> {
  return em.findOne(Agent, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/** Who is typing, by name. */
export async function nameOf(em: EntityManager, id: string): Promise<string | null> {
  const rows = await sql<{ name: string | null }>(em, 'select name from agent where id = $1', [id]);
  return rows[0]?.name ?? null;
}

/**
 * The disconnected-agents sweep: agents holding ACTIVE chats last seen online `afterSeconds` ago
 * or more (never seen: at once).
 */
export async function overdue(em: EntityManager, afterSeconds: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    em,
    `select distinct a.id from agent a join chat_session s on s.agent_id = a.id and s.status = 'ACTIVE'
      where coalesce(a.last_seen_at, '-infinity') <= now() - make_interval(secs => $1)`,
    [afterSeconds],
  );
  return rows.map((r) => r.id);
}

/** Routing: the online agents with a free slot. */
export async function candidates(em: EntityManager, online: readonly string[]): Promise<Array<Record<string, unknown>>> {
  return sql(
    em,
    `select id, skills, active_chats, max_concurrent_chats, last_assigned_at from agent
      where id = any($1::uuid[]) and status = 'ONLINE' and active_chats < max_concurrent_chats`,
    [pgArray(online)],
  );
}

/** Routing: one slot more per assignment; last_assigned_at keeps the order of the pass. */
export async function takeSlots(em: EntityManager, agentIds: readonly string[]): Promise<void> {
  await sql(
    em,
    `update agent g set active_chats = g.active_chats + a.n,
            last_assigned_at = clock_timestamp() + a.last_index * interval '1 microsecond'
       from (select agent_id, count(*)::int as n, max(i) as last_index
               from unnest($1::uuid[]) with ordinality as t(agent_id, i) group by agent_id) as a
      where g.id = a.agent_id`,
    [pgArray(agentIds)],
  );
}

/** Routing: one slot of an available agent (ONLINE, `online` by presence, a free slot), or false. */
export async function takeSlotIfAvailable(em: EntityManager, agentId: string, online: boolean): Promise<boolean> {
  const rows = await sql(
    em,
    `update agent set active_chats = active_chats + 1, last_assigned_at = clock_timestamp()
      where id = $1 and status = 'ONLINE' and $2::boolean and active_chats < max_concurrent_chats returning id`,
    [agentId, online],
  );
  return rows.length > 0;
}

export async function releaseSlot(em: EntityManager, agentId: string): Promise<void> {
  await sql(em, 'update agent set active_chats = active_chats - 1 where id = $1', [agentId]);
}

export async function releaseAll(em: EntityManager, agentId: string): Promise<void> {
  await sql(em, 'update agent set active_chats = 0 where id = $1', [agentId]);
}

/** Presence: these agents were online now. */
export async function seen(em: EntityManager, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length) await sql(em, 'update agent set last_seen_at = now() where id = any($1::uuid[])', [pgArray(agentIds)]);
}
