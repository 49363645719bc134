import { CloseChatDocument, SendMessageDocument, type ApiScope } from './generated/graphql';
import { sql } from './support/env';
import { buildActiveChat, buildAgent, startChat, uniqueSkill } from './support/factories';
import { ALL_SCOPES, buildApiKey } from './support/keys';
import { RestClient, validateOpenApi } from './support/rest';
import { startWithSupervisor, type TestServer } from './support/server';

let t: TestServer;
let supervisor: string;
let rest: RestClient;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
  rest = new RestClient(t.server.url);
});

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: expect.objectContaining({ type: 'about:blank', status, code, title: expect.any(String), detail: expect.any(String), ...extra }),
});
const view = (r: { status: number; body: unknown }) => ({ status: r.status, body: r.body });

describe('GET /api/v1/openapi.json', () => {
  it('should be a valid OpenAPI 3.1 document with every route of partners.md and the aliases', async () => {
    const doc = (await rest.openApi()) as unknown as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validateOpenApi(doc);
    expect(result).toMatchObject({ valid: true });
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(
      [
        'GET /exports/sessions.csv',
        'GET /exports/metrics.csv',
        'POST /chats',
        'GET /chats/{id}',
        'POST /chats/{id}/messages',
        'POST /messages',
        'POST /chats/{id}/close',
        'POST /chats/{id}/transfer',
        'POST /chats/{id}/rating',
        'GET /chats',
        'GET /agents',
        'POST /agents',
        'PUT /agents/{id}',
        'GET /metrics/agents',
        'POST /auth/login',
        'POST /chat_sessions',
        'GET /chat_sessions/{id}',
        'GET /openapi.json',
      ].sort(),
    );
  });

  it('should be refused by the validator when it is broken (the check can fail)', async () => {
    const doc = structuredClone(await rest.openApi()) as unknown as Record<string, unknown>;
    delete doc.info;
    expect((await validateOpenApi(doc)).valid).toBe(false);
  });
});

describe('POST /api/v1/chats', () => {
  it('should open a chat for anyone, and for a key with CHATS_WRITE, also under /chat_sessions', async () => {
    const anonymous = await rest.post('/chats', { name: 'Ana', skill: uniqueSkill(), message: 'Hi' });
    expect(anonymous.status).toBe(201);
    expect(anonymous.body).toMatchObject({ chat: { status: 'QUEUED', customer: { name: 'Ana' }, lastSeq: 1 }, visitorToken: expect.any(String) });
    const again = await rest.post('/chat_sessions', { skill: uniqueSkill() }, { token: anonymous.body.visitorToken });
    expect(again.body.chat.customer.id).toBe(anonymous.body.chat.customer.id);
    const key = await buildApiKey(t, ['CHATS_WRITE'], 'intake', supervisor);
    expect((await rest.post('/chats', {}, { token: key.secret })).status).toBe(201);
    const reader = await buildApiKey(t, ['CHATS_READ'], 'reader', supervisor);
    expect(view(await rest.post('/chats', {}, { token: reader.secret }))).toEqual(problem(403, 'FORBIDDEN', { detail: 'This API key lacks the scope CHATS_WRITE.' }));
  });

  it('should refuse unknown fields, wrong types, bad values and malformed JSON with 400 naming the field', async () => {
    expect(view(await rest.post('/chats', { name: 'x', nickname: 'y' }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'nickname' }));
    expect(view(await rest.post('/chats', { name: 42 }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'name' }));
    expect(view(await rest.post('/chats', { email: 'not an email' }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'email' }));
    expect(view(await rest.post('/chats', [1, 2]))).toEqual(problem(400, 'BAD_USER_INPUT'));
    expect(view(await rest.post('/chats', undefined, { raw: '{"name": ' }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'body' }));
    expect(view(await rest.post('/chats', { name: 'nul \u0000 byte' }))).toEqual(problem(400, 'BAD_USER_INPUT'));
  });

  it('should answer 415 to a body that is not application/json, and 413 to one over 100 KB', async () => {
    expect(view(await rest.post('/chats', undefined, { raw: 'name=Ana', contentType: 'application/x-www-form-urlencoded' }))).toEqual(problem(415, 'BAD_USER_INPUT'));
    expect(view(await rest.post('/chats', undefined, { raw: '{}', contentType: 'text/plain' }))).toEqual(problem(415, 'BAD_USER_INPUT'));
    expect(view(await rest.post('/chats', undefined, { raw: '{"name":"x"}', contentType: null }))).toEqual(problem(415, 'BAD_USER_INPUT'));
    expect(view(await rest.post('/chats', { name: 'x'.repeat(101 * 1024) }))).toEqual(problem(413, 'BAD_USER_INPUT'));
  });
});

