import { buildActiveChat, buildAgent, buildOnlineAgent, startChat, uniqueSkill, waitFor, wsClient } from './support/factories';
import { doc } from './support/desk';
import { startTestServer, startWithSupervisor } from './support/server';
import { refusalOf } from './support/ws';
import type { TestServer } from './support/server';

type Note = { id: string; sessionId: string; body: string; authorName: string; author: { id: string } | null };
const ADD_NOTE = doc<{ addNote: Note }>('mutation ($s: ID!, $b: String!) { addNote(sessionId: $s, body: $b) { id sessionId body authorName author { id } } }');
const DESK = doc<{
  session: {
    notes: Note[] | null;
    tags: string[] | null;
    visitorContext: { pageUrl: string | null; pageTitle: string | null; referrer: string | null; locale: string | null; userAgent: string | null } | null;
    events: Array<{ kind: string; actorKind: string; agent: { id: string } | null; data: string }> | null;
    messages: { messages: Array<{ body: string }> };
  } | null;
}>(
  `query ($id: ID!) { session(id: $id) { notes { id sessionId body authorName author { id } } tags
     visitorContext { pageUrl pageTitle referrer locale userAgent } events { kind actorKind agent { id } data } messages { messages { body } } } }`,
);
const TAG = doc<{ tagSession: { id: string; tags: string[] } }>('mutation ($s: ID!, $t: [String!]!) { tagSession(sessionId: $s, tags: $t) { id tags } }');
const CONTEXT = doc<{ updateVisitorContext: boolean }>('mutation ($s: ID!, $i: VisitorContextInput!) { updateVisitorContext(sessionId: $s, input: $i) }');
const NOTE_ADDED = doc<{ noteAdded: Note }>('subscription ($s: ID!) { noteAdded(sessionId: $s) { id body authorName } }');
const MESSAGE_ADDED = doc<{ messageAdded: { body: string } }>('subscription ($s: ID!) { messageAdded(sessionId: $s) { body } }');

let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
});

