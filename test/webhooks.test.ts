import { CloseChatDocument, RateChatDocument, SendMessageDocument, StartChatDocument, TransferChatDocument } from './generated/graphql';
import { buildActiveChat, buildAgent, buildOnlineAgent, waitFor } from './support/factories';
import { poisonMessageBody } from './support/faults';
import { startWithSupervisor, type TestServer } from './support/server';
import { sql } from './support/env';
import { createEndpoint, DELIVERY_FIELDS, deliveriesOf, startReceiver, verify, type Loose } from './support/webhooks';

/**
 * Webhooks (contract, partners: "Webhooks"), with real HTTP receivers in the test: signed in the
 * Standard Webhooks format (verified with the `standardwebhooks` package), retried, disabled on
 * 410, replayed, rotated, and refused for private addresses.
 */
const FAST = { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_SCHEDULE: '1,1,1' };

let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor({ env: FAST }));
});

// Each test's endpoints are deleted after it: later tests' events go to their own receivers only.
afterEach(async () => {
  const { webhookEndpoints } = await gql('{ webhookEndpoints { id } }');
  for (const { id } of webhookEndpoints as Array<{ id: string }>) await gql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id });
});

const gql = <T = Loose>(query: string, variables: Record<string, unknown> = {}, token = supervisor) => t.http.ok<T, unknown>(query, variables, token);

describe('Mutation.createWebhookEndpoint', () => {
  const create = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`;

  it('should require authentication', async () => {
    const { code } = await t.http.fail(create, { input: { url: 'https://1.1.1.1/hook', events: ['*'] } });
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('should refuse agents who are not supervisors', async () => {
    const agent = await buildAgent(t);
    const { code, message } = await t.http.fail(create, { input: { url: 'https://1.1.1.1/hook', events: ['*'] } }, agent.token);
    expect(code).toBe('FORBIDDEN');
    expect(message).toMatch(/supervisors/i);
  });

  it('should refuse unknown event types, an empty list and a URL that is not http(s)', async () => {
    for (const input of [
      { url: 'https://1.1.1.1/hook', events: ['chat.exploded'] },
      { url: 'https://1.1.1.1/hook', events: [] },
      { url: 'ftp://1.1.1.1/hook', events: ['*'] },
      { url: `https://1.1.1.1/${'x'.repeat(2100)}`, events: ['*'] },
    ]) {
      const { code, error } = await t.http.fail(create, { input }, supervisor);
      expect(code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field).toMatch(/^(url|events)$/);
    }
  });

  it('should give a whsec_ secret shown once, and list the endpoint without it', async () => {
    const { secret, endpoint } = await createEndpoint(t, supervisor, { url: 'https://1.1.1.1/hook', events: ['chat.closed'], description: 'CRM' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ url: 'https://1.1.1.1/hook', events: ['chat.closed'], description: 'CRM', enabled: true, disabledReason: null });
    const { webhookEndpoints } = await gql('{ webhookEndpoints { id url } }');
    expect(webhookEndpoints).toContainEqual({ id: endpoint.id, url: 'https://1.1.1.1/hook' });
    expect(JSON.stringify(webhookEndpoints)).not.toContain(secret);
    expect(await gql('mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id })).toEqual({ deleteWebhookEndpoint: true });
  });
});