describe('Idempotency-Key on the routes that create', () => {
  it('should answer a retry with the first answer, scoped to the caller, and refuse the key with another body', async () => {
    const first = await rest.post('/chats', { name: 'Retry Rae', skill: uniqueSkill() }, { headers: { 'Idempotency-Key': 'chat-1' } });
    const retry = await rest.post('/chats', { name: 'Retry Rae', skill: first.body.chat.skill }, { headers: { 'Idempotency-Key': 'chat-1' } });
    expect({ status: retry.status, id: retry.body.chat.id, replayed: retry.headers.get('idempotent-replayed') }).toEqual({ status: 201, id: first.body.chat.id, replayed: 'true' });
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(view(await rest.post('/chats', { name: 'Someone else' }, { headers: { 'Idempotency-Key': 'chat-1' } }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'Idempotency-Key' }));
    // Another caller's same key is its own.
    const other = await rest.post('/chats', { name: 'Retry Rae', skill: first.body.chat.skill }, { token: first.body.visitorToken, headers: { 'Idempotency-Key': 'chat-1' } });
    expect(other.body.chat.id).not.toBe(first.body.chat.id);

    const input = { name: 'Idem Ida', email: `ida-${uniqueSkill()}@example.com`, password: 'password1' };
    // A refusal does not hold the key: the corrected request runs.
    expect((await rest.post('/agents', { ...input, password: 'short' }, { token: supervisor, headers: { 'Idempotency-Key': 'agent-1' } })).status).toBe(400);
    const created = await rest.post('/agents', input, { token: supervisor, headers: { 'Idempotency-Key': 'agent-1' } });
    const again = await rest.post('/agents', input, { token: supervisor, headers: { 'Idempotency-Key': 'agent-1' } });
    expect({ first: created.status, again: again.status, same: again.body.agent.id === created.body.agent.id }).toEqual({ first: 201, again: 201, same: true });
    expect(view(await rest.post('/agents', input, { token: supervisor, headers: { 'Idempotency-Key': 'agent-2' } }))).toEqual(problem(409, 'CONFLICT'));
    expect(view(await rest.post('/agents', input, { token: supervisor, headers: { 'Idempotency-Key': 'k'.repeat(101) } }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'Idempotency-Key' }));
  });

  it('should run two concurrent requests with one key once (the other: the first answer, or 409 while it runs)', async () => {
    const name = `Twin ${uniqueSkill()}`;
    const both = await Promise.all([1, 2].map(() => rest.post('/chats', { name, skill: 'twins' }, { headers: { 'Idempotency-Key': name } })));
    expect(both.map((r) => r.status).sort()).toEqual(expect.arrayContaining([201]));
    for (const r of both) expect([201, 409]).toContain(r.status);
    const rows = await sql(t.databaseUrl, 'select s.id from chat_session s join customer c on c.id = s.customer_id where c.name = $1', [name]);
    expect(rows).toHaveLength(1);
  });
});

