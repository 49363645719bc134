import { randomUUID } from 'node:crypto';
import { SendMessageDocument, StartChatDocument } from './generated/graphql';
import { buildActiveChat } from './support/factories';
import { limitedDatabase } from './support/faults';
import { startTestServer } from './support/server';

/**
 * Postgres at its connection limit: a burst of sends needs more pooled connections than are open,
 * Postgres refuses the new ones before any statement ran, and each refused send is tried again
 * until a pooled connection is free (src/db/execute.ts). This is what failed a send just after
 * Redis came back: the sends held up by the outage all reached Postgres at once.
 */
it('should store every send of a burst while Postgres refuses new connections (the statement pool)', async () => {
  const database = await limitedDatabase();
  const server = await startTestServer({ env: { DATABASE_URL: database.url } });
  const { session, visitor } = await buildActiveChat(server);

  await database.limitToOpen();
  const burst = await Promise.all(
    Array.from({ length: 40 }, (_, i) => server.http.request(SendMessageDocument, { input: { sessionId: session.id, body: `burst ${i}`, clientMessageId: randomUUID() } }, visitor)),
  );
  await database.unlimit();

  expect(burst.flatMap((r) => r.errors ?? [])).toEqual([]);
  expect(burst.map((r) => r.data!.sendMessage.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
});

it('should start every chat of a burst while Postgres refuses new connections (transactions)', async () => {
  const database = await limitedDatabase();
  const server = await startTestServer({ env: { DATABASE_URL: database.url } });
  await server.http.ok(StartChatDocument, { input: { name: 'First' } }); // no agent online: chats wait

  await database.limitToOpen();
  const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => server.http.request(StartChatDocument, { input: { name: `Visitor ${i}` } })));
  await database.unlimit();

  expect(burst.flatMap((r) => r.errors ?? [])).toEqual([]);
  expect(burst.map((r) => r.data!.startChat.session.status)).toEqual(Array(12).fill('QUEUED'));
});
