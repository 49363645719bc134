import type { EntityManager } from '@mikro-orm/postgresql';
import { Agent, type AgentStatus } from '../entities';
import { camel } from './rows';
import { pgArray } from './sql';

/**
 * The `agent` table: its columns, its one mapper, its statements. The cold paths (sign-in, the
 * supervisor at start-up) go through MikroORM (`em.findOne`, `em.persist`/`flush`, in
 * services/agents.ts); what routing and live streams read and write is SQL here.
 * `active_chats` is written only by routing (services/routing.ts), through the slot statements.
 */
const COLUMNS = 'id, name, email, role, status, skills, max_concurrent_chats, active_chats, last_assigned_at, last_seen_at, created_at';

export const toAgent = (row: Record<string, unknown>): Agent => camel(Agent.prototype, row) as Agent;

export async function byIds(em: EntityManager, ids: readonly string[]): Promise<Agent[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(`select ${COLUMNS} from agent where id = any(?::uuid[])`, [pgArray(ids)]);
  return rows.map(toAgent);
}

export async function byId(em: EntityManager, id: string): Promise<Agent | null> {
  return (await byIds(em, [id]))[0] ?? null;
}

export async function list(em: EntityManager, status?: AgentStatus | null): Promise<Agent[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(`select ${COLUMNS} from agent ${status ? 'where status = ?' : ''} order by name, id`, status ? [status] : []);
  return rows.map(toAgent);
}

export async function exists(em: EntityManager, id: string): Promise<boolean> {
  return (await em.execute('select 1 from agent where id = ?', [id])).length > 0;
}

/** Routing: the online agents with a free slot. */
export async function candidates(em: EntityManager, online: readonly string[]): Promise<Array<Record<string, unknown>>> {
  return em.execute<Array<Record<string, unknown>>>(
    `select id, skills, active_chats, max_concurrent_chats, last_assigned_at from agent
      where id = any(?::uuid[]) and status = 'ONLINE' and active_chats < max_concurrent_chats`,
    [pgArray(online)],
  );
}

/** Routing: one slot more per assignment; last_assigned_at keeps the order of the pass. */
export async function takeSlots(em: EntityManager, agentIds: readonly string[]): Promise<void> {
  await em.execute(
    `update agent g set active_chats = g.active_chats + a.n,
            last_assigned_at = clock_timestamp() + a.last_index * interval '1 microsecond'
       from (select agent_id, count(*)::int as n, max(i) as last_index
               from unnest(?::uuid[]) with ordinality as t(agent_id, i) group by agent_id) as a
      where g.id = a.agent_id`,
    [pgArray(agentIds)],
  );
}

/** Routing: one slot of an available agent (ONLINE, `online` by presence, a free slot), or false. */
export async function takeSlotIfAvailable(em: EntityManager, agentId: string, online: boolean): Promise<boolean> {
  const rows = await em.execute(
    `update agent set active_chats = active_chats + 1, last_assigned_at = clock_timestamp()
      where id = ? and status = 'ONLINE' and ? and active_chats < max_concurrent_chats returning id`,
    [agentId, online],
  );
  return rows.length > 0;
}

export async function releaseSlot(em: EntityManager, agentId: string): Promise<void> {
  await em.execute('update agent set active_chats = active_chats - 1 where id = ?', [agentId]);
}

export async function releaseAll(em: EntityManager, agentId: string): Promise<void> {
  await em.execute('update agent set active_chats = 0 where id = ?', [agentId]);
}

/** Presence: these agents were online now. */
export async function seen(em: EntityManager, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length) await em.execute('update agent set last_seen_at = now() where id = any(?::uuid[])', [pgArray(agentIds)]);
}

/** Availability: agents ONLINE and online with the skill (any agent, without one). */
export async function countAvailable(em: EntityManager, online: readonly string[], skill: string | null): Promise<number> {
  if (!online.length) return 0;
  const rows = await em.execute<Array<{ n: number }>>(
    `select count(*)::int as n from agent where id = any(?::uuid[]) and status = 'ONLINE' and (?::text is null or ?::text = any(skills))`,
    [pgArray(online), skill, skill],
  );
  return rows[0].n;
}

/** No reply: one more chat missed in a row; returns how many now. */
export async function missedOne(em: EntityManager, agentId: string): Promise<number> {
  const rows = await em.execute<Array<{ n: number }>>('update agent set missed_in_a_row = missed_in_a_row + 1 where id = ? returning missed_in_a_row as n', [agentId]);
  return rows[0]?.n ?? 0;
}

/** The agent answered a chat in time: its run of missed chats ends. */
export async function answeredInTime(em: EntityManager, agentId: string): Promise<void> {
  await em.execute('update agent set missed_in_a_row = 0 where id = ? and missed_in_a_row <> 0', [agentId]);
}

/** AWAY_AFTER_MISSED: set AWAY (it keeps its chats, takes no new ones), its run reset. */
export async function setAway(em: EntityManager, agentId: string): Promise<void> {
  await em.execute(`update agent set status = 'AWAY', missed_in_a_row = 0 where id = ? and status = 'ONLINE'`, [agentId]);
}
