import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../schema/scalars';

/** A website visitor. Customers only ever see themselves. */
@Entity({ tableName: 'customer' })
// One customer per verified external id (unverified ones may repeat): a partial unique index.
@Index({ name: 'customer_external_id_verified', expression: 'create unique index customer_external_id_verified on customer (external_id) where verified' })
@ObjectType()
export class Customer {
  /** What `em.create` may leave out: the column's default (the initialiser below) holds. */
  [OptionalProps]?: 'verified' | 'createdAt' | 'erasedAt';

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

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Field(() => DateTimeScalar)
  createdAt: Date = new Date();

  /** When its name, email and externalId were erased (team: eraseCustomer); services/erasure.ts. */
  @Property({ type: 'timestamptz', nullable: true })
  erasedAt: Date | null = null;
}
