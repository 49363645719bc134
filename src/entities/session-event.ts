import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ChatSession } from './chat-session';
import { EventKind } from './enums';

/** The audit trail: one row per lifecycle step of a session. Not exposed by the API (yet). */
@Entity({ tableName: 'session_event' })
@Index({ name: 'session_event_session_index', properties: ['sessionId', 'at'] })
@Index({ name: 'session_event_kind_index', properties: ['kind', 'at', 'agentId'] })
export class SessionEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => ChatSession, { fieldName: 'session_id', foreignKeyName: 'session_event_session_id_fkey', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action' })
  sessionId!: string;

  @Property({ type: 'text' })
  kind!: EventKind;

  /** 'visitor' | 'agent' | 'system' */
  @Property({ type: 'text' })
  actorKind!: string;

  @Property({ type: 'uuid', nullable: true })
  actorId: string | null = null;

  /** The agent the step concerns (assignee, closer's agent, …), for metrics. */
  @Property({ type: 'uuid', nullable: true })
  agentId: string | null = null;

  @Property({ type: 'jsonb', defaultRaw: "'{}'" })
  data: Record<string, unknown> = {};

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  at: Date = new Date();
}
