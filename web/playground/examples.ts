/** Operations preloaded as tabs in the playground, for partners finding their way around the API. */
export interface Example {
  query: string;
  variables?: string;
}

export const PLACEHOLDER_TOKEN = 'Bearer <paste a token here>';

export const examples: Example[] = [
  {
    query: `# Welcome to the Switchboard API playground.
#
# Anyone may call startChat and login. Everything else needs a token in the
# Headers editor below: {"Authorization": "Bearer <token>"} with the
# visitorToken from startChat (a visitor), the token from login (an agent), or
# a partner's API key (sbk_…, from a supervisor's createApiKey: see the "API key" tab).
# Paste it once, in any tab: every tab without an Authorization of its own
# uses the last one sent. It authorises subscriptions too (graphql-ws).
#
# Run this (Ctrl-Enter) to open a chat as a visitor, then paste the
# visitorToken into the Headers editor and try the other tabs.
mutation StartChat($input: StartChatInput!) {
  startChat(input: $input) {
    visitorToken
    session {
      id
      status
      queuePosition
      agent { name }
    }
  }
}
`,
    variables: JSON.stringify({ input: { name: 'Ada Partner', email: 'ada@example.com', message: 'Hello from the playground!', clientMessageId: 'playground-1' } }, null, 2),
  },
  {
    query: `# Follow a chat live: every stored message after afterSeq, then new ones as they come,
# in seq order with no gap or duplicate. Reconnect with the last seq you saw.
subscription MessageAdded($sessionId: ID!, $afterSeq: Int) {
  messageAdded(sessionId: $sessionId, afterSeq: $afterSeq) {
    seq
    author
    authorName
    body
    createdAt
  }
}
`,
    variables: JSON.stringify({ sessionId: 'SESSION_ID', afterSeq: 0 }, null, 2),
  },
  {
    query: `# Write to a chat (a visitor or its agent). The same clientMessageId twice stores one message.
mutation SendMessage($input: SendMessageInput!) {
  sendMessage(input: $input) {
    seq
    author
    body
    createdAt
  }
}
`,
    variables: JSON.stringify({ input: { sessionId: 'SESSION_ID', body: 'Is anyone there?', clientMessageId: 'playground-2' } }, null, 2),
  },
  {
    query: `# Sign in as an agent; put the token in the Headers tab for the agent operations.
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token
    agent { id name role status }
  }
}
`,
    variables: JSON.stringify({ email: 'agent@example.com', password: 'password' }, null, 2),
  },
  {
    query: `# Agents: who I am, my chats and the queue.
query Workload {
  me { id name role status online activeChats maxConcurrentChats }
  sessions(status: ACTIVE, first: 10) {
    sessions { id status customer { name } lastSeq agentReadSeq }
    endCursor
  }
  queue { id queuePosition skill createdAt customer { name } }
}
`,
  },
  {
    query: `# Agents: my numbers; supervisors: the team's (agentId null) or anyone's. Default: the last 7 days.
query Metrics($agentId: ID) {
  agentMetrics(agentId: $agentId) {
    from
    to
    chatsAssigned
    chatsClosed
    resolutionRate
    avgFirstResponseSeconds
    avgResponseSeconds
    avgRating
    messagesSent
  }
}
`,
  },
  {
    query: `# Partners: an API key (sbk_…) acts as the organisation, with its scopes only.
# A supervisor creates one (below, signed in as the supervisor; the secret is shown once):
#   mutation { createApiKey(name: "CRM", scopes: [CHATS_READ, AGENTS_READ]) { secret apiKey { prefix } } }
# then paste it into the Headers editor: {"Authorization": "Bearer sbk_…"} and run this.
# A scope the key lacks is refused with FORBIDDEN naming it; a revoked key, UNAUTHENTICATED.
query AsApiKey {
  sessions(status: ACTIVE, first: 5) {
    sessions { id status customer { name } agent { name email } lastSeq }
    endCursor
  }
  queue { id queuePosition skill }
  agents { id name email status online activeChats }
}
`,
  },
  {
    query: `# Agents: new assignments as they happen (keep this open to stay "online").
subscription Assigned {
  sessionAssigned {
    id
    status
    customer { name email }
  }
}
`,
  },
];
