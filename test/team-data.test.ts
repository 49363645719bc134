import { createHmac, randomUUID } from 'node:crypto';
import {
  AgentMetricsDocument,
  CloseChatDocument,
  CustomerExportDocument,
  EraseCustomerDocument,
  MySessionsDocument,
  RateChatDocument,
  SendMessageDocument,
  TranscriptDocument,
} from './generated/graphql';
import { sql } from './support/env';
import { buildActiveChat, buildAgent, buildOnlineAgent, startChat, tokenAnswer, uniqueSkill, waitFor } from './support/factories';
import { doc, upload } from './support/desk';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';

const ADD_NOTE = doc<{ addNote: { id: string } }>('mutation ($s: ID!, $b: String!) { addNote(sessionId: $s, body: $b) { id } }');

/** The team extension's "Personal data": customerExport, eraseCustomer, retention. */
const IDENTITY_SECRET = 'identity-secret-for-erasure';
let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor({ env: { IDENTITY_SECRET, RETENTION_DAYS: '30' } }));
});

/** Every text-like column of every table in the database: where one of `needles` still appears. */
async function tracesOf(url: string, needles: string[]): Promise<string[]> {
  const columns = await sql<{ schema: string; tab: string; col: string }>(
    url,
    `select c.table_schema as schema, c.table_name as tab, c.column_name as col
       from information_schema.columns c join information_schema.tables t
         on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema not in ('pg_catalog', 'information_schema')
        and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb') or c.udt_name in ('_text', '_varchar'))`,
  );
  expect(columns.length).toBeGreaterThan(10);
  const found: string[] = [];
  const patterns = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  for (const { schema, tab, col } of columns) {
    const [{ n }] = await sql<{ n: number }>(url, `select count(*)::int as n from "${schema}"."${tab}" where "${col}"::text ilike any($1)`, [patterns]);
    if (n) found.push(`${schema}.${tab}.${col}`);
  }
  return found;
}

/** A chat with everything personal in it: a verified identity, lines both ways, a rating with a comment. */
async function buildPersonalChat(marker: string) {
  const externalId = `ext-${marker}`;
  const identityHash = createHmac('sha256', IDENTITY_SECRET).update(externalId).digest('hex');
  const skill = uniqueSkill();
  const agent = await buildOnlineAgent(t, { skills: [skill] });
  const { session, token } = await startChat(t, { skill, name: `Ines ${marker}`, email: `${marker}@example.com`, externalId, identityHash, message: `my order ${marker}-1` });
  await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `=HYPERLINK("${marker}")` } }, token);
  expect(session.agent?.id).toBe(agent.id);
  await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `Sure, ${marker}, one moment` } }, agent.token);
  // The desk's notes and files about the customer are its data too.
  await t.http.ok(ADD_NOTE, { s: session.id, b: `${marker} is a VIP` }, agent.token);
  const file = await upload(t, token, Buffer.from(`the invoice of ${marker}\n`), `invoice-${marker}.txt`, session.id, 'text/plain');
  expect(file.status).toBe(201);
  await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
  await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 4, comment: `thanks from ${marker}` }, token);
  return { agent, session, token, customerId: session.customer.id, externalId };
}

describe('Query.customerExport', () => {
  it('should give a supervisor, and nobody else, everything stored about the customer as JSON', async () => {
    const marker = `m${randomUUID().slice(0, 8)}`;
    const { customerId, session, agent } = await buildPersonalChat(marker);
    expect((await t.http.fail(CustomerExportDocument, { customerId }, agent.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(CustomerExportDocument, { customerId: randomUUID() }, supervisor)).code).toBe('NOT_FOUND');
    const doc = JSON.parse((await t.http.ok(CustomerExportDocument, { customerId }, supervisor)).customerExport);
    expect(doc.customer).toMatchObject({ id: customerId, name: `Ines ${marker}`, email: `${marker}@example.com`, external_id: `ext-${marker}`, verified: true });
    const exported = doc.sessions.find((s: { session: { id: string } }) => s.session.id === session.id);
    expect(exported.session).toMatchObject({ rating: 4, rating_comment: `thanks from ${marker}` });
    expect(exported.messages.map((m: { body: string }) => m.body)).toEqual([`my order ${marker}-1`, `=HYPERLINK("${marker}")`, `Sure, ${marker}, one moment`]);
    expect(exported.events.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['created', 'closed', 'rated']));
  });
});

