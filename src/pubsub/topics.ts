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
  /** The files sent with it (live events: always given, so subscribers read nothing). */
  attachments?: AttachmentPayload[];
}

/** A file as a message carries it (db/uploads.ts's row without owner). */
export interface AttachmentPayload {
  id: string;
  name: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
}

/** A note as it travels (never on a customer's stream). */
export interface NotePayload {
  id: string;
  sessionId: string;
  authorId: string | null;
  authorName: string;
  body: string;
  createdAt: string;
}

export interface TypingPayload {
  sessionId: string;
  author: Author;
  name: string | null;
  typing: boolean;
  /** The visitor's unsent text (TYPING_PREVIEW=on); never published for an agent. */
  draft?: string | null;
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
  'credentials.revoked': { kind: 'apiKey' | 'agent' | 'customer'; id: string };
  'note.created': NotePayload;
}

export type TopicName = keyof TopicPayloads;
