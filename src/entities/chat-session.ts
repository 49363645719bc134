import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { SessionStatus } from './enums';

/**
 * One chat. customer, agent, queuePosition and messages are GraphQL fields resolved in
 * SessionResolver; the foreign keys themselves are not shown.
 */
@Entity({ tableName: 'chat_session' })
@ObjectType('ChatSession')
export class ChatSession {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  @Index()
  customerId!: string;

  @Property({ type: 'uuid', nullable: true })
  agentId: string | null = null;

  @Property({ type: 'text' })
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

  @Property({ type: 'timestamptz' })
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
}
