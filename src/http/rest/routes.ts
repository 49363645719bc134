import { z } from 'zod';
import type { Context } from '../../context';
import { BadInputError, NotFoundError } from '../../errors';
import * as s from './schemas';

/** What a handler gets: the request's context (its viewer), its path parameters, its validated query and body. */
export interface Call<Q, B> {
  ctx: Context;
  params: Record<string, string>;
  query: Q;
  body: B;
  header(name: string): string | undefined;
  /** Runs a GraphQL operation on the schema, with this context: the resolvers, services and policy GraphQL runs. */
  graphql<T = Record<string, unknown>>(source: string, variables?: Record<string, unknown>): Promise<T>;
}

export interface Route<Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'put';
  /** OpenAPI form: `/chats/{id}`, under /api/v1. */
  path: string;
  /** The second seed's paths for the same operation (partners.md). */
  aliases?: string[];
  operationId: string;
  summary: string;
  description: string;
  tag: 'Chats' | 'Agents' | 'Metrics' | 'Auth' | 'Meta';
  /** Who may call it without a token (documentation; the policy decides). */
  anonymous?: boolean;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  bodyRequired?: boolean;
  /**
   * `Idempotency-Key`: `message`, the message's clientMessageId (kept with it in Postgres);
   * `stored`, the first answer kept for retries (idempotency.ts).
   */
  idempotency?: 'message' | 'stored';
  success: {
    status: number;
    schema: z.ZodType;
    description: string;
    alsoStatus?: { status: number; description: string };
    /** Default application/json; another type (text/csv for exports) is sent as the handler's string. */
    mediaType?: string;
  };
  handle(call: Call<Q, B>): Promise<{ status?: number; body: unknown }>;
}

/** Declares a route with its types inferred from its schemas. */
const route = <Q, B>(r: Route<Q, B>): Route => r as unknown as Route;

const CHAT = s.selection(s.ChatSession);
const AGENT = s.selection(s.Agent);
const MESSAGE = s.selection(s.Message);
const METRICS = s.selection(s.AgentMetrics);

type Chat = Record<string, unknown>;

/** A mutation on one session (`sessionId: $id` and these arguments, from the body) that answers `{chat}`. */
const onChat =
  (field: string, variables = '', args = '') =>
  async ({ graphql, params, body }: Call<unknown, Record<string, unknown> | undefined>) => {
    const data = await graphql<Record<string, Chat>>(`mutation($id: ID!${variables}) { ${field}(sessionId: $id${args}) { ${CHAT} } }`, { id: params.id, ...body });
    return { body: { chat: data[field] } };
  };

/** `sendMessage` through the service the resolver calls: 201 stored now, 200 the first one of its key. */
async function send(call: Call<unknown, unknown>, sessionId: string, body: string, clientMessageId: string | null | undefined) {
  const header = call.header('idempotency-key');
  if (header !== undefined && clientMessageId != null && clientMessageId !== header) {
    throw new BadInputError('Idempotency-Key and clientMessageId differ: send one of them.', 'clientMessageId');
  }
  const { ctx } = call;
  const { message, created } = await ctx.app.messages.sendOrReplay(ctx.app.orm.em as Context['em'], ctx.viewer, { sessionId, body, clientMessageId: header ?? clientMessageId });
  const shown = Object.fromEntries(Object.keys(s.Message.shape).map((k) => [k, message[k as keyof typeof message]]));
  return { status: created ? 201 : 200, body: { message: shown } };
}

const sent = { status: 201, schema: s.MessageResponse, description: 'Stored.', alsoStatus: { status: 200, description: 'A retry: the first message with this key, nothing new stored.' } };

