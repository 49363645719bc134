import type { EntityManager } from '@mikro-orm/postgresql';
import { PgBoss, type Job, type JobResult, type Queue, type SendOptions, type WorkOptions } from 'pg-boss';
import { sql } from '../db/execute';
import type { Logger } from '../logger';

/** Where pg-boss keeps its tables; created and migrated by pg-boss itself at start-up. */
export const JOBS_SCHEMA = 'pgboss';

export type JobHandler<T> = (data: T, job: Job<T>) => Promise<void>;

export interface QueueDefinition extends Omit<Queue, 'name'> {
  /** Worker options on this instance (polling, local concurrency…). */
  work?: WorkOptions;
}

/**
 * The one durable job queue: pg-boss on the same Postgres. Everything that must happen later, once,
 * on one instance, whatever instance dies meanwhile (webhook deliveries, emails, timers, the daily
 * retention sweep), is a job here, never a `setTimeout`.
 *
 * - `define(name, …, handler)`: every instance declares its queues and workers at start-up; a job is
 *   claimed by one worker (`SELECT … FOR UPDATE SKIP LOCKED` inside pg-boss), retried by its queue's
 *   policy when the handler throws, and expired (then retried) when a worker dies holding it.
 * - `send(em, name, data)`: inside a transaction (`Transactions.run`'s `tem`), the job is inserted on
 *   that transaction's connection, so it exists exactly when the change commits.
 */
export class Jobs {
  private readonly boss: PgBoss;
  private started = false;

  constructor(url: string, private readonly logger: Logger) {
    this.boss = new PgBoss({
      connectionString: url,
      schema: JOBS_SCHEMA,
      application_name: 'switchboard-jobs',
      max: 4,
      migrate: true,
      supervise: true,
      schedule: true,
      useListenNotify: true,
      // Idle, these two are most of what pg-boss itself asks (every 5 s by default): the cron
      // ticks it sends are every 15 minutes at the closest, and nothing here uses job flows.
      cronWorkerIntervalSeconds: 30,
      flowIntervalSeconds: 60,
    });
    this.boss.on('error', (error: unknown) => this.logger.warn({ err: error }, 'job queue error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
  }

  /**
   * Declares a queue (idempotent across instances) and this instance's worker for it. One worker
   * fetching `work.batchSize` jobs at a time runs them side by side, each settled by itself (one
   * that throws is retried alone), where `localConcurrency` workers would each poll on their own.
   * Returns the worker's id, for `wake`.
   */
  async define<T extends object>(name: string, definition: QueueDefinition, handler: JobHandler<T>): Promise<string> {
    const { work, ...queue } = definition;
    // Unless a queue says otherwise, sending a job wakes its workers on every instance (NOTIFY), so
    // their poll is only a backstop, every 30 s (pg-boss' notifyPollingIntervalSeconds); every 2 s
    // while the LISTEN connection is down. Deferred jobs (timers) gain nothing by it.
    await this.ensureQueue(name, { notify: true, ...queue });
    const options = work ?? {};
    const batchSize = options.batchSize ?? 1;
    if (batchSize === 1) return this.boss.work<T>(name, { ...options, batchSize }, async ([job]) => handler(job.data, job));
    return this.boss.work<T>(name, { ...options, batchSize, perJobResults: true }, (batch) =>
      Promise.all(
        batch.map((job) =>
          handler(job.data, job).then(
            (): JobResult => ({ id: job.id, status: 'completed' }),
            (error: unknown): JobResult => ({ id: job.id, status: 'failed', output: { message: error instanceof Error ? error.message : String(error) } }),
          ),
        ),
      ),
    );
  }

  /** Makes a worker `define` returned fetch now instead of at its next poll (a hint: polling stays). */
  wake(workerId: string): void {
    if (this.started) this.boss.notifyWorker(workerId);
  }

  /** Declares a queue that this instance only sends to. */
  async ensureQueue(name: string, queue: Omit<Queue, 'name'> = {}): Promise<void> {
    const existing = await this.boss.getQueue(name);
    if (existing) {
      // A queue's policy and partitioning are fixed when it is created; the rest may change.
      const changeable: Record<string, unknown> = { ...queue };
      delete changeable.policy;
      delete changeable.partition;
      if (Object.keys(changeable).length) await this.boss.updateQueue(name, changeable);
    } else await this.boss.createQueue(name, queue).catch(async (error: unknown) => {
      // Another instance created it between the read and the create.
      if (!(await this.boss.getQueue(name))) throw error;
    });
  }

  /**
   * Enqueues a job. With an EntityManager inside a transaction, on that transaction: the job is
   * committed, or rolled back, with the change that caused it. Returns the job id (null when a
   * singleton key refused a duplicate).
   */
  send<T extends object>(em: EntityManager | null, name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    if (em?.isInTransaction()) {
      const db = { executeSql: async (text: string, values?: unknown[]) => ({ rows: await sql(em, text, values ?? []) }) };
      return this.boss.send(name, data, { ...options, db });
    }
    return this.boss.send(name, data, options);
  }

  /** A cron schedule (in `tz`, default UTC); pg-boss makes one instance send each tick. */
  schedule(name: string, cron: string, data: object = {}, tz = 'UTC'): Promise<void> {
    return this.boss.schedule(name, cron, data, { tz });
  }

  /** Removes a cron schedule (a feature turned off); nothing when there is none. */
  unschedule(name: string): Promise<void> {
    return this.boss.unschedule(name);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: 5_000, close: true }).catch((error: unknown) => this.logger.warn({ err: error }, 'job queue stop failed'));
  }
}
