import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';

/** A website visitor. Customers only ever see themselves. */
@Entity({ tableName: 'customer' })
@ObjectType()
export class Customer {
  /** What `em.create` may leave out: the column's default (the initialiser below) holds. */
  [OptionalProps]?: 'verified' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  name: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  email: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  externalId: string | null = null;

  @Property({ type: 'boolean' })
  @Field(() => Boolean)
  verified: boolean = false;

  @Property({ type: 'timestamptz' })
  @Field(() => DateTimeScalar)
  createdAt: Date = new Date();
}
