/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AgentRole =
  | 'AGENT'
  | 'SUPERVISOR';

export type AgentStatus =
  | 'AWAY'
  | 'OFFLINE'
  | 'ONLINE';

export type Author =
  | 'AGENT'
  | 'SYSTEM'
  | 'VISITOR';

export type CreateAgentInput = {
  email: string;
  /** Default 3. */
  maxConcurrentChats?: number | null | undefined;
  name: string;
  /** At least 8 characters. */
  password: string;
  /** Default AGENT. */
  role?: AgentRole | null | undefined;
  skills?: Array<string> | null | undefined;
};

export type SendMessageInput = {
  /** 1 to 4000 characters after trimming. */
  body: string;
  /** Idempotency key: a retry with the same key in the same session returns the first message and stores nothing new. */
  clientMessageId?: string | null | undefined;
  sessionId: string | number;
};

export type SessionStatus =
  /** Assigned to an agent. */
  | 'ACTIVE'
  | 'CLOSED'
  /** Waiting for an agent with the requested skill to be free. */
  | 'QUEUED';

export type UpdateAgentInput = {
  /** Supervisors only: false deactivates (see team.md), true reactivates. */
  active?: boolean | null | undefined;
  email?: string | null | undefined;
  maxConcurrentChats?: number | null | undefined;
  name?: string | null | undefined;
  /** Supervisors only; a supervisor cannot demote itself if it is the last active one. */
  role?: AgentRole | null | undefined;
  skills?: Array<string> | null | undefined;
  status?: AgentStatus | null | undefined;
};

export type ConsoleAgentFragment = { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null };

export type ConsoleSessionFragment = { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null };

export type ConsoleMessageFragment = { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string };

export type ConsoleMetricsFragment = { agentId: string | null, from: string, to: string, chatsAssigned: number, chatsClosed: number, resolutionRate: number | null, avgFirstResponseSeconds: number | null, avgResponseSeconds: number | null, avgRating: number | null, messagesSent: number, chatsAbandoned: number | null };

export type ConsoleLoginMutationVariables = Exact<{
  email: string;
  password: string;
}>;


export type ConsoleLoginMutation = { login: { token: string, agent: { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } } };

export type ConsoleMeQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleMeQuery = { me: { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } | null };

export type ConsoleAgentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAgentsQuery = { agents: Array<{ id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null }> };

export type ConsoleSetStatusMutationVariables = Exact<{
  status: AgentStatus;
}>;


export type ConsoleSetStatusMutation = { setStatus: { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } };

