import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import * as agents from '../db/agents';
import * as metrics from '../db/metrics';
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
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

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
 */
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
    if (!(await agents.exists(em, agentId))) throw new NotFoundError('Agent');
  }
  const to = args.to ?? new Date();
  const from = args.from ?? new Date(to.getTime() - WEEK_MS);
  if (from.getTime() > to.getTime()) throw new BadInputError('from must not be after to.', 'from');
  const row = await metrics.agentWindow(em, from, to, agentId);
  const assigned = row.chats_assigned;
  const closed = row.chats_closed;
  const handled = agentId === null ? closed : closed + row.chats_handed_on;
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
    messagesSent: row.messages_sent,
    chatsAbandoned: agentId === null ? row.chats_abandoned : null,
  };
}
