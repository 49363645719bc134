import type { Credential } from '../auth/revocation';
import type { SessionEventRow } from '../db/session-events';
import type { MessagePayload, NotePayload, TypingPayload } from '../pubsub/topics';

/**
 * What a change did, collected while its transaction runs and handed to the publisher
 * (`events/publisher.ts`), which alone turns it into topics, after commit.
 */
export class Effects {
  readonly sessions = new Set<string>();
  readonly assigned: Array<{ sessionId: string; agentId: string }> = [];
  readonly agents = new Set<string>();
  readonly messages: MessagePayload[] = [];
  readonly typing: TypingPayload[] = [];
  /** Credentials the change revoked (deactivation, a new password, an erasure): auth/revocation.ts. */
  readonly revoked: Credential[] = [];
  /** Sessions that entered the queue (started without an agent, or put back): their timers arm. */
  readonly enqueued = new Set<string>();
  /** The audit steps written (events/audit.ts): what the partners' events are derived from. */
  readonly steps: SessionEventRow[] = [];
  /** Notes: only on the desk's topic, never a customer's. */
  readonly notes: NotePayload[] = [];
  queueChanged = false;
  /** The outbox sinks this change wrote rows for (events/outbox.ts): their relays wake after commit. */
  readonly outboxSinks = new Set<string>();

  static of(fill: (effects: Effects) => void): Effects {
    const effects = new Effects();
    fill(effects);
    return effects;
  }
}