describe('Mutation.eraseCustomer', () => {
  it('should leave no trace of the customer in any text column, keep the metrics, refuse its token, and be idempotent', async () => {
    const marker = `m${randomUUID().slice(0, 8)}`;
    const { customerId, session, token, agent } = await buildPersonalChat(marker);
    const window = { agentId: agent.id, from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() };
    const before = await t.http.ok(AgentMetricsDocument, window, supervisor);
    const team = { ...window, agentId: null };
    const teamBefore = await t.http.ok(AgentMetricsDocument, team, supervisor);
    expect(await tracesOf(t.databaseUrl, [marker])).not.toEqual([]);

    expect((await t.http.fail(EraseCustomerDocument, { customerId }, agent.token)).code).toBe('FORBIDDEN');
    const { eraseCustomer } = await t.http.ok(EraseCustomerDocument, { customerId }, supervisor);
    expect(eraseCustomer).toEqual({ customerId, sessionsErased: 1, messagesErased: 3, filesDeleted: 1 });
    expect(await sql(t.databaseUrl, 'select 1 from upload where session_id = $1', [session.id])).toHaveLength(0);

    expect(await tracesOf(t.databaseUrl, [marker])).toEqual([]);
    expect(await t.http.ok(AgentMetricsDocument, window, supervisor)).toEqual(before);
    expect(await t.http.ok(AgentMetricsDocument, team, supervisor)).toEqual(teamBefore);
    expect(await tokenAnswer(t, token)).toBe('401 UNAUTHENTICATED');
    expect((await t.http.fail(MySessionsDocument, {}, token)).code).toBe('UNAUTHENTICATED');

    // The transcript keeps its shape (seq, authors, times), with nothing said in it.
    const { session: read } = await t.http.ok(TranscriptDocument, { id: session.id, limit: 50 }, supervisor);
    expect(read!.messages.messages.map((m) => [m.seq, m.author, m.body])).toEqual([[1, 'VISITOR', ''], [2, 'VISITOR', ''], [3, 'AGENT', '']]);
    const events = await sql<{ kind: string; data: object }>(t.databaseUrl, `select kind, data from session_event where session_id = $1 and kind = 'erased'`, [session.id]);
    expect(events).toEqual([{ kind: 'erased', data: {} }]);

    const again = await t.http.ok(EraseCustomerDocument, { customerId }, supervisor);
    expect(again.eraseCustomer).toEqual({ customerId, sessionsErased: 0, messagesErased: 0, filesDeleted: 0 });
    expect(await sql(t.databaseUrl, `select 1 from session_event where session_id = $1 and kind = 'erased'`, [session.id])).toHaveLength(1);
  });

  it('should refuse while the customer has a chat open (CONFLICT) and change nothing, and answer NOT_FOUND for an unknown one', async () => {
    const { session, visitor } = await buildActiveChat(t, { name: 'Still Talking' });
    const refused = await t.http.fail(EraseCustomerDocument, { customerId: session.customer.id }, supervisor);
    expect(refused.code).toBe('CONFLICT');
    expect(await tokenAnswer(t, visitor)).toBe('ok');
    expect(await sql(t.databaseUrl, `select 1 from customer where id = $1 and name = 'Still Talking'`, [session.customer.id])).toHaveLength(1);
    expect((await t.http.fail(EraseCustomerDocument, { customerId: randomUUID() }, supervisor)).code).toBe('NOT_FOUND');
    expect((await t.http.fail(EraseCustomerDocument, { customerId: 'not-an-id' }, supervisor)).code).toBe('NOT_FOUND');
  });
});

