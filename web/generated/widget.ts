/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Author =
  | 'AGENT'
  | 'SYSTEM'
  | 'VISITOR';

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

export type StartChatInput = {
  attachmentIds?: Array<string | number> | null | undefined;
  clientMessageId?: string | null | undefined;
  context?: VisitorContextInput | null | undefined;
  email?: string | null | undefined;
  /** The embedding site's id for this person. */
  externalId?: string | null | undefined;
  /** Hex HMAC-SHA256 of externalId under the site's identity secret. */
  identityHash?: string | null | undefined;
  /** Optional first message, stored as seq 1. */
  message?: string | null | undefined;
  name?: string | null | undefined;
  /** Route only to agents that have this skill. */
  skill?: string | null | undefined;
};

export type VisitorContextInput = {
  locale?: string | null | undefined;
  pageTitle?: string | null | undefined;
  pageUrl?: string | null | undefined;
  referrer?: string | null | undefined;
  timeZone?: string | null | undefined;
};

export type WidgetSessionFragment = { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null };

export type WidgetMessageFragment = { id: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, width: number | null, height: number | null, url: string }> };

export type WidgetStartChatMutationVariables = Exact<{
  input: StartChatInput;
}>;


export type WidgetStartChatMutation = { startChat: { visitorToken: string, session: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null } } };

export type WidgetSessionQueryVariables = Exact<{
  id: string | number;
}>;


export type WidgetSessionQuery = { session: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, messages: { hasMore: boolean, messages: Array<{ id: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, width: number | null, height: number | null, url: string }> }> }, agent: { id: string, name: string } | null } | null };

export type WidgetOlderMessagesQueryVariables = Exact<{
  id: string | number;
  beforeSeq: number;
}>;


export type WidgetOlderMessagesQuery = { session: { id: string, messages: { messages: Array<{ id: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, width: number | null, height: number | null, url: string }> }> } } | null };

export type WidgetSendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type WidgetSendMessageMutation = { sendMessage: { id: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, width: number | null, height: number | null, url: string }> } };

export type WidgetSetTypingMutationVariables = Exact<{
  sessionId: string | number;
  typing: boolean;
  draft?: string | null | undefined;
}>;


export type WidgetSetTypingMutation = { setTyping: boolean };

export type WidgetUpdateContextMutationVariables = Exact<{
  sessionId: string | number;
  input: VisitorContextInput;
}>;


export type WidgetUpdateContextMutation = { updateVisitorContext: boolean };

export type WidgetMarkReadMutationVariables = Exact<{
  sessionId: string | number;
  seq: number;
}>;


export type WidgetMarkReadMutation = { markRead: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null } };

export type WidgetCloseChatMutationVariables = Exact<{
  sessionId: string | number;
}>;


export type WidgetCloseChatMutation = { closeChat: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null } };

export type WidgetRateChatMutationVariables = Exact<{
  sessionId: string | number;
  rating: number;
  comment?: string | null | undefined;
}>;


export type WidgetRateChatMutation = { rateChat: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null } };

