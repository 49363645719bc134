import { z } from 'zod';

/**
 * The REST API's shapes, one schema each (zod), used three ways so that they cannot drift: to
 * validate requests (bodies and query strings: unknown fields refused), to select the GraphQL
 * fields a response carries (`selection`: the response is exactly these fields, read through the
 * same resolvers as GraphQL), and to write the OpenAPI 3.1 document (`openapi.ts`, via zod's own
 * JSON Schema output). Field names are the GraphQL types' (partners.md: "REST").
 */
export const models = z.registry<{ id: string }>();
export const bodies = z.registry<{ id: string }>();

const dateTime = () => z.iso.datetime().describe('ISO-8601, UTC, e.g. 2026-11-21T09:30:00.000Z.');
const id = () => z.string().describe('A UUID.');
const int = () => z.number().int();

export const AgentStatus = z.enum(['ONLINE', 'AWAY', 'OFFLINE']).register(models, { id: 'AgentStatus' });
export const AgentRole = z.enum(['AGENT', 'SUPERVISOR']).register(models, { id: 'AgentRole' });
export const SessionStatus = z.enum(['QUEUED', 'ACTIVE', 'CLOSED']).register(models, { id: 'SessionStatus' });
export const Author = z.enum(['VISITOR', 'AGENT', 'SYSTEM']).register(models, { id: 'Author' });

export const Agent = z
  .object({
    id: id(),
    name: z.string(),
    email: z.string().nullable().describe('Null unless the caller is an agent or a key.'),
    role: AgentRole,
    status: AgentStatus,
    online: z.boolean().describe('True while the agent has at least one live console connection.'),
    skills: z.array(z.string()),
    maxConcurrentChats: int(),
    activeChats: int().describe('Sessions now ACTIVE with this agent.'),
    lastSeenAt: dateTime().nullable(),
  })
  .register(models, { id: 'Agent' });

