import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { Feed, type Closable, type OverflowHandler } from './feed';
import type { TopicName, TopicPayloads } from './topics';

/**
 * Typed pub/sub over Redis (several instances) or in process (one instance). Redis pub/sub is
 * at-most-once: nothing here is the only copy of anything; subscribers recover from Postgres.
 */
export class Bus {
  private constructor(
    private readonly engine: PubSubEngine,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly closeEngine: () => Promise<void>,
  ) {}

  static inProcess(logger: Logger): Bus {
    return new Bus(new PubSub(), '', logger, async () => undefined);
  }

  static redis(publisher: Redis, subscriber: Redis, prefix: string, logger: Logger): Bus {
    const engine = new RedisPubSub({ publisher, subscriber });
    const bus = new Bus(engine, prefix, logger, () => engine.close().then(() => undefined));
    // The subscriber's first 'ready' is the start; every later one follows an outage, during
    // which whatever was published is lost for this instance.
    let connected = subscriber.status === 'ready';
    subscriber.on('ready', () => {
      if (connected) for (const listener of bus.reconnected) listener();
      connected = true;
    });
    return bus;
  }

  private readonly reconnected = new Set<() => void>();

  /**
   * Called each time the bus comes back after an outage (Redis restarted, the network cut): what
   * was published meanwhile never arrives, so caches kept fresh by the bus must be dropped.
   */
  onReconnect(listener: () => void): void {
    this.reconnected.add(listener);
  }

  channel(name: TopicName, scope?: string | null): string {
    return scope ? `${this.prefix}${name}:${scope}` : `${this.prefix}${name}`;
  }

  /** Fire and forget: called after commit; a failed publish is logged, clients recover by seq. */
  publish<K extends TopicName>(name: K, scope: string | null, payload: TopicPayloads[K]): void {
    this.engine.publish(this.channel(name, scope), payload).catch((error: unknown) => {
      this.logger.warn({ err: error, topic: name }, 'publish failed');
    });
  }

  /**
   * A feed that is already subscribed when this resolves. It holds at most 1000 events its
   * consumer has not taken; beyond that it fails, and `onOverflow` is called (the WebSocket's
   * "close this slow consumer").
   */
  async feed<K extends TopicName>(name: K, scope: string | null, onOverflow?: OverflowHandler): Promise<Feed<TopicPayloads[K]>> {
    const feed = new Feed<TopicPayloads[K]>(1000, onOverflow);
    const id = await this.engine.subscribe(this.channel(name, scope), feed.push as (p: unknown) => void, {});
    feed.attach(() => this.engine.unsubscribe(id));
    this.onFeed?.(feed);
    return feed;
  }

  /** Observes every feed opened (metrics). */
  onFeed?: (feed: Closable) => void;

  close(): Promise<void> {
    return this.closeEngine();
  }
}