describe('GET /api/v1/chats/{id}', () => {
  it('should require authentication, and a valid token', async () => {
    const { session } = await startChat(t, { skill: uniqueSkill() });
    expect(view(await rest.get(`/chats/${session.id}`))).toEqual(problem(401, 'UNAUTHENTICATED'));
    const bad = await rest.get(`/chats/${session.id}`, { token: 'sbk_nope' });
    expect(view(bad)).toEqual(problem(401, 'UNAUTHENTICATED'));
    expect(bad.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('should give the session and a page of its transcript to who may see it, also under /chat_sessions', async () => {
    const { session, visitor, agent } = await buildActiveChat(t, { message: 'one' });
    for (let i = 2; i <= 4; i++) await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `m${i}` } }, visitor);
    const page = await rest.get(`/chats/${session.id}?afterSeq=1&limit=2`, { token: visitor });
    expect(page.status).toBe(200);
    expect(page.body.chat).toMatchObject({ id: session.id, status: 'ACTIVE', agent: { id: agent.id }, customer: { name: 'Vic' } });
    expect(page.body.messages.map((m: { seq: number }) => m.seq)).toEqual([2, 3]);
    expect(page.body.hasMore).toBe(true);
    const alias = await rest.get(`/chat_sessions/${session.id}`, { token: agent.token });
    expect(alias.body.messages.map((m: { body: string }) => m.body)).toEqual(['one', 'm2', 'm3', 'm4']);
    expect(alias.body.chat.agent.email).toBe(agent.email);
    const key = await buildApiKey(t, ['CHATS_READ'], 'reader', supervisor);
    expect((await rest.get(`/chats/${session.id}?beforeSeq=2`, { token: key.secret })).body.messages).toHaveLength(1);
  });

  it('should answer 404 to who may not see it, 403 naming the scope to a key without it, 400 to bad paging', async () => {
    const { session } = await buildActiveChat(t);
    const stranger = await startChat(t, { skill: uniqueSkill() });
    expect(view(await rest.get(`/chats/${session.id}`, { token: stranger.token }))).toEqual(problem(404, 'NOT_FOUND'));
    expect(view(await rest.get('/chats/not-a-uuid', { token: supervisor }))).toEqual(problem(404, 'NOT_FOUND'));
    const key = await buildApiKey(t, ['AGENTS_READ'], 'agents only', supervisor);
    expect(view(await rest.get(`/chats/${session.id}`, { token: key.secret }))).toEqual(problem(403, 'FORBIDDEN', { detail: 'This API key lacks the scope CHATS_READ.' }));
    expect(view(await rest.get(`/chats/${session.id}?limit=0`, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'limit' }));
    expect(view(await rest.get(`/chats/${session.id}?limit=ten`, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'limit' }));
    expect(view(await rest.get(`/chats/${session.id}?page=2`, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'page' }));
  });
});

