import { randomUUID } from 'node:crypto';
import type { Bus } from '../pubsub/bus';
import type { MessagePayload, TypingPayload } from '../pubsub/topics';

/**
 * What a transaction changed, collected while it runs and published only after it committed
 * (never publish what did not commit). One place decides the topics.
 */
export class Effects {
  readonly sessions = new Set<string>();
  readonly assigned: Array<{ sessionId: string; agentId: string }> = [];
  readonly agents = new Set<string>();
  readonly messages: MessagePayload[] = [];
  readonly typing: TypingPayload[] = [];
  queueChanged = false;

  publish(bus: Bus): void {
    for (const message of this.messages) bus.publish('message.created', message.sessionId, message);
    for (const event of this.typing) bus.publish('typing.changed', event.sessionId, event);
    for (const sessionId of this.sessions) bus.publish('session.updated', sessionId, { sessionId });
    for (const { sessionId, agentId } of this.assigned) bus.publish('session.assigned', agentId, { sessionId, agentId });
    if (this.queueChanged) bus.publish('queue.updated', null, { id: randomUUID(), at: new Date().toISOString() });
    for (const agentId of this.agents) bus.publish('agent.updated', null, { agentId });
  }
}
