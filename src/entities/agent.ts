import { Check, Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { AgentRole, AgentStatus } from './enums';

/**
 * A support agent or supervisor. `email` and `online` are GraphQL fields resolved in
 * AgentResolver (email is hidden from customers; online comes from presence).
 */
@Entity({ tableName: 'agent' })
@Check({ name: 'agent_max_concurrent_chats_check', expression: 'max_concurrent_chats >= 0' })
@Check({ name: 'agent_check', expression: 'active_chats >= 0 and active_chats <= max_concurrent_chats' })
@ObjectType()
export class Agent {
  /** What `em.create` may leave out: the column's default (the initialiser below) holds. */
  [OptionalProps]?: 'activeChats' | 'lastAssignedAt' | 'lastSeenAt' | 'createdAt' | 'active' | 'tokenVersion' | 'missedInARow';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  /** Stored lower-cased; unique. */
  @Property({ type: 'text', unique: 'agent_email_key' })
  email!: string;

  @Property({ type: 'text', lazy: true })
  passwordHash!: string;

  @Enum({ items: () => AgentRole, type: 'text' })
  @Field(() => AgentRole)
  role: AgentRole = AgentRole.AGENT;

  @Enum({ items: () => AgentStatus, type: 'text' })
  @Field(() => AgentStatus)
  status: AgentStatus = AgentStatus.OFFLINE;

  @Property({ type: 'text[]', defaultRaw: "'{}'" })
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

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** False once deactivated (team extension): cannot sign in, never routed to, keeps its history. */
  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'False once deactivated: cannot sign in, is never routed to, keeps its history.' })
  active: boolean = true;

  /** Raised to revoke every token signed before (deactivation, a password or role change). */
  @Property({ type: 'integer', lazy: true })
  tokenVersion: number = 0;

  /** Chats taken back for no reply since the agent's last reply (desk: AWAY_AFTER_MISSED); db/agents.ts. */
  @Property({ type: 'integer', fieldName: 'missed_in_a_row' })
  missedInARow: number = 0;
}
