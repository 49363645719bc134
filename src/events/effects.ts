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
  /** Notes: only on the desk's topic, never a customer's. */
  readonly notes: NotePayload[] = [];
  queueChanged = false;

  static of(fill: (effects: Effects) => void): Effects {
    const effects = new Effects();
    fill(effects);
    return effects;
  }
}
