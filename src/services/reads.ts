import type { EntityManager } from '@mikro-orm/postgresql';
import * as agents from '../db/agents';
import * as sessions from '../db/sessions';
import { isUuid } from '../db/sql';
import { AgentStatus, SessionStatus, type Agent, type ChatSession } from '../entities';
import { BadInputError } from '../errors';
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

  /** Agents: sessions assigned to me (supervisors: all), newest first, cursor paged. */
  async sessions(em: EntityManager, viewer: Actor, args: { status?: SessionStatus | null; first: number; after?: string | null }) {
    authorize(viewer, 'sessions.list');
    const first = validate.limit(args.first, 'first');
    const rows = await sessions.page(em, {
      agentId: can(viewer, 'sessions.all') || viewer.kind !== 'agent' ? undefined : viewer.agentId,
      status: args.status,
      before: args.after ? decodeCursor(args.after) : undefined,
      limit: first + 1,
    });
    const list = rows.slice(0, first);
    const last = list[list.length - 1];
    return { sessions: list, endCursor: rows.length > first && last ? encodeCursor(last) : null };
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

/** A keyset cursor over (createdAt, id), newest first (sessions, webhook deliveries). */
export function encodeCursor(s: Pick<ChatSession, 'createdAt' | 'id'>): string {
  return Buffer.from(`${new Date(s.createdAt).toISOString()}|${s.id}`).toString('base64url');
}

/** Exactly what encodeCursor writes (years 0001 to 9999): anything else Postgres may refuse, a 500. */
const CURSOR_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const valid = CURSOR_TIME.test(createdAt ?? '') && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (!valid || !isUuid(id)) throw new BadInputError('after is not a valid cursor.', 'after');
  return { createdAt, id };
}
