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

export type CannedResponseInput = {
  body: string;
  /** true: the caller's own; false: the team's (supervisors only). */
  personal: boolean;
  shortcut: string;
  title: string;
};

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
  /** Uploaded by the sender for this session; body may then be empty. */
  attachmentIds?: Array<string | number> | null | undefined;
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

export type ConsoleSessionFragment = { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null };

export type ConsoleMessageFragment = { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, size: number, width: number | null, height: number | null, url: string }> };

export type ConsoleAttachmentFragment = { id: string, name: string, contentType: string, size: number, width: number | null, height: number | null, url: string };

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
  agentId?: string | number | null | undefined;
  tag?: string | null | undefined;
  search?: string | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ConsoleSessionsQuery = { sessions: { endCursor: string | null, sessions: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> } };

export type ConsoleQueueQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleQueueQuery = { queue: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> };

export type ConsoleMetricsQueryVariables = Exact<{
  agentId?: string | number | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type ConsoleMetricsQuery = { agentMetrics: { agentId: string | null, from: string, to: string, chatsAssigned: number, chatsClosed: number, resolutionRate: number | null, avgFirstResponseSeconds: number | null, avgResponseSeconds: number | null, avgRating: number | null, messagesSent: number, chatsAbandoned: number | null } };

export type ConsoleSendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type ConsoleSendMessageMutation = { sendMessage: { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, size: number, width: number | null, height: number | null, url: string }> } };

export type ConsoleSetTypingMutationVariables = Exact<{
  sessionId: string | number;
  typing: boolean;
  draft?: string | null | undefined;
}>;


export type ConsoleSetTypingMutation = { setTyping: boolean };

export type ConsoleMarkReadMutationVariables = Exact<{
  sessionId: string | number;
  seq: number;
}>;


