import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter } from '../auth/rate-limit';
import type { TokenService } from '../auth/tokens';
import type { Actor } from '../policies';
import type { Config } from '../config';
import * as customers from '../db/customers';
import * as messages from '../db/messages';
import * as sessions from '../db/sessions';
import { BadInputError } from '../errors';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import type { Mailer } from '../mail/mailer';
import { replyNotification, transcript } from '../mail/templates';
import { Author } from '../entities';
import { authorizeSession } from './access';
import { sweepIntervalMs } from './disconnected';
import type { Presence } from './presence';
import type { Transactions } from './transaction';

export const EMAIL_QUEUE = 'email';
/** An email that could not be sent for this long is given up (logged). */
const GIVE_UP_MS = 24 * 3600 * 1000;
/** At most this many messages in one email (a transcript says how many more there are). */
const MAX_MESSAGES = 2000;

/** `enqueuedAt`: epoch ms, for giving up after 24 h. */
type EmailJob = ({ kind: 'notify'; sessionId: string; upToSeq: number } | { kind: 'transcript'; sessionId: string }) & { enqueuedAt: number };

/** Retries doubling from `first` seconds up to `max`, as many as fit in 24 h. */
export function retryPolicy(first: number, max: number): { retryLimit: number; retryDelay: number; retryBackoff: true; retryDelayMax: number } {
  const cap = Math.max(first, max);
  let total = 0;
  let n = 0;
  for (let delay = first; total < GIVE_UP_MS / 1000; n++, delay = Math.min(cap, delay * 2)) total += delay;
  return { retryLimit: n, retryDelay: first, retryBackoff: true, retryDelayMax: cap };
}

/**
 * Email follow-up (contract, desk: "Email"). Every email is a job on the durable queue (retried
 * with backoff for 24 h, never sent in the request that caused it):
 * - the unread-reply notification: each instance sweeps (every 1 to 5 s) for sessions whose agent
 *   message has stayed unread EMAIL_NOTIFY_DELAY_SECONDS with no widget of the customer connected
 *   to the session (widget presence, kept like agents'), claims each once (db/sessions.ts
 *   claimNotify, at most one per session per 15 minutes) and enqueues its email in the claim's
 *   transaction; the job sends nothing if the visitor has read them by then.
 * - emailTranscript: the session's customer asks, the job mails every message.
 */
export class EmailService {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly config: Pick<Config, 'EMAIL_NOTIFY_DELAY_SECONDS' | 'EMAIL_RETRY_SECONDS' | 'EMAIL_RETRY_MAX_SECONDS' | 'publicUrl'>,
    private readonly jobs: Jobs,
    private readonly tx: Transactions,
    private readonly mailer: Mailer,
    private readonly tokens: TokenService,
    private readonly widgets: Presence,
    private readonly rateLimiter: RateLimiter,
    private readonly logger: Logger,
  ) {}

  /** The session's customer: its transcript to its own email (BAD_USER_INPUT without one). */
  async emailTranscript(em: EntityManager, viewer: Actor, sessionId: string): Promise<void> {
    const { session } = await authorizeSession(em, viewer, sessionId, 'session.emailTranscript');
    await this.rateLimiter.consume('emailTranscript', session.customerId);
    const [customer] = await customers.byIds(em, [session.customerId]);
    if (!customer?.email) throw new BadInputError('There is no email address for you: start a chat with one first.', 'email');
    await this.jobs.send<EmailJob>(null, EMAIL_QUEUE, { kind: 'transcript', sessionId, enqueuedAt: Date.now() });
  }

  async start(em: () => EntityManager): Promise<void> {
    await this.jobs.define<EmailJob>(
      EMAIL_QUEUE,
      {
        ...retryPolicy(this.config.EMAIL_RETRY_SECONDS, this.config.EMAIL_RETRY_MAX_SECONDS),
        expireInSeconds: 120,
        // A new email wakes the worker (NOTIFY, jobs/queue.ts); a retry is not announced, so the
        // poll, as far apart as the first retry (at most 30 s), is what finds retries. Every second
        // while the LISTEN connection is down.
        work: { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: Math.min(30, this.config.EMAIL_RETRY_SECONDS), batchSize: 4, burstWhenBatchFull: true },
      },
      async (data) => {
        if (Date.now() - data.enqueuedAt > GIVE_UP_MS) {
          this.logger.warn({ sessionId: data.sessionId, kind: data.kind }, 'email given up after 24 h of failures');
          return;
        }
        await this.deliver(em(), data);
      },
    );
    const tick = async () => {
      try {
        await this.sweep(em());
      } catch (error) {
        this.logger.warn({ err: error }, 'email notification sweep failed; retrying');
      }
    };
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = tick().finally(schedule);
      }, sweepIntervalMs(this.config.EMAIL_NOTIFY_DELAY_SECONDS));
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Due notifications, each claimed once and enqueued on the claim's transaction. */
  async sweep(em: EntityManager): Promise<number> {
    const delay = this.config.EMAIL_NOTIFY_DELAY_SECONDS;
    const due = await sessions.notifyDue(em, delay);
    if (!due.length) return 0;
    // Widget presence has a grace period of the delay itself: "connected" means connected now or
    // disconnected less than EMAIL_NOTIFY_DELAY_SECONDS ago.
    const watched = await this.widgets.onlineIds();
    let n = 0;
    for (const sessionId of due) {
      if (watched.has(sessionId)) continue;
      n += await this.tx.run(em, {}, async (tem) => {
        const claim = await sessions.claimNotify(tem, sessionId, delay);
        if (!claim?.email) return 0;
        await this.jobs.send<EmailJob>(tem, EMAIL_QUEUE, { kind: 'notify', sessionId, upToSeq: claim.upToSeq, enqueuedAt: Date.now() });
        return 1;
      });
    }
    return n;
  }

  /** Builds the email from what is stored now, and sends it (a throw retries the job). */
  private async deliver(em: EntityManager, job: EmailJob): Promise<void> {
    const session = await sessions.byId(em, job.sessionId);
    if (!session) return; // erased meanwhile
    const [customer] = await customers.byIds(em, [session.customerId]);
    if (!customer?.email) return;
    const token = await this.tokens.issueVisitor(customer.id);
    const common = { to: customer.email, visitorName: customer.name, continueUrl: `${this.config.publicUrl}/chat/${session.id}#${token}` };
    if (job.kind === 'notify') {
      const unread = (await messages.after(em, session.id, session.visitorReadSeq, MAX_MESSAGES, job.upToSeq + 1)).filter((m) => m.author === Author.AGENT);
      if (!unread.length) return; // read meanwhile: "none after the visitor read them"
      await this.mailer.send(replyNotification({ ...common, messages: unread }));
    } else {
      const all = await messages.after(em, session.id, 0, MAX_MESSAGES);
      await this.mailer.send(transcript({ ...common, messages: all, omitted: Math.max(0, session.lastSeq - (all.at(-1)?.seq ?? 0)) }));
    }
    this.logger.info({ sessionId: session.id, kind: job.kind }, 'email sent');
  }
}