describe('Mutation.addNote', () => {
  it('should require authentication', async () => {
    const { session } = await buildActiveChat(t);
    expect((await t.http.fail(ADD_NOTE, { s: session.id, b: 'x' })).code).toBe('UNAUTHENTICATED');
  });

  it("should reach the session's agent and supervisors live, and never the customer by any path", async () => {
    const { agent, agentName, session, visitor } = await buildActiveChat(t);
    const agentNotes = agent.socket!.subscribe(NOTE_ADDED, { s: session.id });
    const visitorMessages = wsClient(t, visitor).subscribe(MESSAGE_ADDED, { s: session.id });
    await new Promise((r) => setTimeout(r, 150));
    const { addNote } = await t.http.ok(ADD_NOTE, { s: session.id, b: 'VIP: refund approved' }, agent.token);
    expect(addNote).toMatchObject({ sessionId: session.id, body: 'VIP: refund approved', authorName: agentName, author: { id: agent.id } });
    expect((await agentNotes.next()).noteAdded.body).toBe('VIP: refund approved');
    await t.http.ok(ADD_NOTE, { s: session.id, b: 'second, by the supervisor' }, supervisor);
    expect((await agentNotes.next()).noteAdded.body).toBe('second, by the supervisor');

    const asAgent = (await t.http.ok(DESK, { id: session.id }, agent.token)).session!;
    expect(asAgent.notes!.map((n) => n.body)).toEqual(['VIP: refund approved', 'second, by the supervisor']);
    expect(asAgent.events!.filter((e) => e.kind === 'noted').map((e) => e.actorKind)).toEqual(['agent', 'agent']);

    const asVisitor = (await t.http.ok(DESK, { id: session.id }, visitor)).session!;
    expect(asVisitor).toMatchObject({ notes: null, tags: null, visitorContext: null, events: null });
    expect(asVisitor.messages.messages).toEqual([]);
    await visitorMessages.expectQuiet(200);
    const sub = wsClient(t, visitor).subscribe(NOTE_ADDED, { s: session.id });
    expect(await refusalOf(sub)).toBe('FORBIDDEN');
    expect((await t.http.fail(ADD_NOTE, { s: session.id, b: 'from the visitor' }, visitor)).code).toBe('FORBIDDEN');
  });

  it('should refuse an empty note, and notes on a session the agent may not see', async () => {
    const { agent, session } = await buildActiveChat(t);
    const other = await buildAgent(t);
    expect((await t.http.fail(ADD_NOTE, { s: session.id, b: '   ' }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(ADD_NOTE, { s: session.id, b: 'x'.repeat(4001) }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(ADD_NOTE, { s: session.id, b: 'hi' }, other.token)).code).toBe('NOT_FOUND');
  });
});

describe('Mutation.tagSession', () => {
  it('should replace the set, record a tagged event, and filter sessions(tag:)', async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    expect((await t.http.fail(TAG, { s: session.id, t: ['x'] })).code).toBe('UNAUTHENTICATED');
    expect((await t.http.ok(TAG, { s: session.id, t: ['billing', 'vip', 'billing'] }, agent.token)).tagSession.tags).toEqual(['billing', 'vip']);
    expect((await t.http.ok(TAG, { s: session.id, t: ['refund'] }, agent.token)).tagSession.tags).toEqual(['refund']);
    const list = doc<{ sessions: { sessions: Array<{ id: string }> } }>('query ($tag: String) { sessions(tag: $tag) { sessions { id } } }');
    expect((await t.http.ok(list, { tag: 'refund' }, agent.token)).sessions.sessions.map((s) => s.id)).toEqual([session.id]);
    expect((await t.http.ok(list, { tag: 'vip' }, agent.token)).sessions.sessions).toEqual([]);
    const events = (await t.http.ok(DESK, { id: session.id }, agent.token)).session!.events!.filter((e) => e.kind === 'tagged');
    expect(events.map((e) => JSON.parse(e.data))).toEqual([{ tags: ['billing', 'vip'] }, { tags: ['refund'] }]);
    expect((await t.http.fail(TAG, { s: session.id, t: ['Upper'] }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(TAG, { s: session.id, t: Array.from({ length: 21 }, (_, i) => `t${i}`) }, agent.token)).code).toBe('BAD_USER_INPUT');
    expect((await t.http.fail(TAG, { s: session.id, t: ['mine'] }, visitor)).code).toBe('FORBIDDEN');
  });
});

describe('visitor context', () => {
  it('should keep the context sent with startChat and page changes, with the userAgent of the request', async () => {
    const { agent } = await buildActiveChat(t);
    const started = await t.http.request(
      doc<{ startChat: { session: { id: string }; visitorToken: string } }>('mutation ($i: StartChatInput!) { startChat(input: $i) { session { id } visitorToken } }'),
      { i: { name: 'Ctx', skill: uniqueSkill(), context: { pageUrl: 'https://shop.example/pricing', pageTitle: 'Pricing', referrer: 'https://search.example/?q=x', locale: 'fr-CA', timeZone: 'America/Toronto' } } },
      undefined,
      { 'user-agent': 'TestBrowser/1.0' },
    );
    const { session, visitorToken } = started.data!.startChat;
    const read = async () => (await t.http.ok(DESK, { id: session.id }, supervisor)).session!.visitorContext;
    expect(await read()).toEqual({ pageUrl: 'https://shop.example/pricing', pageTitle: 'Pricing', referrer: 'https://search.example/?q=x', locale: 'fr-CA', userAgent: 'TestBrowser/1.0' });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await t.http.ok(CONTEXT, { s: session.id, i: { pageUrl: 'https://shop.example/checkout', pageTitle: 'Checkout' } }, visitorToken)).updateVisitorContext).toBe(true);
    expect(await read()).toMatchObject({ pageUrl: 'https://shop.example/checkout', pageTitle: 'Checkout', referrer: null });
    // At most one a second is kept.
    await t.http.ok(CONTEXT, { s: session.id, i: { pageUrl: 'https://shop.example/too-soon' } }, visitorToken);
    expect((await read())!.pageUrl).toBe('https://shop.example/checkout');
    for (const input of [{ pageUrl: 'javascript:alert(1)' }, { referrer: 'ftp://x' }, { pageTitle: 'x'.repeat(2001) }]) {
      expect((await t.http.fail(CONTEXT, { s: session.id, i: input }, visitorToken)).code).toBe('BAD_USER_INPUT');
    }
    expect((await t.http.fail(CONTEXT, { s: session.id, i: {} })).code).toBe('UNAUTHENTICATED');
    // A teammate sees the queued chat but is not its customer; another visitor does not see it at all.
    expect((await t.http.fail(CONTEXT, { s: session.id, i: {} }, agent.token)).code).toBe('FORBIDDEN');
    const stranger = await startChat(t, { skill: uniqueSkill() });
    expect((await t.http.fail(CONTEXT, { s: session.id, i: {} }, stranger.token)).code).toBe('NOT_FOUND');
  });
});

