import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Agent, AgentRole, AgentStatus, Author, ChatSession, Message, SessionStatus } from '../entities';
import { VisitorContextInput } from './desk-types';
import { DateTimeScalar } from './scalars';

registerEnumType(AgentStatus, { name: 'AgentStatus' });
registerEnumType(AgentRole, { name: 'AgentRole' });
registerEnumType(SessionStatus, { name: 'SessionStatus', valuesConfig: {
  QUEUED: { description: 'Waiting for an agent with the requested skill to be free.' },
  ACTIVE: { description: 'Assigned to an agent.' },
} });
registerEnumType(Author, { name: 'Author' });

@ObjectType()
export class MessagePage {
  @Field(() => [Message], { description: 'Ascending by seq.' })
  messages!: Message[];

  @Field(() => Boolean, { description: 'More messages exist beyond this page in the direction asked.' })
  hasMore!: boolean;
}

@ObjectType()
export class SessionPage {
  @Field(() => [ChatSession])
  sessions!: ChatSession[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last page.' })
  endCursor!: string | null;
}

@ObjectType()
export class AgentMetrics {
  @Field(() => ID, { nullable: true, description: 'Null for the whole team.' })
  agentId!: string | null;
  @Field(() => DateTimeScalar)
  from!: Date;
  @Field(() => DateTimeScalar)
  to!: Date;
  @Field(() => Int)
  chatsAssigned!: number;
  @Field(() => Int)
  chatsClosed!: number;
  @Field(() => Float, { nullable: true, description: 'chatsClosed / chatsAssigned, null when none were assigned.' })
  resolutionRate!: number | null;
  @Field(() => Float, { nullable: true, description: "Mean seconds from assignment to the agent's first message." })
  avgFirstResponseSeconds!: number | null;
  @Field(() => Float, { nullable: true, description: "Mean seconds from a visitor message to the agent's next reply." })
  avgResponseSeconds!: number | null;
  @Field(() => Float, { nullable: true })
  avgRating!: number | null;
  @Field(() => Int)
  messagesSent!: number;
  @Field(() => Int, { nullable: true, description: 'The team only (null for an agent): chats closed while QUEUED, before anyone took them.' })
  chatsAbandoned!: number | null;
  @Field(() => Int, { description: 'Chats taken back from this agent because it sent no first reply in time.' })
  chatsMissed!: number;
}

@ObjectType()
export class TypingEvent {
  @Field(() => ID)
  sessionId!: string;
  @Field(() => Author)
  author!: Author;
  @Field(() => String, { nullable: true })
  name!: string | null;
  @Field(() => Boolean)
  typing!: boolean;
  @Field(() => String, { nullable: true, description: "The visitor's unsent text, to agents and supervisors only, when preview is on; null otherwise." })
  draft?: string | null;
}

@ObjectType()
export class StartChatPayload {
  @Field(() => ChatSession)
  session!: ChatSession;
  @Field(() => String, { description: 'Bearer token for this customer: send it on every later request and in connection_init.' })
  visitorToken!: string;
}

@ObjectType()
export class AuthPayload {
  @Field(() => String, { description: 'Bearer token for this agent.' })
  token!: string;
  @Field(() => Agent)
  agent!: Agent;
}

@InputType()
export class StartChatInput {
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => String, { nullable: true })
  email?: string | null;
  @Field(() => String, { nullable: true, description: 'Route only to agents that have this skill.' })
  skill?: string | null;
  @Field(() => String, { nullable: true, description: 'Optional first message, stored as seq 1.' })
  message?: string | null;
  @Field(() => String, { nullable: true })
  clientMessageId?: string | null;
  @Field(() => String, { nullable: true, description: 'The embedding site\'s id for this person.' })
  externalId?: string | null;
  @Field(() => String, { nullable: true, description: "Hex HMAC-SHA256 of externalId under the site's identity secret." })
  identityHash?: string | null;
  @Field(() => VisitorContextInput, { nullable: true })
  context?: VisitorContextInput | null;
  @Field(() => [ID], { nullable: true })
  attachmentIds?: string[] | null;
}

@InputType()
export class SendMessageInput {
  @Field(() => ID)
  sessionId!: string;
  @Field(() => String, { description: '1 to 4000 characters after trimming.' })
  body!: string;
  @Field(() => String, { nullable: true, description: 'Idempotency key: a retry with the same key in the same session returns the first message and stores nothing new.' })
  clientMessageId?: string | null;  @Field(() => [ID], { nullable: true, description: 'Uploaded by the sender for this session; body may then be empty.' })
  attachmentIds?: string[] | null;
}

@InputType()
export class CreateAgentInput {
  @Field(() => String)
  name!: string;
  @Field(() => String)
  email!: string;
  @Field(() => String, { description: 'At least 8 characters.' })
  password!: string;
  @Field(() => [String], { nullable: true })
  skills?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'Default 3.' })
  maxConcurrentChats?: number | null;
  @Field(() => AgentRole, { nullable: true, description: 'Default AGENT.' })
  role?: AgentRole | null;
}

@InputType()
export class UpdateAgentInput {
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => AgentStatus, { nullable: true })
  status?: AgentStatus | null;
  @Field(() => [String], { nullable: true })
  skills?: string[] | null;
  @Field(() => Int, { nullable: true })
  maxConcurrentChats?: number | null;
  @Field(() => AgentRole, { nullable: true, description: 'Supervisors only; a supervisor cannot demote itself if it is the last active one.' })
  role?: AgentRole | null;
  @Field(() => Boolean, { nullable: true, description: 'Supervisors only: false deactivates (see team.md), true reactivates.' })
  active?: boolean | null;
  @Field(() => String, { nullable: true })
  email?: string | null;
}

@ObjectType()
export class CustomerErasure {
  @Field(() => ID)
  customerId!: string;
  @Field(() => Int)
  sessionsErased!: number;
  @Field(() => Int)
  messagesErased!: number;
  @Field(() => Int)
  filesDeleted!: number;
}
