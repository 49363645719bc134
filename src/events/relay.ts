import type { EntityManager } from '@mikro-orm/postgresql';
import * as outbox from '../db/outbox';
import type { OutboxRow, Sink } from '../db/outbox';
import type { Logger } from '../logger';

/** How long a pass holds its rows: far longer than a pass takes; an instance that died holding them frees them after it. */
const LEASE_SECONDS = 15;

/**
 * One sink's relay (webhooks, AMQP), on every instance: takes the oldest outbox rows no other
 * instance holds, on a lease (db/outbox.ts `claim`), and hands them on; the hand-on deletes them
 * (the webhook sink in the very statement that inserts their deliveries, so a hand-on is atomic
 * without a transaction block: the pass is a few autocommit statements on the statement pool, not
 * a transaction through the ORM, which cost more CPU than the deliveries themselves). A hand-on
 * that fails frees its rows for the next pass; an instance that dies holding rows frees them when
 * the lease runs out. So every committed event is handed on at least once, and a rolled-back
 * change never wrote one.
 *
 * It wakes when this instance commits an event (`nudge`) and polls every `pollMs` for the others'.
 */
export class Relay {
  private running = false;
  private wake: (() => void) | null = null;
  private nudged = false;
  private loop: Promise<void> | null = null;

  constructor(
    readonly sink: Sink,
    private readonly fork: () => EntityManager,
    /** Hands the rows on and deletes them; what it returns runs after (attempts, at once). */
    private readonly handOn: (em: EntityManager, rows: OutboxRow[]) => Promise<(() => void) | void>,
    private readonly logger: Logger,
    /** coalesceMs: after a nudge, wait this long for more events (one pass hands on several). */
    private readonly options: { pollMs: number; batch: number; coalesceMs: number; ready?: () => boolean },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** One pass: how many rows it handed on. */
  async once(): Promise<number> {
    const em = this.fork();
    const rows = await outbox.claim(em, this.sink, this.options.batch, LEASE_SECONDS);
    if (!rows.length) return 0;
    let after: (() => void) | void;
    try {
      after = await this.handOn(em, rows);
    } catch (error) {
      await outbox.release(em, rows.map((r) => r.seq)).catch(() => undefined); // else the lease frees them
      throw error;
    }
    after?.();
    return rows.length;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let n = 0;
      try {
        if (this.options.ready?.() !== false) n = await this.once();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 20 === 0) this.logger.warn({ err: error, sink: this.sink, failures }, 'event relay: hand-on failed, retrying');
      }
      if (n >= this.options.batch && !failures) continue;
      const backoff = failures ? Math.min(this.options.pollMs * 2 ** Math.min(failures, 5), 10_000) : this.options.pollMs;
      await this.sleep(backoff);
    }
  }

  private sleep(ms: number): Promise<void> {
    const coalesce = this.options.coalesceMs;
    if (this.nudged && ms <= this.options.pollMs) {
      this.nudged = false;
      return new Promise<void>((resolve) => setTimeout(resolve, coalesce));
    }
    return new Promise<void>((resolve) => {
      let timer = setTimeout(resolve, ms);
      this.wake = () => {
        this.wake = null;
        this.nudged = false;
        clearTimeout(timer);
        timer = setTimeout(resolve, this.running ? coalesce : 0);
      };
    });
  }
}
