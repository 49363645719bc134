import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Agent } from '../entities';
import { DateTimeScalar } from './scalars';

/** The desk extension's own types (docs/contract/extensions/desk.graphql): files, notes, canned responses, context, the trail. */

@ObjectType()
export class Attachment {
  @Field(() => ID)
  id!: string;
  @Field(() => String)
  name!: string;
  @Field(() => String)
  contentType!: string;
  @Field(() => Int, { description: 'Bytes.' })
  size!: number;
  @Field(() => Int, { nullable: true, description: 'Pixels, for images; null otherwise.' })
  width!: number | null;
  @Field(() => Int, { nullable: true })
  height!: number | null;
}

@ObjectType()
export class Note {
  @Field(() => ID)
  id!: string;
  @Field(() => ID)
  sessionId!: string;
  @Field(() => String)
  authorName!: string;
  @Field(() => String)
  body!: string;
  @Field(() => DateTimeScalar)
  createdAt!: string;
  /** Resolved by the `author` field. */
  authorId!: string | null;
}

@ObjectType()
export class CannedResponse {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { description: 'Typed after "/" in the console, e.g. "refund": a-z 0-9 - _, 1 to 40.' })
  shortcut!: string;
  @Field(() => String)
  title!: string;
  @Field(() => String, { description: 'May hold {{visitor.name}}, {{agent.name}}; the console fills them in.' })
  body!: string;
  @Field(() => DateTimeScalar)
  updatedAt!: string;
  ownerId!: string | null;
}

@ObjectType()
export class VisitorContext {
  @Field(() => String, { nullable: true })
  pageUrl!: string | null;
  @Field(() => String, { nullable: true })
  pageTitle!: string | null;
  @Field(() => String, { nullable: true })
  referrer!: string | null;
  @Field(() => String, { nullable: true, description: 'BCP 47, e.g. "fr-CA".' })
  locale!: string | null;
  @Field(() => String, { nullable: true, description: 'IANA, e.g. "America/Toronto".' })
  timeZone!: string | null;
  @Field(() => String, { nullable: true })
  userAgent!: string | null;
  @Field(() => DateTimeScalar)
  updatedAt!: string;
}

@ObjectType()
export class SessionEvent {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { description: 'created, queued, assigned, transferred, requeued, reassigned, closed, rated, tagged, noted, erased.' })
  kind!: string;
  @Field(() => DateTimeScalar)
  at!: string;
  @Field(() => String, { description: 'visitor, agent, system or apiKey.' })
  actorKind!: string;
  @Field(() => String, { description: 'Details as a JSON object, e.g. {"toAgentId": "…"} or {"reason": "no_reply"}.' })
  data!: string;
  agentId!: string | null;
}

@InputType()
export class VisitorContextInput {
  @Field(() => String, { nullable: true })
  pageUrl?: string | null;
  @Field(() => String, { nullable: true })
  pageTitle?: string | null;
  @Field(() => String, { nullable: true })
  referrer?: string | null;
  @Field(() => String, { nullable: true })
  locale?: string | null;
  @Field(() => String, { nullable: true })
  timeZone?: string | null;
}

@InputType()
export class CannedResponseInput {
  @Field(() => String)
  shortcut!: string;
  @Field(() => String)
  title!: string;
  @Field(() => String)
  body!: string;
  @Field(() => Boolean, { description: "true: the caller's own; false: the team's (supervisors only)." })
  personal!: boolean;
}

export { Agent };
