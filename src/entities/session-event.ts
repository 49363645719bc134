import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { EventKind } from './enums';

/** The audit trail: one row per lifecycle step of a session. Not exposed by the API (yet). */
@Entity({ tableName: 'session_event' })
export class SessionEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
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

  @Property({ type: 'jsonb' })
  data: Record<string, unknown> = {};

  @Property({ type: 'timestamptz' })
  at: Date = new Date();
}