describe('delivery', () => {
  it("should deliver a chat's whole life, each event signed and verifiable with standardwebhooks", async () => {
    const receiver = await startReceiver();
    const { secret, endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['*'] });
    const { agent, session, visitor, skill } = await buildActiveChat(t, { message: 'Hello there' });
    const other = await buildOnlineAgent(t, { skills: [skill] });
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'Hi, how can I help?' } }, agent.token);
    await t.http.ok(TransferChatDocument, { sessionId: session.id, toAgentId: other.id }, agent.token);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, other.token);
    await t.http.ok(RateChatDocument, { sessionId: session.id, rating: 5 }, visitor);

    const types = ['chat.started', 'chat.assigned', 'message.created', 'chat.transferred', 'chat.closed', 'chat.rated', 'agent.updated'];
    const ofChat = (type: string) => receiver.of(type).filter((r) => (r.event.data.chat?.id ?? null) === session.id);
    await waitFor(async () => types.every((type) => (type === 'agent.updated' ? receiver.of(type).length : ofChat(type).length)), 15_000);
    await waitFor(async () => ofChat('message.created').length === 2, 10_000);
    for (const r of receiver.received) expect(verify(secret, r)).toEqual(r.event);

    expect(ofChat('chat.started')[0].event.data.chat).toMatchObject({ id: session.id, customer: { name: 'Vic' } });
    expect(ofChat('chat.assigned')[0].event.data.agent).toMatchObject({ id: agent.id, email: agent.email });
    const messages = ofChat('message.created').map((r) => r.event.data.message).sort((a, b) => a.seq - b.seq);
    expect(messages.map((m) => [m.seq, m.author, m.body])).toEqual([
      [1, 'VISITOR', 'Hello there'],
      [2, 'AGENT', 'Hi, how can I help?'],
    ]);
    expect(ofChat('chat.transferred')[0].event.data).toMatchObject({ fromAgent: { id: agent.id }, toAgent: { id: other.id } });
    expect(ofChat('chat.closed')[0].event.data).toMatchObject({ closedBy: 'agent', chat: { status: 'CLOSED' } });
    expect(ofChat('chat.rated')[0].event.data.chat).toMatchObject({ rating: 5 });
    expect(receiver.of('agent.updated')[0].event.data.agent).toHaveProperty('activeChats');
    for (const r of receiver.received) {
      expect(r.event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(Math.abs(Number(r.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);
    }
    // Recorded just after the receiver answered.
    await waitFor(async () => (await deliveriesOf(t, supervisor, endpoint.id)).every((d) => d.status === 'SUCCEEDED'));
    const log = new Map((await deliveriesOf(t, supervisor, endpoint.id)).map((d) => [d.id, d]));
    for (const r of receiver.received) expect(log.get(r.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1, responseStatus: 200, event: r.event.type, payload: r.body });
  });

  it('should deliver only the event types asked for', async () => {
    const receiver = await startReceiver();
    await createEndpoint(t, supervisor, { url: receiver.url, events: ['chat.closed'] });
    const { agent, session } = await buildActiveChat(t, { message: 'Only the close, please' });
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
    await waitFor(async () => receiver.of('chat.closed').some((r) => r.event.data.chat.id === session.id), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(new Set(receiver.received.map((r) => r.event.type))).toEqual(new Set(['chat.closed']));
  });

  it('should try a receiver that fails twice three times, with the same webhook-id and body', async () => {
    const receiver = await startReceiver((_, n) => (n <= 2 ? 503 : 200));
    const { endpoint, secret } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['chat.closed'] });
    const { agent, session } = await buildActiveChat(t);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
    await waitFor(async () => receiver.received.length >= 3, 15_000);
    const [first, second, third] = receiver.received;
    expect(new Set([first.id, second.id, third.id]).size).toBe(1);
    expect(new Set([first.body, second.body, third.body]).size).toBe(1);
    expect(verify(secret, third)).toEqual(third.event);
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(t, supervisor, endpoint.id);
      return log[0]?.status === 'SUCCEEDED' && log;
    });
    expect(delivery).toMatchObject({ id: first.id, attempts: 3, responseStatus: 200, lastError: null, event: 'chat.closed' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received.length).toBe(3);
  });

  it('should mark a delivery FAILED after the whole schedule, with the last error', async () => {
    const receiver = await startReceiver(() => 500);
    const { endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['chat.closed'] });
    const { agent, session } = await buildActiveChat(t);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(t, supervisor, endpoint.id);
      return log[0]?.status === 'FAILED' && log;
    }, 15_000);
    expect(delivery).toMatchObject({ attempts: 4, responseStatus: 500, lastError: 'HTTP 500', nextAttemptAt: null });
    expect(receiver.received.length).toBe(4);
  });

  it("should not let a receiver that hangs delay another endpoint's deliveries, nor the API", async () => {
    const hanging = await startReceiver(() => 'hang');
    const quick = await startReceiver();
    await createEndpoint(t, supervisor, { url: hanging.url, events: ['message.created'] });
    await createEndpoint(t, supervisor, { url: quick.url, events: ['message.created'] });
    const { session, visitor } = await buildActiveChat(t);
    const sentAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `message ${i}` } }, visitor);
      sentAt.push(Date.now() - started);
    }
    const mine = () => quick.of('message.created').filter((r) => r.event.data.chat.id === session.id);
    await waitFor(async () => mine().length === 20, 5_000);
    expect(hanging.received.length).toBeGreaterThan(0); // it is being tried, and holds its attempts open
    expect(Math.max(...sentAt)).toBeLessThan(2000);
  });

  it('should disable an endpoint that answers 410 Gone, and send it nothing more', async () => {
    const receiver = await startReceiver(() => 410);
    const { endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['chat.closed'] });
    const first = await buildActiveChat(t);
    await t.http.ok(CloseChatDocument, { sessionId: first.session.id }, first.agent.token);
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(t, supervisor, endpoint.id);
      return log[0]?.status === 'FAILED' && log;
    }, 10_000);
    expect(delivery).toMatchObject({ attempts: 1, responseStatus: 410 });
    const { webhookEndpoints } = await gql('{ webhookEndpoints { id enabled disabledReason } }');
    expect(webhookEndpoints.find((e: { id: string }) => e.id === endpoint.id)).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
    const second = await buildActiveChat(t);
    await t.http.ok(CloseChatDocument, { sessionId: second.session.id }, second.agent.token);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(receiver.received.length).toBe(1);
  });

  it('should disable an endpoint with no successful delivery for 5 days', async () => {
    const receiver = await startReceiver(() => 500);
    const { endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['ping'] });
    await sql(t.databaseUrl, `update webhook_endpoint set failing_since = now() - interval '5 days 1 minute' where id = $1`, [endpoint.id]);
    await gql('mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }', { id: endpoint.id });
    const disabled = await waitFor(async () => {
      const { webhookEndpoints } = await gql('{ webhookEndpoints { id enabled disabledReason } }');
      const found = webhookEndpoints.find((e: { id: string }) => e.id === endpoint.id);
      return !found.enabled && found;
    }, 10_000);
    expect(disabled.disabledReason).toMatch(/5 days/);
    expect(receiver.received.length).toBe(1);
  });

  it('should send nothing for a change that rolled back', async () => {
    const receiver = await startReceiver();
    await createEndpoint(t, supervisor, { url: receiver.url, events: ['*'] });
    const undo = await poisonMessageBody(t.databaseUrl, 'poisoned opening');
    try {
      const refused = await t.http.request(StartChatDocument, { input: { name: 'Rolled Back', message: 'poisoned opening' } });
      expect(refused.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await undo();
    }
    await t.http.ok(StartChatDocument, { input: { name: 'Committed' } });
    await waitFor(async () => receiver.of('chat.started').some((r) => r.event.data.chat.customer.name === 'Committed'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.received.filter((r) => JSON.stringify(r.event).includes('Rolled Back'))).toEqual([]);
  });
});

