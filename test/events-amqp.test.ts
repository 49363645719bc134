import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { CloseChatDocument, SendMessageDocument } from './generated/graphql';
import { buildActiveChat, waitFor } from './support/factories';
import { leave } from './support/leftovers';
import { startTestServer, type TestServer } from './support/server';

/**
 * The event stream (contract, partners: "Event stream to a message broker"), against the real
 * RabbitMQ on this machine: events consumed from a queue bound to the exchange, and none lost when
 * the broker cuts every connection in the middle of a burst.
 */
const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let t: TestServer;
let exchange: string;
let queue: string;
const got: ConsumeMessage[] = [];

/** A consumer of the test's queue (it outlives connections: not exclusive, not auto-deleted). */
async function consume(): Promise<Channel> {
  const model: ChannelModel = await amqp.connect(AMQP_URL);
  model.on('error', () => undefined);
  leave(() => model.close().catch(() => undefined));
  const ch = await model.createChannel();
  ch.on('error', () => undefined);
  await ch.consume(queue, (m) => m && got.push(m), { noAck: true });
  return ch;
}

beforeAll(async () => {
  exchange = `test.events.${randomUUID().slice(0, 8)}`;
  t = await startTestServer({ env: { EVENTS_AMQP_URL: AMQP_URL, EVENTS_AMQP_EXCHANGE: exchange } });
  queue = `${exchange}.all`;
  const model = await amqp.connect(AMQP_URL);
  const setup = await model.createChannel();
  await waitFor(async () => setup.checkExchange(exchange).then(() => true), 10_000, 200); // declared by the server
  await setup.assertQueue(queue, { durable: true, autoDelete: false });
  await setup.bindQueue(queue, exchange, '#');
  await model.close();
  await consume();
});

afterAll(async () => {
  const model = await amqp.connect(AMQP_URL);
  const ch = await model.createChannel();
  await ch.deleteQueue(queue).catch(() => undefined);
  await ch.deleteExchange(exchange).catch(() => undefined);
  await model.close();
});

/** The broker's process ids of the connections whose client-given name contains `name`. */
function connectionsNamed(name: string): string[] {
  const out = execFileSync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(name)).map((line) => line.split('\t')[0].trim());
}
const brokerSees = (name: string) => connectionsNamed(name).length > 0;
/** Closes them from the broker's side; returns how many. */
function cutConnections(name: string): number {
  const names = connectionsNamed(name);
  for (const n of names) execFileSync('rabbitmqctl', ['close_connection', n, 'test: broker cut'], { stdio: 'ignore' });
  return names.length;
}

const bodyOf = (m: ConsumeMessage) => JSON.parse(m.content.toString('utf8'));

describe('AMQP event stream', () => {
  it('should publish every event to the topic exchange, routing key the type, persistent, message_id the event id', async () => {
    const { agent, session } = await buildActiveChat(t, { message: 'Hello broker' });
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, agent.token);
    const ofChat = (type: string) => got.filter((m) => m.fields.routingKey === type && bodyOf(m).data.chat?.id === session.id);
    await waitFor(async () => ['chat.started', 'chat.assigned', 'message.created', 'chat.closed'].every((type) => ofChat(type).length === 1), 10_000);
    const [closed] = ofChat('chat.closed');
    expect(closed.properties).toMatchObject({ deliveryMode: 2, contentType: 'application/json', type: 'chat.closed' });
    expect(closed.properties.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bodyOf(closed)).toMatchObject({ type: 'chat.closed', data: { closedBy: 'agent', chat: { id: session.id, status: 'CLOSED' } } });
    expect(bodyOf(ofChat('message.created')[0]).data.message).toMatchObject({ seq: 1, body: 'Hello broker', author: 'VISITOR' });
  });

  it("should lose nothing when the broker cuts the server's connection during a burst", async () => {
    const { session, visitor } = await buildActiveChat(t);
    const sent: number[] = [];
    const burst = (async () => {
      for (let i = 0; i < 60; i++) {
        await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: `burst ${i}` } }, visitor);
        sent.push(i);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    await waitFor(async () => sent.length >= 15, 10_000);
    // The broker cuts the server's connection (only this test's: other suites may share the broker).
    expect(cutConnections(`switchboard ${exchange} `)).toBe(1);
    await burst;
    await waitFor(async () => cutConnections('__none__') === 0 && brokerSees(`switchboard ${exchange} `), 15_000, 200); // it reconnected
    const seqs = () => new Set([...got].filter((m) => m.fields.routingKey === 'message.created').map(bodyOf).filter((b) => b.data.chat.id === session.id).map((b) => b.data.message.seq as number));
    await waitFor(async () => seqs().size === 60, 30_000, 200).catch(() => undefined);
    expect([...seqs()].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
