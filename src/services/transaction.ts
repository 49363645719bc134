import type { EntityManager } from '@mikro-orm/postgresql';
import { whenConnected } from '../db/execute';
import { Effects } from '../events/effects';
import type { Sink } from '../db/outbox';
import type { EventType } from '../events/outbox';
import type { Publisher } from '../events/publisher';
import type { Routing } from './routing';

export interface ChangeOptions {
  /** Take the routing lock first: the change moves capacity or the queue (services/routing.ts). */
  routing?: boolean;
}

/**
 * The one way state changes: lock (if routing), transaction, effects collected while it runs,
 * recorded before commit and published after it (`events/publisher.ts`).
 */
export class Transactions {
  constructor(
    private readonly publisher: Publisher,
    private readonly routing: Routing,
  ) {}

  async run<T>(em: EntityManager, options: ChangeOptions, work: (tem: EntityManager, effects: Effects) => Promise<T>): Promise<T> {
    const effects = new Effects();
    // A connection Postgres refused is tried again (db/execute.ts): nothing of `work` ran yet.
    const result = await whenConnected(() =>
      em.transactional(async (tem) => {
        if (options.routing) await this.routing.lock(tem);
        const value = await work(tem, effects);
        await this.publisher.record(tem, effects);
        return value;
      }),
    );
    this.publisher.publish(effects);
    return result;
  }

  /**
   * A change that is one statement, committed on its own (a send, a read receipt: the hot path
   * pays for no transaction block), or that stores nothing (typing). Published now.
   */
  committed(effects: Effects): void {
    this.publisher.recordCommitted(effects);
    this.publisher.publish(effects);
  }

  /** The outbox sinks that want an event of `type` (a one-statement change writes its own rows). */
  sinksFor(type: EventType): Sink[] {
    return this.publisher.sinksFor(type);
  }
}
