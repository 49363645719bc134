import { OnMessageAddedDocument, SendMessageDocument } from './generated/graphql';
import { buildOnlineAgent, connect, startChat, uniqueSkill } from './support/factories';
import { startTestServer, type TestServer } from './support/server';
import type { Bus } from '../src/pubsub/bus';
import type { MessagePayload } from '../src/pubsub/topics';

/**
 * Redis pub/sub promises neither order across publishers nor delivery. Two instances (in this
 * process, sharing one database and one Redis prefix): the sender's publishes are reordered,
 * doubled and dropped on their way into Redis, and the subscriber on the other instance must
 * still see seq order with no gap and no duplicate.
 */
let sender: TestServer;
let receiver: TestServer;

beforeAll(async () => {
  sender = await startTestServer();
  receiver = await startTestServer({ shareWith: sender });
});

// Closed after the tests (leftovers), the receiver first: the sender drops the database.

/** Lets the test decide what happens to each message.created publish of the sender. */
function interceptMessages(bus: Bus, decide: (message: MessagePayload, publish: () => void) => void): () => void {
  const original = bus.publish.bind(bus);
  bus.publish = ((name, scope, payload) => {
    if (name !== 'message.created') return original(name, scope, payload);
    decide(payload as MessagePayload, () => original(name, scope, payload));
  }) as Bus['publish'];
  return () => {
    bus.publish = original;
  };
}

describe('a live messageAdded stream when Redis misdelivers', () => {
  it('should stay in seq order with no gap and no duplicate when publishes arrive out of order, twice, or never', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(sender, { skills: [skill] });
    const { session, token: visitor } = await startChat(sender, { skill });
    const socket = await connect(receiver, visitor);
    const feed = socket.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    await new Promise((r) => setTimeout(r, 300));

    const held: Array<() => void> = [];
    const restore = interceptMessages(sender.app.bus, (message, publish) => {
      if (message.seq === 2) held.push(publish); // late: goes out after seq 3
      else if (message.seq === 3) {
        publish();
        publish(); // and twice
        for (const late of held.splice(0)) late();
      } else if (message.seq === 5) {
        // lost
      } else publish();
    });
    try {
      const send = (body: string) => sender.http.ok(SendMessageDocument, { input: { sessionId: session.id, body } }, agent.token);
      for (const body of ['one', 'two', 'three', 'four', 'five', 'six']) await send(body);
    } finally {
      restore();
    }

    const seen = (await feed.take(6, 10_000)).map((m) => m.messageAdded);
    expect(seen.map((m) => [m.seq, m.body])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
      [4, 'four'],
      [5, 'five'],
      [6, 'six'],
    ]);
    await feed.expectQuiet(500);
  });
});
