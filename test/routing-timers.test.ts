/**
 * Desk extension, "Routing additions": no-reply reassignment (REASSIGN_AFTER_SECONDS), AWAY after
 * missed chats (AWAY_AFTER_MISSED), skill fallback (SKILL_FALLBACK_SECONDS), against real servers
 * in this process. test/scale-timers covers the same timers across processes and a SIGKILL.
 */
import { ConfigError, loadConfig } from '../src/config';
import { MissedMetricsDocument, SendMessageDocument, SessionDocument } from './generated/graphql';
import { sql } from './support/env';
import { buildActiveChat, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill, waitFor } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

const N = 2;

const events = (t: TestServer, sessionId: string) =>
  sql<{ kind: string; actor_kind: string; agent_id: string | null; data: Record<string, unknown> }>(
    t.databaseUrl,
    'select kind, actor_kind, agent_id, data from session_event where session_id = $1 order by at, id',
    [sessionId],
  );

describe('no reply (REASSIGN_AFTER_SECONDS, AWAY_AFTER_MISSED)', () => {
  let t: TestServer;
  let supervisor: string;
  beforeAll(async () => {
    t = await startTestServer({ env: { REASSIGN_AFTER_SECONDS: String(N), AWAY_AFTER_MISSED: '2' } });
    supervisor = await loginSupervisor(t);
  });
  const session = async (id: string) => (await t.http.ok(SessionDocument, { id }, supervisor)).session!;
  const missed = async (agentId: string) => (await t.http.ok(MissedMetricsDocument, { agentId }, supervisor)).agentMetrics.chatsMissed;

  it('should take a chat back from an agent that sent nothing in N s and give it to another, once; chatsMissed counts it', async () => {
    const { agent: silent, session: chat, skill } = await buildActiveChat(t, { message: 'hello?' });
    const assignedAt = Date.now();
    const other = await buildOnlineAgent(t, { skills: [skill] });
    const moved = await waitFor(async () => {
      const s = await session(chat.id);
      return s.agent?.id === other.id && s;
    }, (N + 5) * 1000, 50);
    const after = (Date.now() - assignedAt) / 1000;
    console.log(`no reply: reassigned ${after.toFixed(1)} s after the assignment (REASSIGN_AFTER_SECONDS ${N})`);
    expect(after).toBeGreaterThanOrEqual(N - 0.2);
    expect(after).toBeLessThan(N + 5);
    expect(moved.status).toBe('ACTIVE');
    const trail = await events(t, chat.id);
    expect(trail.map((e) => e.kind)).toEqual(['created', 'assigned', 'reassigned', 'assigned']);
    expect(trail[2]).toEqual({ kind: 'reassigned', actor_kind: 'system', agent_id: silent.id, data: { reason: 'no_reply', fromAgentId: silent.id } });
    expect(trail[3].agent_id).toBe(other.id);
    expect(await missed(silent.id)).toBe(1);
    expect(await missed(other.id)).toBe(0);

    // The new agent answers in time: the chat stays with it.
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.id, body: 'Hi, I am here' } }, other.token);
    await new Promise((r) => setTimeout(r, (N + 2) * 1000));
    expect((await session(chat.id)).agent?.id).toBe(other.id);
    expect((await events(t, chat.id)).filter((e) => e.kind === 'reassigned')).toHaveLength(1);
    const [team] = [(await t.http.ok(MissedMetricsDocument, { agentId: null }, supervisor)).agentMetrics];
    expect(team.chatsMissed).toBeGreaterThanOrEqual(1);
  });

  it('should give it back to the same agent only when nobody else can take it, and set an agent AWAY after AWAY_AFTER_MISSED in a row', async () => {
    const { agent, session: chat } = await buildActiveChat(t);
    // First miss: nobody else has the skill, so back to the same agent.
    await waitFor(async () => (await events(t, chat.id)).filter((e) => e.kind === 'assigned').length === 2, (N + 5) * 1000, 50);
    expect((await session(chat.id)).agent?.id).toBe(agent.id);
    // Second miss in a row: AWAY, and the chat waits in the queue (AWAY takes no new chats).
    const queued = await waitFor(async () => {
      const s = await session(chat.id);
      return s.status === 'QUEUED' && s;
    }, (N + 5) * 1000, 50);
    expect(queued.agent).toBeNull();
    expect(queued.queuePosition).toBe(1);
    const [row] = await sql<{ status: string }>(t.databaseUrl, 'select status from agent where id = $1', [agent.id]);
    expect(row.status).toBe('AWAY');
    const reassigned = (await events(t, chat.id)).filter((e) => e.kind === 'reassigned');
    expect(reassigned.map((e) => e.data)).toEqual([
      { reason: 'no_reply', fromAgentId: agent.id },
      { reason: 'no_reply', fromAgentId: agent.id, agentSetAway: true },
    ]);
    expect(await missed(agent.id)).toBe(2);
  });

  it('should leave alone a chat whose agent replied in time', async () => {
    const { agent, session: chat } = await buildActiveChat(t);
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.id, body: 'Hello!' } }, agent.token);
    await new Promise((r) => setTimeout(r, (N + 2) * 1000));
    const s = await session(chat.id);
    expect(s.status).toBe('ACTIVE');
    expect(s.agent?.id).toBe(agent.id);
    expect((await events(t, chat.id)).map((e) => e.kind)).toEqual(['created', 'assigned']);
    expect(await missed(agent.id)).toBe(0);
  });
});

