/**
 * `extensions.retryable: true` (README, "Errors"): set on the errors a client may send again with
 * the same input — RATE_LIMITED, and INTERNAL_SERVER_ERROR when a backing service is out or a stream
 * fell behind — and on nothing else, over HTTP and over WebSocket, so that a client retries a send
 * (same clientMessageId) through an outage and shows a deterministic refusal once.
 */
import { CloseChatDocument, SendMessageDocument } from './generated/graphql';
import { poisonMessageBody } from './support/faults';
import { startChat } from './support/factories';
import { counts, wsOnce } from './support/security';
import { startTestServer, type TestServer } from './support/server';

const WS_SEND = 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';
const POISON = 'a body the database refuses';
/** Sends per visitor before RATE_LIMITED (then one a minute). */
const BURST = 4;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: `${BURST}:1` } });
});

/** The first error of one sendMessage, over HTTP or over a WebSocket, as a client receives it. */
async function sendOver(transport: 'http' | 'ws', token: string, sessionId: string, body: string) {
  const input = { sessionId, body };
  if (transport === 'http') return (await t.http.request(SendMessageDocument, { input }, token)).errors?.[0];
  return (await wsOnce(t, WS_SEND, { input }, token)).errors[0];
}

describe.each(['http', 'ws'] as const)('extensions.retryable over %s', (transport) => {
  it('should mark RATE_LIMITED retryable, with its retryAfterSeconds', async () => {
    const chat = await startChat(t);
    for (let i = 1; i <= BURST; i++) expect(await sendOver(transport, chat.token, chat.session.id, `message ${i}`)).toBeUndefined();
    const error = await sendOver(transport, chat.token, chat.session.id, 'one too many');
    expect(error?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number), retryable: true });
  });

  it('should not mark a deterministic failure retryable: a masked internal error, a closed chat, bad input', async () => {
    const chat = await startChat(t);
    const undo = await poisonMessageBody(t.databaseUrl, POISON);
    try {
      const before = await counts(t);
      const internal = await sendOver(transport, chat.token, chat.session.id, POISON);
      expect(internal).toMatchObject({ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(internal?.extensions).not.toHaveProperty('retryable');
      expect(await counts(t)).toEqual(before); // nothing half-written
    } finally {
      await undo();
    }
    const bad = await sendOver(transport, chat.token, chat.session.id, ' ');
    expect(bad?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: expect.any(String) });
    await t.http.ok(CloseChatDocument, { sessionId: chat.session.id }, chat.token);
    const closed = await sendOver(transport, chat.token, chat.session.id, 'after the end');
    expect(closed?.extensions).toEqual({ code: 'CONFLICT' });
  });
});