export type ConsoleMarkReadMutation = { markRead: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleCloseChatMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleCloseChatMutation = { closeChat: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleTransferChatMutationVariables = Exact<{
  sessionId: string | number;
  toAgentId?: string | number | null | undefined;
  skill?: string | null | undefined;
}>;


export type ConsoleTransferChatMutation = { transferChat: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleSessionAssignedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleSessionAssignedSubscription = { sessionAssigned: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleQueueUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleQueueUpdatedSubscription = { queueUpdated: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> };

export type ConsoleAgentUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type ConsoleAgentUpdatedSubscription = { agentUpdated: { id: string, name: string, email: string | null, role: AgentRole, status: AgentStatus, online: boolean, skills: Array<string>, maxConcurrentChats: number, activeChats: number, lastSeenAt: string | null } };

export type ConsoleSessionUpdatedSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleSessionUpdatedSubscription = { sessionUpdated: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleMessageAddedSubscriptionVariables = Exact<{
  sessionId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type ConsoleMessageAddedSubscription = { messageAdded: { id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, size: number, width: number | null, height: number | null, url: string }> } };

export type ConsoleTypingSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleTypingSubscription = { typing: { sessionId: string, author: Author, name: string | null, typing: boolean, draft: string | null } };

export type ConsoleNoteFragment = { id: string, sessionId: string, authorName: string, body: string, createdAt: string };

export type ConsoleCannedFragment = { id: string, shortcut: string, title: string, body: string, owner: { id: string } | null };

export type ConsoleDeskQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeskQuery = { session: { id: string, tags: Array<string> | null, visitorContext: { pageUrl: string | null, pageTitle: string | null, referrer: string | null, locale: string | null, timeZone: string | null, userAgent: string | null, updatedAt: string } | null, notes: Array<{ id: string, sessionId: string, authorName: string, body: string, createdAt: string }> | null, events: Array<{ id: string, kind: string, at: string, actorKind: string, data: string, agent: { id: string, name: string } | null }> | null, customer: { id: string, sessions: { sessions: Array<{ id: string, status: SessionStatus, createdAt: string, agent: { id: string, name: string } | null, messages: { messages: Array<{ id: string, author: Author, authorName: string | null, body: string, createdAt: string }> } }> } | null } } | null };

export type ConsoleVisitorContextQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleVisitorContextQuery = { session: { id: string, visitorContext: { pageUrl: string | null, pageTitle: string | null, referrer: string | null, locale: string | null, timeZone: string | null, userAgent: string | null, updatedAt: string } | null } | null };

export type ConsoleAddNoteMutationVariables = Exact<{
  sessionId: string | number;
  body: string;
}>;


export type ConsoleAddNoteMutation = { addNote: { id: string, sessionId: string, authorName: string, body: string, createdAt: string } };

export type ConsoleNoteAddedSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type ConsoleNoteAddedSubscription = { noteAdded: { id: string, sessionId: string, authorName: string, body: string, createdAt: string } };

export type ConsoleTagSessionMutationVariables = Exact<{
  sessionId: string | number;
  tags: Array<string> | string;
}>;


export type ConsoleTagSessionMutation = { tagSession: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } };

export type ConsoleCannedResponsesQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleCannedResponsesQuery = { cannedResponses: Array<{ id: string, shortcut: string, title: string, body: string, owner: { id: string } | null }> };

export type ConsoleCreateCannedMutationVariables = Exact<{
  input: CannedResponseInput;
}>;


export type ConsoleCreateCannedMutation = { createCannedResponse: { id: string, shortcut: string, title: string, body: string, owner: { id: string } | null } };

export type ConsoleDeleteCannedMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleDeleteCannedMutation = { deleteCannedResponse: boolean };

export type ConsoleSearchQueryVariables = Exact<{
  search?: string | null | undefined;
  tag?: string | null | undefined;
  agentId?: string | number | null | undefined;
  from?: string | null | undefined;
  to?: string | null | undefined;
  status?: SessionStatus | null | undefined;
}>;


export type ConsoleSearchQuery = { sessions: { endCursor: string | null, sessions: Array<{ id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null }> } };

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


export type ConsoleTranscriptQuery = { session: { id: string, status: SessionStatus, skill: string | null, createdAt: string, assignedAt: string | null, closedAt: string | null, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, queuedAt: string | null, rating: number | null, ratingComment: string | null, tags: Array<string> | null, messages: { hasMore: boolean, messages: Array<{ id: string, sessionId: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, size: number, width: number | null, height: number | null, url: string }> }> }, customer: { id: string, name: string | null, email: string | null, verified: boolean }, agent: { id: string, name: string } | null } | null };

export type ConsoleTranscriptTrailQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleTranscriptTrailQuery = { session: { id: string, notes: Array<{ id: string, authorName: string, body: string, createdAt: string }> | null, events: Array<{ id: string, kind: string, at: string, actorKind: string, data: string, agent: { id: string, name: string } | null }> | null } | null };

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
  tags
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
export const ConsoleAttachmentFragmentDoc = new TypedDocumentString(`
    fragment ConsoleAttachment on Attachment {
  id
  name
  contentType
  size
  width
  height
  url
}
    `, {"fragmentName":"ConsoleAttachment"}) as unknown as TypedDocumentString<ConsoleAttachmentFragment, unknown>;
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
  attachments {
    ...ConsoleAttachment
  }
}
    fragment ConsoleAttachment on Attachment {
  id
  name
  contentType
  size
  width
  height
  url
}`, {"fragmentName":"ConsoleMessage"}) as unknown as TypedDocumentString<ConsoleMessageFragment, unknown>;
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
export const ConsoleNoteFragmentDoc = new TypedDocumentString(`
    fragment ConsoleNote on Note {
  id
  sessionId
  authorName
  body
  createdAt
}
    `, {"fragmentName":"ConsoleNote"}) as unknown as TypedDocumentString<ConsoleNoteFragment, unknown>;
export const ConsoleCannedFragmentDoc = new TypedDocumentString(`
    fragment ConsoleCanned on CannedResponse {
  id
  shortcut
  title
  body
  owner {
    id
  }
}
    `, {"fragmentName":"ConsoleCanned"}) as unknown as TypedDocumentString<ConsoleCannedFragment, unknown>;
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
    query ConsoleSessions($status: SessionStatus, $agentId: ID, $tag: String, $search: String, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  sessions(
    status: $status
    agentId: $agentId
    tag: $tag
    search: $search
    from: $from
    to: $to
    first: $first
    after: $after
  ) {
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
  tags
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
  tags
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
  attachments {
    ...ConsoleAttachment
  }
}
fragment ConsoleAttachment on Attachment {
  id
  name
  contentType
  size
  width
  height
  url
}`) as unknown as TypedDocumentString<ConsoleSendMessageMutation, ConsoleSendMessageMutationVariables>;
export const ConsoleSetTypingDocument = new TypedDocumentString(`
    mutation ConsoleSetTyping($sessionId: ID!, $typing: Boolean!, $draft: String) {
  setTyping(sessionId: $sessionId, typing: $typing, draft: $draft)
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
  tags
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
  tags
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
  tags
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
  tags
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
  tags
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
  tags
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
  attachments {
    ...ConsoleAttachment
  }
}
fragment ConsoleAttachment on Attachment {
  id
  name
  contentType
  size
  width
  height
  url
}`) as unknown as TypedDocumentString<ConsoleMessageAddedSubscription, ConsoleMessageAddedSubscriptionVariables>;
export const ConsoleTypingDocument = new TypedDocumentString(`
    subscription ConsoleTyping($sessionId: ID!) {
  typing(sessionId: $sessionId) {
    sessionId
    author
    name
    typing
    draft
  }
}
    `) as unknown as TypedDocumentString<ConsoleTypingSubscription, ConsoleTypingSubscriptionVariables>;
export const ConsoleDeskDocument = new TypedDocumentString(`
    query ConsoleDesk($id: ID!) {
  session(id: $id) {
    id
    tags
    visitorContext {
      pageUrl
      pageTitle
      referrer
      locale
      timeZone
      userAgent
      updatedAt
    }
    notes {
      ...ConsoleNote
    }
    events {
      id
      kind
      at
      actorKind
      data
      agent {
        id
        name
      }
    }
    customer {
      id
      sessions(first: 5) {
        sessions {
          id
          status
          createdAt
          agent {
            id
            name
          }
          messages(limit: 10) {
            messages {
              id
              author
              authorName
              body
              createdAt
            }
          }
        }
      }
    }
  }
}
    fragment ConsoleNote on Note {
  id
  sessionId
  authorName
  body
  createdAt
}`) as unknown as TypedDocumentString<ConsoleDeskQuery, ConsoleDeskQueryVariables>;
export const ConsoleVisitorContextDocument = new TypedDocumentString(`
    query ConsoleVisitorContext($id: ID!) {
  session(id: $id) {
    id
    visitorContext {
      pageUrl
      pageTitle
      referrer
      locale
      timeZone
      userAgent
      updatedAt
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleVisitorContextQuery, ConsoleVisitorContextQueryVariables>;
export const ConsoleAddNoteDocument = new TypedDocumentString(`
    mutation ConsoleAddNote($sessionId: ID!, $body: String!) {
  addNote(sessionId: $sessionId, body: $body) {
    ...ConsoleNote
  }
}
    fragment ConsoleNote on Note {
  id
  sessionId
  authorName
  body
  createdAt
}`) as unknown as TypedDocumentString<ConsoleAddNoteMutation, ConsoleAddNoteMutationVariables>;
export const ConsoleNoteAddedDocument = new TypedDocumentString(`
    subscription ConsoleNoteAdded($sessionId: ID!) {
  noteAdded(sessionId: $sessionId) {
    ...ConsoleNote
  }
}
    fragment ConsoleNote on Note {
  id
  sessionId
  authorName
  body
  createdAt
}`) as unknown as TypedDocumentString<ConsoleNoteAddedSubscription, ConsoleNoteAddedSubscriptionVariables>;
export const ConsoleTagSessionDocument = new TypedDocumentString(`
    mutation ConsoleTagSession($sessionId: ID!, $tags: [String!]!) {
  tagSession(sessionId: $sessionId, tags: $tags) {
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
  tags
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
}`) as unknown as TypedDocumentString<ConsoleTagSessionMutation, ConsoleTagSessionMutationVariables>;
export const ConsoleCannedResponsesDocument = new TypedDocumentString(`
    query ConsoleCannedResponses {
  cannedResponses {
    ...ConsoleCanned
  }
}
    fragment ConsoleCanned on CannedResponse {
  id
  shortcut
  title
  body
  owner {
    id
  }
}`) as unknown as TypedDocumentString<ConsoleCannedResponsesQuery, ConsoleCannedResponsesQueryVariables>;
export const ConsoleCreateCannedDocument = new TypedDocumentString(`
    mutation ConsoleCreateCanned($input: CannedResponseInput!) {
  createCannedResponse(input: $input) {
    ...ConsoleCanned
  }
}
    fragment ConsoleCanned on CannedResponse {
  id
  shortcut
  title
  body
  owner {
    id
  }
}`) as unknown as TypedDocumentString<ConsoleCreateCannedMutation, ConsoleCreateCannedMutationVariables>;
export const ConsoleDeleteCannedDocument = new TypedDocumentString(`
    mutation ConsoleDeleteCanned($id: ID!) {
  deleteCannedResponse(id: $id)
}
    `) as unknown as TypedDocumentString<ConsoleDeleteCannedMutation, ConsoleDeleteCannedMutationVariables>;
export const ConsoleSearchDocument = new TypedDocumentString(`
    query ConsoleSearch($search: String, $tag: String, $agentId: ID, $from: DateTime, $to: DateTime, $status: SessionStatus) {
  sessions(
    search: $search
    tag: $tag
    agentId: $agentId
    from: $from
    to: $to
    status: $status
    first: 30
  ) {
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
  tags
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
}`) as unknown as TypedDocumentString<ConsoleSearchQuery, ConsoleSearchQueryVariables>;
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
    messages(afterSeq: 0, limit: 100) {
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
  tags
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
  attachments {
    ...ConsoleAttachment
  }
}
fragment ConsoleAttachment on Attachment {
  id
  name
  contentType
  size
  width
  height
  url
}`) as unknown as TypedDocumentString<ConsoleTranscriptQuery, ConsoleTranscriptQueryVariables>;
export const ConsoleTranscriptTrailDocument = new TypedDocumentString(`
    query ConsoleTranscriptTrail($id: ID!) {
  session(id: $id) {
    id
    notes {
      id
      authorName
      body
      createdAt
    }
    events {
      id
      kind
      at
      actorKind
      agent {
        id
        name
      }
      data
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleTranscriptTrailQuery, ConsoleTranscriptTrailQueryVariables>;