import { PubSubEngine } from 'graphql-subscriptions';
import type { Cluster } from 'ioredis';

type Handler = (payload: unknown) => void;

/**
 * A graphql-subscriptions engine over Redis Cluster's sharded pub/sub (SPUBLISH / SSUBSCRIBE,
 * Redis 7): each channel lives on the shard that owns its slot, so fan-out grows with the
 * cluster instead of every message being broadcast to every node (classic PUBLISH in a cluster).
 * graphql-redis-subscriptions 2.7 knows only PUBLISH/SUBSCRIBE, hence this small adapter.
 *
 * `subscriber` is a Cluster created with `shardedSubscribers: true` (ioredis keeps one
 * subscriber connection per master and re-subscribes after a master restarts); `publisher` any
 * Cluster. One SSUBSCRIBE per channel per instance however many feeds listen; each message is
 * parsed once and the same object handed to every feed (services/live.ts relies on that).
 */
export class ShardedPubSub extends PubSubEngine {
  private readonly channels = new Map<string, { handlers: Map<number, Handler>; subscribed: Promise<unknown> }>();
  private readonly subscriptions = new Map<number, string>();
  private nextId = 0;
  private readonly onMessage = (channel: string, message: string) => {
    const handlers = this.channels.get(channel)?.handlers;
    if (!handlers) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      return;
    }
    for (const handler of handlers.values()) handler(payload);
  };

  constructor(
    private readonly publisher: Cluster,
    private readonly subscriber: Cluster,
  ) {
    super();
    subscriber.on('smessage', this.onMessage);
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    await this.publisher.spublish(channel, JSON.stringify(payload));
  }

  /** Resolves once the channel is subscribed on its shard (a second feed waits for the first's SSUBSCRIBE). */
  async subscribe(channel: string, onMessage: Handler): Promise<number> {
    const id = ++this.nextId;
    let entry = this.channels.get(channel);
    if (!entry) this.channels.set(channel, (entry = { handlers: new Map(), subscribed: this.subscriber.ssubscribe(channel) }));
    entry.handlers.set(id, onMessage);
    this.subscriptions.set(id, channel);
    try {
      await entry.subscribed;
    } catch (error) {
      // The next feed of this channel tries again.
      if (this.channels.get(channel) === entry) this.channels.delete(channel);
      this.subscriptions.delete(id);
      throw error;
    }
    return id;
  }

  unsubscribe(id: number): void {
    const channel = this.subscriptions.get(id);
    if (channel === undefined) return;
    this.subscriptions.delete(id);
    const entry = this.channels.get(channel);
    entry?.handlers.delete(id);
    if (entry && entry.handlers.size === 0) {
      this.channels.delete(channel);
      // Sent at once, so a SSUBSCRIBE of the same channel issued after this is queued after it.
      this.subscriber.sunsubscribe(channel).catch(() => undefined);
    }
  }

  close(): void {
    this.subscriber.off('smessage', this.onMessage);
    this.channels.clear();
    this.subscriptions.clear();
  }
}