/** Every route of partners.md's REST table. The team's exports join here (`/exports/*.csv`). */
export const routes: Route[] = [
  route({
    method: 'post',
    path: '/chats',
    aliases: ['/chat_sessions'],
    operationId: 'startChat',
    summary: 'Open a chat',
    description: 'As `startChat`: anonymous, with a visitor token (the same customer) or a CHATS_WRITE key. Routed at once, else QUEUED.',
    tag: 'Chats',
    anonymous: true,
    body: s.StartChatBody,
    idempotency: 'stored',
    success: { status: 201, schema: s.StartChatResponse, description: 'The new session and the visitor token.' },
    async handle({ graphql, body }) {
      const data = await graphql<{ startChat: { session: Chat; visitorToken: string } }>(
        `mutation($input: StartChatInput!) { startChat(input: $input) { session { ${CHAT} } visitorToken } }`,
        { input: body ?? {} },
      );
      return { status: 201, body: { chat: data.startChat.session, visitorToken: data.startChat.visitorToken } };
    },
  }),
  route({
    method: 'get',
    path: '/chats',
    operationId: 'listChats',
    summary: 'List sessions',
    description: 'As `sessions`: an agent its own, supervisors and CHATS_READ keys every one; newest first, cursor paged.',
    tag: 'Chats',
    query: s.ChatListQuery,
    success: { status: 200, schema: s.ChatListResponse, description: 'A page of sessions.' },
    async handle({ graphql, query }) {
      const data = await graphql<{ sessions: { sessions: Chat[]; endCursor: string | null } }>(
        `query($status: SessionStatus, $first: Int, $after: String) { sessions(status: $status, first: $first, after: $after) { sessions { ${CHAT} } endCursor } }`,
        query,
      );
      return { body: { chats: data.sessions.sessions, endCursor: data.sessions.endCursor } };
    },
  }),
  route({
    method: 'get',
    path: '/chats/{id}',
    aliases: ['/chat_sessions/{id}'],
    operationId: 'getChat',
    summary: 'A session and a page of its transcript',
    description: 'As `session(id)` with `messages(afterSeq, beforeSeq, limit)`. A session the caller may not see is 404.',
    tag: 'Chats',
    query: s.TranscriptQuery,
    success: { status: 200, schema: s.TranscriptResponse, description: 'The session and the page.' },
    async handle({ graphql, params, query }) {
      const data = await graphql<{ session: (Chat & { messages: { messages: unknown[]; hasMore: boolean } }) | null }>(
        `query($id: ID!, $afterSeq: Int, $beforeSeq: Int, $limit: Int) { session(id: $id) { ${CHAT}
           messages(afterSeq: $afterSeq, beforeSeq: $beforeSeq, limit: $limit) { messages { ${MESSAGE} } hasMore } } }`,
        { id: params.id, ...query },
      );
      if (!data.session) throw new NotFoundError();
      const { messages, ...chat } = data.session;
      return { body: { chat, messages: messages.messages, hasMore: messages.hasMore } };
    },
  }),
  route({
    method: 'post',
    path: '/chats/{id}/messages',
    operationId: 'sendMessage',
    summary: 'Send a message',
    description: "As `sendMessage`: the session's customer or agent, or a CHATS_WRITE key (stored as SYSTEM, named after the key).",
    tag: 'Chats',
    body: s.SendMessageBody,
    bodyRequired: true,
    idempotency: 'message',
    success: sent,
    handle: (call) => send(call, call.params.id, call.body.body, call.body.clientMessageId),
  }),
  route({
    method: 'post',
    path: '/messages',
    operationId: 'sendSeedMessage',
    summary: 'Send a message (the second seed’s shape)',
    description: 'The same as POST /chats/{id}/messages, with the session in the body.',
    tag: 'Chats',
    body: s.SeedMessageBody,
    bodyRequired: true,
    idempotency: 'message',
    success: sent,
    handle: (call) => send(call, call.body.chatSessionId, call.body.message, call.body.clientMessageId),
  }),
  route({
    method: 'post',
    path: '/chats/{id}/close',
    operationId: 'closeChat',
    summary: 'Close a session',
    description: 'As `closeChat`: its customer, its agent, a supervisor or a CHATS_WRITE key. Closing a closed chat changes nothing.',
    tag: 'Chats',
    body: s.EmptyBody,
    success: { status: 200, schema: s.ChatResponse, description: 'The session, CLOSED.' },
    handle: onChat('closeChat'),
  }),
  route({
    method: 'post',
    path: '/chats/{id}/transfer',
    operationId: 'transferChat',
    summary: 'Transfer a session',
    description: 'As `transferChat`: to a named agent, or back to the queue (for a skill).',
    tag: 'Chats',
    body: s.TransferBody,
    idempotency: 'stored',
    success: { status: 200, schema: s.ChatResponse, description: 'The session as it now is.' },
    handle: onChat('transferChat', ', $toAgentId: ID, $skill: String', ', toAgentId: $toAgentId, skill: $skill'),
  }),
  route({
    method: 'post',
    path: '/chats/{id}/rating',
    operationId: 'rateChat',
    summary: 'Rate a closed session',
    description: 'As `rateChat`: its customer, once CLOSED; rating 1 to 5.',
    tag: 'Chats',
    body: s.RatingBody,
    bodyRequired: true,
    success: { status: 200, schema: s.ChatResponse, description: 'The rated session.' },
    handle: onChat('rateChat', ', $rating: Int!, $comment: String', ', rating: $rating, comment: $comment'),
  }),
  route({
    method: 'get',
    path: '/agents',
    operationId: 'listAgents',
    summary: 'The team',
    description: 'As `agents`: agents, and AGENTS_READ keys (emails included).',
    tag: 'Agents',
    query: s.AgentListQuery,
    success: { status: 200, schema: s.AgentListResponse, description: 'Every agent (of that status).' },
    async handle({ graphql, query }) {
      return { body: { agents: (await graphql<{ agents: unknown[] }>(`query($status: AgentStatus) { agents(status: $status) { ${AGENT} } }`, query)).agents } };
    },
  }),
  route({
    method: 'post',
    path: '/agents',
    operationId: 'createAgent',
    summary: 'Create an agent',
    description: 'As `createAgent`: supervisors and AGENTS_WRITE keys. A new agent starts OFFLINE.',
    tag: 'Agents',
    body: s.CreateAgentBody,
    bodyRequired: true,
    idempotency: 'stored',
    success: { status: 201, schema: s.AgentResponse, description: 'The new agent.' },
    async handle({ graphql, body }) {
      const data = await graphql<{ createAgent: unknown }>(`mutation($input: CreateAgentInput!) { createAgent(input: $input) { ${AGENT} } }`, { input: body });
      return { status: 201, body: { agent: data.createAgent } };
    },
  }),
  route({
    method: 'put',
    path: '/agents/{id}',
    operationId: 'updateAgent',
    summary: "Update an agent's availability, skills and capacity",
    description: 'As `updateAgent`: the agent itself, a supervisor or an AGENTS_WRITE key. Only the fields sent change.',
    tag: 'Agents',
    body: s.UpdateAgentBody,
    bodyRequired: true,
    success: { status: 200, schema: s.AgentResponse, description: 'The agent as it now is.' },
    async handle({ graphql, params, body }) {
      const data = await graphql<{ updateAgent: unknown }>(`mutation($id: ID!, $input: UpdateAgentInput!) { updateAgent(id: $id, input: $input) { ${AGENT} } }`, {
        id: params.id,
        input: body,
      });
      return { body: { agent: data.updateAgent } };
    },
  }),
  route({
    method: 'get',
    path: '/metrics/agents',
    operationId: 'agentMetrics',
    summary: 'Agent metrics',
    description: "As `agentMetrics`: agents their own; supervisors and METRICS_READ keys anyone's or the team's. Default window: the last 7 days.",
    tag: 'Metrics',
    query: s.MetricsQuery,
    success: { status: 200, schema: s.MetricsResponse, description: 'The metrics of the window.' },
    async handle({ graphql, query }) {
      const data = await graphql<{ agentMetrics: unknown }>(`query($agentId: ID, $from: DateTime, $to: DateTime) { agentMetrics(agentId: $agentId, from: $from, to: $to) { ${METRICS} } }`, query);
      return { body: { metrics: data.agentMetrics } };
    },
  }),
  route({
    method: 'post',
    path: '/auth/login',
    operationId: 'login',
    summary: 'Sign in as an agent',
    description: 'As `login`: a bearer token for the agent (default lifetime 12 h).',
    tag: 'Auth',
    anonymous: true,
    body: s.LoginBody,
    bodyRequired: true,
    success: { status: 200, schema: s.LoginResponse, description: 'The token and the agent.' },
    async handle({ graphql, body }) {
      const data = await graphql<{ login: unknown }>(`mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token agent { ${AGENT} } } }`, body);
      return { body: data.login };
    },
  }),
];