describe('Mutation.sendTestWebhook, replayWebhookDelivery, rotateWebhookSecret', () => {
  it('should queue a ping that arrives signed', async () => {
    const receiver = await startReceiver();
    const { endpoint, secret } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['chat.closed'] });
    const { sendTestWebhook } = await gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { ${DELIVERY_FIELDS} } }`, { id: endpoint.id });
    expect(sendTestWebhook).toMatchObject({ event: 'ping', status: 'PENDING', attempts: 0, endpointId: endpoint.id });
    await waitFor(async () => receiver.received.length === 1, 10_000);
    expect(receiver.received[0]).toMatchObject({ id: sendTestWebhook.id, event: { type: 'ping', data: {} } });
    expect(verify(secret, receiver.received[0])).toEqual(receiver.received[0].event);
  });

  it('should replay a delivery with the same webhook-id and body, and every FAILED one since a time', async () => {
    let failing = true;
    const receiver = await startReceiver(() => (failing ? 500 : 200));
    const { endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['ping'] });
    const since = new Date(Date.now() - 1000).toISOString();
    const ping = () => gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: endpoint.id });
    const first = (await ping()).sendTestWebhook.id as string;
    const second = (await ping()).sendTestWebhook.id as string;
    await waitFor(async () => (await deliveriesOf(t, supervisor, endpoint.id)).every((d) => d.status === 'FAILED'), 15_000);
    failing = false;
    const before = receiver.received.length;
    const { replayWebhookDelivery } = await gql(`mutation($id: ID!) { replayWebhookDelivery(id: $id) { id status attempts } }`, { id: first });
    expect(replayWebhookDelivery).toEqual({ id: first, status: 'PENDING', attempts: 0 });
    await waitFor(async () => receiver.received.slice(before).some((r) => r.id === first), 10_000);
    const original = receiver.received.find((r) => r.id === first)!;
    expect(receiver.received.slice(before).find((r) => r.id === first)!.body).toBe(original.body);

    const { replayFailedWebhookDeliveries } = await gql(`mutation($id: ID!, $since: DateTime!) { replayFailedWebhookDeliveries(endpointId: $id, since: $since) }`, { id: endpoint.id, since });
    expect(replayFailedWebhookDeliveries).toBe(1);
    await waitFor(async () => (await deliveriesOf(t, supervisor, endpoint.id)).every((d) => d.status === 'SUCCEEDED'), 10_000);
    expect(receiver.received.filter((r) => r.id === second).at(-1)!.event.type).toBe('ping');
  });

  it('should sign with both secrets during a rotation, each verifying on its own', async () => {
    const receiver = await startReceiver();
    const { endpoint, secret: old } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['ping'] });
    const { rotateWebhookSecret } = await gql(`mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`, { id: endpoint.id });
    expect(rotateWebhookSecret.secret).not.toBe(old);
    await gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: endpoint.id });
    await waitFor(async () => receiver.received.length === 1, 10_000);
    const [r] = receiver.received;
    expect(r.signature.split(' ')).toHaveLength(2);
    expect(verify(rotateWebhookSecret.secret, r)).toEqual(r.event);
    expect(verify(old, r)).toEqual(r.event);
    expect(() => verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, r)).toThrow();
  });
});

describe('a burst larger than the slots', () => {
  let narrow: TestServer;
  let boss: string;
  beforeAll(async () => {
    // One attempt in flight at a time on this instance: everything else waits for that slot.
    ({ t: narrow, supervisor: boss } = await startWithSupervisor({ env: { ...FAST, WEBHOOK_CONCURRENCY: '1', WEBHOOK_ENDPOINT_CONCURRENCY: '1' } }));
  });

  it('should deliver every event of a burst, each once, as the slot frees up', async () => {
    const receiver = await startReceiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 200;
    });
    const { secret } = await createEndpoint(narrow, boss, { url: receiver.url, events: ['message.created'] });
    const { session, visitor } = await buildActiveChat(narrow);
    const sent: number[] = [];
    for (let i = 0; i < 15; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => narrow.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `burst ${i}.${j}` } }, visitor)));
      sent.push(...batch.map((r) => r.sendMessage.seq as number));
    }
    const mine = () => receiver.of('message.created').filter((r) => r.event.data.chat.id === session.id);
    await waitFor(async () => mine().length >= sent.length, 20_000);
    const seqs = mine().map((r) => r.event.data.message.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual([...sent].sort((a, b) => a - b));
    expect(new Set(mine().map((r) => r.id)).size).toBe(sent.length);
    for (const r of mine().slice(0, 5)) expect(verify(secret, r)).toEqual(r.event);
  });
});

describe('SSRF (WEBHOOK_ALLOW_PRIVATE unset)', () => {
  let strict: TestServer;
  let boss: string;
  beforeAll(async () => {
    ({ t: strict, supervisor: boss } = await startWithSupervisor({ env: { WEBHOOK_RETRY_SCHEDULE: '1' } }));
  });

  it('should refuse loopback, private, link-local and unique-local addresses, and a name resolving to one', async () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook', 'http://[fd00::1]/hook', 'http://192.168.1.1/', 'http://[::ffff:127.0.0.1]/', 'http://localhost:4000/hook']) {
      const { code, message, error } = await strict.http.fail(
        `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
        { input: { url, events: ['*'] } },
        boss,
      );
      expect([url, code, error.extensions?.field]).toEqual([url, 'BAD_USER_INPUT', 'url']);
      expect(message).toMatch(/non-public/);
    }
  });

  it('should check again at each attempt, after resolving the name', async () => {
    const receiver = await startReceiver();
    // Registered when it was allowed (another configuration, or its name resolved elsewhere then).
    const rows = await sql<{ id: string }>(
      strict.databaseUrl,
      `insert into webhook_endpoint (id, url, events, secret) values (gen_random_uuid(), $1, '{ping}', $2) returning id`,
      [receiver.url.replace('127.0.0.1', 'localhost'), `whsec_${Buffer.alloc(32, 1).toString('base64')}`],
    );
    await strict.http.ok(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: rows[0].id }, boss);
    const [delivery] = await waitFor(async () => {
      const log = await deliveriesOf(strict, boss, rows[0].id);
      return log[0]?.status === 'FAILED' && log;
    }, 10_000);
    expect(delivery.lastError).toMatch(/non-public/);
    expect(delivery.responseStatus).toBeNull();
    expect(receiver.received).toEqual([]);
  });
});

describe('Query.webhookDeliveries', () => {
  it('should page newest first and refuse first outside 1 to 200', async () => {
    const receiver = await startReceiver();
    const { endpoint } = await createEndpoint(t, supervisor, { url: receiver.url, events: ['ping'] });
    for (let i = 0; i < 3; i++) await gql(`mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }`, { id: endpoint.id });
    const page = `query($id: ID, $after: String) { webhookDeliveries(endpointId: $id, first: 2, after: $after) { deliveries { id createdAt } endCursor } }`;
    const one = (await gql(page, { id: endpoint.id })).webhookDeliveries;
    expect(one.deliveries).toHaveLength(2);
    const two = (await gql(page, { id: endpoint.id, after: one.endCursor })).webhookDeliveries;
    expect(two).toMatchObject({ endCursor: null });
    expect(two.deliveries).toHaveLength(1);
    expect(Date.parse(one.deliveries[1].createdAt)).toBeGreaterThanOrEqual(Date.parse(two.deliveries[0].createdAt));
    const { code } = await t.http.fail(`{ webhookDeliveries(first: 500) { endCursor } }`, {}, supervisor);
    expect(code).toBe('BAD_USER_INPUT');
  });
});
