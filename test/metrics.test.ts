import { randomUUID } from 'node:crypto';
import {
  AgentMetricsDocument,
  CloseChatDocument,
  RateChatDocument,
  SendMessageDocument,
  TranscriptDocument,
  type AgentMetricsQuery,
} from './generated/graphql';
import { buildAgent, buildOnlineAgent, loginSupervisor, startChat, type TestAgent } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

/**
 * Query.agentMetrics against values worked out by hand from what the API returned while the
 * chats happened (assignedAt, message createdAt). The definitions are those of
 * src/services/agent-metrics.ts and the contract's field descriptions:
 * - avgFirstResponseSeconds: per assignment, assignedAt → that agent's first message after it;
 * - avgResponseSeconds: per visitor message, until the agent's next reply (v2 and v3 both count,
 *   each until a2).
 * Pauses between steps only make the intervals differ from each other; nothing asserts speed.
 */
let t: TestServer;
let supervisor: string;
let a: TestAgent;
let b: TestAgent;
let idle: TestAgent;

const ms = (iso: string | null | undefined) => {
  if (!iso) throw new Error('missing timestamp');
  return Date.parse(iso);
};
const seconds = (from: string | null | undefined, to: string | null | undefined) => (ms(to) - ms(from)) / 1000;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const pause = (duration: number) => new Promise((resolve) => setTimeout(resolve, duration));

/** Timestamps come back in milliseconds and an event is logged a statement after it happens. */
function expectSeconds(actual: number | null, expected: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThan(0.05);
}

interface Chat {
  sessionId: string;
  token: string;
  createdAt: string;
  assignedAt: string;
  /** createdAt of the visitor's opening message, when there is one. */
  opening?: string;
}

async function open(skill: string, agent: TestAgent, message?: string): Promise<Chat> {
  const { session, token } = await startChat(t, { skill, ...(message ? { message } : {}) });
  expect(session.agent?.id).toBe(agent.id);
  const chat: Chat = { sessionId: session.id, token, createdAt: session.createdAt, assignedAt: session.assignedAt! };
  if (message) {
    const transcript = (await t.http.ok(TranscriptDocument, { id: session.id }, token)).session!.messages.messages;
    expect(transcript[0].seq).toBe(1);
    chat.opening = transcript[0].createdAt;
  }
  return chat;
}

/** Sends a message and returns its createdAt as the API gave it. */
async function say(chat: Chat, token: string, body: string): Promise<string> {
  const { sendMessage } = await t.http.ok(SendMessageDocument, { input: { sessionId: chat.sessionId, body } }, token);
  return sendMessage.createdAt;
}

const close = (chat: Chat, token: string) => t.http.ok(CloseChatDocument, { sessionId: chat.sessionId }, token);
const rate = (chat: Chat, rating: number) => t.http.ok(RateChatDocument, { sessionId: chat.sessionId, rating }, chat.token);

async function metrics(token: string, vars: { agentId?: string | null; from?: string; to?: string } = {}) {
  return (await t.http.ok(AgentMetricsDocument, vars, token)).agentMetrics;
}

type Metrics = AgentMetricsQuery['agentMetrics'];

function expectMetrics(
  actual: Metrics,
  expected: Omit<Metrics, 'from' | 'to' | 'avgFirstResponseSeconds' | 'avgResponseSeconds' | 'chatsAbandoned'> & {
    avgFirstResponseSeconds: number | null;
    avgResponseSeconds: number | null;
  },
) {
  expect(actual).toMatchObject({
    agentId: expected.agentId,
    chatsAssigned: expected.chatsAssigned,
    chatsClosed: expected.chatsClosed,
    messagesSent: expected.messagesSent,
  });
  if (expected.resolutionRate === null) expect(actual.resolutionRate).toBeNull();
  else expect(actual.resolutionRate).toBeCloseTo(expected.resolutionRate, 10);
  if (expected.avgRating === null) expect(actual.avgRating).toBeNull();
  else expect(actual.avgRating).toBeCloseTo(expected.avgRating, 10);
  if (expected.avgFirstResponseSeconds === null) expect(actual.avgFirstResponseSeconds).toBeNull();
  else expectSeconds(actual.avgFirstResponseSeconds, expected.avgFirstResponseSeconds);
  if (expected.avgResponseSeconds === null) expect(actual.avgResponseSeconds).toBeNull();
  else expectSeconds(actual.avgResponseSeconds, expected.avgResponseSeconds);
}

/** What happened, as the API reported it. */
const log = {} as {
  c1: Chat; a1: string; v2: string; v3: string; a2: string;
  c2: Chat; b1: string; w1: string; b2: string;
  c3: Chat; x1: string;
  c4: Chat;
  /** The start of the second period: chat 5's createdAt. */
  boundary: string;
  c5: Chat; d1: string;
};