describe('POST /api/v1/chats/{id}/messages and POST /api/v1/messages', () => {
  it('should require authentication', async () => {
    const { session } = await buildActiveChat(t);
    expect(view(await rest.post(`/chats/${session.id}/messages`, { body: 'hi' }))).toEqual(problem(401, 'UNAUTHENTICATED'));
    expect(view(await rest.post('/messages', { chatSessionId: session.id, message: 'hi' }))).toEqual(problem(401, 'UNAUTHENTICATED'));
  });

  it('should store the message (201), and answer a retry with the same Idempotency-Key with the first one (200)', async () => {
    const { session, visitor, agent } = await buildActiveChat(t);
    const first = await rest.post(`/chats/${session.id}/messages`, { body: 'Where is my order?' }, { token: visitor, headers: { 'Idempotency-Key': 'k-1' } });
    expect(first.status).toBe(201);
    expect(first.body.message).toMatchObject({ seq: 1, author: 'VISITOR', body: 'Where is my order?', clientMessageId: 'k-1' });
    const retry = await rest.post(`/chats/${session.id}/messages`, { body: 'Where is my order?' }, { token: visitor, headers: { 'Idempotency-Key': 'k-1' } });
    expect({ status: retry.status, id: retry.body.message.id }).toEqual({ status: 200, id: first.body.message.id });
    const seed = await rest.post('/messages', { chatSessionId: session.id, message: 'On its way.', clientMessageId: 'a-1' }, { token: agent.token });
    expect(seed.status).toBe(201);
    expect(seed.body.message).toMatchObject({ seq: 2, author: 'AGENT' });
    expect((await rest.post('/messages', { chatSessionId: session.id, message: 'On its way.', clientMessageId: 'a-1' }, { token: agent.token })).status).toBe(200);
    const key = await buildApiKey(t, ['CHATS_WRITE'], 'Shop', supervisor);
    expect((await rest.post(`/chats/${session.id}/messages`, { body: 'Shipped.' }, { token: key.secret })).body.message).toMatchObject({ author: 'SYSTEM', authorName: 'Shop', seq: 3 });
  });

  it('should refuse a stranger (404), a closed chat (409), a missing or bad body and a key/header mismatch (400)', async () => {
    const { session, visitor } = await buildActiveChat(t);
    const stranger = await startChat(t, { skill: uniqueSkill() });
    expect(view(await rest.post(`/chats/${session.id}/messages`, { body: 'x' }, { token: stranger.token }))).toEqual(problem(404, 'NOT_FOUND'));
    expect(view(await rest.post(`/chats/${session.id}/messages`, undefined, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'body' }));
    expect(view(await rest.post(`/chats/${session.id}/messages`, { body: '   ' }, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'body' }));
    expect(view(await rest.post(`/chats/${session.id}/messages`, { text: 'hi' }, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'text' }));
    const mismatch = await rest.post(`/chats/${session.id}/messages`, { body: 'x', clientMessageId: 'a' }, { token: visitor, headers: { 'Idempotency-Key': 'b' } });
    expect(view(mismatch)).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'clientMessageId' }));
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, visitor);
    expect(view(await rest.post(`/chats/${session.id}/messages`, { body: 'late' }, { token: visitor }))).toEqual(problem(409, 'CONFLICT'));
  });
});