export type WidgetMessageAddedSubscriptionVariables = Exact<{
  sessionId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type WidgetMessageAddedSubscription = { messageAdded: { id: string, seq: number, author: Author, authorName: string | null, body: string, clientMessageId: string | null, createdAt: string, attachments: Array<{ id: string, name: string, contentType: string, width: number | null, height: number | null, url: string }> } };

export type WidgetSessionUpdatedSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type WidgetSessionUpdatedSubscription = { sessionUpdated: { id: string, status: SessionStatus, lastSeq: number, visitorReadSeq: number, agentReadSeq: number, queuePosition: number | null, rating: number | null, assignedAt: string | null, closedAt: string | null, agent: { id: string, name: string } | null } };

export type WidgetTypingSubscriptionVariables = Exact<{
  sessionId: string | number;
}>;


export type WidgetTypingSubscription = { typing: { author: Author, name: string | null, typing: boolean } };

export type WidgetAvailabilityQueryVariables = Exact<{ [key: string]: never; }>;


export type WidgetAvailabilityQuery = { availability: { open: boolean, withinBusinessHours: boolean, expectedWaitSeconds: number | null, nextOpenAt: string | null } };

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
export const WidgetSessionFragmentDoc = new TypedDocumentString(`
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}
    `, {"fragmentName":"WidgetSession"}) as unknown as TypedDocumentString<WidgetSessionFragment, unknown>;
export const WidgetMessageFragmentDoc = new TypedDocumentString(`
    fragment WidgetMessage on Message {
  id
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
  attachments {
    id
    name
    contentType
    width
    height
    url
  }
}
    `, {"fragmentName":"WidgetMessage"}) as unknown as TypedDocumentString<WidgetMessageFragment, unknown>;
export const WidgetStartChatDocument = new TypedDocumentString(`
    mutation WidgetStartChat($input: StartChatInput!) {
  startChat(input: $input) {
    visitorToken
    session {
      ...WidgetSession
    }
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<WidgetStartChatMutation, WidgetStartChatMutationVariables>;
export const WidgetSessionDocument = new TypedDocumentString(`
    query WidgetSession($id: ID!) {
  session(id: $id) {
    ...WidgetSession
    messages(limit: 100) {
      hasMore
      messages {
        ...WidgetMessage
      }
    }
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}
fragment WidgetMessage on Message {
  id
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
  attachments {
    id
    name
    contentType
    width
    height
    url
  }
}`) as unknown as TypedDocumentString<WidgetSessionQuery, WidgetSessionQueryVariables>;
export const WidgetOlderMessagesDocument = new TypedDocumentString(`
    query WidgetOlderMessages($id: ID!, $beforeSeq: Int!) {
  session(id: $id) {
    id
    messages(beforeSeq: $beforeSeq, limit: 100) {
      messages {
        ...WidgetMessage
      }
    }
  }
}
    fragment WidgetMessage on Message {
  id
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
  attachments {
    id
    name
    contentType
    width
    height
    url
  }
}`) as unknown as TypedDocumentString<WidgetOlderMessagesQuery, WidgetOlderMessagesQueryVariables>;
export const WidgetSendMessageDocument = new TypedDocumentString(`
    mutation WidgetSendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    ...WidgetMessage
  }
}
    fragment WidgetMessage on Message {
  id
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
  attachments {
    id
    name
    contentType
    width
    height
    url
  }
}`) as unknown as TypedDocumentString<WidgetSendMessageMutation, WidgetSendMessageMutationVariables>;
export const WidgetSetTypingDocument = new TypedDocumentString(`
    mutation WidgetSetTyping($sessionId: ID!, $typing: Boolean!, $draft: String) {
  setTyping(sessionId: $sessionId, typing: $typing, draft: $draft)
}
    `) as unknown as TypedDocumentString<WidgetSetTypingMutation, WidgetSetTypingMutationVariables>;
export const WidgetUpdateContextDocument = new TypedDocumentString(`
    mutation WidgetUpdateContext($sessionId: ID!, $input: VisitorContextInput!) {
  updateVisitorContext(sessionId: $sessionId, input: $input)
}
    `) as unknown as TypedDocumentString<WidgetUpdateContextMutation, WidgetUpdateContextMutationVariables>;
export const WidgetMarkReadDocument = new TypedDocumentString(`
    mutation WidgetMarkRead($sessionId: ID!, $seq: Int!) {
  markRead(sessionId: $sessionId, seq: $seq) {
    ...WidgetSession
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<WidgetMarkReadMutation, WidgetMarkReadMutationVariables>;
export const WidgetCloseChatDocument = new TypedDocumentString(`
    mutation WidgetCloseChat($sessionId: ID!) {
  closeChat(sessionId: $sessionId) {
    ...WidgetSession
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<WidgetCloseChatMutation, WidgetCloseChatMutationVariables>;
export const WidgetRateChatDocument = new TypedDocumentString(`
    mutation WidgetRateChat($sessionId: ID!, $rating: Int!, $comment: String) {
  rateChat(sessionId: $sessionId, rating: $rating, comment: $comment) {
    ...WidgetSession
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<WidgetRateChatMutation, WidgetRateChatMutationVariables>;
export const WidgetMessageAddedDocument = new TypedDocumentString(`
    subscription WidgetMessageAdded($sessionId: ID!, $afterSeq: Int) {
  messageAdded(sessionId: $sessionId, afterSeq: $afterSeq) {
    ...WidgetMessage
  }
}
    fragment WidgetMessage on Message {
  id
  seq
  author
  authorName
  body
  clientMessageId
  createdAt
  attachments {
    id
    name
    contentType
    width
    height
    url
  }
}`) as unknown as TypedDocumentString<WidgetMessageAddedSubscription, WidgetMessageAddedSubscriptionVariables>;
export const WidgetSessionUpdatedDocument = new TypedDocumentString(`
    subscription WidgetSessionUpdated($sessionId: ID!) {
  sessionUpdated(sessionId: $sessionId) {
    ...WidgetSession
  }
}
    fragment WidgetSession on ChatSession {
  id
  status
  lastSeq
  visitorReadSeq
  agentReadSeq
  queuePosition
  rating
  assignedAt
  closedAt
  agent {
    id
    name
  }
}`) as unknown as TypedDocumentString<WidgetSessionUpdatedSubscription, WidgetSessionUpdatedSubscriptionVariables>;
export const WidgetTypingDocument = new TypedDocumentString(`
    subscription WidgetTyping($sessionId: ID!) {
  typing(sessionId: $sessionId) {
    author
    name
    typing
  }
}
    `) as unknown as TypedDocumentString<WidgetTypingSubscription, WidgetTypingSubscriptionVariables>;
export const WidgetAvailabilityDocument = new TypedDocumentString(`
    query WidgetAvailability {
  availability {
    open
    withinBusinessHours
    expectedWaitSeconds
    nextOpenAt
  }
}
    `) as unknown as TypedDocumentString<WidgetAvailabilityQuery, WidgetAvailabilityQueryVariables>;