beforeAll(async () => {
  t = await startTestServer();
  supervisor = await loginSupervisor(t);
  a = await buildOnlineAgent(t, { name: 'Ann', skills: ['metrics-a'], maxConcurrentChats: 5 });
  b = await buildOnlineAgent(t, { name: 'Ben', skills: ['metrics-b'] });
  idle = await buildAgent(t, { name: 'Ida' });

  // Period 1.
  // Chat 1 (Ann): the visitor opens with a message; Ann answers; two visitor messages, then two
  // replies in a row (a2 answers both v2 and v3; a3 answers nothing). Ann closes; rated 5.
  log.c1 = await open('metrics-a', a, 'v1: hello');
  await pause(300);
  log.a1 = await say(log.c1, a.token, 'a1: hi there');
  await pause(100);
  log.v2 = await say(log.c1, log.c1.token, 'v2: my invoice');
  await pause(600);
  log.v3 = await say(log.c1, log.c1.token, 'v3: is wrong');
  await pause(300);
  log.a2 = await say(log.c1, a.token, 'a2: let me look');
  await say(log.c1, a.token, 'a3: fixed');
  await close(log.c1, a.token);
  await rate(log.c1, 5);

  // Chat 2 (Ann): no opening message; Ann writes first (a first response, not a reply), the
  // visitor answers, Ann replies. Left open.
  log.c2 = await open('metrics-a', a);
  await pause(200);
  log.b1 = await say(log.c2, a.token, 'b1: anything I can do?');
  await pause(100);
  log.w1 = await say(log.c2, log.c2.token, 'w1: yes');
  await pause(250);
  log.b2 = await say(log.c2, a.token, 'b2: sure');

  // Chat 3 (Ben): opening message, one reply; the customer closes and rates 2.
  log.c3 = await open('metrics-b', b, 'u1: hi');
  await pause(150);
  log.x1 = await say(log.c3, b.token, 'x1: hello');
  await close(log.c3, log.c3.token);
  await rate(log.c3, 2);

  // Chat 4 (Ann): never answered; the customer closes and rates 4.
  log.c4 = await open('metrics-a', a);
  await close(log.c4, log.c4.token);
  await rate(log.c4, 4);

  // Period 2: chat 5 (Ann): opening message, a reply, closed by Ann, rated 1.
  await pause(50);
  log.c5 = await open('metrics-a', a, 'z1: me again');
  log.boundary = log.c5.createdAt;
  await pause(120);
  log.d1 = await say(log.c5, a.token, 'd1: welcome back');
  await close(log.c5, a.token);
  await rate(log.c5, 1);
}, 60_000);