describe('skill fallback (SKILL_FALLBACK_SECONDS)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: { SKILL_FALLBACK_SECONDS: String(N) } });
  });

  it('should let an agent without the skill take a chat that waited N s for it, in queue order', async () => {
    const generalist = await buildOnlineAgent(t, { skills: [uniqueSkill()], maxConcurrentChats: 1 });
    const rare = uniqueSkill();
    const first = await startChat(t, { skill: rare });
    const startedAt = Date.now();
    const second = await startChat(t, { skill: uniqueSkill() });
    expect([first.session.status, second.session.status]).toEqual(['QUEUED', 'QUEUED']);
    await new Promise((r) => setTimeout(r, (N - 1) * 1000));
    const early = await sql<{ status: string }>(t.databaseUrl, 'select status from chat_session where id = $1', [first.session.id]);
    expect(early[0].status).toBe('QUEUED'); // not before its time
    const taken = await waitFor(async () => {
      const [s] = await sql<{ status: string; agent_id: string | null }>(t.databaseUrl, 'select status, agent_id from chat_session where id = $1', [first.session.id]);
      return s.status === 'ACTIVE' && s;
    }, (N + 5) * 1000, 50);
    const after = (Date.now() - startedAt) / 1000;
    console.log(`skill fallback: taken ${after.toFixed(1)} s after it was queued (SKILL_FALLBACK_SECONDS ${N})`);
    expect(after).toBeLessThan(N + 5);
    expect(taken.agent_id).toBe(generalist.id);
    const trail = await events(t, first.session.id);
    expect(trail.map((e) => [e.kind, e.data])).toEqual([
      ['created', { skill: rare }],
      ['queued', {}],
      ['assigned', { reason: 'skill_fallback' }],
    ]);
    // The generalist is full: the second chat (queued later) waits, still QUEUED.
    const [still] = await sql<{ status: string }>(t.databaseUrl, 'select status from chat_session where id = $1', [second.session.id]);
    expect(still.status).toBe('QUEUED');
  });
});

describe('configuration of the desk additions', () => {
  it('should be off by default, and name every bad variable at once', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db' };
    const defaults = loadConfig(base);
    expect(defaults).toMatchObject({
      REASSIGN_AFTER_SECONDS: 0,
      AWAY_AFTER_MISSED: 0,
      SKILL_FALLBACK_SECONDS: 0,
      EMAIL_NOTIFY_DELAY_SECONDS: 120,
      publicUrl: 'http://localhost:4000',
    });
    expect(defaults.SMTP_URL).toBeUndefined();
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://help.example.com/' }).publicUrl).toBe('https://help.example.com');
    let error: unknown;
    try {
      loadConfig({
        ...base,
        SMTP_URL: 'http://mail.example.com',
        EMAIL_FROM: 'not an address',
        PUBLIC_URL: 'ftp://x',
        REASSIGN_AFTER_SECONDS: '-1',
        AWAY_AFTER_MISSED: 'many',
        SKILL_FALLBACK_SECONDS: '1.5',
        EMAIL_NOTIFY_DELAY_SECONDS: '0',
        RATE_EMAIL_TRANSCRIPT: '3',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const named = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
    expect(named).toEqual(
      ['AWAY_AFTER_MISSED', 'EMAIL_FROM', 'EMAIL_NOTIFY_DELAY_SECONDS', 'PUBLIC_URL', 'RATE_EMAIL_TRANSCRIPT', 'REASSIGN_AFTER_SECONDS', 'SKILL_FALLBACK_SECONDS', 'SMTP_URL'].sort(),
    );
  });
});
