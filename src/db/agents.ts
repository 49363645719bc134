import type { EntityManager } from '@mikro-orm/postgresql';
import { Agent, type AgentStatus } from '../entities';
import { camel } from './rows';
import { sql } from './execute';
import { pgArray } from './sql';

/**
 * The `agent` table: its columns, its one mapper, its statements. The cold paths (sign-in, the
 * supervisor at start-up) go through MikroORM (`em.findOne`, `em.persist`/`flush`, in
 * services/agents.ts); what routing and live streams read and write is SQL here.
 * `active_chats` is written only by routing (services/routing.ts), through the slot statements.
 */
const COLUMNS = 'id, name, email, role, status, skills, max_concurrent_chats, active_chats, last_assigned_at, last_seen_at, created_at, active';

export const toAgent = (row: Record<string, unknown>): Agent => camel(Agent.prototype, row) as Agent;

export async function byIds(em: EntityManager, ids: readonly string[]): Promise<Agent[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(`select ${COLUMNS} from agent where id = any(?::uuid[])`, [pgArray(ids)]);
  return rows.map(toAgent);
}

export async function byId(em: EntityManager, id: string): Promise<Agent | null> {
  return (await byIds(em, [id]))[0] ?? null;
}

/** The team (`agents`): active agents; with `all`, the deactivated too (`allAgents`). */
export async function list(em: EntityManager, status?: AgentStatus | null, all = false): Promise<Agent[]> {
  const where = [...(all ? [] : ['active']), ...(status ? ['status = ?'] : [])];
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select ${COLUMNS} from agent ${where.length ? `where ${where.join(' and ')}` : ''} order by name, id`,
    status ? [status] : [],
  );
  return rows.map(toAgent);
}

export async function exists(em: EntityManager, id: string): Promise<boolean> {
  return (await em.execute('select 1 from agent where id = ?', [id])).length > 0;
}

/** Routing: the online agents with a free slot. */
export async function candidates(em: EntityManager, online: readonly string[]): Promise<Array<Record<string, unknown>>> {
  return em.execute<Array<Record<string, unknown>>>(
    `select id, skills, active_chats, max_concurrent_chats, last_assigned_at from agent
      where id = any(?::uuid[]) and status = 'ONLINE' and active and active_chats < max_concurrent_chats`,
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
      where id = ? and status = 'ONLINE' and active and ? and active_chats < max_concurrent_chats returning id`,
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

/** What decides whether the agent's tokens still work (auth/tokens.ts): its token version and active flag. */
export async function credential(em: EntityManager, id: string): Promise<{ tokenVersion: number; active: boolean } | null> {
  const rows = await sql<{ token_version: number; active: boolean }>(em, 'select token_version, active from agent where id = $1', [id]);
  return rows.length ? { tokenVersion: rows[0].token_version, active: rows[0].active } : null;
}

/** The last-supervisor rule: active supervisors other than this one. */
export async function otherActiveSupervisors(em: EntityManager, id: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }>(em, `select count(*)::int as n from agent where role = 'SUPERVISOR' and active and id <> $1`, [id]);
  return n;
}

export async function setEmail(em: EntityManager, id: string, email: string): Promise<void> {
  await sql(em, 'update agent set email = $2 where id = $1', [id, email]);
}

/**
 * Activation and role. Deactivated: OFFLINE (never routed to). Reactivated: OFFLINE too (it signs
 * in again). `revoke`: the token version goes up, so every token signed before is refused.
 */
export async function setStanding(em: EntityManager, id: string, p: { active: boolean | null; role: string | null; revoke: boolean }): Promise<void> {
  await sql(
    em,
    `update agent set active = coalesce($2, active), role = coalesce($3, role),
            status = case when $2::boolean is null then status else 'OFFLINE' end,
            token_version = token_version + case when $4 then 1 else 0 end
      where id = $1`,
    [id, p.active, p.role, p.revoke],
  );
}

export async function passwordHash(em: EntityManager, id: string): Promise<string | null> {
  const rows = await sql<{ password_hash: string }>(em, 'select password_hash from agent where id = $1', [id]);
  return rows[0]?.password_hash ?? null;
}

/** A new password, and a new token version (every token signed before is refused); false if there is no such agent. */
export async function setPassword(em: EntityManager, id: string, hash: string): Promise<boolean> {
  const rows = await sql(em, 'update agent set password_hash = $2, token_version = token_version + 1 where id = $1 returning id', [id, hash]);
  return rows.length > 0;
}