describe('Query.agentMetrics', () => {
  it('should require authentication', async () => {
    expect((await t.http.fail(AgentMetricsDocument, {})).code).toBe('UNAUTHENTICATED');
  });

  it('should refuse a customer with FORBIDDEN', async () => {
    expect((await t.http.fail(AgentMetricsDocument, {}, log.c1.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(AgentMetricsDocument, { agentId: a.id }, log.c1.token)).code).toBe('FORBIDDEN');
  });

  it("should let an agent read its own metrics but not another's", async () => {
    const own = await metrics(a.token, { agentId: a.id });
    expect(own.agentId).toBe(a.id);
    // Without agentId, an agent gets its own, never the team's.
    expect(await metrics(a.token)).toEqual({ ...own, from: expect.any(String), to: expect.any(String) });
    expect((await t.http.fail(AgentMetricsDocument, { agentId: b.id }, a.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(AgentMetricsDocument, { agentId: a.id }, b.token)).code).toBe('FORBIDDEN');
  });

  it('should refuse a window whose from is after its to with BAD_USER_INPUT', async () => {
    const { code } = await t.http.fail(AgentMetricsDocument, { from: '2026-02-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' }, supervisor);
    expect(code).toBe('BAD_USER_INPUT');
  });

  it('should refuse a from that is no date-time with BAD_USER_INPUT', async () => {
    expect((await t.http.fail(AgentMetricsDocument, { from: 'yesterday' }, supervisor)).code).toBe('BAD_USER_INPUT');
  });

  it('should answer NOT_FOUND for an unknown agent', async () => {
    expect((await t.http.fail(AgentMetricsDocument, { agentId: randomUUID() }, supervisor)).code).toBe('NOT_FOUND');
  });

  it('should default to the last 7 days', async () => {
    const result = await metrics(supervisor, { agentId: a.id });
    expect(ms(result.to) - ms(result.from)).toBe(7 * 24 * 3600 * 1000);
    expect(ms(result.to)).toBeGreaterThanOrEqual(ms(log.d1));
  });

  /** The metrics of a window with no chat of the agent in it: zeros, and no rates or averages. */
  const NOTHING = { chatsAssigned: 0, chatsClosed: 0, resolutionRate: null, avgFirstResponseSeconds: null, avgResponseSeconds: null, avgRating: null, messagesSent: 0 };

  it('should count an agent with no chats as zero, with no rates or averages', async () => {
    expectMetrics(await metrics(supervisor, { agentId: idle.id }), {
      agentId: idle.id,
      ...NOTHING,
    });
  });

  /** Ann's first-period first responses (chats 1 and 2) and responses (a1, a2 twice, b2): every window with the first period counts them. */
  const annFirstResponses = () => [seconds(log.c1.assignedAt, log.a1), seconds(log.c2.assignedAt, log.b1)];
  const annResponses = () => [seconds(log.c1.opening, log.a1), seconds(log.v2, log.a2), seconds(log.v3, log.a2), seconds(log.w1, log.b2)];

  describe('over the first period (to = the start of the second)', () => {
    const firstPeriod = () => ({ from: new Date(ms(log.boundary) - 3600_000).toISOString(), to: log.boundary });

    it("should compute Ann's metrics", async () => {
      const result = await metrics(supervisor, { agentId: a.id, ...firstPeriod() });
      expect(result).toMatchObject(firstPeriod());
      expectMetrics(result, {
        agentId: a.id,
        chatsAssigned: 3, // chats 1, 2, 4
        chatsClosed: 2, // chats 1, 4
        resolutionRate: 2 / 3,
        avgFirstResponseSeconds: mean(annFirstResponses()),
        avgResponseSeconds: mean(annResponses()),
        avgRating: (5 + 4) / 2,
        messagesSent: 5, // a1, a2, a3, b1, b2
      });
    });

    it("should compute Ben's metrics, and Ann's own view should match the supervisor's", async () => {
      expectMetrics(await metrics(b.token, firstPeriod()), {
        agentId: b.id,
        chatsAssigned: 1,
        chatsClosed: 1,
        resolutionRate: 1,
        avgFirstResponseSeconds: seconds(log.c3.assignedAt, log.x1),
        avgResponseSeconds: seconds(log.c3.opening, log.x1),
        avgRating: 2,
        messagesSent: 1,
      });
      const bySupervisor = await metrics(supervisor, { agentId: a.id, ...firstPeriod() });
      expect(await metrics(a.token, firstPeriod())).toEqual(bySupervisor);
    });

    it("should compute the team's metrics for a supervisor with agentId null", async () => {
      expectMetrics(await metrics(supervisor, { agentId: null, ...firstPeriod() }), {
        agentId: null,
        chatsAssigned: 4,
        chatsClosed: 3,
        resolutionRate: 3 / 4,
        avgFirstResponseSeconds: mean([...annFirstResponses(), seconds(log.c3.assignedAt, log.x1)]),
        avgResponseSeconds: mean([...annResponses(), seconds(log.c3.opening, log.x1)]),
        avgRating: (5 + 4 + 2) / 3,
        messagesSent: 6,
      });
    });
  });

  describe('over the second period (from = its start)', () => {
    it('should leave out everything before the window', async () => {
      const result = await metrics(supervisor, { agentId: a.id, from: log.boundary });
      expect(result.from).toBe(log.boundary);
      expectMetrics(result, {
        agentId: a.id,
        chatsAssigned: 1,
        chatsClosed: 1,
        resolutionRate: 1,
        avgFirstResponseSeconds: seconds(log.c5.assignedAt, log.d1),
        avgResponseSeconds: seconds(log.c5.opening, log.d1),
        avgRating: 1,
        messagesSent: 1,
      });
      expectMetrics(await metrics(supervisor, { agentId: b.id, from: log.boundary }), {
        agentId: b.id,
        ...NOTHING,
      });
    });

    it('should be empty when from equals to', async () => {
      const result = await metrics(supervisor, { agentId: null, from: log.boundary, to: log.boundary });
      expect(result).toMatchObject({ chatsAssigned: 0, chatsClosed: 0, resolutionRate: null, messagesSent: 0, avgRating: null });
    });
  });

  describe('over the default window (both periods)', () => {
    it("should add up Ann's chats from both periods", async () => {
      expectMetrics(await metrics(a.token), {
        agentId: a.id,
        chatsAssigned: 4,
        chatsClosed: 3,
        resolutionRate: 3 / 4,
        avgFirstResponseSeconds: mean([...annFirstResponses(), seconds(log.c5.assignedAt, log.d1)]),
        avgResponseSeconds: mean([...annResponses(), seconds(log.c5.opening, log.d1)]),
        avgRating: (5 + 4 + 1) / 3,
        messagesSent: 6,
      });
    });

    it("should add up the team's chats from both periods", async () => {
      const team = await metrics(supervisor);
      expect(team).toMatchObject({ agentId: null, chatsAssigned: 5, chatsClosed: 4, messagesSent: 7 });
      expect(team.resolutionRate).toBeCloseTo(4 / 5, 10);
      expect(team.avgRating).toBeCloseTo((5 + 4 + 2 + 1) / 4, 10);
    });
  });
});
