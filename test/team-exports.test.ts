import { parse } from 'csv-parse/sync';
import { AgentMetricsDocument, CloseChatDocument, CreateApiKeyDocument, RateChatDocument, SendMessageDocument } from './generated/graphql';
import { sql } from './support/env';
import { buildAgent, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill } from './support/factories';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';

/** The team extension's "Exports": GET /api/v1/exports/sessions.csv and metrics.csv. */

let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
});

const base = (server: TestServer) => server.url.replace(/\/graphql$/, '');
const get = (server: TestServer, path: string, token?: string) =>
  fetch(`${base(server)}/api/v1/exports/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const hour = 3600_000;
const window = () => `from=${new Date(Date.now() - hour).toISOString()}&to=${new Date(Date.now() + hour).toISOString()}`;

describe('GET /api/v1/exports/*.csv: who may', () => {
  it('should refuse the anonymous and bad tokens (401), agents (403) and bad windows (400), as problem+json', async () => {
    const agent = await buildAgent(t);
    for (const path of ['sessions.csv', 'metrics.csv']) {
      const anonymous = await get(t, path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await anonymous.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect((await get(t, path, 'not-a-token')).status).toBe(401);
      const forbidden = await get(t, path, agent.token);
      expect(forbidden.status).toBe(403);
      expect(await forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
      const bad = await get(t, `${path}?from=yesterday`, supervisor);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
      expect((await get(t, `${path}?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`, supervisor)).status).toBe(400);
      expect((await get(t, `${path}?limit=5`, supervisor)).status).toBe(400);
    }
  });

  it('should serve a METRICS_READ key, and refuse a key without it naming the scope (403)', async () => {
    const { createApiKey: bi } = await t.http.ok(CreateApiKeyDocument, { name: 'BI', scopes: ['METRICS_READ'] }, supervisor);
    const { createApiKey: crm } = await t.http.ok(CreateApiKeyDocument, { name: 'CRM', scopes: ['CHATS_READ'] }, supervisor);
    for (const path of ['sessions.csv', 'metrics.csv']) {
      const ok = await get(t, path, bi.secret);
      expect(ok.status).toBe(200);
      expect((await ok.text()).split('\r\n')[0]).toMatch(/^(id|agentId),/);
      const refused = await get(t, path, crm.secret);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/METRICS_READ/);
    }
  });

  it('should rate limit each caller (429 with Retry-After)', async () => {
    const limited = await startTestServer({ env: { RATE_LIMITS: 'on', RATE_EXPORT: '1:1' } });
    const boss = await loginSupervisor(limited);
    expect((await get(limited, 'metrics.csv', boss)).status).toBe(200);
    const refused = await get(limited, 'metrics.csv', boss);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('GET /api/v1/exports/sessions.csv', () => {
  it('should be RFC 4180 CSV that parses back to the stored values, formulas defused', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill], name: '+Agent Plus' });
    const tricky = { name: '@admin, "the boss"', email: 'tricky@example.com', message: '=HYPERLINK("http://evil.example","click")' };
    const { session, token } = await startChat(t, { skill, ...tricky });
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'line one\nline two' } }, agent.token);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, token);
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 5, comment: '-1 "great", really\r\nthanks' }, token);

    const response = await get(t, `sessions.csv?${window()}`, supervisor);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="sessions-.+\.csv"$/);
    const text = await response.text();
    expect(text.split('\r\n')[0]).toBe('id,status,skill,createdAt,assignedAt,firstResponseAt,closedAt,customerId,customerName,customerEmail,agentId,agentName,messages,rating,ratingComment,firstMessage');
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    const row = records.find((r) => r.id === session.id)!;
    const [stored] = await sql<Record<string, unknown>>(t.databaseUrl, 'select * from chat_session where id = $1', [session.id]);
    expect(row).toEqual({
      id: session.id,
      status: 'CLOSED',
      skill,
      createdAt: new Date(stored.created_at as string).toISOString(),
      assignedAt: new Date(stored.assigned_at as string).toISOString(),
      firstResponseAt: new Date(stored.first_response_at as string).toISOString(),
      closedAt: new Date(stored.closed_at as string).toISOString(),
      customerId: session.customer.id,
      customerName: `'${tricky.name}`,
      customerEmail: tricky.email,
      agentId: agent.id,
      agentName: "'+Agent Plus",
      messages: '2',
      rating: '5',
      ratingComment: `'-1 "great", really\r\nthanks`,
      firstMessage: `'${tricky.message}`,
    });
  });
});

describe('GET /api/v1/exports/metrics.csv', () => {
  it("should hold one row per agent (deactivated ones included) and the team's, the same numbers as agentMetrics", async () => {
    const from = new Date(Date.now() - hour).toISOString();
    const to = new Date(Date.now() + hour).toISOString();
    const response = await get(t, `metrics.csv?from=${from}&to=${to}`, supervisor);
    expect(response.status).toBe(200);
    const records = parse(await response.text(), { columns: true, cast: false }) as Array<Record<string, string>>;
    const agents = (await sql<{ id: string; name: string }>(t.databaseUrl, 'select id, name from agent')).length;
    expect(records).toHaveLength(agents + 1);
    const team = records[records.length - 1];
    expect(team.agentId).toBe('');
    expect(team.agentName).toBe('team');
    const { agentMetrics } = await t.http.ok(AgentMetricsDocument, { agentId: null, from, to }, supervisor);
    expect(Number(team.chatsAssigned)).toBe(agentMetrics.chatsAssigned);
    expect(Number(team.messagesSent)).toBe(agentMetrics.messagesSent);
    expect(Number(team.chatsAbandoned)).toBe(agentMetrics.chatsAbandoned);
    const busy = records.find((r) => Number(r.messagesSent) > 0 && r.agentId)!;
    const one = (await t.http.ok(AgentMetricsDocument, { agentId: busy.agentId, from, to }, supervisor)).agentMetrics;
    expect(Number(busy.chatsAssigned)).toBe(one.chatsAssigned);
    expect(Number(busy.messagesSent)).toBe(one.messagesSent);
    expect(busy.chatsAbandoned).toBe('');
  });
});
