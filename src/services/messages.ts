import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { query } from '../db/raw';
import { asDate } from '../db/rows';
import { isUuid, pgCode, PG } from '../db/sql';
import { Author, SessionStatus } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import type { AppMetrics } from '../metrics';
import type { Bus } from '../pubsub/bus';
import type { MessagePayload } from '../pubsub/topics';
import { authorizeSession, requireSignedIn } from './access';
import * as validate from './validate';

/**
 * The hot path (design: "The hot path"). One statement, so one round trip and its own
 * transaction: the UPDATE takes the next seq under the session's row lock (concurrent senders of
 * one session queue behind it, so seq follows commit order with no gap), refuses closed sessions
 * and strangers, and skips a clientMessageId already stored; the INSERT writes the message.
 * A unique violation on (session_id, client_message_id), from two racing retries, rolls the
 * whole statement back, seq included. Published only after it committed.
 */
const SEND = `
with s as (
  update chat_session
     set last_seq = last_seq + 1,
         first_response_at = case when $1::text = 'AGENT' then coalesce(first_response_at, now()) else first_response_at end
   where id = $2::uuid and status <> 'CLOSED'
     and case when $1::text = 'VISITOR' then customer_id = $3::uuid else agent_id = $3::uuid and status = 'ACTIVE' end
     and ($4::text is null or not exists (select 1 from message m where m.session_id = $2::uuid and m.client_message_id = $4::text))
  returning id, last_seq
)
insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
select gen_random_uuid(), s.id, s.last_seq, $1::text, $3::uuid,
       case when $1::text = 'VISITOR' then (select name from customer where id = $3::uuid) else (select name from agent where id = $3::uuid) end,
       $5::text, $4::text, now()
  from s
returning id, session_id, seq, author, author_name, body, client_message_id, created_at`;

const COLUMNS = 'id, session_id, seq, author, author_name, body, client_message_id, created_at';

export function toPayload(row: Record<string, unknown>): MessagePayload {
  return {
    id: row.id as string,
    sessionId: row.session_id as string,
    seq: row.seq as number,
    author: row.author as Author,
    authorName: (row.author_name as string | null) ?? null,
    body: row.body as string,
    clientMessageId: (row.client_message_id as string | null) ?? null,
    createdAt: asDate(row.created_at).toISOString(),
  };
}

export class MessageService {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: AppMetrics,
  ) {}

  async send(em: EntityManager, viewer: Viewer, input: { sessionId: string; body: string; clientMessageId?: string | null }): Promise<MessagePayload> {
    requireSignedIn(viewer);
    const body = validate.body(input.body);
    const clientMessageId = validate.clientMessageId(input.clientMessageId);
    if (!isUuid(input.sessionId)) throw new NotFoundError();
    const author = viewer.kind === 'visitor' ? Author.VISITOR : Author.AGENT;
    const authorId = viewer.kind === 'visitor' ? viewer.customerId : viewer.agentId;
    const sessionId = input.sessionId;
    let rows: Array<Record<string, unknown>>;
    try {
      // $1 author, $2 session, $3 author id, $4 clientMessageId, $5 body.
      rows = await query(em, SEND, [author, sessionId, authorId, clientMessageId, body]);
    } catch (error) {
      if (pgCode(error) !== PG.uniqueViolation || !clientMessageId) throw error;
      rows = [];
    }
    if (rows.length) {
      const message = toPayload(rows[0]);
      this.metrics.messages.inc({ author });
      this.bus.publish('message.created', sessionId, message);
      return message;
    }
    return this.explainRefusal(em.fork(), viewer, sessionId, clientMessageId);
  }

  /** Nothing was written: a retry (return the first message), or a refusal to explain. */
  private async explainRefusal(em: EntityManager, viewer: Viewer, sessionId: string, clientMessageId: string | null): Promise<MessagePayload> {
    const { session } = await authorizeSession(em, viewer, sessionId, ['customer', 'agent']);
    if (clientMessageId) {
      const existing = await em.execute<Array<Record<string, unknown>>>(
        `select ${COLUMNS} from message where session_id = ? and client_message_id = ?`,
        [sessionId, clientMessageId],
      );
      if (existing.length) return toPayload(existing[0]);
    }
    if (session.status === SessionStatus.CLOSED) throw new ConflictError('This chat is closed.');
    throw new ConflictError('This chat is not active.');
  }

  /** Stored messages of a session after `afterSeq`, oldest first (replay and gap filling). */
  async after(em: EntityManager, sessionId: string, afterSeq: number, limit: number, beforeSeq?: number): Promise<MessagePayload[]> {
    const rows = await query(
      em,
      `select ${COLUMNS} from message where session_id = $1 and seq > $2${beforeSeq !== undefined ? ' and seq < $4' : ''} order by seq limit $3`,
      beforeSeq !== undefined ? [sessionId, afterSeq, limit, beforeSeq] : [sessionId, afterSeq, limit],
    );
    return rows.map(toPayload);
  }

  /** The newest `limit` messages before `beforeSeq` (or overall), oldest first. */
  async before(em: EntityManager, sessionId: string, beforeSeq: number | null, limit: number): Promise<MessagePayload[]> {
    const rows = await em.execute<Array<Record<string, unknown>>>(
      `select * from (select ${COLUMNS} from message where session_id = ?${beforeSeq !== null ? ' and seq < ?' : ''} order by seq desc limit ?) m order by seq`,
      beforeSeq !== null ? [sessionId, beforeSeq, limit] : [sessionId, limit],
    );
    return rows.map(toPayload);
  }
}
