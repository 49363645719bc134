import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';

/**
 * `agentMetrics`' one statement: it reads `session_event` and `message` (and no table owns it),
 * so it lives here rather than in either table's module. What each figure means is in
 * services/agent-metrics.ts and the README ("Metrics").
 */
const SQL = `
with win as (select $1::timestamptz as f, $2::timestamptz as t, $3::uuid as agent),
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
  (select count(*) from agent_msgs)::int as messages_sent`;

export interface MetricsRow {
  chats_assigned: number;
  chats_closed: number;
  chats_handed_on: number;
  chats_abandoned: number;
  avg_first_response: number | null;
  avg_response: number | null;
  avg_rating: number | null;
  messages_sent: number;
}

/** The figures for [from, to), of one agent or (agentId null) the team. */
export async function agentWindow(em: EntityManager, from: Date, to: Date, agentId: string | null): Promise<MetricsRow> {
  const [row] = await sql<MetricsRow>(em, SQL, [from, to, agentId]);
  return row;
}
