import { sql } from './support/env';
import { buildActiveChat } from './support/factories';
import { doc } from './support/desk';
import { startWithSupervisor, type TestServer } from './support/server';

const SEARCH = doc<{ sessions: { sessions: Array<{ id: string }>; endCursor: string | null } }>(
  `query ($search: String, $tag: String, $agentId: ID, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
     sessions(search: $search, tag: $tag, agentId: $agentId, from: $from, to: $to, first: $first, after: $after) { sessions { id } endCursor } }`,
);
const SEND = doc('mutation ($i: SendMessageInput!) { sendMessage(input: $i) { seq } }');
const TAG = doc('mutation ($s: ID!, $t: [String!]!) { tagSession(sessionId: $s, tags: $t) { id } }');

let t: TestServer;
let supervisor: string;
let chats: Array<Awaited<ReturnType<typeof buildActiveChat>>>;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
  // A few hundred other sessions and messages, written straight to the tables, for the index to search through.
  await sql(
    t.databaseUrl,
    `with c as (insert into customer (id, name) select gen_random_uuid(), 'Seed ' || i from generate_series(1, 300) i returning id),
          s as (insert into chat_session (id, customer_id, status, created_at, last_seq)
                select gen_random_uuid(), c.id, 'CLOSED', now() - interval '30 days', 2 from c returning id)
     insert into message (id, session_id, seq, author, body, created_at)
     select gen_random_uuid(), s.id, n, 'VISITOR', (array['where is my parcel', 'password reset please', 'bonjour, ma commande', 'the app crashes on start'])[1 + (abs(hashtext(s.id::text || n)) % 4)], now()
       from s, generate_series(1, 2) n`,
  );
  chats = [];
  for (const messages of [['I want a refund', 'refund now, refund for the broken kettle'], ['a refund maybe'], ['Rückerstattung für die Bestellung'], ['nothing to see']]) {
    const chat = await buildActiveChat(t);
    for (const body of messages) await t.http.ok(SEND, { i: { sessionId: chat.session.id, body } }, chat.visitor);
    chats.push(chat);
  }
});

const ids = async (variables: Record<string, unknown>, token = supervisor) => (await t.http.ok(SEARCH, variables, token)).sessions.sessions.map((s) => s.id);

describe('Query.sessions(search:)', () => {
  it('should rank the sessions whose messages hold the words, most relevant first, in any language', async () => {
    expect(await ids({ search: 'refund' })).toEqual([chats[0].session.id, chats[1].session.id]);
    expect(await ids({ search: 'Rückerstattung' })).toEqual([chats[2].session.id]);
    expect((await ids({ search: 'parcel', first: 200 })).length).toBeGreaterThan(50);
    expect(await ids({ search: 'kettle broken' })).toEqual([chats[0].session.id]);
  });

  it('should page ranked results with endCursor', async () => {
    const all = await ids({ search: 'password', first: 200 });
    const first = await t.http.ok(SEARCH, { search: 'password', first: 10 }, supervisor);
    const second = await t.http.ok(SEARCH, { search: 'password', first: 10, after: first.sessions.endCursor }, supervisor);
    expect([...first.sessions.sessions, ...second.sessions.sessions].map((s) => s.id)).toEqual(all.slice(0, 20));
  });

  it('should let an agent find only the sessions it may see', async () => {
    expect(await ids({ search: 'refund' }, chats[1].agent.token)).toEqual([chats[1].session.id]);
    expect(await ids({ search: 'refund' }, chats[3].agent.token)).toEqual([]);
    expect(await ids({ search: 'parcel' }, chats[3].agent.token)).toEqual([]);
  });

  it('should combine search with tag, agentId and dates', async () => {
    await t.http.ok(TAG, { s: chats[1].session.id, t: ['kettle'] }, chats[1].agent.token);
    expect(await ids({ search: 'refund', tag: 'kettle' })).toEqual([chats[1].session.id]);
    expect(await ids({ search: 'refund', agentId: chats[0].agent.id })).toEqual([chats[0].session.id]);
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    expect(await ids({ search: 'parcel', from: hourAgo })).toEqual([]);
    expect((await ids({ search: 'parcel', to: hourAgo, first: 5 })).length).toBe(5);
    expect(await ids({ search: 'refund', from: hourAgo, to: new Date(Date.now() + 60_000).toISOString() })).toEqual([chats[0].session.id, chats[1].session.id]);
    expect(await ids({ agentId: chats[2].agent.id })).toEqual([chats[2].session.id]);
  });

  it('should refuse bad input', async () => {
    for (const variables of [{ search: ' ' }, { search: 'x'.repeat(201) }, { tag: 'Not A Tag' }, { agentId: 'nope' }, { search: 'refund', after: 'garbage' }, { from: '2026-12-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' }]) {
      expect((await t.http.fail(SEARCH, variables, supervisor)).code).toBe('BAD_USER_INPUT');
    }
    expect((await t.http.fail(SEARCH, { search: 'x' })).code).toBe('UNAUTHENTICATED');
  });
});
