/**
 * Desk extension, "Email" (docs/contract/extensions/desk.md): the unread-reply notification and
 * emailTranscript, against a real SMTP server started here (smtp-server over TCP, parsed with
 * mailparser) and a real server in this process. test/email-outage covers a mail server that is
 * down, and running without one.
 */
import {
  EmailTranscriptDocument,
  MarkReadDocument,
  OnMessageAddedDocument,
  SendMessageDocument,
  SessionDocument,
} from './generated/graphql';
import { buildActiveChat, buildOnlineAgent, connect, startChat, uniqueSkill, waitFor } from './support/factories';
import { SmtpCatcher } from './support/smtp';
import { startTestServer, type TestServer } from './support/server';

jest.setTimeout(120_000);

const DELAY = 2;
const PUBLIC_URL = 'https://support.example.test';
let smtp: SmtpCatcher;
let t: TestServer;

beforeAll(async () => {
  smtp = await SmtpCatcher.start();
  t = await startTestServer({
    env: {
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'Northwind Support <support@northwind.example>',
      PUBLIC_URL,
      EMAIL_NOTIFY_DELAY_SECONDS: String(DELAY),
      EMAIL_RETRY_SECONDS: '1',
      EMAIL_RETRY_MAX_SECONDS: '4',
    },
  });
});

let n = 0;
/** An ACTIVE chat whose visitor left an email (and has no widget connected). */
async function activeChatWithEmail() {
  const email = `visitor${++n}-${Date.now()}@example.com`;
  const skill = uniqueSkill();
  const agent = await buildOnlineAgent(t, { skills: [skill] });
  const { session, token } = await startChat(t, { skill, email, name: 'Ines <Known>', message: 'Where is my order?' });
  expect(session.agent?.id).toBe(agent.id);
  return { agent, session, visitor: token, email };
}

const reply = (token: string, sessionId: string, body: string) => t.http.ok(SendMessageDocument, { input: { sessionId, body } }, token);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the unread-reply notification', () => {
  it('should arrive once, EMAIL_NOTIFY_DELAY_SECONDS after an unread agent message, text and HTML, with a link that signs the visitor in', async () => {
    const { agent, session, email } = await activeChatWithEmail();
    const body = 'Your parcel <b>ships</b> today & "tomorrow" it\'s there';
    const sentAt = Date.now();
    const { sendMessage } = await reply(agent.token, session.id, body);
    const [got] = await waitFor(async () => smtp.to(email).length > 0 && smtp.to(email), (DELAY + 6) * 1000, 50);
    const after = (Date.now() - sentAt) / 1000;
    console.log(`notification received ${after.toFixed(1)} s after the reply (EMAIL_NOTIFY_DELAY_SECONDS ${DELAY})`);
    expect(after).toBeGreaterThanOrEqual(DELAY - 0.1);
    expect(after).toBeLessThan(DELAY + 6);
    const mail = got.mail;
    expect(mail.from?.value).toEqual([{ address: 'support@northwind.example', name: 'Northwind Support' }]);
    expect(mail.subject).toBe('New reply to your support chat');
    expect(mail.text).toContain(body); // the text part: as written
    expect(mail.text).toContain('Hello Ines <Known>,');
    expect(mail.html).toContain('Your parcel &lt;b&gt;ships&lt;/b&gt; today &amp; &quot;tomorrow&quot; it&#39;s there');
    expect(mail.html).not.toContain('<b>ships</b>');
    expect(mail.html).toContain('Hello Ines &lt;Known&gt;,');
    expect(mail.text).not.toContain('Where is my order?'); // only the agent's unread messages
    const link = new RegExp(`${PUBLIC_URL.replace(/\./g, '\\.')}/chat/${session.id}#([\\w.-]+)`).exec(mail.text as string);
    expect(link).not.toBeNull();
    expect(mail.html).toContain(`href="${PUBLIC_URL}/chat/${session.id}#${link![1]}"`);
    // The link's token is the visitor's: it opens that session.
    const { session: opened } = await t.http.ok(SessionDocument, { id: session.id }, link![1]);
    expect(opened?.lastSeq).toBe(sendMessage.seq);

    // Once: not again, and not for another reply within 15 minutes.
    await reply(agent.token, session.id, 'Anything else?');
    await sleep((DELAY + 2.5) * 1000);
    expect(smtp.to(email)).toHaveLength(1);
  });

  it('should not be sent when the visitor read the message in time', async () => {
    const { agent, session, visitor, email } = await activeChatWithEmail();
    const { sendMessage } = await reply(agent.token, session.id, 'Here is the answer');
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: sendMessage.seq }, visitor);
    await sleep((DELAY + 2.5) * 1000);
    expect(smtp.to(email)).toHaveLength(0);
  });

  it('should wait while a widget of the customer is connected to the session, and come DELAY after it left', async () => {
    const { agent, session, visitor, email } = await activeChatWithEmail();
    const widget = await connect(t, visitor);
    const stream = widget.subscribe(OnMessageAddedDocument, { sessionId: session.id });
    await sleep(300);
    await reply(agent.token, session.id, 'Are you still there?');
    await stream.next(5000); // the widget got it, but the visitor did not read it
    await sleep((DELAY + 2.5) * 1000);
    expect(smtp.to(email)).toHaveLength(0);
    const leftAt = Date.now();
    await widget.dispose();
    await waitFor(async () => smtp.to(email).length === 1, (DELAY + 6) * 1000, 50);
    expect((Date.now() - leftAt) / 1000).toBeGreaterThanOrEqual(DELAY - 0.1);
    expect(smtp.to(email)[0].mail.text).toContain('Are you still there?');
  });
});

describe('Mutation.emailTranscript', () => {
  it('should mail every message of the chat to the customer', async () => {
    const { agent, session, visitor, email } = await activeChatWithEmail();
    const lines = ['second from the visitor', 'third: <script>alert(1)</script>'];
    for (const line of lines) await reply(visitor, session.id, line);
    await reply(agent.token, session.id, 'An agent line');
    await t.http.ok(MarkReadDocument, { sessionId: session.id, seq: 4 }, visitor); // no notification in the way
    expect(await t.http.ok(EmailTranscriptDocument, { sessionId: session.id }, visitor)).toEqual({ emailTranscript: true });
    const [got] = await waitFor(async () => smtp.to(email).length > 0 && smtp.to(email), 8000, 50);
    expect(got.mail.subject).toBe('Your support chat transcript');
    for (const line of ['Where is my order?', ...lines, 'An agent line']) expect(got.mail.text).toContain(line);
    expect(got.mail.html).toContain('third: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(got.mail.html).not.toContain('<script>');
  });

  it('should refuse a customer without an email (BAD_USER_INPUT), strangers (NOT_FOUND), agents (FORBIDDEN) and the anonymous', async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    const noEmail = await t.http.fail(EmailTranscriptDocument, { sessionId: session.id }, visitor);
    expect(noEmail.code).toBe('BAD_USER_INPUT');
    const stranger = await startChat(t, { email: 'stranger@example.com' });
    expect((await t.http.fail(EmailTranscriptDocument, { sessionId: session.id }, stranger.token)).code).toBe('NOT_FOUND');
    expect((await t.http.fail(EmailTranscriptDocument, { sessionId: session.id }, agent.token)).code).toBe('FORBIDDEN');
    expect((await t.http.fail(EmailTranscriptDocument, { sessionId: session.id })).code).toBe('UNAUTHENTICATED');
  });
});
