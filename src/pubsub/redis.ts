import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { Bus } from './bus';
import { RedisKeys } from './keys';

/** A single Redis or a Redis Cluster: the commands presence and the rate limiter use exist on both. */
export type RedisClient = Redis | Cluster;

/** The Redis side of an instance: one client for commands, one for subscriptions, the bus over them. */
export interface RedisConnections {
  commands: RedisClient;
  keys: RedisKeys;
  bus: Bus;
  /** Both clients answer (while the subscriber reconnects, this instance's live streams are deaf). */
  ready(): Promise<boolean>;
  close(): void;
}

// Reconnect every 50 ms more, at most every 2 s (ioredis 5's cadence; 6 backs off to 5 s), so
// pub/sub and presence come back within 2 s of a Redis restart.
const retryStrategy = (times: number) => Math.min(times * 50, 2000);

/**
 * Connects to REDIS_URL (one Redis: classic pub/sub through graphql-redis-subscriptions) or to
 * REDIS_CLUSTER_NODES (a Redis Cluster: sharded pub/sub, hash-tagged keys, see ./keys.ts and
 * ./sharded.ts); null when neither is set.
 */
export async function connectRedis(config: Readonly<Config>, logger: Logger): Promise<RedisConnections | null> {
  const nodes = config.REDIS_CLUSTER_NODES;
  if (!config.REDIS_URL && !nodes) return null;
  const keys = new RedisKeys(config.REDIS_PREFIX, Boolean(nodes));
  let commands: RedisClient;
  let subscriber: RedisClient;
  if (nodes) {
    const common = {
      lazyConnect: true,
      enableOfflineQueue: true,
      clusterRetryStrategy: retryStrategy,
      // A restarted master is reconnected to, rather than waiting for a MOVED to rediscover it.
      clusterNodeRetryStrategy: retryStrategy,
      redisOptions: { maxRetriesPerRequest: 2 },
    };
    commands = new Cluster(nodes, common);
    subscriber = new Cluster(nodes, { ...common, shardedSubscribers: true });
  } else {
    commands = new Redis(config.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, retryStrategy });
    subscriber = new Redis(config.REDIS_URL!, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: null, retryStrategy });
  }
  for (const [name, client] of [['redis', commands], ['redis subscriber', subscriber]] as const) {
    // A cluster client reports a down master many times a second: one line per 5 s is enough.
    let last = 0;
    client.on('error', (error: Error) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      logger.warn({ err: error }, `${name} error`);
    });
  }
  await Promise.all([commands.connect(), subscriber.connect()]);
  const bus = nodes ? Bus.sharded(commands as Cluster, subscriber as Cluster, keys, logger) : Bus.redis(commands as Redis, subscriber as Redis, keys, logger);
  return {
    commands,
    keys,
    bus,
    async ready() {
      const pong = await commands.ping();
      return pong === 'PONG' && subscriber.status === 'ready';
    },
    close() {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
