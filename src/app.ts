import type { MikroORM } from '@mikro-orm/postgresql';
import { MemoryRateLimiter, NoRateLimiter, RedisRateLimiter, type RateLimiter } from './auth/rate-limit';
import { persistentSecret } from './auth/dev-secret';
import { TokenService } from './auth/tokens';
import * as agentRows from './db/agents';
import * as customerRows from './db/customers';
import type { Config } from './config';
import { openDatabase, type Database } from './db/database';
import * as sessions from './db/sessions';
import type { Logger } from './logger';
import { createMetrics, type AppMetrics } from './metrics';
import { Bus } from './pubsub/bus';
import { RedisKeys } from './pubsub/keys';
import { connectRedis, type RedisClient } from './pubsub/redis';
import { AgentService } from './services/agents';
import { ChatService } from './services/chats';
import { Semaphore, within } from './services/concurrency';
import { LiveService } from './services/live';
import { MessageService } from './services/messages';
import { startDisconnectSweep } from './services/disconnected';
import { MemoryPresenceStore, Presence, RedisPresenceStore } from './services/presence';
import { Reads } from './services/reads';
import { Routing } from './services/routing';
import { Transactions } from './services/transaction';
import { Publisher } from './events/publisher';
import { Jobs } from './jobs/queue';
import { scheduleRetention } from './jobs/retention';
import { ErasureService } from './services/erasure';
import { TeamService } from './services/team';
import { Revocations } from './auth/revocation';
import { ApiKeyService } from './services/api-keys';
import { Mailer } from './mail/mailer';
import { AvailabilityService } from './services/availability';
import { EmailService } from './services/email';
import { Timers } from './services/timers';
import { startEventSinks } from './events/sinks';
import type { WebhookEndpoints } from './webhooks/endpoints';
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
  /** The commands client: one Redis, or a Redis Cluster (REDIS_CLUSTER_NODES). */
  redis: RedisClient | null;
  bus: Bus;
  presence: Presence;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  metrics: AppMetrics;
  routing: Routing;
  chats: ChatService;
  messages: MessageService;
  agents: AgentService;
  team: TeamService;
  erasure: ErasureService;
  reads: Reads;
  live: LiveService;
  /** Withdrawn credentials (API keys, agents' tokens), heard on every instance. */
  revocations: Revocations;
  apiKeys: ApiKeyService;
  /** The durable job queue (pg-boss on the same Postgres): deliveries, emails, timers. */
  jobs: Jobs;
  /** Desk: availability and business hours. */
  availability: AvailabilityService;
  /** Desk: the unread-reply email and emailTranscript. */
  email: EmailService;
  /** Where visitors' widgets are connected to their sessions. */
  widgets: Presence;
  /** Partners: webhook endpoints and their deliveries (the outbox and its relays run beside). */
  webhooks: WebhookEndpoints;
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
  const connections = await connectRedis(config, logger);
  const redis = connections?.commands ?? null;
  const bus = connections?.bus ?? Bus.inProcess(logger);
  if (!connections) logger.warn('no REDIS_URL or REDIS_CLUSTER_NODES: in-process pub/sub, presence and rate limits; run one instance only');
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
    export: config.RATE_EXPORT,
    apiKey: config.RATE_API_KEY,
    emailTranscript: config.RATE_EMAIL_TRANSCRIPT,
    webhookActions: config.RATE_WEBHOOK_ACTIONS,
  };
  const rateLimiter: RateLimiter = !config.rateLimits
    ? new NoRateLimiter()
    : connections
      ? new RedisRateLimiter(connections.commands, buckets, connections.keys, everyTenSeconds((error) => logger.warn({ err: error }, 'rate limits: Redis failed, using this instance\'s own buckets')))
      : new MemoryRateLimiter(buckets);
  const keepSecret = config.ephemeralSecret && db.embedded;
  const authSecret = keepSecret ? persistentSecret(config.DATA_DIR) : config.authSecret;
  const tokens = new TokenService(authSecret, config.AGENT_TOKEN_TTL_SECONDS, config.VISITOR_TOKEN_TTL_SECONDS);
  const revocations = new Revocations(bus, logger);
  await revocations.start();
  // Revocations published while the bus was away never arrive: Postgres decides, not the cache.
  tokens.useLookup(
    { agent: (id) => agentRows.credential(orm.em.fork(), id), customerValid: customerRows.validity(() => orm.em.fork()) },
    () => revocations.trusted(),
  );
  revocations.onRevoked((credential) => tokens.forget(credential));
  revocations.onResync(() => tokens.reset());
  const store = connections ? new RedisPresenceStore(connections.commands, connections.keys) : new MemoryPresenceStore();
  const presence = new Presence(store, config.PRESENCE_TTL_SECONDS * 1000, config.PRESENCE_GRACE_SECONDS * 1000, logger);
  const routing = new Routing(presence, metrics, config.SKILL_FALLBACK_SECONDS);
  const sinks = await startEventSinks({ config, databaseUrl: db.url, jobs, fork: () => orm.em.fork(), online: () => presence.onlineIds(), rateLimiter, logger });
  const publisher = new Publisher(bus, sinks.outbox, () => orm.em.fork(), logger, revocations);
  const timers = new Timers(config, jobs, logger);
  publisher.onRecord(timers.arm);
  const tx = new Transactions(publisher, routing);
  const apiKeys = new ApiKeyService(tx, revocations, logger);
  const files = new FileService(config.STORAGE_DIR ? diskStore(config.STORAGE_DIR) : postgresStore, authSecret, rateLimiter, logger);
  const erasure = new ErasureService(tx, files);
  await files.schedule(jobs, () => orm.em.fork());
  const messages = new MessageService(tx, metrics, rateLimiter, files);
  const chats = new ChatService(config, tx, routing, metrics, rateLimiter, files);
  const notes = new NoteService(tx);
  const desk = new DeskService(tx);
  const canned = new CannedService();
  const hashing = new Semaphore(config.PASSWORD_HASH_CONCURRENCY, 8 * config.PASSWORD_HASH_CONCURRENCY);
  const team = new TeamService(tx, hashing, rateLimiter);
  const agents = new AgentService(tokens, tx, routing, metrics, logger, hashing, team);
  await scheduleRetention({ jobs, erasure, em: () => orm.em.fork(), days: config.RETENTION_DAYS, logger });
  presence.onChange = (agentId, change) =>
    agents.presenceChanged(orm.em.fork(), agentId, change).catch((error: unknown) => logger.error({ err: error, agentId }, 'presence change failed'));
  const reads = new Reads(messages);
  const widgetStore = connections ? new RedisPresenceStore(connections.commands, new RedisKeys(`${config.REDIS_PREFIX}widget-`, connections.keys.cluster)) : new MemoryPresenceStore();
  const widgets = new Presence(widgetStore, config.PRESENCE_TTL_SECONDS * 1000, config.EMAIL_NOTIFY_DELAY_SECONDS * 1000, logger, false);
  const live = new LiveService(bus, messages, reads, sessions.sharedReads(() => orm.em.fork()), widgets);
  presence.start();
  widgets.start();
  const availability = new AvailabilityService(routing);
  const mailer = new Mailer(config.SMTP_URL, config.EMAIL_FROM, logger);
  const email = new EmailService(config, jobs, tx, mailer, tokens, widgets, rateLimiter, logger);
  await timers.start({ tx, routing, metrics, em: () => orm.em.fork() });
  await email.start(() => orm.em.fork());
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
    config, logger, db, orm, redis, bus, presence, tokens, rateLimiter, metrics, routing, chats, messages, agents, team, erasure, reads, live, jobs, revocations, apiKeys, availability, email, widgets, webhooks: sinks.webhooks, files, notes, desk, canned,
    async ready() {
      const checks = [db.ping()];
      if (connections) checks.push(connections.ready());
      const results = await Promise.all(checks.map((c) => within(c, 1000, 'a readiness check').catch(() => false)));
      return results.every(Boolean);
    },
    async close() {
      await sweep.stop();
      await email.stop();
      await sinks.stop();
      await jobs.stop();
      mailer.close();
      await widgets.stop();
      await presence.stop();
      revocations.stop();
      await bus.close().catch(() => undefined);
      connections?.close();
      await db.close();
    },
  };
}

/** `log`, at most once every ten seconds (an outage would otherwise log once per request). */
function everyTenSeconds(log: (error: unknown) => void): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    log(error);
  };
}
