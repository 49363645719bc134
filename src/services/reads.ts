import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { AGENT_COLUMNS, toAgent, toSession } from '../db/rows';
import { isUuid, pgArray } from '../db/sql';
import { AgentStatus, SessionStatus, type Agent, type ChatSession } from '../entities';
import { BadInputError } from '../errors';
import type { MessagePayload } from '../pubsub/topics';
import { authorize, can, requireSignedIn } from '../policies';
import type { MessageService } from './messages';
import * as validate from './validate';

export type SessionRow = ReturnType<typeof toSession>;

/** What the queries read. Positions come from one window query when a whole queue is listed. */
export class Reads {
  constructor(private readonly messages: MessageService) {}

  async session(em: EntityManager, id: string): Promise<SessionRow | null> {
    if (!isUuid(id)) return null;
    const rows = await em.execute<Array<Record<string, unknown>>>('select * from chat_session where id = ?', [id]);
    return rows.length ? toSession(rows[0]) : null;
  }

  /** `session(id)`: null when the viewer may not see it (UNAUTHENTICATED for the anonymous). */
  async visibleSession(em: EntityManager, viewer: Viewer, id: string): Promise<SessionRow | null> {
    requireSignedIn(viewer);
    const session = await this.session(em, id);
    return session && can(viewer, 'session.read', session) ? session : null;
  }

  /** Agents: sessions assigned to me (supervisors: all), newest first, cursor paged. */
  async sessions(em: EntityManager, viewer: Viewer, args: { status?: SessionStatus | null; first: number; after?: string | null }) {
    authorize(viewer, 'sessions.list');
    const first = validate.limit(args.first, 'first');
    const where: string[] = [];
    const params: unknown[] = [];
    if (!can(viewer, 'sessions.all')) {
      where.push('agent_id = ?');
      params.push(viewer.agentId);
    }
    if (args.status) {
      where.push('status = ?');
      params.push(args.status);
    }
    if (args.after) {
      const cursor = decodeCursor(args.after);
      where.push('(created_at, id) < (?::timestamptz, ?::uuid)');
      params.push(cursor.createdAt, cursor.id);
    }
    const rows = await em.execute<Array<Record<string, unknown>>>(
      `select * from chat_session ${where.length ? `where ${where.join(' and ')}` : ''}
        order by created_at desc, id desc limit ?`,
      [...params, first + 1],
    );
    const sessions = rows.slice(0, first).map(toSession);
    const last = sessions[sessions.length - 1];
    return { sessions, endCursor: rows.length > first && last ? encodeCursor(last) : null };
  }

  async mySessions(em: EntityManager, viewer: Viewer): Promise<SessionRow[]> {
    authorize(viewer, 'sessions.mine');
    const rows = await em.execute<Array<Record<string, unknown>>>(
      'select * from chat_session where customer_id = ? order by created_at desc, id desc limit 200',
      [viewer.customerId],
    );
    return rows.map(toSession);
  }

  /** `queue`: agents (and keys that read chats). */
  async queueFor(em: EntityManager, viewer: Viewer): Promise<SessionRow[]> {
    authorize(viewer, 'queue.read');
    return this.queue(em);
  }

  /** QUEUED sessions, first in line first, each with its position in its skill line. */
  async queue(em: EntityManager): Promise<SessionRow[]> {
    const rows = await em.execute<Array<Record<string, unknown>>>(
      `select *, row_number() over (partition by skill order by queued_at, id)::int as queue_position
         from chat_session where status = 'QUEUED' order by queued_at, id`,
    );
    return rows.map(toSession);
  }

  async queuePosition(em: EntityManager, session: SessionRow): Promise<number | null> {
    if (session.status !== SessionStatus.QUEUED) return null;
    if (typeof session.queuePosition === 'number') return session.queuePosition;
    const rows = await em.execute<Array<{ n: number }>>(
      `select count(*)::int + 1 as n from chat_session q, chat_session s
        where s.id = ? and q.status = 'QUEUED' and q.skill is not distinct from s.skill
          and (q.queued_at, q.id) < (s.queued_at, s.id)`,
      [session.id],
    );
    return rows[0].n;
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

  async agents(em: EntityManager, viewer: Viewer, status?: AgentStatus | null): Promise<Agent[]> {
    authorize(viewer, 'agents.read');
    const rows = await em.execute<Array<Record<string, unknown>>>(
      `select ${AGENT_COLUMNS} from agent ${status ? 'where status = ?' : ''} order by name, id`,
      status ? [status] : [],
    );
    return rows.map(toAgent);
  }

  async agentsByIds(em: EntityManager, ids: readonly string[]): Promise<Agent[]> {
    const rows = await em.execute<Array<Record<string, unknown>>>(`select ${AGENT_COLUMNS} from agent where id = any(?::uuid[])`, [pgArray(ids)]);
    return rows.map(toAgent);
  }
}

function encodeCursor(s: ChatSession): string {
  return Buffer.from(`${new Date(s.createdAt).toISOString()}|${s.id}`).toString('base64url');
}

/** Exactly what encodeCursor writes (years 0001 to 9999): anything else Postgres may refuse, a 500. */
const CURSOR_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const valid = CURSOR_TIME.test(createdAt ?? '') && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (!valid || !isUuid(id)) throw new BadInputError('after is not a valid cursor.', 'after');
  return { createdAt, id };
}
