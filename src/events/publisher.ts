import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Bus } from '../pubsub/bus';
import type { Effects } from './effects';

/**
 * The one publisher: the only place that turns what a change did into events. Every state change
 * reaches it through the transaction helper (`services/transaction.ts`): `record` inside the
 * transaction, before commit, `publish` after commit (never publish what did not commit).
 */
/** Writes what a change must leave behind durably, on the change's own transaction. */
export type Recorder = (em: EntityManager, effects: Effects) => Promise<void>;

export class Publisher {
  private readonly recorders: Recorder[] = [];

  constructor(private readonly bus: Bus) {}

  /** Adds a durable consequence of changes (timers armed as jobs, outbox rows), run by `record`. */
  onRecord(recorder: Recorder): void {
    this.recorders.push(recorder);
  }

  /**
   * Inside the change's transaction, just before commit: the place for durable events (outbox
   * rows for webhooks and the broker, delivered at least once from the table; the routing timers
   * of services/timers.ts, armed as jobs), so they exist exactly when the change committed.
   */
  async record(em: EntityManager, effects: Effects): Promise<void> {
    for (const recorder of this.recorders) await recorder(em, effects);
  }

  /** After commit: the live topics for subscribers (at most once; clients recover by seq). */
  publish(effects: Effects): void {
    const bus = this.bus;
    for (const message of effects.messages) bus.publish('message.created', message.sessionId, message);
    for (const event of effects.typing) bus.publish('typing.changed', event.sessionId, event);
    for (const sessionId of effects.sessions) bus.publish('session.updated', sessionId, { sessionId });
    for (const { sessionId, agentId } of effects.assigned) bus.publish('session.assigned', agentId, { sessionId, agentId });
    if (effects.queueChanged) bus.publish('queue.updated', null, { id: randomUUID(), at: new Date().toISOString() });
    for (const agentId of effects.agents) bus.publish('agent.updated', null, { agentId });
  }
}
