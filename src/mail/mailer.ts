import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from '../logger';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Outgoing email: nodemailer over SMTP (`SMTP_URL`, smtp:// or smtps://), from `EMAIL_FROM`.
 * Without SMTP_URL every email is written to the log at info level instead (start-up says so).
 * `send` throws when the server refuses or cannot be reached: the email job is then retried.
 */
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    smtpUrl: string | undefined,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    // Short timeouts: a mail server that hangs fails the attempt, and the job's backoff retries it.
    this.transport = smtpUrl ? createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }, { from }) : null;
    if (!smtpUrl) logger.info('no SMTP_URL: emails are written to the log (level info), not sent');
  }

  async send(mail: Mail): Promise<void> {
    if (!this.transport) {
      this.logger.info({ email: { from: this.from, ...mail } }, `email to ${mail.to}: ${mail.subject}`);
      return;
    }
    await this.transport.sendMail({
      from: this.from,
      ...mail,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  close(): void {
    this.transport?.close();
  }
}
