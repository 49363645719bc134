import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../logger';
import { Feed, type Closable, type OverflowHandler } from './feed';
import { RedisKeys } from './keys';
import { ShardedPubSub } from './sharded';
import type { TopicName, TopicPayloads } from './topics';

/**
 * Typed pub/sub over Redis, a Redis Cluster (sharded pub/sub) or in process (one instance),
 * channels named by ./keys.ts. Redis pub/sub is
 * at-most-once: nothing here is the only copy of anything; subscribers recover from Postgres.
 */
export class Bus {
  private constructor(
    private readonly engine: PubSubEngine,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
    private readonly closeEngine: () => Promise<void>,
    private readonly subscriber: Redis | Cluster | null = null,
  ) {}

  static inProcess(logger: Logger): Bus {
    return new Bus(new PubSub(), new RedisKeys('', false), logger, async () => undefined);
  }

  static redis(publisher: Redis, subscriber: Redis, keys: RedisKeys, logger: Logger): Bus {
    const engine = new RedisPubSub({ publisher, subscriber });
    return new Bus(engine, keys, logger, () => engine.close().then(() => undefined), subscriber);
  }

  static sharded(publisher: Cluster, subscriber: Cluster, keys: RedisKeys, logger: Logger): Bus {
    const engine = new ShardedPubSub(publisher, subscriber);
    return new Bus(engine, keys, logger, async () => engine.close(), subscriber);
  }

  /**
   * Whether this instance hears what others publish now: false while the Redis subscriber
   * reconnects (what was published meanwhile is lost to it). In process: always.
   */
  hearing(): boolean {
    return this.subscriber === null || this.subscriber.status === 'ready';
  }

  /**
   * Calls `listener` each time the subscriber comes back after losing Redis (its subscriptions
   * are renewed, but what was published while it was away never arrives). Returns the unsubscribe.
   */
  onReconnect(listener: () => void): () => void {
    const subscriber = this.subscriber;
    if (!subscriber) return () => undefined;
    let lost = false;
    const down = () => (lost = true);
    const up = () => {
      if (!lost) return;
      lost = false;
      listener();
    };
    subscriber.on('close', down);
    subscriber.on('ready', up);
    return () => {
      subscriber.off('close', down);
      subscriber.off('ready', up);
    };
  }

  /** A publish that resolves once Redis took it (or rejects): for what must not be lost silently. */
  async send<K extends TopicName>(name: K, scope: string | null, payload: TopicPayloads[K]): Promise<void> {
    await this.engine.publish(this.channel(name, scope), payload);
  }

  /** A callback on every event of a topic, for the life of the process (no feed, no buffer). Returns the unsubscribe. */
  async listen<K extends TopicName>(name: K, scope: string | null, handler: (payload: TopicPayloads[K]) => void): Promise<() => void> {
    const id = await this.engine.subscribe(this.channel(name, scope), handler as (p: unknown) => void, {});
    return () => this.engine.unsubscribe(id);
  }

  channel(name: TopicName, scope?: string | null): string {
    return this.keys.channel(name, scope);
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
