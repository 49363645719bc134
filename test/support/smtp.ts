import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { leave } from './leftovers';

export interface Received {
  /** The envelope's recipients. */
  to: string[];
  mail: ParsedMail;
}

/**
 * A real SMTP server (the `smtp-server` package) on a local TCP port, keeping every email it
 * receives, parsed with `mailparser`. It can be stopped and started again on the same port (a
 * mail server that is down). A leftover (./leftovers.ts): closed after the file's tests.
 */
export class SmtpCatcher {
  readonly received: Received[] = [];
  private server?: SMTPServer;
  port = 0;

  static async start(): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher();
    await catcher.listen();
    leave(() => catcher.stop());
    return catcher;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening (a mail server that is down); `listen()` starts it again on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Emails received for `address`, oldest first. */
  to(address: string): Received[] {
    return this.received.filter((r) => r.to.includes(address));
  }
}
