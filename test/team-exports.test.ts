import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { AgentMetricsDocument, CloseChatDocument, RateChatDocument, SendMessageDocument } from './generated/graphql';
import { createTestDatabase, sql, testServerEnv, uniqueName } from './support/env';
import { buildAgent, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill } from './support/factories';
import { startServerProcess } from './support/process';
import { startTestServer, startWithSupervisor, type TestServer } from './support/server';

/** The team extension's "Exports": GET /api/v1/exports/sessions.csv and metrics.csv. */
jest.setTimeout(180_000);

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

  it('should stream 100,000 sessions from a server process whose memory grows by less than 50 MB', async () => {
    const database = await createTestDatabase();
    const server = await startServerProcess({
      ...testServerEnv({ databaseUrl: database.url, redisPrefix: `${uniqueName('x')}:` }),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    // 100,000 sessions cannot be made through the API in a test's time: they are written at once.
    await sql(
      database.url,
      `with c as (insert into customer (id, name, email) values (gen_random_uuid(), 'Bulk Visitor', 'bulk@example.com') returning id),
            s as (insert into chat_session (id, customer_id, status, created_at, closed_at, last_seq)
                  select gen_random_uuid(), c.id, 'CLOSED', now() - interval '1 hour' + i * interval '1 millisecond', now(), 1
                    from c, generate_series(1, 100000) as i returning id, created_at)
       insert into message (id, session_id, seq, author, body, created_at)
       select gen_random_uuid(), s.id, 1, 'VISITOR', '=SUM(A1:A9) and some more words to make the row longer than an id', s.created_at from s`,
    );
    const boss = (await server.http.ok(`mutation { login(email: "boss@example.com", password: "supervisor-pass") { token } }`)) as { login: { token: string } };
    const [{ first }] = await sql<{ first: Date }>(database.url, 'select min(created_at) as first from chat_session');
    const exportUrl = (from: Date, to: Date) => `${server.base}/api/v1/exports/sessions.csv?from=${from.toISOString()}&to=${to.toISOString()}`;
    const url = exportUrl(new Date(first), new Date(Date.now() + hour));
    const headers = { authorization: `Bearer ${boss.login.token}` };
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) * 1024;
    // Growth is measured from the fresh process: a first export of 10,000 (the code paths warmed
    // up), then one of all 100,000, ten times as many rows, must stay within the same 50 MB.
    const fresh = rss();
    let started = Date.now();
    const warm = await fetch(exportUrl(new Date(first), new Date(new Date(first).getTime() + 10_000)), { headers });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();
    if (!server.running) throw new Error(server.output());
    const warmMs = Date.now() - started;
    const before = rss();
    started = Date.now();
    let peak = Math.max(fresh, before);
    const sampler = setInterval(() => {
      if (server.running) peak = Math.max(peak, rss());
    }, 50);
    let rows = 0;
    let formulas = 0;
    try {
      const response = await fetch(url, { headers });
      expect(response.status).toBe(200);
      const chunks: Buffer[] = [];
      for await (const chunk of Readable.fromWeb(response.body as never)) chunks.push(chunk as Buffer);
      for (const record of parse(Buffer.concat(chunks), { columns: true }) as Array<Record<string, string>>) {
        rows++;
        if (record.firstMessage.startsWith("'=SUM(")) formulas++;
      }
    } finally {
      clearInterval(sampler);
    }
    expect(rows).toBe(100_000);
    expect(formulas).toBe(100_000);
    const growthMb = (peak - fresh) / 1024 / 1024;
    console.log(
      `sessions.csv, 100,000 rows: server RSS ${Math.round(fresh / 1048576)} MB fresh, ${Math.round(before / 1048576)} MB after a first export (${warmMs} ms); ` +
        `peak ${Math.round(peak / 1048576)} MB during the whole export (${Date.now() - started} ms): growth ${growthMb.toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(50);
    await server.terminate();
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