export const Customer = z
  .object({
    id: id(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    externalId: z.string().nullable().describe("The embedding site's own id for this person."),
    verified: z.boolean().describe('True when externalId came with a valid identity hash.'),
    createdAt: dateTime(),
  })
  .register(models, { id: 'Customer' });

export const Message = z
  .object({
    id: id(),
    sessionId: id(),
    seq: int().describe('Position in its session: 1, 2, 3 … with no gaps.'),
    author: Author,
    authorName: z.string().nullable(),
    body: z.string(),
    clientMessageId: z.string().nullable(),
    createdAt: dateTime(),
  })
  .register(models, { id: 'Message' });

export const ChatSession = z
  .object({
    id: id(),
    status: SessionStatus,
    customer: Customer,
    agent: Agent.nullable().describe('Null while QUEUED.'),
    skill: z.string().nullable(),
    queuePosition: int().nullable().describe('1-based place while QUEUED in its skill line; null otherwise.'),
    createdAt: dateTime(),
    assignedAt: dateTime().nullable(),
    firstResponseAt: dateTime().nullable(),
    closedAt: dateTime().nullable(),
    lastSeq: int(),
    visitorReadSeq: int(),
    agentReadSeq: int(),
    rating: int().nullable(),
    ratingComment: z.string().nullable(),
  })
  .register(models, { id: 'ChatSession' });

export const AgentMetrics = z
  .object({
    agentId: id().nullable().describe('Null for the whole team.'),
    from: dateTime(),
    to: dateTime(),
    chatsAssigned: int(),
    chatsClosed: int(),
    resolutionRate: z.number().nullable(),
    avgFirstResponseSeconds: z.number().nullable(),
    avgResponseSeconds: z.number().nullable(),
    avgRating: z.number().nullable(),
    messagesSent: int(),
  })
  .register(models, { id: 'AgentMetrics' });

/** RFC 9457 problem details, with the contract's code. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: int(),
    detail: z.string(),
    code: z.enum(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR']),
    field: z.string().optional().describe('BAD_USER_INPUT: the field at fault.'),
    retryAfterSeconds: int().optional().describe('RATE_LIMITED: also the Retry-After header.'),
    retryable: z.boolean().optional().describe('True when the same request may be sent again.'),
  })
  .register(models, { id: 'Problem' });

// Responses.
export const ChatResponse = z.object({ chat: ChatSession }).register(models, { id: 'ChatResponse' });
export const StartChatResponse = z
  .object({ chat: ChatSession, visitorToken: z.string().describe('Bearer token for this customer.') })
  .register(models, { id: 'StartChatResponse' });
export const TranscriptResponse = z
  .object({ chat: ChatSession, messages: z.array(Message), hasMore: z.boolean() })
  .register(models, { id: 'TranscriptResponse' });
export const MessageResponse = z.object({ message: Message }).register(models, { id: 'MessageResponse' });
export const ChatListResponse = z
  .object({ chats: z.array(ChatSession), endCursor: z.string().nullable().describe('Pass as `after` for the next page; null on the last page.') })
  .register(models, { id: 'ChatListResponse' });
export const AgentListResponse = z.object({ agents: z.array(Agent) }).register(models, { id: 'AgentListResponse' });
export const AgentResponse = z.object({ agent: Agent }).register(models, { id: 'AgentResponse' });
export const MetricsResponse = z.object({ metrics: AgentMetrics }).register(models, { id: 'MetricsResponse' });
export const LoginResponse = z.object({ token: z.string().describe('Bearer token for this agent.'), agent: Agent }).register(models, { id: 'LoginResponse' });

// Request bodies: unknown fields refused.
const text = () => z.string();
export const StartChatBody = z
  .strictObject({
    name: text().nullish(),
    email: text().nullish(),
    skill: text().nullish().describe('Route only to agents that have this skill.'),
    message: text().nullish().describe('Optional first message, stored as seq 1.'),
    clientMessageId: text().nullish(),
    externalId: text().nullish(),
    identityHash: text().nullish().describe('Hex HMAC-SHA256 of externalId under the identity secret.'),
  })
  .register(bodies, { id: 'StartChatBody' });
export const SendMessageBody = z
  .strictObject({
    body: text().describe('1 to 4000 characters after trimming.'),
    clientMessageId: text().nullish().describe('Idempotency key (or the Idempotency-Key header).'),
  })
  .register(bodies, { id: 'SendMessageBody' });
export const SeedMessageBody = z
  .strictObject({ chatSessionId: id(), message: text(), clientMessageId: text().nullish() })
  .register(bodies, { id: 'SeedMessageBody' });
export const EmptyBody = z.strictObject({}).register(bodies, { id: 'EmptyBody' });
export const TransferBody = z
  .strictObject({ toAgentId: id().nullish(), skill: text().nullish().describe('Back to the queue for this skill.') })
  .register(bodies, { id: 'TransferBody' });
export const RatingBody = z
  .strictObject({ rating: int().describe('1 to 5.'), comment: text().nullish() })
  .register(bodies, { id: 'RatingBody' });
export const CreateAgentBody = z
  .strictObject({
    name: text(),
    email: text(),
    password: text().describe('At least 8 characters.'),
    skills: z.array(text()).nullish(),
    maxConcurrentChats: int().nullish().describe('Default 3.'),
    role: AgentRole.nullish().describe('Default AGENT.'),
  })
  .register(bodies, { id: 'CreateAgentBody' });
export const UpdateAgentBody = z
  .strictObject({ name: text().nullish(), status: AgentStatus.nullish(), skills: z.array(text()).nullish(), maxConcurrentChats: int().nullish() })
  .register(bodies, { id: 'UpdateAgentBody' });
export const LoginBody = z.strictObject({ email: text(), password: text() }).register(bodies, { id: 'LoginBody' });

// Query strings (strings on the wire, coerced).
const queryInt = () => z.coerce.number().int();
export const TranscriptQuery = z.strictObject({
  afterSeq: queryInt().optional().describe('The messages after it, oldest first.'),
  beforeSeq: queryInt().optional().describe('The newest `limit` messages before it.'),
  limit: queryInt().optional().describe('1 to 200, default 50.'),
});
export const ChatListQuery = z.strictObject({
  status: SessionStatus.optional(),
  first: queryInt().optional().describe('1 to 200, default 20.'),
  after: z.string().optional().describe('The endCursor of the previous page.'),
});
export const AgentListQuery = z.strictObject({ status: AgentStatus.optional() });
export const MetricsQuery = z.strictObject({
  agentId: id().optional().describe('Omit for the whole team (supervisors and keys).'),
  from: dateTime().optional(),
  to: dateTime().optional(),
});
export const NoQuery = z.strictObject({});

/**
 * The GraphQL selection of a response model: every field of the schema, nested objects
 * expanded. `{chat: ChatSession}` → `chat { id status customer { id … } … }`.
 */
export function selection(schema: z.ZodType): string {
  const object = unwrap(schema);
  if (!(object instanceof z.ZodObject)) return '';
  return Object.entries(object.shape as Record<string, z.ZodType>)
    .map(([key, field]) => {
      const inner = selection(field);
      return inner ? `${key} { ${inner} }` : key;
    })
    .join(' ');
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodNullable || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return s;
  }
}
