import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ROUTING_LOCK } from '../src/services/routing';
import { startCluster, type Cluster, type Instance } from './support/cluster';
import { SUPERVISOR } from './support/env';
import { buildActiveChat, buildAgent, startChat, uniqueSkill, type Target } from './support/factories';
import { floodInChild, measureAttack, NORMAL_P95_MS, sleep } from './support/security';
import {
  CloseChatDocument,
  CreateAgentDocument,
  LoginDocument,
  MarkReadDocument,
  RateChatDocument,
  SendMessageDocument,
  SetStatusDocument,
  SetTypingDocument,
  StartChatDocument,
  TransferChatDocument,
  UpdateAgentDocument,
} from './generated/graphql';

/**
 * Strangers making the server work before it knows who they are (Hardening II, items 6 and 7):
 * a login flood with a new email each time, and anonymous mutations that used to wait on the
 * routing lock. Real server process, rate limits on, client addresses from X-Forwarded-For
 * (TRUST_PROXY=1) so one test can be several clients.
 */
let cluster: Cluster;
let server: Instance;
let t: Target;

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const probe = async () => {
  const { data } = await t.http.request('{ __typename }', undefined, undefined, from('10.9.9.9'));
  if (!data) throw new Error('the normal query failed');
};

beforeAll(async () => {
  cluster = await startCluster({ count: 1, env: { RATE_LIMITS: 'on', TRUST_PROXY: '1', RATE_START_CHAT: '1000:1000', RATE_LOGIN: '1000:1000' } });
  server = cluster.instances[0];
  t = server;
}, 60_000);


