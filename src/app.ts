import type { MikroORM } from '@mikro-orm/postgresql';
import { Redis } from 'ioredis';
import { MemoryRateLimiter, NoRateLimiter, RedisRateLimiter, type RateLimiter } from './auth/rate-limit';
import { persistentSecret } from './auth/dev-secret';
import { TokenService } from './auth/tokens';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import * as sessions from './db/sessions';
import type { Logger } from './logger';
import { createMetrics, type AppMetrics } from './metrics';
import { Bus } from './pubsub/bus';
import { AgentService } from './services/agents';
import { ChatService } from './services/chats';
import { Semaphore } from './services/concurrency';
import { LiveService } from './services/live';
import { MessageService } from './services/messages';
import { startDisconnectSweep } from './services/disconnected';
import { MemoryPresenceStore, Presence, RedisPresenceStore } from './services/presence';
import { Reads } from './services/reads';
import { Routing } from './services/routing';
import { Transactions } from './services/transaction';
import { Publisher } from './events/publisher';
import { Jobs } from './jobs/queue';
import { diskStore, postgresStore } from './files/storage';
import { CannedService } from './services/canned';
import { DeskService } from './services/desk';
import { FileService } from './services/files';
import { NoteService } from './services/notes';

/** Everything a request needs, wired once at start-up. */
export interface App {
  config: Readonly<Config>;
  logger: Logger;
  db: Database;
  orm: MikroORM;
  redis: Redis | null;
  bus: Bus;
  presence: Presence;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  metrics: AppMetrics;
  routing: Routing;
  chats: ChatService;
  messages: MessageService;
  agents: AgentService;
  reads: Reads;
  live: LiveService;
  /** The durable job queue (pg-boss on the same Postgres): deliveries, emails, timers. */
  jobs: Jobs;
  /** The desk (contract, desk: "Files", "Agents' tools"). */
  files: FileService;
  notes: NoteService;
  desk: DeskService;
  canned: CannedService;
  /** Postgres and Redis (if configured) answer. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export async function createApp(config: Readonly<Config>, logger: Logger): Promise<App> {
  const db = await openDatabase(config, logger);
  const orm = db.orm;
  const jobs = new Jobs(db.url, logger);
  await jobs.start();
  let redis: Redis | null = null;
  let subscriber: Redis | null = null;
  let bus: Bus;
  if (config.REDIS_URL) {
    // Reconnect every 50 ms more, at most every 2 s (ioredis 5's cadence; 6 backs off to 5 s), so
    // pub/sub and presence come back within 2 s of a Redis restart.
    const retryStrategy = (times: number) => Math.min(times * 50, 2000);
    redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true, retryStrategy });
    subscriber = new Redis(config.REDIS_URL, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: null, retryStrategy });
    for (const [name, client] of [['redis', redis], ['redis subscriber', subscriber]] as const) {
      client.on('error', (error) => logger.warn({ err: error }, `${name} error`));
    }
    await Promise.all([redis.connect(), subscriber.connect()]);
    bus = Bus.redis(redis, subscriber, config.REDIS_PREFIX, logger);
  } else {
    bus = Bus.inProcess(logger);
    logger.warn('no REDIS_URL: in-process pub/sub, presence and rate limits; run one instance only');
  }
  const metrics = createMetrics(() => sessions.queueDepth(orm.em.fork()));
  bus.onFeed = (feed) => {
    metrics.subscriptions.inc();
    feed.whenClosed(() => metrics.subscriptions.dec());
  };
  const buckets = {
    startChat: config.RATE_START_CHAT,
    sendMessage: config.RATE_SEND_MESSAGE,
    login: config.RATE_LOGIN,
    loginIp: config.RATE_LOGIN_IP,
    typing: config.RATE_TYPING,
  };
  const rateLimiter: RateLimiter = !config.rateLimits
    ? new NoRateLimiter()
    : redis
      ? new RedisRateLimiter(redis, buckets, config.REDIS_PREFIX, (error) => logger.warn({ err: error }, 'rate limits: Redis failed, using this instance\'s own buckets'))
      : new MemoryRateLimiter(buckets);
  const keepSecret = config.ephemeralSecret && db.embedded;
  const authSecret = keepSecret ? persistentSecret(config.DATA_DIR) : config.authSecret;
  const tokens = new TokenService(authSecret, config.AGENT_TOKEN_TTL_SECONDS, config.VISITOR_TOKEN_TTL_SECONDS);
  const store = redis ? new RedisPresenceStore(redis, config.REDIS_PREFIX) : new MemoryPresenceStore();
  const presence = new Presence(store, config.PRESENCE_TTL_SECONDS * 1000, config.PRESENCE_GRACE_SECONDS * 1000, logger);
  const routing = new Routing(presence, metrics);
  const tx = new Transactions(new Publisher(bus), routing);
  const files = new FileService(config.STORAGE_DIR ? diskStore(config.STORAGE_DIR) : postgresStore, authSecret, rateLimiter, logger);
  await files.schedule(jobs, () => orm.em.fork());
  const messages = new MessageService(tx, metrics, rateLimiter, files);
  const chats = new ChatService(config, tx, routing, metrics, rateLimiter, files);
  const notes = new NoteService(tx);
  const desk = new DeskService(tx);
  const canned = new CannedService();
  const hashing = new Semaphore(config.PASSWORD_HASH_CONCURRENCY, 8 * config.PASSWORD_HASH_CONCURRENCY);
  const agents = new AgentService(tokens, tx, routing, metrics, logger, hashing);
  presence.onChange = (agentId, change) =>
    agents.presenceChanged(orm.em.fork(), agentId, change).catch((error: unknown) => logger.error({ err: error, agentId }, 'presence change failed'));
  const reads = new Reads(messages);
  const live = new LiveService(bus, messages, reads);
  presence.start();
  const sweep = startDisconnectSweep({ agents, em: () => orm.em.fork(), afterSeconds: config.REQUEUE_DISCONNECTED_SECONDS, logger });

  if (config.SUPERVISOR_EMAIL && config.SUPERVISOR_PASSWORD) {
    await agents.ensureSupervisor(orm.em.fork(), config.SUPERVISOR_EMAIL, config.SUPERVISOR_PASSWORD);
  } else if (db.embedded) {
    const first = await agents.ensureFirstSupervisor(orm.em.fork());
    if (first) {
      // In the message: the logger redacts `password` fields, and this one must be seen.
      logger.warn(
        { email: first.email },
        `first start: created the supervisor ${first.email} with the password ${first.password} (shown only this once). ` +
          'Sign in at /console; set SUPERVISOR_EMAIL and SUPERVISOR_PASSWORD to choose your own.',
      );
    }
  }
  if (keepSecret) logger.warn({ dir: config.DATA_DIR }, 'no AUTH_SECRET: tokens are signed with a key generated under DATA_DIR (set AUTH_SECRET in production)');
  else if (config.ephemeralSecret) logger.warn('no AUTH_SECRET: tokens are signed with a random key and die with this process');

  return {
    config, logger, db, orm, redis, bus, presence, tokens, rateLimiter, metrics, routing, chats, messages, agents, reads, live, jobs, files, notes, desk, canned,
    async ready() {
      const checks = [db.ping()];
      if (redis) checks.push(redis.ping().then((r) => r === 'PONG'));
      // The subscriber connection too: while it reconnects, this instance's live streams are deaf.
      if (subscriber) checks.push(Promise.resolve(subscriber.status === 'ready'));
      const results = await Promise.all(checks.map((c) => withTimeout(c, 1000).catch(() => false)));
      return results.every(Boolean);
    },
    async close() {
      await sweep.stop();
      await jobs.stop();
      await presence.stop();
      await bus.close().catch(() => undefined);
      redis?.disconnect();
      subscriber?.disconnect();
      await db.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
