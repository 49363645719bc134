import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { Agent } from './agent';
import { Customer } from './customer';
import { SessionStatus } from './enums';

/**
 * One chat. customer, agent, queuePosition and messages are GraphQL fields resolved in
 * SessionResolver; the foreign keys themselves are not shown.
 */
@Entity({ tableName: 'chat_session' })
@Check({ name: 'chat_session_check', expression: "(status = 'ACTIVE') = (agent_id is not null) or status = 'CLOSED'" })
@Check({ name: 'chat_session_check1', expression: "(status = 'QUEUED') = (queued_at is not null)" })
@Check({ name: 'chat_session_rating_check', expression: 'rating >= 1 and rating <= 5' })
@Index({ name: 'chat_session_customer_id_index', expression: 'create index chat_session_customer_id_index on chat_session (customer_id, created_at desc)' })
@Index({ name: 'chat_session_agent_index', properties: ['agentId', 'status'] })
// The queue, oldest first: a partial index.
@Index({ name: 'chat_session_queue_index', expression: "create index chat_session_queue_index on chat_session (queued_at, id) where status = 'QUEUED'" })
@Index({ name: 'chat_session_created_index', expression: 'create index chat_session_created_index on chat_session (created_at desc, id desc)' })
// The notification sweep's sessions: an agent message the visitor has not read, no email yet.
@Index({
  name: 'chat_session_unread_by_visitor',
  expression: 'create index chat_session_unread_by_visitor on chat_session (last_agent_at) where last_agent_seq > visitor_read_seq and last_agent_seq > notified_seq',
})
@Index({ name: 'chat_session_assigned_at', properties: ['assignedAt'] })
@Index({
  name: 'chat_session_retention_index',
  expression: "create index chat_session_retention_index on chat_session (closed_at) where status = 'CLOSED' and erased_at is null",
})
@Index({ name: 'chat_session_tags', expression: 'create index chat_session_tags on chat_session using gin (tags)' })
@Index({ name: 'chat_session_agent_created', expression: 'create index chat_session_agent_created on chat_session (agent_id, created_at desc)' })
@ObjectType('ChatSession')
export class ChatSession {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @ManyToOne(() => Customer, { fieldName: 'customer_id', foreignKeyName: 'chat_session_customer_id_fkey', mapToPk: true, deleteRule: 'no action', updateRule: 'no action' })
  customerId!: string;

  @ManyToOne(() => Agent, { fieldName: 'agent_id', foreignKeyName: 'chat_session_agent_id_fkey', mapToPk: true, nullable: true, deleteRule: 'no action', updateRule: 'no action' })
  agentId: string | null = null;

  /** No column default: every insert says which state the chat starts in. */
  @Enum({ items: () => SessionStatus, type: 'text', default: null })
  @Field(() => SessionStatus)
  status: SessionStatus = SessionStatus.QUEUED;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  skill: string | null = null;

  /** Queue order (oldest first); moved to the head on an OFFLINE requeue. */
  @Property({ type: 'timestamptz', nullable: true })
  queuedAt: Date | null = null;

  /** When it last entered the queue (started or put back); shown as `queuedAt` while QUEUED. */
  @Property({ type: 'timestamptz', nullable: true })
  enteredQueueAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Field(() => DateTimeScalar)
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  assignedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  firstResponseAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  closedAt: Date | null = null;

  @Property({ type: 'integer' })
  @Field(() => Int)
  lastSeq: number = 0;

  @Property({ type: 'integer' })
  @Field(() => Int)
  visitorReadSeq: number = 0;

  @Property({ type: 'integer' })
  @Field(() => Int)
  agentReadSeq: number = 0;

  @Property({ type: 'smallint', nullable: true })
  @Field(() => Int, { nullable: true })
  rating: number | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  ratingComment: string | null = null;

  /** The agent's newest message (kept by the send statement, db/messages.ts). */
  @Property({ type: 'integer' })
  lastAgentSeq: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  lastAgentAt: Date | null = null;

  /** What the last unread-reply email covered, and when. */
  @Property({ type: 'integer' })
  notifiedSeq: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  notifiedAt: Date | null = null;

  /** The desk's tags and visitor context (db/session-desk.ts; resolved in DeskResolver). */
  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  tags: string[] = [];

  @Property({ type: 'jsonb', nullable: true })
  visitorContext: Record<string, unknown> | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  visitorContextAt: Date | null = null;

  /** When its personal data was erased (team: eraseCustomer, retention); services/erasure.ts. */
  @Property({ type: 'timestamptz', nullable: true })
  erasedAt: Date | null = null;
}
