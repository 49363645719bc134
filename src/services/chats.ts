import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { verifyIdentityHash } from '../auth/identity';
import type { Config } from '../config';
import * as agents from '../db/agents';
import * as customers from '../db/customers';
import * as messages from '../db/messages';
import * as sessions from '../db/sessions';
import { isUuid } from '../db/sql';
import { Author, EventKind, SessionStatus } from '../entities';
import { BadInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { AppMetrics } from '../metrics';
import type { RateLimiter } from '../auth/rate-limit';
import { authorize, personId, refuseState, requireSignedIn, type Actor } from '../policies';
import { authorizeSession } from './access';
import * as audit from '../events/audit';
import { Effects } from '../events/effects';
import type { MessagePayload } from '../pubsub/topics';
import type { Routing } from './routing';
import type { Transactions } from './transaction';
import * as check from './desk-validate';
import { FileService } from './files';
import * as validate from './validate';

export interface StartChatInput {
  name?: string | null;
  email?: string | null;
  skill?: string | null;
  message?: string | null;
  clientMessageId?: string | null;
  externalId?: string | null;
  identityHash?: string | null;
  context?: check.ContextInput | null;
  attachmentIds?: string[] | null;
}

/** The session lifecycle: start, close, rate, transfer, read receipts, typing. */
export class ChatService {
  /**
   * Per session and side, the coalescing window this instance has open (TYPING_COALESCE_MS): the
   * state published when it opened, and the latest asked for since.
   */
  private readonly typingSent = new Map<string, { sent: boolean; latest: boolean }>();

  constructor(
    private readonly config: Config,
    private readonly tx: Transactions,
    private readonly routing: Routing,
    private readonly metrics: AppMetrics,
    private readonly rateLimiter: RateLimiter,
    private readonly files: FileService,
  ) {}

  /** Per session, the visitor's latest draft and when one was last published (TYPING_PREVIEW). */
  private readonly drafts = new Map<string, { at: number; pending?: string; timer?: NodeJS.Timeout }>();

  async startChat(em: EntityManager, viewer: Actor, input: StartChatInput, userAgent: string | null = null): Promise<{ sessionId: string; customerId: string }> {
    authorize(viewer, 'chat.start');
    const name = validate.name(input.name);
    const email = validate.email(input.email);
    const skill = validate.skill(input.skill);
    const attachmentIds = FileService.ids(input.attachmentIds);
    // Files come from the visitor's own uploads (POST /uploads with its token and no sessionId).
    if (attachmentIds.length && viewer.kind !== 'visitor') throw new BadInputError('attachmentIds: an upload is unknown, already sent, or not yours for this chat.', 'attachmentIds');
    const message = input.message ?? (attachmentIds.length ? '' : null);
    const first = message === null ? null : attachmentIds.length ? check.bodyWithFiles(message) : validate.body(message, 'message');
    const context = input.context || userAgent ? check.context(input.context ?? {}, userAgent) : null;
    const clientMessageId = validate.clientMessageId(input.clientMessageId);
    const externalId = validate.optionalText(input.externalId, 'externalId', validate.LIMITS.externalIdMax);
    const verified = this.checkIdentity(externalId, input.identityHash ?? null);

    return this.tx.run(em, { routing: true }, async (tem, effects) => {
      const customerId = await this.resolveCustomer(tem, viewer, { name, email, externalId, verified });
      let opening: MessagePayload | undefined;
      const sessionId = randomUUID();
      await sessions.insert(tem, { id: sessionId, customerId, skill, lastSeq: first === null ? 0 : 1, visitorContext: context });
      await audit.record(tem, effects, { sessionId, kind: EventKind.CREATED, actorKind: 'visitor', actorId: customerId, data: { skill } });
      if (first !== null) {
        opening = await messages.insertFirst(tem, { sessionId, authorId: customerId, body: first, clientMessageId });
        const owner = viewer.kind === 'visitor' ? viewer.customerId : customerId;
        opening.attachments = await this.files.attach(tem, { ids: attachmentIds, ownerId: owner, sessionId: null, toSessionId: sessionId, messageId: opening.id });
        effects.messages.push(opening);
        this.metrics.messages.inc({ author: Author.VISITOR });
      }
      const assignments = await this.routing.drain(tem, effects);
      const assigned = assignments.find((a) => a.sessionId === sessionId);
      if (opening) opening.agentId = assigned?.agentId ?? null; // who may see it live
      if (!assigned) {
        await audit.record(tem, effects, { sessionId, kind: EventKind.QUEUED, actorKind: 'system' });
        this.metrics.routingDecisions.inc({ outcome: 'queued' });
        effects.queueChanged = true;
        effects.sessions.add(sessionId);
        effects.enqueued.add(sessionId);
      }
      return { sessionId, customerId };
    });
  }

  /** Verified when the hash is valid; a wrong hash is refused when IDENTITY_SECRET is set. */
  private checkIdentity(externalId: string | null, hash: string | null): boolean {
    if (externalId === null || hash === null) return false;
    const secret = this.config.IDENTITY_SECRET;
    if (!secret) return false;
    if (!verifyIdentityHash(secret, externalId, hash)) throw new ForbiddenError('identityHash does not match externalId.');
    return true;
  }

  private async resolveCustomer(
    em: EntityManager,
    viewer: Actor,
    p: { name: string | null; email: string | null; externalId: string | null; verified: boolean },
  ): Promise<string> {
    const details = { name: p.name, email: p.email, externalId: p.externalId };
    // A valid pair links to the one verified customer with that externalId.
    if (p.verified) return customers.upsertVerified(em, details);
    const known = viewer.kind === 'visitor' ? await customers.update(em, viewer.customerId, details) : null;
    return known ?? customers.insert(em, details);
  }

  /** Its customer, its agent or a supervisor. Frees the agent's slot and drains the queue. */
  async close(em: EntityManager, viewer: Actor, sessionId: string): Promise<void> {
    // Authorised before the transaction and the routing lock (a stranger holds neither), and
    // again under the row lock, where the decision is made.
    await authorizeSession(em, viewer, sessionId, 'session.close');
    await this.tx.run(em, { routing: true }, async (tem, effects) => {
      const { session } = await authorizeSession(tem, viewer, sessionId, 'session.close', true);
      if (session.status === SessionStatus.CLOSED) return;
      await sessions.close(tem, sessionId);
      if (session.status === SessionStatus.ACTIVE && session.agentId) {
        await this.routing.releaseSlot(tem, session.agentId, effects);
      } else {
        await this.routing.touchQueue(tem, effects);
      }
      await audit.record(tem, effects, { sessionId, kind: EventKind.CLOSED, ...audit.actorOf(viewer), agentId: session.agentId });
      effects.sessions.add(sessionId);
      await this.routing.drain(tem, effects);
    });
  }

  /** Its customer, once CLOSED; once. */
  async rate(em: EntityManager, viewer: Actor, sessionId: string, rating: number, comment: string | null | undefined): Promise<void> {
    const value = validate.rating(rating);
    const text = validate.optionalText(comment, 'comment', validate.LIMITS.commentMax);
    await authorizeSession(em, viewer, sessionId, 'session.rate'); // before the transaction, then under the lock
    await this.tx.run(em, {}, async (tem, effects) => {
      const { session } = await authorizeSession(tem, viewer, sessionId, 'session.rate', true);
      if (session.status !== SessionStatus.CLOSED) throw new ConflictError('A chat can be rated once it is closed.');
      if (session.rating !== null) throw new ConflictError('This chat has already been rated.');
      // Never taken by anyone (abandoned in the queue): there is nobody to rate.
      if (!session.agentId && !(await audit.everAssigned(tem, sessionId))) throw new ConflictError('Nobody took this chat: there is nobody to rate.');
      await sessions.rate(tem, sessionId, value, text);
      await audit.record(tem, effects, { sessionId, kind: EventKind.RATED, ...audit.actorOf(viewer), agentId: session.agentId, data: { rating: value } });
      effects.sessions.add(sessionId);
    });
  }

  /**
   * Its agent or a supervisor: an ACTIVE chat to a named agent with a free slot, or back to the
   * queue (optionally for another skill). A supervisor may also take a QUEUED chat straight to a
   * named agent, ahead of the queue (contract, desk: "Supervisors assign by hand").
   */
  async transfer(em: EntityManager, viewer: Actor, sessionId: string, toAgentId: string | null | undefined, skillArg: string | null | undefined): Promise<void> {
    const skill = validate.skill(skillArg);
    if (toAgentId !== undefined && toAgentId !== null && !isUuid(toAgentId)) throw new NotFoundError('Agent');
    await authorizeSession(em, viewer, sessionId, 'session.transfer'); // before the transaction and lock, then under them
    await this.tx.run(em, { routing: true }, async (tem, effects) => {
      const { session, role: party } = await authorizeSession(tem, viewer, sessionId, 'session.transfer', true);
      if (session.status === SessionStatus.QUEUED && party === 'supervisor' && toAgentId) {
        await this.assignByHand(tem, viewer, effects, sessionId, toAgentId, skill);
        return;
      }
      if (session.status !== SessionStatus.ACTIVE || !session.agentId) {
        throw new ConflictError(party === 'supervisor' ? 'Only an ACTIVE chat can be transferred, or a QUEUED one to a named agent.' : 'Only an ACTIVE chat can be transferred.');
      }
      const from = session.agentId;
      if (toAgentId) {
        if (toAgentId === from) throw new ConflictError('The chat is already with that agent.');
        await this.routing.takeSlot(tem, toAgentId);
        // assignedAt stays the first assignment (the chat's wait ended then); the hand-off is the event.
        await sessions.handTo(tem, sessionId, toAgentId, skill);
        await audit.record(tem, effects, { sessionId, kind: EventKind.TRANSFERRED, ...audit.actorOf(viewer), agentId: toAgentId, data: { fromAgentId: from } });
        effects.assigned.push({ sessionId, agentId: toAgentId });
        effects.agents.add(toAgentId);
        this.metrics.routingDecisions.inc({ outcome: 'transferred' });
      } else {
        await sessions.requeue(tem, sessionId, { skill });
        await audit.record(tem, effects, { sessionId, kind: EventKind.REQUEUED, ...audit.actorOf(viewer), agentId: from, data: { skill } });
        effects.queueChanged = true;
        effects.enqueued.add(sessionId);
        this.metrics.routingDecisions.inc({ outcome: 'requeued' });
      }
      await this.routing.releaseSlot(tem, from, effects);
      effects.sessions.add(sessionId);
      await this.routing.drain(tem, effects, toAgentId ? undefined : { sessionId, agentId: from });
    });
  }

  /** A supervisor puts a QUEUED chat with a named agent: event `assigned`, by that supervisor. */
  private async assignByHand(em: EntityManager, viewer: Actor, effects: Effects, sessionId: string, agentId: string, skill: string | null): Promise<void> {
    await this.routing.takeSlot(em, agentId);
    const at = await sessions.assignTo(em, sessionId, agentId, skill);
    await audit.record(em, effects, { sessionId, kind: EventKind.ASSIGNED, ...audit.actorOf(viewer), agentId, data: { byHand: true }, at });
    effects.assigned.push({ sessionId, agentId });
    effects.agents.add(agentId);
    effects.sessions.add(sessionId);
    await this.routing.touchQueue(em, effects);
    this.metrics.routingDecisions.inc({ outcome: 'assigned' });
  }

  /** Raises the caller's side's read seq (never lowers it; never past the last message). */
  async markRead(em: EntityManager, viewer: Actor, sessionId: string, seq: number): Promise<void> {
    const value = validate.seq(seq, 'seq') as number;
    const { role: party } = await authorizeSession(em, viewer, sessionId, 'session.markRead');
    if (await sessions.markRead(em, sessionId, party === 'customer' ? 'visitor' : 'agent', value)) this.tx.committed(Effects.of((e) => e.sessions.add(sessionId)));
  }

  /**
   * Ephemeral: fans out to the other side, stores nothing. Rate-limited per person and session
   * (RATE_TYPING, before any read), and coalesced per session and side: the first call publishes,
   * later ones within TYPING_COALESCE_MS only note their state, and the last state is published
   * when the window ends if it differs. At most two events a window reach the other side,
   * however many setTyping arrive; the indicator still ends in the sender's last state.
   */
  async setTyping(em: EntityManager, viewer: Actor, sessionId: string, typing: boolean, draftArg: string | null = null): Promise<void> {
    requireSignedIn(viewer);
    const id = personId(viewer);
    const draftText = validate.optionalText(draftArg, 'draft', validate.LIMITS.bodyMax);
    await this.rateLimiter.consume('typing', `${id}:${sessionId.slice(0, 64)}`);
    const { session, role: party } = await authorizeSession(em, viewer, sessionId, 'session.typing');
    refuseState('session.typing', session, party);
    const author = party === 'customer' ? Author.VISITOR : Author.AGENT;
    const publish = async (state: boolean, draft: string | null = null) => {
      const name = await (party === 'customer' ? customers : agents).nameOf(em, id as string);
      this.tx.committed(Effects.of((e) => e.typing.push({ sessionId, author, name, typing: state, agentId: session.agentId, draft })));
    };
    // The visitor's draft, with preview on: at most one every 250 ms, the latest kept for the
    // next slot; dropped when typing stops. Agents' drafts are never published.
    if (author === Author.VISITOR && this.config.TYPING_PREVIEW === 'on') this.preview(sessionId, typing ? draftText : null, (d) => publish(true, d));
    const key = `${sessionId}:${author}`;
    const window = this.typingSent.get(key);
    if (window) {
      window.latest = typing; // published when the window ends, if it differs from what was
      return;
    }
    const opened = { sent: typing, latest: typing };
    this.typingSent.set(key, opened);
    setTimeout(() => {
      this.typingSent.delete(key);
      if (opened.latest !== opened.sent) void publish(opened.latest).catch(() => undefined);
    }, this.config.TYPING_COALESCE_MS).unref();
    await publish(typing);
  }

  /** Throttles one session's drafts to 4 a second (trailing); `draft` null cancels the pending one. */
  private preview(sessionId: string, draft: string | null, publish: (draft: string) => Promise<void>): void {
    const slot = this.drafts.get(sessionId) ?? { at: 0 };
    if (draft === null) {
      clearTimeout(slot.timer);
      this.drafts.delete(sessionId);
      return;
    }
    this.drafts.set(sessionId, slot);
    const wait = slot.at + DRAFT_INTERVAL_MS - Date.now();
    if (wait <= 0 && !slot.timer) {
      slot.at = Date.now();
      void publish(draft).catch(() => undefined);
      return;
    }
    slot.pending = draft;
    slot.timer ??= setTimeout(() => {
      slot.timer = undefined;
      slot.at = Date.now();
      if (slot.pending !== undefined) void publish(slot.pending).catch(() => undefined);
      slot.pending = undefined;
    }, Math.max(wait, 0)).unref();
  }
}

const DRAFT_INTERVAL_MS = 250;
