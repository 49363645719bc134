import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter } from '../auth/rate-limit';
import * as messages from '../db/messages';
import { isUuid, pgCode, PG } from '../db/sql';
import { Author } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import type { AppMetrics } from '../metrics';
import { personId, refuseState, requireScope, requireSignedIn, type Actor } from '../policies';
import { Effects } from '../events/effects';
import type { MessagePayload } from '../pubsub/topics';
import { authorizeSession } from './access';
import { bodyWithFiles } from './desk-validate';
import { FileService } from './files';
import type { Transactions } from './transaction';
import * as validate from './validate';

type SendInput = { sessionId: string; body: string; clientMessageId?: string | null; attachmentIds?: string[] | null };

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
  async send(em: EntityManager, viewer: Actor, input: SendInput): Promise<MessagePayload> {
    return (await this.sendOrReplay(em, viewer, input)).message;
  }

  /** `send`, telling whether the message was stored now or is the first one of its clientMessageId (REST: 201 or 200). */
  async sendOrReplay(em: EntityManager, viewer: Actor, input: SendInput): Promise<{ message: MessagePayload; created: boolean }> {
    requireSignedIn(viewer);
    requireScope(viewer, 'message.send'); // a key's scope: the statement below cannot check it
    const authorId = personId(viewer) as string;
    // A key's requests are counted once, at the edge (RATE_API_KEY), sends included.
    if (viewer.kind !== 'apiKey') await this.rateLimiter.consume('sendMessage', authorId);
    const ids = FileService.ids(input.attachmentIds);
    const body = ids.length ? bodyWithFiles(input.body) : validate.body(input.body);
    const clientMessageId = validate.clientMessageId(input.clientMessageId);
    if (!isUuid(input.sessionId)) throw new NotFoundError();
    const author = viewer.kind === 'visitor' ? Author.VISITOR : viewer.kind === 'agent' ? Author.AGENT : Author.SYSTEM;
    const sessionId = input.sessionId;
    const send: messages.Send = { author, authorId, sessionId, body, clientMessageId };
    let message: MessagePayload | null;
    const sinks = this.tx.sinksFor('message.created');
    try {
      message = ids.length ? await this.sendWithFiles(em.fork(), send, ids) : await messages.insertGuarded(em, send, sinks);
    } catch (error) {
      if (pgCode(error) !== PG.uniqueViolation || !clientMessageId) throw error;
      message = null;
    }
    if (message) {
      this.metrics.messages.inc({ author });
      message.attachments ??= [];
      if (!ids.length) {
        this.tx.committed(
          Effects.of((e) => {
            e.messages.push(message);
            for (const sink of sinks) e.outboxSinks.add(sink);
          }),
        );
      }
      return { message, created: true };
    }
    return { message: await this.explainRefusal(em.fork(), viewer, sessionId, clientMessageId), created: false };
  }

  /** Nothing was written: a retry (return the first message, and publish it again), or a refusal to explain. */
  private async explainRefusal(em: EntityManager, viewer: Actor, sessionId: string, clientMessageId: string | null): Promise<MessagePayload> {
    const { session, role } = await authorizeSession(em, viewer, sessionId, 'message.send');
    const existing = clientMessageId ? await messages.byClientId(em, sessionId, clientMessageId) : null;
    if (existing) {
      // Published again: its first publish may be what failed (the instance died after the commit,
      // or Redis was away), and a stream must not wait for a later message to get it. Streams skip
      // a seq they have; tagged with the session's agent now, as a live message is.
      this.tx.committed(Effects.of((e) => e.messages.push({ ...existing, agentId: session.agentId ?? null })));
      return existing;
    }
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