export type ConsoleSessionsQueryVariables = Exact<{
  status?: SessionStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleSessionsQuery = { sessions: { endCursor: string | null, sessions: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> } };

export type ConsoleQueueQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleQueueQuery = { queue: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> };

export type ConsoleMetricsQueryVariables = Exact<{
  agentId?: string | number | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type ConsoleMetricsQuery = { agentMetrics: { agentId: string | null, from: string, to: string, chatsAssigned: number, chatsClosed: number, resolutionRate: number | null, avgFirstResponseSeconds: number | null, avgResponseSeconds: number | null, avgRating: number | null, messagesSent: number, chatsAbandoned: number | null } };

export type ConsoleSendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type ConsoleSendMessageMutation = { sendMessage: { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string } };

export type ConsoleSetTypingMutationVariables = Exact<{
  sessionId: string | number;
  typing: boolean;
}>;


export type ConsoleSetTypingMutation = { setTyping: boolean };

export type ConsoleMarkReadMutationVariables = Exact<{
  sessionId: string | number;
  seq: number;
}>;


export type ConsoleMarkReadMutation = { markRead: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleCloseChatMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleCloseChatMutation = { closeChat: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleTransferChatMutationVariables = Exact<{
  sessionId: string | number;
  toAgentId?: string | number | null | undefined;
  skill?: string | null | undefined;
}>;


export type ConsoleTransferChatMutation = { transferChat: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleSessionAssignedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleSessionAssignedSubscription = { sessionAssigned: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleQueueUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleQueueUpdatedSubscription = { queueUpdated: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> };

export type ConsoleAgentUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAgentUpdatedSubscription = { agentUpdated: { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } };

export type ConsoleSessionUpdatedSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleSessionUpdatedSubscription = { sessionUpdated: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleMessageAddedSubscriptionVariables = Exact<{
  sessionId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type ConsoleMessageAddedSubscription = { messageAdded: { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string } };

export type ConsoleTypingSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleTypingSubscription = { typing: { sessionId: string, author: Author, name: string | null, typing: boolean } };

export type ConsoleAllAgentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAllAgentsQuery = { allAgents: Array<{ active: boolean, id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null }> };

export type ConsoleCreateAgentMutationVariables = Exact<{
  input: CreateAgentInput;
}>;


export type ConsoleCreateAgentMutation = { createAgent: { active: boolean, id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } };

export type ConsoleManageAgentMutationVariables = Exact<{
  id: string | number;
  input: UpdateAgentInput;
}>;


export type ConsoleManageAgentMutation = { updateAgent: { active: boolean, id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } };

export type ConsoleResetPasswordMutationVariables = Exact<{
  id: string | number;
  newPassword: string;
}>;


export type ConsoleResetPasswordMutation = { resetAgentPassword: { id: string } };

export type ConsoleChangePasswordMutationVariables = Exact<{
  currentPassword: string;
  newPassword: string;
}>;


export type ConsoleChangePasswordMutation = { changePassword: boolean };

export type ConsoleTranscriptQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleTranscriptQuery = { session: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, messages: { hasMore: boolean, messages: Array<{ id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string }> }, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ConsoleAgentFragmentDoc = new TypedDocumentString(`
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}
    `, {"fragmentName":"ConsoleAgent"}) as unknown as TypedDocumentString<ConsoleAgentFragment, unknown>;
export const ConsoleSessionFragmentDoc = new TypedDocumentString(`
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}
    `, {"fragmentName":"ConsoleSession"}) as unknown as TypedDocumentString<ConsoleSessionFragment, unknown>;
export const ConsoleMessageFragmentDoc = new TypedDocumentString(`
    fragment ConsoleMessage on Message {
  id
  sessionId
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
}
    `, {"fragmentName":"ConsoleMessage"}) as unknown as TypedDocumentString<ConsoleMessageFragment, unknown>;
export const ConsoleMetricsFragmentDoc = new TypedDocumentString(`
    fragment ConsoleMetrics on AgentMetrics {
  agentId
  from
  to
  chatsAssigned
  chatsClosed
  resolutionRate
  avgFirstResponseSeconds
  avgResponseSeconds
  avgRating
  messagesSent
  chatsAbandoned
}
    `, {"fragmentName":"ConsoleMetrics"}) as unknown as TypedDocumentString<ConsoleMetricsFragment, unknown>;
export const ConsoleLoginDocument = new TypedDocumentString(`
    mutation ConsoleLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    agent {
      ...ConsoleAgent
    }
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleLoginMutation, ConsoleLoginMutationVariables>;
export const ConsoleMeDocument = new TypedDocumentString(`
    query ConsoleMe {
  me {
    ...ConsoleAgent
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleMeQuery, ConsoleMeQueryVariables>;
export const ConsoleAgentsDocument = new TypedDocumentString(`
    query ConsoleAgents {
  agents {
    ...ConsoleAgent
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleAgentsQuery, ConsoleAgentsQueryVariables>;
export const ConsoleSetStatusDocument = new TypedDocumentString(`
    mutation ConsoleSetStatus($status: AgentStatus!) {
  setStatus(status: $status) {
    ...ConsoleAgent
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleSetStatusMutation, ConsoleSetStatusMutationVariables>;
export const ConsoleSessionsDocument = new TypedDocumentString(`
    query ConsoleSessions($status: SessionStatus, $first: Int, $after: String) {
  sessions(status: $status, first: $first, after: $after) {
    endCursor
    sessions {
      ...ConsoleSession
    }
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleSessionsQuery, ConsoleSessionsQueryVariables>;
export const ConsoleQueueDocument = new TypedDocumentString(`
    query ConsoleQueue {
  queue {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleQueueQuery, ConsoleQueueQueryVariables>;
export const ConsoleMetricsDocument = new TypedDocumentString(`
    query ConsoleMetrics($agentId: ID, $from: DateTime, $to: DateTime) {
  agentMetrics(agentId: $agentId, from: $from, to: $to) {
    ...ConsoleMetrics
  }
}
    fragment ConsoleMetrics on AgentMetrics {
  agentId
  from
  to
  chatsAssigned
  chatsClosed
  resolutionRate
  avgFirstResponseSeconds
  avgResponseSeconds
  avgRating
  messagesSent
  chatsAbandoned
}`) as unknown as TypedDocumentString<ConsoleMetricsQuery, ConsoleMetricsQueryVariables>;
export const ConsoleSendMessageDocument = new TypedDocumentString(`
    mutation ConsoleSendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    ...ConsoleMessage
  }
}
    fragment ConsoleMessage on Message {
  id
  sessionId
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
}`) as unknown as TypedDocumentString<ConsoleSendMessageMutation, ConsoleSendMessageMutationVariables>;
export const ConsoleSetTypingDocument = new TypedDocumentString(`
    mutation ConsoleSetTyping($sessionId: ID!, $typing: Boolean!) {
  setTyping(sessionId: $sessionId, typing: $typing)
}
    `) as unknown as TypedDocumentString<ConsoleSetTypingMutation, ConsoleSetTypingMutationVariables>;
export const ConsoleMarkReadDocument = new TypedDocumentString(`
    mutation ConsoleMarkRead($sessionId: ID!, $seq: Int!) {
  markRead(sessionId: $sessionId, seq: $seq) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleMarkReadMutation, ConsoleMarkReadMutationVariables>;
export const ConsoleCloseChatDocument = new TypedDocumentString(`
    mutation ConsoleCloseChat($sessionId: ID!) {
  closeChat(sessionId: $sessionId) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleCloseChatMutation, ConsoleCloseChatMutationVariables>;
export const ConsoleTransferChatDocument = new TypedDocumentString(`
    mutation ConsoleTransferChat($sessionId: ID!, $toAgentId: ID, $skill: String) {
  transferChat(sessionId: $sessionId, toAgentId: $toAgentId, skill: $skill) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleTransferChatMutation, ConsoleTransferChatMutationVariables>;
export const ConsoleSessionAssignedDocument = new TypedDocumentString(`
    subscription ConsoleSessionAssigned {
  sessionAssigned {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleSessionAssignedSubscription, ConsoleSessionAssignedSubscriptionVariables>;
export const ConsoleQueueUpdatedDocument = new TypedDocumentString(`
    subscription ConsoleQueueUpdated {
  queueUpdated {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleQueueUpdatedSubscription, ConsoleQueueUpdatedSubscriptionVariables>;
export const ConsoleAgentUpdatedDocument = new TypedDocumentString(`
    subscription ConsoleAgentUpdated {
  agentUpdated {
    ...ConsoleAgent
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleAgentUpdatedSubscription, ConsoleAgentUpdatedSubscriptionVariables>;
export const ConsoleSessionUpdatedDocument = new TypedDocumentString(`
    subscription ConsoleSessionUpdated($sessionId: ID!) {
  sessionUpdated(sessionId: $sessionId) {
    ...ConsoleSession
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<ConsoleSessionUpdatedSubscription, ConsoleSessionUpdatedSubscriptionVariables>;
export const ConsoleMessageAddedDocument = new TypedDocumentString(`
    subscription ConsoleMessageAdded($sessionId: ID!, $afterSeq: Int) {
  messageAdded(sessionId: $sessionId, afterSeq: $afterSeq) {
    ...ConsoleMessage
  }
}
    fragment ConsoleMessage on Message {
  id
  sessionId
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
}`) as unknown as TypedDocumentString<ConsoleMessageAddedSubscription, ConsoleMessageAddedSubscriptionVariables>;
export const ConsoleTypingDocument = new TypedDocumentString(`
    subscription ConsoleTyping($sessionId: ID!) {
  typing(sessionId: $sessionId) {
    sessionId
    author
    name
    typing
  }
}
    `) as unknown as TypedDocumentString<ConsoleTypingSubscription, ConsoleTypingSubscriptionVariables>;
export const ConsoleAllAgentsDocument = new TypedDocumentString(`
    query ConsoleAllAgents {
  allAgents {
    ...ConsoleAgent
    active
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleAllAgentsQuery, ConsoleAllAgentsQueryVariables>;
export const ConsoleCreateAgentDocument = new TypedDocumentString(`
    mutation ConsoleCreateAgent($input: CreateAgentInput!) {
  createAgent(input: $input) {
    ...ConsoleAgent
    active
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleCreateAgentMutation, ConsoleCreateAgentMutationVariables>;
export const ConsoleManageAgentDocument = new TypedDocumentString(`
    mutation ConsoleManageAgent($id: ID!, $input: UpdateAgentInput!) {
  updateAgent(id: $id, input: $input) {
    ...ConsoleAgent
    active
  }
}
    fragment ConsoleAgent on Agent {
  id
  name
  email
  role
  status
  online
  skills
  maxConcurrentChats
  activeChats
  lastSeenAt
}`) as unknown as TypedDocumentString<ConsoleManageAgentMutation, ConsoleManageAgentMutationVariables>;
export const ConsoleResetPasswordDocument = new TypedDocumentString(`
    mutation ConsoleResetPassword($id: ID!, $newPassword: String!) {
  resetAgentPassword(id: $id, newPassword: $newPassword) {
    id
  }
}
    `) as unknown as TypedDocumentString<ConsoleResetPasswordMutation, ConsoleResetPasswordMutationVariables>;
export const ConsoleChangePasswordDocument = new TypedDocumentString(`
    mutation ConsoleChangePassword($currentPassword: String!, $newPassword: String!) {
  changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
}
    `) as unknown as TypedDocumentString<ConsoleChangePasswordMutation, ConsoleChangePasswordMutationVariables>;
export const ConsoleTranscriptDocument = new TypedDocumentString(`
    query ConsoleTranscript($id: ID!) {
  session(id: $id) {
    ...ConsoleSession
    messages(afterSeq: 0, limit: 200) {
      hasMore
      messages {
        ...ConsoleMessage
      }
    }
  }
}
    fragment ConsoleSession on ChatSession {
  id
  status
  skill
  createdAt
  assignedAt
  closedAt
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  queuedAt
  rating
  ratingComment
  customer {
    id
    name
    email
    verified
  }
  agent {
    id
    name
  }
}
fragment ConsoleMessage on Message {
  id
  sessionId
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
}`) as unknown as TypedDocumentString<ConsoleTranscriptQuery, ConsoleTranscriptQueryVariables>;