const codeOf = (errors: Array<{ extensions?: Record<string, unknown> }> | undefined) => (errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';
describe('Mutation.login: a scrypt flood with a new email per request', () => {
  const LOGIN = { query: 'mutation { login(email: "%uuid%@example.com", password: "guess-guess") { token } }' };

  it('should refuse one address after RATE_LOGIN_IP attempts whatever the emails, while a real login elsewhere stays quick', async () => {
    let counts: Record<string, number> = {};
    const measure = await measureAttack(
      'login flood, 16 clients, one address, new email each',
      server.pid,
      async () => (counts = await floodInChild(t.url, { body: LOGIN, headers: from('10.1.0.1'), concurrency: 16, ms: 3000 })),
      probe,
    );
    console.log(`[dos] login flood from one address: ${JSON.stringify(counts)}`);
    expect(counts.UNAUTHENTICATED).toBeLessThanOrEqual(20 + 2); // the burst, and the refill over 3 s
    expect(counts.RATE_LIMITED).toBeGreaterThan(100);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    const started = Date.now();
    await t.http.ok(LoginDocument, SUPERVISOR);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should bound the hashing of a flood from many addresses: at most one core, the excess refused, a real login still served', async () => {
    let counts: Record<string, number> = {};
    let realLoginMs = Number.NaN;
    const measure = await measureAttack(
      'login flood, 16 clients, a new address and email each',
      server.pid,
      async () => {
        const flooding = floodInChild(t.url, { body: LOGIN, headers: from('%ip%'), concurrency: 16, ms: 4000 });
        await sleep(1500);
        const started = Date.now();
        // A real user retries when told RATE_LIMITED, as the contract asks.
        for (let tries = 0; tries < 20; tries++) {
          const { errors } = await t.http.request(LoginDocument, SUPERVISOR, undefined, from('10.3.0.1'));
          if (!errors) break;
          expect(codeOf(errors)).toBe('RATE_LIMITED');
          await sleep(100);
        }
        realLoginMs = Date.now() - started;
        counts = await flooding;
      },
      probe,
    );
    console.log(`[dos] login flood from many addresses: ${JSON.stringify(counts)}; a real login took ${realLoginMs} ms`);
    expect(counts.RATE_LIMITED).toBeGreaterThan(0);
    // PASSWORD_HASH_CONCURRENCY=1: one scrypt at a time, so one core at most (plus the requests themselves).
    expect(measure.cpuMs / measure.ms).toBeLessThan(1.4);
    expect(measure.probe.p95).toBeLessThan(NORMAL_P95_MS);
    expect(realLoginMs).toBeLessThan(2000);
  });
});

describe('mutations from strangers', () => {
  it('should answer 40 concurrent anonymous closeChat loops at once, startChat staying fast', async () => {
    let counts: Record<string, number> = {};
    const skill = uniqueSkill();
    const start = async () => {
      const { errors } = await t.http.request(StartChatDocument, { input: { name: 'Real', skill } }, undefined, from('10.4.0.1'));
      if (errors) throw new Error(JSON.stringify(errors));
    };
    const measure = await measureAttack(
      '40 concurrent anonymous closeChat loops',
      server.pid,
      async () => (counts = await floodInChild(t.url, { body: { query: 'mutation { closeChat(sessionId: "%uuid%") { id } }' }, concurrency: 40, ms: 3000 })),
      start,
    );
    console.log(`[dos] anonymous closeChat: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts)).toEqual(['UNAUTHENTICATED']);
    // startChat is a routing transaction of about a dozen round trips, each queued behind the
    // flood's requests (40 in flight, each a new document to parse and validate: two thirds of the
    // server's CPU here), and the flooding process itself takes one of the machine's two cores:
    // three times the usual bound (it was twice, before this round's startChat gained its visitor
    // context, outbox and timer hooks; issue 17 has the profile). That no stranger waits on the
    // lock is the next test's.
    expect(measure.probe.p95).toBeLessThan(3 * NORMAL_P95_MS);
  });

  it('should authorise every mutation before any transaction or lock: all answer while the routing lock is held', async () => {
    const chat = await buildActiveChat(t);
    await chat.agent.socket?.dispose();
    const other = await startChat(t, { name: 'Other' }, undefined);
    const agent = await buildAgent(t);
    const locker = new Client({ connectionString: cluster.databaseUrl });
    await locker.connect();
    await locker.query('select pg_advisory_lock($1)', [ROUTING_LOCK]);
    try {
      const sid = chat.session.id;
      const stranger = other.token;
      const cases: Array<[string, Promise<{ errors?: Array<{ extensions?: Record<string, unknown> }> }>, string]> = [
        ['anonymous closeChat', t.http.request(CloseChatDocument, { sessionId: sid }), 'UNAUTHENTICATED'],
        ['anonymous transferChat', t.http.request(TransferChatDocument, { sessionId: sid }), 'UNAUTHENTICATED'],
        ['anonymous rateChat', t.http.request(RateChatDocument, { sessionId: sid, rating: 5 }), 'UNAUTHENTICATED'],
        ['anonymous sendMessage', t.http.request(SendMessageDocument, { input: { sessionId: sid, body: 'x' } }), 'UNAUTHENTICATED'],
        ['anonymous markRead', t.http.request(MarkReadDocument, { sessionId: sid, seq: 1 }), 'UNAUTHENTICATED'],
        ['anonymous setTyping', t.http.request(SetTypingDocument, { sessionId: sid, typing: true }), 'UNAUTHENTICATED'],
        ['anonymous setStatus', t.http.request(SetStatusDocument, { status: 'ONLINE' }), 'UNAUTHENTICATED'],
        ['anonymous updateAgent', t.http.request(UpdateAgentDocument, { id: agent.id, input: { maxConcurrentChats: 9 } }), 'UNAUTHENTICATED'],
        ['anonymous createAgent', t.http.request(CreateAgentDocument, { input: { name: 'X', email: 'x@example.com', password: 'long-password' } }), 'UNAUTHENTICATED'],
        ['stranger closeChat', t.http.request(CloseChatDocument, { sessionId: sid }, stranger), 'NOT_FOUND'],
        ['stranger closeChat, random id', t.http.request(CloseChatDocument, { sessionId: randomUUID() }, stranger), 'NOT_FOUND'],
        ['stranger transferChat', t.http.request(TransferChatDocument, { sessionId: sid }, stranger), 'NOT_FOUND'],
        ['stranger rateChat', t.http.request(RateChatDocument, { sessionId: sid, rating: 5 }, stranger), 'NOT_FOUND'],
        ['visitor updateAgent', t.http.request(UpdateAgentDocument, { id: agent.id, input: { maxConcurrentChats: 9 } }, stranger), 'FORBIDDEN'],
        ['agent updating another agent', t.http.request(UpdateAgentDocument, { id: chat.agent.id, input: { maxConcurrentChats: 9 } }, agent.token), 'FORBIDDEN'],
        ['customer transferChat', t.http.request(TransferChatDocument, { sessionId: sid }, chat.visitor), 'FORBIDDEN'],
      ];
      const started = Date.now();
      // One waiting on the lock would answer only after it is released: STILL WAITING.
      const answers = await Promise.all(
        cases.map(async ([name, request]) => [name, await Promise.race([request.then((r) => codeOf(r.errors)), sleep(3000).then(() => 'STILL WAITING')])]),
      );
      expect(Object.fromEntries(answers)).toEqual(Object.fromEntries(cases.map(([name, , code]) => [name, code])));
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await locker.query('select pg_advisory_unlock($1)', [ROUTING_LOCK]);
      await locker.end();
    }
  });
});
