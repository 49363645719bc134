import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Revocations } from '../auth/revocation';
import type { Sink } from '../db/outbox';
import type { Logger } from '../logger';
import type { Bus } from '../pubsub/bus';
import type { Effects } from './effects';
import type { EventType, Outbox } from './outbox';

/** Writes what a change must leave behind durably, on the change's own transaction. */
export type Recorder = (em: EntityManager, effects: Effects) => Promise<void>;

/**
 * The one publisher: the only place that turns what a change did into events. Every state change
 * reaches it through the transaction helper (`services/transaction.ts`): `record` inside the
 * transaction, before commit, `publish` after commit (never publish what did not commit).
 */
export class Publisher {
  private readonly recorders: Recorder[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly outbox: Outbox,
    private readonly fork: () => EntityManager,
    private readonly logger: Logger,
    /** Where `effects.revoked` goes (auth/revocation.ts): every instance hears it. */
    private readonly revocations?: Revocations,
  ) {}

  /** Adds a durable consequence of changes (the routing timers, armed as jobs), run by `record`. */
  onRecord(recorder: Recorder): void {
    this.recorders.push(recorder);
  }

  /**
   * Inside the change's transaction, just before commit: its durable events, as outbox rows for
   * the webhooks and the broker (events/outbox.ts), delivered at least once from the table, and
   * the other durable consequences (the routing timers of services/timers.ts, armed as jobs), so
   * they exist exactly when the change committed.
   */
  async record(em: EntityManager, effects: Effects): Promise<void> {
    for (const sink of await this.outbox.record(em, effects)) effects.outboxSinks.add(sink);
    for (const recorder of this.recorders) await recorder(em, effects);
  }

  /**
   * The sinks that want an event of `type` now: the send statement writes its own outbox rows
   * (db/messages.ts), in the statement that stores the message, for these.
   */
  sinksFor(type: EventType): Sink[] {
    return this.outbox.sinksFor(type);
  }

  /**
   * A change that committed on its own, outside `record`: what it wrote to the outbox is already
   * there (the send statement), except agent.updated for presence, which commits nowhere.
   */
  recordCommitted(effects: Effects): void {
    if (!effects.agents.size || !this.outbox.active) return;
    void this.outbox.recordAgents(this.fork(), effects.agents).catch((error: unknown) => this.logger.error({ err: error }, 'outbox: agent.updated not recorded'));
  }

  /** After commit: the live topics for subscribers (at most once; clients recover by seq). */
  publish(effects: Effects): void {
    const bus = this.bus;
    for (const message of effects.messages) bus.publish('message.created', message.sessionId, message);
    for (const event of effects.typing) bus.publish('typing.changed', event.sessionId, event);
    for (const note of effects.notes) bus.publish('note.created', note.sessionId, note);
    for (const sessionId of effects.sessions) bus.publish('session.updated', sessionId, { sessionId });
    for (const { sessionId, agentId } of effects.assigned) bus.publish('session.assigned', agentId, { sessionId, agentId });
    if (effects.queueChanged) bus.publish('queue.updated', null, { id: randomUUID(), at: new Date().toISOString() });
    for (const agentId of effects.agents) bus.publish('agent.updated', null, { agentId });
    for (const credential of effects.revoked) void this.revocations?.revoke(credential);
    if (effects.outboxSinks.size) this.outbox.onWritten(effects.outboxSinks as Set<Sink>);
  }
}
