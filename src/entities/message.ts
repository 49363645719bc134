import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { ChatSession } from './chat-session';
import { Author } from './enums';

/** One transcript line. Written only by services/messages.ts (one SQL statement per send). */
@Entity({ tableName: 'message' })
@Unique({ name: 'message_session_seq_unique', properties: ['sessionId', 'seq'] })
@Unique({ name: 'message_session_client_id_unique', properties: ['sessionId', 'clientMessageId'] })
@Check({ name: 'message_seq_check', expression: 'seq >= 1' })
// An agent's sent messages, for metrics (first response): a partial index.
@Index({ name: 'message_author_index', expression: "create index message_author_index on message (author_id, created_at) where author = 'AGENT'" })
// Plain fields read straight off the payload: no per-field resolver wrapper, which every message
// sent to every subscriber would otherwise go through (8 fields each).
// Full-text search (desk: "Search"): a GIN index over the generated tsvector.
@Index({ name: 'message_search', expression: 'create index message_search on message using gin (search)' })
@ObjectType({ simpleResolvers: true })
export class Message {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id!: string;

  @ManyToOne(() => ChatSession, { fieldName: 'session_id', foreignKeyName: 'message_session_id_fkey', mapToPk: true, deleteRule: 'cascade', updateRule: 'no action' })
  @Field(() => ID)
  sessionId!: string;

  @Property({ type: 'integer' })
  @Field(() => Int)
  seq!: number;

  @Enum({ items: () => Author, type: 'text' })
  @Field(() => Author)
  author!: Author;

  @Property({ type: 'uuid', nullable: true })
  authorId: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  authorName: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String)
  body!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  clientMessageId: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Field(() => DateTimeScalar)
  createdAt!: Date;

  /**
   * The body's words ('simple' configuration: any language's words as written), computed by
   * Postgres. Never selected (lazy) nor written (generated) by the ORM; searched in db/session-desk.ts.
   */
  @Property({ columnType: 'tsvector', generated: "(to_tsvector('simple'::regconfig, body)) stored", lazy: true, nullable: true })
  search?: string;
}
