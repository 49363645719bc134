/**
 * The frontends' one chat model (web/shared/chat.ts), the code the widget and the console both
 * run, driven here in Node against a real server over real HTTP and graphql-ws: the message list
 * merged by seq across a reconnect, and sends retried exactly when the server says they may be.
 */
import type { WidgetMessageFragment, WidgetSessionFragment } from '../web/generated/widget';
import { ChatModel } from '../web/shared/chat';
import { createLive, request, type TypedDocument } from '../web/shared/gql';
import { WIDGET_CHAT } from '../web/widget/documents';
import { SendMessageDocument, SessionDocument } from './generated/graphql';
import { buildActiveChat, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill, waitFor } from './support/factories';
import { leave } from './support/leftovers';
import { startTestServer, type TestServer } from './support/server';

type Chat = ChatModel<WidgetSessionFragment, WidgetMessageFragment>;

let t: TestServer;
/** One send per second per sender after a burst of one: the second of two quick sends is RATE_LIMITED. */
let limited: TestServer;
beforeAll(async () => {
  t = await startTestServer();
  limited = await startTestServer({ env: { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '1:60' } });
});

/** A visitor's chat model, as the widget makes it, with every sendMessage it makes counted. */
function visitorChat(t: TestServer, session: WidgetSessionFragment, token: string) {
  const live = createLive({ url: t.wsUrl, token: () => token });
  const sends: string[] = [];
  const chat: Chat = new ChatModel({
    session,
    documents: WIDGET_CHAT,
    live,
    call: <R, V>(document: TypedDocument<R, V>, variables: V) => {
      if (document === (WIDGET_CHAT.sendMessage as unknown)) sends.push((variables as { input: { body: string } }).input.body);
      return request(t.url, document, variables, token);
    },
    side: 'VISITOR',
    me: null,
    onChange: () => undefined,
    typingName: (name) => name ?? 'The agent',
  });
  leave(() => {
    chat.stop();
    live.dispose();
  });
  chat.watch();
  return { chat, live, sends };
}

const widgetSession = async (t: TestServer, id: string, token: string) => (await t.http.ok(SessionDocument, { id }, token)).session as unknown as WidgetSessionFragment;
const bodies = (chat: Chat) => chat.timeline().flatMap((e) => (e.kind === 'message' ? [`${e.seq ?? '-'}:${e.body}`] : [`(${e.text})`]));

describe('the chat model', () => {
  it('should merge the live stream by seq, each message once, across a reconnect, with the steps in place', async () => {
    const skill = uniqueSkill();
    const { session, token } = await startChat(t, { skill, name: 'Nora Node' });
    const { chat, live } = visitorChat(t, await widgetSession(t, session.id, token), token);
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'queued question' } }, token);
    await waitFor(async () => chat.messages.size === 1);
    const agent = await buildOnlineAgent(t, { skills: [skill], name: 'Ola Online' });
    await waitFor(async () => chat.session.status === 'ACTIVE');
    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'answer 1' } }, agent.token);
    await waitFor(async () => chat.messages.size === 2);
    live.reconnect(); // the socket drops; the model resubscribes from the last seq it saw
    for (const body of ['answer 2', 'answer 3']) await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body } }, agent.token);
    await waitFor(async () => chat.messages.size === 4, 10_000);
    expect(bodies(chat)).toEqual(['1:queued question', '(Ola Online joined)', '2:answer 1', '3:answer 2', '4:answer 3']);
    expect(chat.streamSeq).toBe(4);
    expect(chat.unread()).toBe(3);
  });

  it('should retry a RATE_LIMITED send after retryAfterSeconds, in order, and have it stored once', async () => {
    const { session, visitor } = await buildActiveChat(limited);
    const { chat, sends } = visitorChat(limited, await widgetSession(limited, session.id, visitor), visitor);
    chat.send('first');
    chat.send('second, too soon');
    await waitFor(async () => chat.outbox.length === 0, 10_000);
    expect(sends).toEqual(['first', 'second, too soon', 'second, too soon']);
    expect(bodies(chat)).toEqual(['1:first', '2:second, too soon']);
    const { session: stored } = await limited.http.ok(SessionDocument, { id: session.id }, await loginSupervisor(limited));
    expect(stored?.lastSeq).toBe(2);
  });
});
