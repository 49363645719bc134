import type { EntityManager } from '@mikro-orm/postgresql';
import * as agents from '../db/agents';
import * as sessions from '../db/sessions';
import { AgentStatus, SessionStatus, type Agent } from '../entities';
import type { MessagePayload } from '../pubsub/topics';
import { authorize, can, requireScope, requireSignedIn, type Actor } from '../policies';
import type { MessageService } from './messages';
import * as validate from './validate';

export type { SessionRow } from '../db/sessions';
type SessionRow = sessions.SessionRow;

/** What the queries read. Positions come from one window query when a whole queue is listed. */
export class Reads {
  constructor(private readonly messages: MessageService) {}

  session(em: EntityManager, id: string): Promise<SessionRow | null> {
    return sessions.byId(em, id);
  }

  /** `session(id)`: null when the viewer may not see it (UNAUTHENTICATED for the anonymous, FORBIDDEN for a key without CHATS_READ). */
  async visibleSession(em: EntityManager, viewer: Actor, id: string): Promise<SessionRow | null> {
    requireSignedIn(viewer);
    requireScope(viewer, 'session.read');
    const session = await this.session(em, id);
    return session && can(viewer, 'session.read', session) ? session : null;
  }

  async mySessions(em: EntityManager, viewer: Actor): Promise<SessionRow[]> {
    authorize(viewer, 'sessions.mine');
    return sessions.ofCustomer(em, viewer.customerId);
  }

  /** `queue`: agents (and keys that read chats). */
  async queueFor(em: EntityManager, viewer: Actor): Promise<SessionRow[]> {
    authorize(viewer, 'queue.read');
    return this.queue(em);
  }

  /** QUEUED sessions, first in line first, each with its position in its skill line. */
  queue(em: EntityManager): Promise<SessionRow[]> {
    return sessions.queue(em);
  }

  async queuePosition(em: EntityManager, session: SessionRow): Promise<number | null> {
    if (session.status !== SessionStatus.QUEUED) return null;
    if (typeof session.queuePosition === 'number') return session.queuePosition;
    return sessions.queuePosition(em, session.id);
  }

  async transcript(
    em: EntityManager,
    sessionId: string,
    args: { afterSeq?: number | null; beforeSeq?: number | null; limit: number },
  ): Promise<{ messages: MessagePayload[]; hasMore: boolean }> {
    const limit = validate.limit(args.limit);
    const afterSeq = validate.seq(args.afterSeq, 'afterSeq');
    const beforeSeq = validate.seq(args.beforeSeq, 'beforeSeq');
    if (afterSeq !== null) {
      const page = await this.messages.after(em, sessionId, afterSeq, limit + 1, beforeSeq ?? undefined);
      return { messages: page.slice(0, limit), hasMore: page.length > limit };
    }
    const page = await this.messages.before(em, sessionId, beforeSeq, limit + 1);
    return { messages: page.slice(page.length > limit ? 1 : 0), hasMore: page.length > limit };
  }

  async agents(em: EntityManager, viewer: Actor, status?: AgentStatus | null): Promise<Agent[]> {
    authorize(viewer, 'agents.read');
    return agents.list(em, status);
  }

  agentsByIds(em: EntityManager, ids: readonly string[]): Promise<Agent[]> {
    return agents.byIds(em, ids);
  }
}