describe('Customer.sessions', () => {
  it("should show an agent the customer's earlier sessions while it chats with them, newest first, and nothing to the customer", async () => {
    const HISTORY = doc<{ session: { customer: { sessions: { sessions: Array<{ id: string; messages: { messages: Array<{ body: string }> } }> } | null } } | null }>(
      'query ($id: ID!) { session(id: $id) { customer { sessions(first: 5) { sessions { id messages { messages { body } } } } } } }',
    );
    const history = async (sessionId: string, token: string) => (await t.http.ok(HISTORY, { id: sessionId }, token)).session?.customer.sessions?.sessions.map((s) => s.id) ?? null;
    // Last week's chat, never answered (a skill nobody has), then today's, with an agent.
    const first = await startChat(t, { name: 'Returning', message: 'last week: my order is late', skill: uniqueSkill() });
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const today = (await startChat(t, { skill }, first.token)).session;
    expect(today.agent?.id).toBe(agent.id);
    expect(await history(today.id, agent.token)).toEqual([today.id, first.session.id]);
    const earlier = (await t.http.ok(HISTORY, { id: today.id }, agent.token)).session!.customer.sessions!.sessions[1];
    expect(earlier.messages.messages.map((m) => m.body)).toEqual(['last week: my order is late']);
    // Another agent's chat with another customer opens nothing of this one's.
    const other = await buildActiveChat(t);
    expect(await history(other.session.id, other.agent.token)).toEqual([other.session.id]);
    expect(await history(today.id, supervisor)).toEqual([today.id, first.session.id]);
    expect(await history(first.session.id, first.token)).toBeNull();
  });
});

describe('typing preview', () => {
  it("should bring the visitor's draft to the agent, throttled, and never to the visitor", async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    const TYPING = doc<{ typing: { author: string; typing: boolean; draft: string | null } }>('subscription ($s: ID!) { typing(sessionId: $s) { author typing draft } }');
    const SET = doc<{ setTyping: boolean }>('mutation ($s: ID!, $t: Boolean!, $d: String) { setTyping(sessionId: $s, typing: $t, draft: $d) }');
    const seen = agent.socket!.subscribe(TYPING, { s: session.id });
    await new Promise((r) => setTimeout(r, 150));
    for (const draft of ['H', 'He', 'Hel', 'Hell', 'Hello']) await t.http.ok(SET, { s: session.id, t: true, d: draft }, visitor);
    const drafts = await waitFor(async () => {
      const last = seen.received.at(-1)?.typing;
      return last?.draft === 'Hello' ? seen.received.map((e) => e.typing.draft) : null;
    }, 3000);
    expect(drafts.length).toBeLessThan(5);
    expect(drafts.every((d) => d === null || 'Hello'.startsWith(d))).toBe(true);
    expect((await t.http.fail(SET, { s: session.id, t: true, d: 'x'.repeat(4001) }, visitor)).code).toBe('BAD_USER_INPUT');
  });
});

