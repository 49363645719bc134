import type { EntityManager } from '@mikro-orm/postgresql';
import * as outbox from '../db/outbox';
import type { OutboxRow, Sink } from '../db/outbox';
import type { Logger } from '../logger';

/**
 * One sink's relay (webhooks, AMQP), on every instance: takes the oldest outbox rows no other
 * instance holds (`FOR UPDATE SKIP LOCKED`), hands them on inside that transaction and deletes
 * them in it. An instance that dies holding rows releases them with its connection; a hand-on
 * that fails rolls back and the rows wait for the next pass. So every committed event is handed
 * on at least once, and a rolled-back change never wrote one.
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
    /** Inside the pass's transaction; what it returns runs after that transaction committed. */
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
    let after: (() => void) | void = undefined;
    const n = await this.fork().transactional(async (tem) => {
      const rows = await outbox.claim(tem, this.sink, this.options.batch);
      if (!rows.length) return 0;
      after = await this.handOn(tem, rows);
      await outbox.remove(tem, rows.map((r) => r.seq));
      return rows.length;
    });
    (after as (() => void) | void)?.();
    return n;
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