describe('POST /api/v1/chats/{id}/close, /transfer, /rating', () => {
  it('should close for its customer (no body needed), and refuse a stranger', async () => {
    const { session, visitor } = await buildActiveChat(t);
    expect(view(await rest.post(`/chats/${session.id}/close`))).toEqual(problem(401, 'UNAUTHENTICATED'));
    const other = await startChat(t, { skill: uniqueSkill() });
    expect(view(await rest.post(`/chats/${session.id}/close`, undefined, { token: other.token }))).toEqual(problem(404, 'NOT_FOUND'));
    const closed = await rest.post(`/chats/${session.id}/close`, undefined, { token: visitor });
    expect({ status: closed.status, chat: closed.body.chat.status }).toEqual({ status: 200, chat: 'CLOSED' });
    const rated = await rest.post(`/chats/${session.id}/rating`, { rating: 5, comment: 'Great' }, { token: visitor });
    expect(rated.body.chat).toMatchObject({ rating: 5, ratingComment: 'Great' });
    expect(view(await rest.post(`/chats/${session.id}/rating`, { rating: 9 }, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'rating' }));
    expect(view(await rest.post(`/chats/${session.id}/rating`, { rating: 'five' }, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'rating' }));
    expect(view(await rest.post(`/chats/${session.id}/close`, { now: true }, { token: visitor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'now' }));
  });

  it('should transfer for a supervisor or a CHATS_WRITE key, and refuse the visitor (403)', async () => {
    const { session, visitor } = await buildActiveChat(t);
    expect(view(await rest.post(`/chats/${session.id}/transfer`, { skill: uniqueSkill() }, { token: visitor }))).toEqual(problem(403, 'FORBIDDEN'));
    const key = await buildApiKey(t, ['CHATS_WRITE'], 'router', supervisor);
    const moved = await rest.post(`/chats/${session.id}/transfer`, { toAgentId: null, skill: uniqueSkill() }, { token: key.secret });
    expect(moved.body.chat).toMatchObject({ status: 'QUEUED', agent: null });
    expect(view(await rest.post(`/chats/${session.id}/transfer`, { skill: 'Not A Skill!' }, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'skill' }));
  });
});

describe('GET /api/v1/chats', () => {
  it('should list an agent its own sessions and a supervisor all, paged; refuse the anonymous and visitors', async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    expect(view(await rest.get('/chats'))).toEqual(problem(401, 'UNAUTHENTICATED'));
    expect(view(await rest.get('/chats', { token: visitor }))).toEqual(problem(403, 'FORBIDDEN'));
    const own = await rest.get('/chats', { token: agent.token });
    expect(own.body).toEqual({ chats: [expect.objectContaining({ id: session.id })], endCursor: null });
    const page = await rest.get('/chats?status=ACTIVE&first=1', { token: supervisor });
    expect(page.body.chats).toHaveLength(1);
    expect(page.body.endCursor).toEqual(expect.any(String));
    expect((await rest.get(`/chats?first=1&after=${page.body.endCursor}`, { token: supervisor })).body.chats[0].id).not.toBe(page.body.chats[0].id);
    expect(view(await rest.get('/chats?status=OPEN', { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'status' }));
    expect(view(await rest.get('/chats?after=garbage', { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'after' }));
  });
});

describe('/api/v1/agents', () => {
  it('should list the team to agents and AGENTS_READ keys (emails included), not to visitors', async () => {
    const agent = await buildAgent(t);
    const key = await buildApiKey(t, ['AGENTS_READ'], 'directory', supervisor);
    const list = await rest.get('/agents?status=OFFLINE', { token: key.secret });
    expect(list.body.agents).toContainEqual(expect.objectContaining({ id: agent.id, email: agent.email, status: 'OFFLINE', online: false }));
    const visitor = await startChat(t, { skill: uniqueSkill() });
    expect(view(await rest.get('/agents', { token: visitor.token }))).toEqual(problem(403, 'FORBIDDEN'));
    expect(view(await rest.get('/agents'))).toEqual(problem(401, 'UNAUTHENTICATED'));
  });

  it('should create an agent for a supervisor (201), refuse an agent (403), a duplicate (409) and bad input (400)', async () => {
    const input = { name: 'Rita', email: `rita-${uniqueSkill()}@example.com`, password: 'password1', skills: ['billing'] };
    const created = await rest.post('/agents', input, { token: supervisor });
    expect(created.status).toBe(201);
    expect(created.body.agent).toMatchObject({ name: 'Rita', email: input.email, skills: ['billing'], status: 'OFFLINE', role: 'AGENT' });
    expect(view(await rest.post('/agents', input, { token: supervisor }))).toEqual(problem(409, 'CONFLICT'));
    const agent = await buildAgent(t);
    expect(view(await rest.post('/agents', { ...input, email: 'other@example.com' }, { token: agent.token }))).toEqual(problem(403, 'FORBIDDEN'));
    expect(view(await rest.post('/agents', { ...input, password: 'short' }, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'password' }));
    expect(view(await rest.post('/agents', { ...input, admin: true }, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'admin' }));
  });

  it('should update availability and skills (PUT) for the agent itself or a supervisor, not for another agent', async () => {
    const agent = await buildAgent(t);
    const other = await buildAgent(t);
    const updated = await rest.put(`/agents/${agent.id}`, { status: 'AWAY', skills: ['sales', 'billing'], maxConcurrentChats: 5 }, { token: supervisor });
    expect(updated.body.agent).toMatchObject({ status: 'AWAY', skills: ['sales', 'billing'], maxConcurrentChats: 5 });
    expect((await rest.put(`/agents/${agent.id}`, { status: 'ONLINE' }, { token: agent.token })).body.agent.status).toBe('ONLINE');
    expect(view(await rest.put(`/agents/${agent.id}`, { status: 'OFFLINE' }, { token: other.token }))).toEqual(problem(403, 'FORBIDDEN'));
    expect(view(await rest.put('/agents/00000000-0000-4000-8000-000000000000', { name: 'x' }, { token: supervisor }))).toEqual(problem(404, 'NOT_FOUND'));
    expect(view(await rest.put(`/agents/${agent.id}`, { status: 'BUSY' }, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'status' }));
    expect(view(await rest.put(`/agents/${agent.id}`, undefined, { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'body' }));
  });
});

describe('GET /api/v1/metrics/agents and POST /api/v1/auth/login', () => {
  it('should give metrics to a supervisor and a METRICS_READ key, an agent its own only', async () => {
    const { agent } = await buildActiveChat(t);
    const team = await rest.get('/metrics/agents', { token: supervisor });
    expect(team.body.metrics).toMatchObject({ agentId: null, chatsAssigned: expect.any(Number) });
    const key = await buildApiKey(t, ['METRICS_READ'], 'warehouse', supervisor);
    const from = new Date(Date.now() - 3600_000).toISOString();
    const one = await rest.get(`/metrics/agents?agentId=${agent.id}&from=${from}`, { token: key.secret });
    expect(one.body.metrics).toMatchObject({ agentId: agent.id, chatsAssigned: 1 });
    const other = await buildAgent(t);
    expect(view(await rest.get(`/metrics/agents?agentId=${agent.id}`, { token: other.token }))).toEqual(problem(403, 'FORBIDDEN'));
    expect(view(await rest.get('/metrics/agents?from=yesterday', { token: supervisor }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'from' }));
    expect(view(await rest.get('/metrics/agents'))).toEqual(problem(401, 'UNAUTHENTICATED'));
  });

  it('should sign an agent in, and refuse a wrong password (401)', async () => {
    const agent = await buildAgent(t);
    const ok = await rest.post('/auth/login', { email: agent.email, password: agent.password });
    expect(ok.body).toMatchObject({ token: expect.any(String), agent: { id: agent.id, email: agent.email } });
    expect((await rest.get('/chats', { token: ok.body.token })).status).toBe(200);
    expect(view(await rest.post('/auth/login', { email: agent.email, password: 'wrong-password' }))).toEqual(problem(401, 'UNAUTHENTICATED'));
    expect(view(await rest.post('/auth/login', { email: agent.email }))).toEqual(problem(400, 'BAD_USER_INPUT', { field: 'password' }));
  });
});

describe('API key scopes over REST', () => {
  it('should allow each scope exactly its routes and refuse the rest with 403 naming the scope', async () => {
    const shared = await buildActiveChat(t, { message: 'hello' });
    const fresh = async (allowed: boolean) => (allowed ? (await buildActiveChat(t)).session.id : shared.session.id);
    const ops: Array<{ name: string; scope: ApiScope | null; run: (key: string, allowed: boolean) => Promise<{ status: number; body: { detail?: string } }> }> = [
      { name: 'GET /chats/{id}', scope: 'CHATS_READ', run: (k) => rest.get(`/chats/${shared.session.id}`, { token: k }) },
      { name: 'GET /chats', scope: 'CHATS_READ', run: (k) => rest.get('/chats', { token: k }) },
      { name: 'POST /chats', scope: 'CHATS_WRITE', run: (k) => rest.post('/chats', { skill: uniqueSkill() }, { token: k }) },
      { name: 'POST /chats/{id}/messages', scope: 'CHATS_WRITE', run: async (k, ok) => rest.post(`/chats/${await fresh(ok)}/messages`, { body: 'from the CRM' }, { token: k }) },
      { name: 'POST /messages', scope: 'CHATS_WRITE', run: async (k, ok) => rest.post('/messages', { chatSessionId: await fresh(ok), message: 'from the CRM' }, { token: k }) },
      { name: 'POST /chats/{id}/close', scope: 'CHATS_WRITE', run: async (k, ok) => rest.post(`/chats/${await fresh(ok)}/close`, undefined, { token: k }) },
      { name: 'POST /chats/{id}/transfer', scope: 'CHATS_WRITE', run: async (k, ok) => rest.post(`/chats/${await fresh(ok)}/transfer`, { skill: uniqueSkill() }, { token: k }) },
      { name: 'POST /chats/{id}/rating', scope: null, run: (k) => rest.post(`/chats/${shared.session.id}/rating`, { rating: 5 }, { token: k }) },
      { name: 'GET /agents', scope: 'AGENTS_READ', run: (k) => rest.get('/agents', { token: k }) },
      { name: 'POST /agents', scope: 'AGENTS_WRITE', run: (k) => rest.post('/agents', { name: 'By key', email: `k-${uniqueSkill()}@example.com`, password: 'password1' }, { token: k }) },
      { name: 'PUT /agents/{id}', scope: 'AGENTS_WRITE', run: (k) => rest.put(`/agents/${shared.agent.id}`, { maxConcurrentChats: 4 }, { token: k }) },
      { name: 'GET /metrics/agents', scope: 'METRICS_READ', run: (k) => rest.get('/metrics/agents', { token: k }) },
    ];
    const mismatches: string[] = [];
    for (const scope of ALL_SCOPES) {
      const key = await buildApiKey(t, [scope], `rest ${scope}`, supervisor);
      for (const op of ops) {
        const allowed = op.scope === scope;
        const { status, body } = await op.run(key.secret, allowed);
        const expected = op.scope ? `This API key lacks the scope ${op.scope}.` : 'API keys may not do that.';
        if (allowed ? status >= 300 : status !== 403 || body.detail !== expected) mismatches.push(`${scope} ${op.name}: ${status} ${body.detail ?? ''}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('REST limits and browsers', () => {
  /** One more server, with rate limits on and a CORS list (one, to spare the shared Postgres' connections). */
  let limited: Awaited<ReturnType<typeof startWithSupervisor>>;
  beforeAll(async () => {
    limited = await startWithSupervisor({ env: { RATE_LIMITS: 'on', RATE_START_CHAT: '1:1', RATE_API_KEY: '2:1', CORS_ORIGINS: 'https://partner.example' } });
  });

  it('should answer 429 with Retry-After and retryAfterSeconds, per IP and per key', async () => {
    const client = new RestClient(limited.t.server.url);
    expect((await client.post('/chats', {})).status).toBe(201);
    const refused = await client.post('/chats', {});
    expect(view(refused)).toEqual(problem(429, 'RATE_LIMITED', { retryAfterSeconds: expect.any(Number) }));
    expect(Number(refused.headers.get('retry-after'))).toBe(refused.body.retryAfterSeconds);
    const key = await buildApiKey(limited.t, ['AGENTS_READ'], 'busy', limited.supervisor);
    await client.get('/agents', { token: key.secret });
    await client.get('/agents', { token: key.secret });
    const keyRefused = await client.get('/agents', { token: key.secret });
    expect(view(keyRefused)).toEqual(problem(429, 'RATE_LIMITED', { retryAfterSeconds: 60 })); // one token a minute
    expect(keyRefused.headers.get('retry-after')).toBe('60');
  });

  it('should follow CORS_ORIGINS as GraphQL does', async () => {
    const strict = limited;
    const preflight = (origin: string) =>
      fetch(`${strict.t.server.url}/api/v1/chats`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const allowed = await preflight('https://partner.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://partner.example');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('PUT');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const graphql = await fetch(strict.t.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(graphql.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should answer an unknown route with a problem (404), not HTML', async () => {
    const response = await fetch(`${t.server.url}/api/v1/tickets`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('should have received, over this file, a documented answer for every route', () => {
    const routes = new Set([...rest.seen].map((s) => s.split(' ').slice(0, 2).join(' ')));
    expect(routes.size).toBeGreaterThanOrEqual(15);
  });
});
