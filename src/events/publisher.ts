import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Bus } from '../pubsub/bus';
import type { Effects } from './effects';

/**
 * The one publisher: the only place that turns what a change did into events. Every state change
 * reaches it through the transaction helper (`services/transaction.ts`): `record` inside the
 * transaction, before commit, `publish` after commit (never publish what did not commit).
 */
export class Publisher {
  constructor(private readonly bus: Bus) {}

  /**
   * Inside the change's transaction, just before commit: the place for durable events (outbox
   * rows for webhooks and the broker, delivered at least once from the table). None yet: adding
   * one is a statement here.
   */
  async record(_em: EntityManager, _effects: Effects): Promise<void> {}

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
  }
}
