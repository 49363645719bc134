/**
 * "Never lose a visitor" in Chromium (desk extension): nobody is online, so the widget shows its
 * offline form; the visitor leaves an email and a message; an agent comes online in the console,
 * sees the chat waiting with its age, and answers; the visitor, gone by then, gets the email and
 * continues the conversation from its link, full page, signed in.
 */
import { SessionDocument } from './generated/graphql';
import { screenshot, signInConsole, transcript, useBrowserSuite } from './support/browser';
import { buildAgent } from './support/factories';
import { SmtpCatcher } from './support/smtp';

jest.setTimeout(90_000);

const PUBLIC_URL = 'https://chat.shop.example';
const env: Record<string, string> = { PUBLIC_URL, EMAIL_NOTIFY_DELAY_SECONDS: '2', EMAIL_RETRY_SECONDS: '1' };
let smtp: SmtpCatcher;
beforeAll(async () => {
  smtp = await SmtpCatcher.start();
  env.SMTP_URL = smtp.url; // read by the suite's server, started next
});
const suite = useBrowserSuite(env);
const { until } = suite;

describe('the offline form, the email and its continue link', () => {
  it('should let a visitor leave a message while nobody is online, and continue from the email once an agent answered', async () => {
    const { t } = suite;
    const visitor = await suite.page();
    const v = visitor.page;
    await v.goto(`${t.server.url}/`);
    await v.getByTestId('sb-launcher').click();
    const offline = v.getByTestId('sb-offline');
    await offline.waitFor();
    expect(await v.getByTestId('sb-email').getAttribute('required')).not.toBeNull();
    expect(await v.getByTestId('sb-start').textContent()).toBe('Leave a message');
    // Email is required: the form says so and starts nothing.
    await v.getByTestId('sb-name').fill('Olga');
    await v.getByTestId('sb-offline-message').fill('My order #1234 never arrived.');
    await v.getByTestId('sb-start').click();
    expect(await v.getByTestId('sb-email').evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(await v.getByTestId('sb-status').textContent()).toBe(''); // nothing started
    await v.getByTestId('sb-email').fill('olga@example.com');
    await screenshot(v, 'offline-form');
    await v.getByTestId('sb-start').click();
    await until(async () => /number 1 in the queue\. We will answer here, or by email to olga@example\.com/.test((await v.getByTestId('sb-status').textContent()) ?? ''), 'message left');
    await until(async () => (await transcript(v)).length === 1, 'the message shown');
    expect(await transcript(v)).toEqual([['1', 'VISITOR', 'My order #1234 never arrived.']]);

    // An agent signs in (OFFLINE, as a new agent starts): the chat waits in the queue, with its age and email.
    const agent = await buildAgent(t, { name: 'Ada' });
    const console_ = (await suite.page()).page;
    await signInConsole(console_, t.server.url, agent);
    const item = console_.getByTestId('sb-queue-item');
    await item.waitFor();
    expect(await item.getByTestId('sb-queue-age').textContent()).toBe('under a minute old');
    expect(await item.getByTestId('sb-queue-email').textContent()).toContain('olga@example.com');
    await screenshot(console_, 'offline-inbox-queue');
    // The visitor leaves before anyone answers.
    await visitor.context.close();
    await console_.getByTestId('sb-status-select').selectOption('ONLINE');
    await console_.getByTestId('sb-session').first().click();
    await console_.getByTestId('sb-input').fill('Sorry about that, Olga: it ships again today.');
    await console_.getByTestId('sb-send').click();

    const [mail] = await until(async () => smtp.to('olga@example.com').length > 0 && smtp.to('olga@example.com'), 'the email', 15_000);
    expect(mail.mail.text).toContain('Sorry about that, Olga: it ships again today.');
    const link = /https:\/\/chat\.shop\.example(\/chat\/[0-9a-f-]{36})#(\S+)/.exec(mail.mail.text as string);
    expect(link).not.toBeNull();
    const [, path, token] = link!;

    // Another device opens the link (PUBLIC_URL stands for this server): the conversation, signed in.
    const later = await suite.page();
    await later.page.goto(`${t.server.url}${path}#${token}`);
    await until(async () => (await transcript(later.page)).length === 2, 'the conversation full page');
    expect(await transcript(later.page)).toEqual([
      ['1', 'VISITOR', 'My order #1234 never arrived.'],
      ['2', 'AGENT', 'Sorry about that, Olga: it ships again today.'],
    ]);
    expect(new URL(later.page.url()).hash).toBe(''); // the token left the address bar
    expect(await later.page.getByTestId('sb-launcher').isVisible()).toBe(false);
    await screenshot(later.page, 'continue-link-full-page');
    await later.page.getByTestId('sb-input').fill('Thank you!');
    await later.page.getByTestId('sb-send').click();
    const sessionId = path.split('/')[2];
    await until(async () => (await t.http.ok(SessionDocument, { id: sessionId }, agent.token)).session?.lastSeq === 3, 'the reply stored');
    await until(async () => (await transcript(console_)).some(([, , body]) => body === 'Thank you!'), 'the agent sees it');
    expect(later.errors).toEqual([]);
  });
});
