import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';
import { Author } from './enums';

/** One transcript line. Written only by services/messages.ts (one SQL statement per send). */
@Entity({ tableName: 'message' })
// Plain fields read straight off the payload: no per-field resolver wrapper, which every message
// sent to every subscriber would otherwise go through (8 fields each).
@ObjectType({ simpleResolvers: true })
export class Message {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'uuid' })
  @Field(() => ID)
  sessionId!: string;

  @Property({ type: 'integer' })
  @Field(() => Int)
  seq!: number;

  @Property({ type: 'text' })
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

  @Property({ type: 'timestamptz' })
  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
