import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { isUuid } from '../db/sql';
import { AgentRole } from '../entities';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { requireAgent } from './access';

export interface AgentMetricsResult {
  agentId: string | null;
  from: Date;
  to: Date;
  chatsAssigned: number;
  chatsClosed: number;
  resolutionRate: number | null;
  avgFirstResponseSeconds: number | null;
  avgResponseSeconds: number | null;
  avgRating: number | null;
  messagesSent: number;
}

/**
 * Computed from stored facts in [from, to), for one agent or (agentId null) the team:
 * - chatsAssigned: assignments and transfers to the agent (session_event).
 * - chatsClosed: sessions closed while with the agent.
 * - avgFirstResponseSeconds: per assignment in the window, until that agent's first message after it.
 * - avgResponseSeconds: per visitor message, until the agent's next reply in that session (the
 *   contract's words); counted in the window of the reply, for the agent who replied. Three
 *   visitor lines answered by one reply are three samples.
 * - avgRating: ratings given in the window to sessions the agent closed with.
 * - messagesSent: the agent's messages in the window.
 */
const SQL = `
with win as (select ?::timestamptz as f, ?::timestamptz as t, ?::uuid as agent),
assigned as (
  select e.session_id, e.agent_id, e.at from session_event e, win
   where e.kind in ('assigned', 'transferred') and e.at >= win.f and e.at < win.t
     and (win.agent is null or e.agent_id = win.agent)
),
first_reply as (
  select extract(epoch from (select min(m.created_at) from message m
           where m.session_id = a.session_id and m.author = 'AGENT' and m.author_id = a.agent_id and m.created_at >= a.at) - a.at) as s
    from assigned a
),
agent_msgs as (
  select m.session_id, m.seq, m.created_at from message m, win
   where m.author = 'AGENT' and m.created_at >= win.f and m.created_at < win.t
     and (win.agent is null or m.author_id = win.agent)
),
replies as (
  select extract(epoch from (r.created_at - v.created_at)) as s
    from message v
    join lateral (select m.created_at, m.author_id from message m
                   where m.session_id = v.session_id and m.author = 'AGENT' and m.seq > v.seq
                   order by m.seq limit 1) r on true,
         win
   where v.author = 'VISITOR' and v.session_id in (select session_id from agent_msgs)
     and r.created_at >= win.f and r.created_at < win.t and (win.agent is null or r.author_id = win.agent)
)
select
  (select count(*) from assigned)::int as chats_assigned,
  (select count(*) from session_event e, win where e.kind = 'closed' and e.agent_id is not null
      and e.at >= win.f and e.at < win.t and (win.agent is null or e.agent_id = win.agent))::int as chats_closed,
  (select avg(s) from first_reply where s is not null)::float8 as avg_first_response,
  (select avg(s) from replies where s is not null)::float8 as avg_response,
  (select avg((e.data->>'rating')::int) from session_event e, win where e.kind = 'rated' and e.agent_id is not null
      and e.at >= win.f and e.at < win.t and (win.agent is null or e.agent_id = win.agent))::float8 as avg_rating,
  (select count(*) from agent_msgs)::int as messages_sent`;

const WEEK_MS = 7 * 24 * 3600 * 1000;

export async function agentMetrics(
  em: EntityManager,
  viewer: Viewer,
  args: { agentId?: string | null; from?: Date | null; to?: Date | null },
): Promise<AgentMetricsResult> {
  requireAgent(viewer);
  let agentId = args.agentId ?? null;
  if (viewer.role !== AgentRole.SUPERVISOR) {
    if (agentId !== null && agentId !== viewer.agentId) throw new ForbiddenError('Agents see their own metrics only.');
    agentId = viewer.agentId;
  }
  if (agentId !== null) {
    if (!isUuid(agentId)) throw new NotFoundError('Agent');
    const exists = await em.execute('select 1 from agent where id = ?', [agentId]);
    if (!exists.length) throw new NotFoundError('Agent');
  }
  const to = args.to ?? new Date();
  const from = args.from ?? new Date(to.getTime() - WEEK_MS);
  if (from.getTime() > to.getTime()) throw new BadInputError('from must not be after to.', 'from');
  const [row] = await em.execute<Array<Record<string, number | null>>>(SQL, [from, to, agentId]);
  const assigned = row.chats_assigned as number;
  const closed = row.chats_closed as number;
  return {
    agentId,
    from,
    to,
    chatsAssigned: assigned,
    chatsClosed: closed,
    resolutionRate: assigned ? closed / assigned : null,
    avgFirstResponseSeconds: row.avg_first_response,
    avgResponseSeconds: row.avg_response,
    avgRating: row.avg_rating,
    messagesSent: row.messages_sent as number,
  };
}
