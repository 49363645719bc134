import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { AgentRole, AgentStatus } from './enums';

/**
 * A support agent or supervisor. `email` and `online` are GraphQL fields resolved in
 * AgentResolver (email is hidden from customers; online comes from presence).
 */
@Entity({ tableName: 'agent' })
@ObjectType()
export class Agent {
  /** What `em.create` may leave out: the column's default (the initialiser below) holds. */
  [OptionalProps]?: 'activeChats' | 'lastAssignedAt' | 'lastSeenAt' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  /** Stored lower-cased; unique. */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', lazy: true })
  passwordHash!: string;

  @Property({ type: 'text' })
  @Field(() => AgentRole)
  role: AgentRole = AgentRole.AGENT;

  @Property({ type: 'text' })
  @Field(() => AgentStatus)
  status: AgentStatus = AgentStatus.OFFLINE;

  @Property({ type: 'text[]' })
  @Field(() => [String])
  skills: string[] = [];

  @Property({ type: 'integer' })
  @Field(() => Int)
  maxConcurrentChats: number = 3;

  /** Kept by routing, under the routing lock. */
  @Property({ type: 'integer' })
  @Field(() => Int)
  activeChats: number = 0;

  @Property({ type: 'timestamptz', nullable: true })
  lastAssignedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => DateTimeScalar, { nullable: true })
  lastSeenAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}
