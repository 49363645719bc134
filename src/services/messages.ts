import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter } from '../auth/rate-limit';
import type { Viewer } from '../auth/tokens';
import * as messages from '../db/messages';
import { isUuid, pgCode, PG } from '../db/sql';
import { Author } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import type { AppMetrics } from '../metrics';
import { personId, refuseState, requireSignedIn } from '../policies';
import { Effects } from '../events/effects';
import type { MessagePayload } from '../pubsub/topics';
import { authorizeSession } from './access';
import { bodyWithFiles } from './desk-validate';
import { FileService } from './files';
import type { Transactions } from './transaction';
import * as validate from './validate';

/**
 * Sending (design: "The hot path"): one guarded statement (`db/messages.ts`), published only
 * after it committed. When the guard refuses, the policy explains why.
 */
export class MessageService {
  constructor(
    private readonly tx: Transactions,
    private readonly metrics: AppMetrics,
    private readonly rateLimiter: RateLimiter,
    private readonly files: FileService,
  ) {}

  /**
   * Rate-limited per sender (RATE_SEND_MESSAGE) before anything is read or written. With files
   * (`attachmentIds`, the sender's uploads for this session), the send and the files' tie to it
   * are one transaction: all of them, or nothing and BAD_USER_INPUT.
   */
  async send(em: EntityManager, viewer: Viewer, input: { sessionId: string; body: string; clientMessageId?: string | null; attachmentIds?: string[] | null }): Promise<MessagePayload> {
    requireSignedIn(viewer);
    const authorId = personId(viewer) as string;
    await this.rateLimiter.consume('sendMessage', authorId);
    const ids = FileService.ids(input.attachmentIds);
    const body = ids.length ? bodyWithFiles(input.body) : validate.body(input.body);
    const clientMessageId = validate.clientMessageId(input.clientMessageId);
    if (!isUuid(input.sessionId)) throw new NotFoundError();
    const author = viewer.kind === 'visitor' ? Author.VISITOR : Author.AGENT;
    const sessionId = input.sessionId;
    const send: messages.Send = { author, authorId, sessionId, body, clientMessageId };
    let message: MessagePayload | null;
    try {
      message = ids.length ? await this.sendWithFiles(em.fork(), send, ids) : await messages.insertGuarded(em, send);
    } catch (error) {
      if (pgCode(error) !== PG.uniqueViolation || !clientMessageId) throw error;
      message = null;
    }
    if (message) {
      this.metrics.messages.inc({ author });
      message.attachments ??= [];
      if (!ids.length) this.tx.committed(Effects.of((e) => e.messages.push(message)));
      return message;
    }
    return this.explainRefusal(em.fork(), viewer, sessionId, clientMessageId);
  }

  /** Nothing was written: a retry (return the first message), or a refusal to explain. */
  private async explainRefusal(em: EntityManager, viewer: Viewer, sessionId: string, clientMessageId: string | null): Promise<MessagePayload> {
    const { session, role } = await authorizeSession(em, viewer, sessionId, 'message.send');
    const existing = clientMessageId ? await messages.byClientId(em, sessionId, clientMessageId) : null;
    if (existing) return existing;
    refuseState('message.send', session, role);
    throw new ConflictError('This chat is not active.'); // it changed since the statement ran
  }

  /** The guarded send and the files' tie, in one transaction; published after it. */
  private sendWithFiles(em: EntityManager, send: messages.Send, ids: string[]): Promise<MessagePayload | null> {
    return this.tx.run(em, {}, async (tem, effects) => {
      const message = await messages.insertGuarded(tem, send);
      if (!message) return null;
      message.attachments = await this.files.attach(tem, { ids, ownerId: send.authorId, sessionId: send.sessionId, toSessionId: send.sessionId, messageId: message.id });
      effects.messages.push(message);
      return message;
    });
  }

  /** Stored messages of a session after `afterSeq`, oldest first (replay and gap filling). */
  after(em: EntityManager, sessionId: string, afterSeq: number, limit: number, beforeSeq?: number): Promise<MessagePayload[]> {
    return messages.after(em, sessionId, afterSeq, limit, beforeSeq);
  }

  /** The newest `limit` messages before `beforeSeq` (or overall), oldest first. */
  before(em: EntityManager, sessionId: string, beforeSeq: number | null, limit: number): Promise<MessagePayload[]> {
    return messages.before(em, sessionId, beforeSeq, limit);
  }
}
