import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { OutboxRow } from '../db/outbox';
import type { Logger } from '../logger';

/**
 * The event stream to RabbitMQ (contract, partners: "Event stream to a message broker"): the
 * outbox's 'amqp' rows, published to a durable topic exchange, routing key the event type,
 * persistent, `message_id` the event id, on a confirm channel. The relay (events/relay.ts) deletes
 * rows only once the broker confirmed them; while the broker is away the relay waits, the rows
 * stay, and this reconnects with backoff (0.5 s doubling to 15 s).
 */
export class AmqpStream {
  private model: ChannelModel | null = null;
  private channel: ConfirmChannel | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly exchange: string,
    private readonly logger: Logger,
  ) {}

  get ready(): boolean {
    return this.channel !== null;
  }

  /** Connects in the background: the server starts whether or not the broker is up. */
  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      // Named, so an operator (or a test) can tell this instance's connection apart.
      const model = await amqp.connect(this.url, { timeout: 5000, clientProperties: { connection_name: `switchboard ${this.exchange} pid ${process.pid}` } });
      model.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP connection error'));
      model.on('close', () => this.lost());
      const channel = await model.createConfirmChannel();
      channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP channel error'));
      channel.on('close', () => this.lost());
      await channel.assertExchange(this.exchange, 'topic', { durable: true });
      this.model = model;
      this.channel = channel;
      if (this.failures) this.logger.info({ exchange: this.exchange }, 'AMQP connected again');
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      if (this.failures === 1 || this.failures % 20 === 0) this.logger.warn({ err: error, failures: this.failures }, 'AMQP: cannot connect, retrying');
      this.schedule();
    }
  }

  private lost(): void {
    if (!this.model && !this.channel) return;
    this.channel = null;
    const model = this.model;
    this.model = null;
    void model?.close().catch(() => undefined);
    if (!this.stopped) {
      this.logger.warn('AMQP connection lost; events wait in the outbox until it is back');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.retry) return;
    const delay = Math.min(500 * 2 ** Math.min(this.failures, 5), 15_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
    this.retry.unref();
  }

  /** The relay's hand-on: every row published and confirmed, or it throws (and the rows stay). */
  async publish(rows: readonly OutboxRow[], bodies: ReadonlyMap<string, string | null>): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('AMQP is not connected');
    for (const row of rows) {
      const body = bodies.get(row.seq);
      if (!body) continue;
      channel.publish(this.exchange, row.type, Buffer.from(body), {
        persistent: true,
        messageId: row.id,
        contentType: 'application/json',
        type: row.type,
        timestamp: Math.floor(Date.parse(row.at) / 1000),
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('AMQP: no publisher confirm within 10 s')), 10_000);
    });
    try {
      await Promise.race([channel.waitForConfirms(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const model = this.model;
    this.model = null;
    this.channel = null;
    await model?.close().catch(() => undefined);
  }
}
