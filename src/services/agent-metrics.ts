import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { isUuid } from '../db/sql';
import { BadInputError, NotFoundError } from '../errors';
import { authorize, can } from '../policies';

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
  chatsAbandoned: number | null;
  chatsMissed: number;
}

/**
 * Computed from stored facts in [from, to), for one agent or (agentId null) the team. The README
 * ("Metrics") says the same in words:
 * - chatsAssigned: chats that reached the agent in the window, by assignment or transfer to it
 *   (each chat once). For the team: chats assigned to anyone, each once however often it was
 *   handed on (a chat transferred from Bob to Alice is one chat).
 * - chatsClosed: chats closed in the window while with the agent (team: while with anyone).
 * - resolutionRate: team: chatsClosed / chatsAssigned. An agent: (chatsClosed + chats it handed
 *   on by transferChat, to a teammate or back to the queue) / chatsAssigned, at most 1: a transfer
 *   away is handled, not unresolved. Going OFFLINE or disconnecting with chats is not.
 * - avgFirstResponseSeconds: per assignment in the window, until that agent's first message after it.
 * - avgResponseSeconds: per visitor message, until the agent's next reply in that session (the
 *   contract's words); counted in the window of the reply, for the agent who replied. Three
 *   visitor lines answered by one reply are three samples.
 * - avgRating: ratings given in the window to sessions the agent closed with.
 * - messagesSent: the agent's messages in the window.
 * - chatsAbandoned (team only; null for an agent): chats closed in the window while QUEUED, with
 *   no agent: the visitor gave up waiting.
 * - chatsMissed: chats taken back from the agent (team: from anyone) in the window because it sent
 *   nothing in time (`reassigned` steps, reason no_reply); each time counts.
 */
const SQL = `
with win as (select ?::timestamptz as f, ?::timestamptz as t, ?::uuid as agent),
assigned as (
  select e.session_id, e.agent_id, e.at from session_event e, win
   where e.kind in ('assigned', 'transferred') and e.at >= win.f and e.at < win.t
     and (win.agent is null or e.agent_id = win.agent)
),
handed_on as (
  select distinct e.session_id from session_event e, win
   where win.agent is not null and e.at >= win.f and e.at < win.t
     and ((e.kind = 'transferred' and e.data->>'fromAgentId' = win.agent::text)
       or (e.kind = 'requeued' and e.actor_kind = 'agent' and e.agent_id = win.agent and e.data->>'reason' is null))
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
  (select count(distinct session_id) from assigned)::int as chats_assigned,
  (select count(*) from session_event e, win where e.kind = 'closed' and e.agent_id is not null
      and e.at >= win.f and e.at < win.t and (win.agent is null or e.agent_id = win.agent))::int as chats_closed,
  (select count(*) from handed_on)::int as chats_handed_on,
  (select count(*) from session_event e, win where win.agent is null and e.kind = 'closed' and e.agent_id is null
      and e.at >= win.f and e.at < win.t)::int as chats_abandoned,
  (select avg(s) from first_reply where s is not null)::float8 as avg_first_response,
  (select avg(s) from replies where s is not null)::float8 as avg_response,
  (select avg((e.data->>'rating')::int) from session_event e, win where e.kind = 'rated' and e.agent_id is not null
      and e.at >= win.f and e.at < win.t and (win.agent is null or e.agent_id = win.agent))::float8 as avg_rating,
  (select count(*) from agent_msgs)::int as messages_sent,
  (select count(*) from session_event e, win where e.kind = 'reassigned' and e.data->>'reason' = 'no_reply'
      and e.at >= win.f and e.at < win.t and (win.agent is null or e.agent_id = win.agent))::int as chats_missed`;

const WEEK_MS = 7 * 24 * 3600 * 1000;

export async function agentMetrics(
  em: EntityManager,
  viewer: Viewer,
  args: { agentId?: string | null; from?: Date | null; to?: Date | null },
): Promise<AgentMetricsResult> {
  let agentId = args.agentId ?? null;
  // An agent who may not see the team's asks, by default, for its own.
  if (agentId === null && viewer.kind === 'agent' && !can(viewer, 'metrics.read', null)) agentId = viewer.agentId;
  authorize(viewer, 'metrics.read', agentId);
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
  const handled = agentId === null ? closed : closed + (row.chats_handed_on as number);
  return {
    agentId,
    from,
    to,
    chatsAssigned: assigned,
    chatsClosed: closed,
    resolutionRate: assigned ? Math.min(1, handled / assigned) : null,
    avgFirstResponseSeconds: row.avg_first_response,
    avgResponseSeconds: row.avg_response,
    avgRating: row.avg_rating,
    messagesSent: row.messages_sent as number,
    chatsAbandoned: agentId === null ? (row.chats_abandoned as number) : null,
    chatsMissed: row.chats_missed as number,
  };
}