/** Closed chats of a fresh customer, each with a line of `marker`; their closing moved `daysAgo` back. */
async function closedChats(target: TestServer, marker: string, daysAgo: number[]): Promise<{ customerId: string; sessionIds: string[]; token: string }> {
  let token: string | undefined;
  const sessionIds: string[] = [];
  for (const days of daysAgo) {
    const { session, token: visitor } = await startChat(target, { name: `Old ${marker}`, message: `${marker} said this` }, token);
    token = visitor;
    await target.http.ok(CloseChatDocument, { sessionId: session.id }, visitor);
    sessionIds.push(session.id);
    // Time cannot be waited for: the close is moved back, as if it had happened then.
    await sql(target.databaseUrl, `update chat_session set closed_at = now() - make_interval(days => $2) where id = $1`, [session.id, days]);
  }
  const [{ customer_id }] = await sql<{ customer_id: string }>(target.databaseUrl, 'select customer_id from chat_session where id = $1', [sessionIds[0]]);
  return { customerId: customer_id, sessionIds, token: token! };
}

describe('retention (RETENTION_DAYS)', () => {
  it('should be a daily job that erases only the sessions closed long enough ago, and a profile once nothing of it is left', async () => {
    const [{ cron }] = await sql<{ cron: string }>(t.databaseUrl, `select cron from pgboss.schedule where name = 'retention'`);
    expect(cron).toBe('17 3 * * *');
    const old = await closedChats(t, `o${randomUUID().slice(0, 8)}`, [40]);
    const mixed = await closedChats(t, `x${randomUUID().slice(0, 8)}`, [45, 3]);
    const recent = await closedChats(t, `r${randomUUID().slice(0, 8)}`, [29]);

    await t.app.jobs.send(null, 'retention', {});
    const erased = async (id: string) => (await sql(t.databaseUrl, 'select 1 from chat_session where id = $1 and erased_at is not null', [id])).length === 1;
    await waitFor(() => erased(mixed.sessionIds[0]), 60_000, 200);
    await waitFor(() => erased(old.sessionIds[0]), 5_000, 200);
    expect(await erased(mixed.sessionIds[1])).toBe(false);
    expect(await erased(recent.sessionIds[0])).toBe(false);

    const profile = async (id: string) => (await sql<{ name: string | null }>(t.databaseUrl, 'select name from customer where id = $1', [id]))[0].name;
    await waitFor(async () => (await profile(old.customerId)) === null, 5_000, 100);
    expect(await profile(mixed.customerId)).not.toBeNull(); // one of its chats is recent
    expect(await profile(recent.customerId)).not.toBeNull();
    expect(await tokenAnswer(t, old.token)).toBe('401 UNAUTHENTICATED');
    expect(await tokenAnswer(t, mixed.token)).toBe('ok');
    const bodies = await sql<{ body: string }>(t.databaseUrl, 'select body from message where session_id = any($1::uuid[]) order by session_id', [[old.sessionIds[0], mixed.sessionIds[0]]]);
    expect(bodies.map((b) => b.body)).toEqual(['', '']);
  });

  it('should never erase one session twice when two instances sweep at once', async () => {
    const other = await startTestServer({ shareWith: t, env: { RETENTION_DAYS: '30' } });
    const marker = `d${randomUUID().slice(0, 8)}`;
    const customers = [];
    for (let i = 0; i < 6; i++) customers.push(await closedChats(t, `${marker}${i}`, Array.from({ length: 20 }, (_, j) => 31 + j)));
    const ids = customers.flatMap((c) => c.sessionIds);

    const [n1, n2] = await Promise.all([t.app.erasure.sweep(t.app.orm.em.fork(), 30), other.app.erasure.sweep(other.app.orm.em.fork(), 30)]);
    expect(n1 + n2).toBe(ids.length);
    const counts = await sql<{ n: number }>(t.databaseUrl, `select count(e.id)::int as n from unnest($1::uuid[]) s(id) left join session_event e on e.session_id = s.id and e.kind = 'erased' group by s.id`, [ids]);
    expect(counts.map((c) => c.n)).toEqual(ids.map(() => 1));
    expect(await tracesOf(t.databaseUrl, [marker])).toEqual([]);
  });

  it('should do nothing without RETENTION_DAYS (the schedule removed)', async () => {
    const plain = await startTestServer();
    const [{ n }] = await sql<{ n: number }>(plain.databaseUrl, `select count(*)::int as n from pgboss.schedule where name = 'retention'`);
    expect(n).toBe(0);
    await buildAgent(plain); // the server works as before
  });
});
