/**
 * Desk extension, "Email": a mail server that is down delays the email (retried with backoff),
 * never fails or slows the request that caused it; without SMTP_URL, emails go to the log. Timing
 * and a server process: run on its own (scripts/test.mjs).
 */
import { EmailTranscriptDocument, SendMessageDocument } from './generated/graphql';
import { startCluster } from './support/cluster';
import { buildOnlineAgent, startChat, uniqueSkill, waitFor } from './support/factories';
import { SmtpCatcher } from './support/smtp';
import { startTestServer, type TestServer } from './support/server';

jest.setTimeout(150_000);

let smtp: SmtpCatcher;
let t: TestServer;

beforeAll(async () => {
  smtp = await SmtpCatcher.start();
  t = await startTestServer({ env: { SMTP_URL: smtp.url, EMAIL_NOTIFY_DELAY_SECONDS: '2', EMAIL_RETRY_SECONDS: '1', EMAIL_RETRY_MAX_SECONDS: '4' } });
});

const reply = (token: string, sessionId: string, body: string) => t.http.ok(SendMessageDocument, { input: { sessionId, body } }, token);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p95 = (times: number[]) => [...times].sort((x, y) => x - y)[Math.ceil(times.length * 0.95) - 1];

describe('a mail server that is down for a minute', () => {
  it('should delay the email until it is back, and never slow sendMessage meanwhile', async () => {
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const email = 'patient@example.com';
    const { session, token: visitor } = await startChat(t, { skill, email, name: 'Pat', message: 'Hello?' });
    const timed = async (count: number, into: number[]) => {
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        await reply(agent.token, session.id, `line ${into.length}`);
        into.push(performance.now() - started);
      }
    };
    const before: number[] = [];
    await timed(40, before);
    await smtp.stop();
    const downAt = Date.now();
    await t.http.ok(EmailTranscriptDocument, { sessionId: session.id }, visitor);
    const during: number[] = [];
    while (Date.now() - downAt < 60_000) {
      await timed(10, during);
      await sleep(2000);
    }
    await smtp.listen();
    const upAt = Date.now();
    const mails = await waitFor(async () => {
      const got = smtp.to(email);
      return got.some((r) => r.mail.subject === 'Your support chat transcript') && got.some((r) => r.mail.subject === 'New reply to your support chat') && got;
    }, 20_000, 100);
    console.log(
      `SMTP down 60 s: both emails arrived ${((Date.now() - upAt) / 1000).toFixed(1)} s after it came back; ` +
        `sendMessage p95 ${p95(before).toFixed(0)} ms before (${before.length} sends), ${p95(during).toFixed(0)} ms while down (${during.length} sends)`,
    );
    expect(mails.filter((r) => r.mail.subject === 'New reply to your support chat')).toHaveLength(1);
    expect(p95(during)).toBeLessThan(Math.max(250, p95(before) * 3));
  });
});

describe('without SMTP_URL', () => {
  it('should say so at start-up and write each email to the log at info level', async () => {
    const cluster = await startCluster({ count: 1 });
    const [server] = cluster.instances;
    await server.waitForLog((l) => l.level === 30 && /no SMTP_URL: emails are written to the log/.test(l.msg ?? ''), 5000);
    const { session, token } = await startChat(server, { email: 'logged@example.com', message: 'Please mail me this' });
    await server.http.ok(EmailTranscriptDocument, { sessionId: session.id }, token);
    const line = await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('email to logged@example.com'), 8000);
    expect(line.level).toBe(30);
    expect((line.email as { text: string }).text).toContain('Please mail me this');
    expect((line.email as { html: string }).html).toContain('Please mail me this');
  });
});
