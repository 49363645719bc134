import type { Author } from '../entities/enums';

/** A stored message as it travels between instances: JSON-safe, dates as ISO strings. */
export interface MessagePayload {
  id: string;
  sessionId: string;
  seq: number;
  author: Author;
  authorName: string | null;
  body: string;
  clientMessageId: string | null;
  createdAt: string;
  /**
   * The session's agent when it was stored (live events only): who may see it live is decided
   * from this, with no read (services/live.ts). Not part of the API's Message.
   */
  agentId?: string | null;
}

export interface TypingPayload {
  sessionId: string;
  author: Author;
  name: string | null;
  typing: boolean;
  /** The session's agent when it was sent (as MessagePayload.agentId). */
  agentId: string | null;
}

/**
 * Every topic and its payload. Topics are `entity.past-tense`, scoped by id where a scope is
 * given (`message.created:<sessionId>`); a publish with the wrong payload does not compile.
 */
export interface TopicPayloads {
  'message.created': MessagePayload;
  'session.updated': { sessionId: string };
  'session.assigned': { sessionId: string; agentId: string };
  /** `id` is unique per change (instances read the queue once per change). */
  'queue.updated': { id: string; at: string };
  'agent.updated': { agentId: string };
  'typing.changed': TypingPayload;
  /** A credential no longer holds (auth/revocation.ts): every instance drops what it cached and closes its sockets. */
  'credentials.revoked': { kind: 'apiKey' | 'agent'; id: string };
}

export type TopicName = keyof TopicPayloads;