describe('canned responses', () => {
  type Canned = { id: string; shortcut: string; title: string; body: string; owner: { id: string } | null };
  const FIELDS = 'id shortcut title body owner { id }';
  const LIST = doc<{ cannedResponses: Canned[] }>(`query { cannedResponses { ${FIELDS} } }`);
  const CREATE = doc<{ createCannedResponse: Canned }>(`mutation ($i: CannedResponseInput!) { createCannedResponse(input: $i) { ${FIELDS} } }`);
  const UPDATE = doc<{ updateCannedResponse: Canned }>(`mutation ($id: ID!, $i: CannedResponseInput!) { updateCannedResponse(id: $id, input: $i) { ${FIELDS} } }`);
  const DELETE = doc<{ deleteCannedResponse: boolean }>('mutation ($id: ID!) { deleteCannedResponse(id: $id) }');
  const input = (shortcut: string, personal: boolean) => ({ shortcut, title: `Title ${shortcut}`, body: 'Hi {{visitor.name}}, {{agent.name}} here.', personal });

  it('should require authentication, and be for agents only', async () => {
    expect((await t.http.fail(LIST)).code).toBe('UNAUTHENTICATED');
    const { token } = await startChat(t);
    expect((await t.http.fail(LIST, {}, token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(CREATE, { i: input('x', true) }, token)).code).toBe('FORBIDDEN');
  });

  it("should give an agent the team's and its own, never another agent's", async () => {
    const team = (await t.http.ok(CREATE, { i: input('refund', false) }, supervisor)).createCannedResponse;
    expect(team.owner).toBeNull();
    const [ann, bob] = [await buildAgent(t), await buildAgent(t)];
    const own = (await t.http.ok(CREATE, { i: input('hello', true) }, ann.token)).createCannedResponse;
    expect(own.owner).toEqual({ id: ann.id });
    const bobs = (await t.http.ok(CREATE, { i: input('hello', true) }, bob.token)).createCannedResponse; // unique per owner
    const shortcuts = async (token: string) => (await t.http.ok(LIST, {}, token)).cannedResponses.map((c) => c.id).sort();
    expect(await shortcuts(ann.token)).toEqual([team.id, own.id].sort());
    expect(await shortcuts(bob.token)).toEqual([team.id, bobs.id].sort());

    expect((await t.http.fail(CREATE, { i: input('hello', true) }, ann.token)).code).toBe('CONFLICT');
    expect((await t.http.fail(CREATE, { i: input('team-one', false) }, ann.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(UPDATE, { id: bobs.id, i: input('mine-now', true) }, ann.token)).code).toBe('NOT_FOUND');
    expect((await t.http.fail(DELETE, { id: bobs.id }, ann.token)).code).toBe('NOT_FOUND');
    expect((await t.http.fail(UPDATE, { id: team.id, i: input('refund', false) }, ann.token)).code).toBe('FORBIDDEN');
    expect((await t.http.ok(UPDATE, { id: own.id, i: { ...input('hi', true), body: 'Hello!' } }, ann.token)).updateCannedResponse).toMatchObject({ shortcut: 'hi', body: 'Hello!' });
    for (const bad of [input('Has Space', true), input('x'.repeat(41), true), { ...input('ok', true), body: ' ' }, { ...input('ok', true), title: '' }]) {
      expect((await t.http.fail(CREATE, { i: bad }, ann.token)).code).toBe('BAD_USER_INPUT');
    }
    expect((await t.http.ok(DELETE, { id: own.id }, ann.token)).deleteCannedResponse).toBe(true);
    expect(await shortcuts(ann.token)).toEqual([team.id]);
  });
});

describe('TYPING_PREVIEW=off', () => {
  it('should drop drafts on the server', async () => {
    const off = await startTestServer({ env: { TYPING_PREVIEW: 'off' } });
    const { agent, session, visitor } = await buildActiveChat(off);
    const seen = agent.socket!.subscribe(doc<{ typing: { typing: boolean; draft: string | null } }>('subscription ($s: ID!) { typing(sessionId: $s) { typing draft } }'), { s: session.id });
    await new Promise((r) => setTimeout(r, 150));
    await off.http.ok(doc('mutation ($s: ID!) { setTyping(sessionId: $s, typing: true, draft: "my secret draft") }'), { s: session.id }, visitor);
    expect((await seen.next()).typing).toEqual({ typing: true, draft: null });
    await seen.expectQuiet(400);
    await off.close();
  });
});
