import { z } from 'zod';

/**
 * The only reader of process.env. Every variable is validated here; start-up fails with one
 * message naming every bad variable (see README, "Configuration").
 */

const onOff = z.enum(['on', 'off']);
const rate = z
  .string()
  .regex(/^\d+:\d+$/, 'must be BURST:PER_MINUTE, e.g. 20:60')
  .transform((v) => {
    const [burst, perMinute] = v.split(':').map(Number);
    return { burst, perMinute };
  })
  .refine((r) => r.burst >= 1 && r.perMinute >= 1, 'burst and per-minute must be at least 1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL');
const redisUrl = z.string().regex(/^rediss?:\/\/.+/, 'must be a redis:// URL');
const seconds = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'must be comma-separated seconds, e.g. 5,300,1800')
  .transform((v) => v.split(',').map(Number))
  .refine((list) => list.length <= 20 && list.every((n) => n >= 1 && n <= 7 * 24 * 3600), 'at most 20 delays, each 1 s to 7 days');
const amqpUrl = z.string().regex(/^amqps?:\/\/.+/, 'must be an amqp:// URL');
const clusterNodes = z
  .string()
  .transform((v) => v.split(',').map((n) => n.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((n) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(n) && Number(n.split(':')[1]) <= 65535), 'must be a comma-separated list of host:port')
  .transform((list) => list.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })));
const origins = z
  .string()
  .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
  .refine((list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'must be a comma-separated list of origins like https://example.com');

const schema = z
  .object({
    // development | production | test; production masks errors and requires AUTH_SECRET.
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    // HTTP and WebSocket port.
    PORT: int(0, 65535).default(4000),
    // Interface to listen on.
    HOST: z.string().min(1).default('0.0.0.0'),
    // Connections the kernel queues before the server accepts them (capped by net.core.somaxconn).
    // Node's default, 511, overflows when thousands of widgets reconnect at once after an instance
    // dies: each dropped handshake waits for a SYN retry (1 s, then 3 s, 7 s).
    LISTEN_BACKLOG: int(1, 65535).default(4096),
    // Postgres; unset: an embedded Postgres under DATA_DIR.
    DATABASE_URL: postgresUrl.optional(),
    // Redis; unset: in-process pub/sub, presence and rate limits (one instance only).
    REDIS_URL: redisUrl.optional(),
    // A Redis Cluster instead (host:port of some of its masters, comma-separated): sharded pub/sub.
    REDIS_CLUSTER_NODES: clusterNodes.optional(),
    // Prefix of every Redis key and channel, so several deployments can share one Redis.
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,40}$/).default('sb:'),
    // Signs tokens; at least 32 characters. Required in production; every instance needs the same one.
    AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    // Lifetime of agent tokens, seconds (default 12 h).
    AGENT_TOKEN_TTL_SECONDS: int(60, 30 * 24 * 3600).default(12 * 3600),
    // Lifetime of visitor tokens, seconds (default 30 days).
    VISITOR_TOKEN_TTL_SECONDS: int(60, 365 * 24 * 3600).default(30 * 24 * 3600),
    // HMAC secret for externalId identity hashes.
    IDENTITY_SECRET: z.string().min(1).optional(),
    // Make sure a supervisor with these credentials exists at start-up (both or neither).
    SUPERVISOR_EMAIL: z.email().optional(),
    SUPERVISOR_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    // Allowed browser origins, comma-separated; unset: any origin.
    CORS_ORIGINS: origins.optional(),
    // 1: take the client IP from the first X-Forwarded-For hop.
    TRUST_PROXY: z.enum(['0', '1']).default('0'),
    // Token buckets, BURST:PER_MINUTE.
    RATE_START_CHAT: rate.default({ burst: 10, perMinute: 10 }),
    RATE_SEND_MESSAGE: rate.default({ burst: 20, perMinute: 60 }),
    RATE_LOGIN: rate.default({ burst: 5, perMinute: 5 }),
    // Requests per API key (GraphQL over HTTP, WebSocket operations, REST), BURST:PER_MINUTE.
    RATE_API_KEY: rate.default({ burst: 600, perMinute: 600 }),
    // off: no rate limits.
    RATE_LIMITS: onOff.default('on'),
    // An agent whose last socket closed stays online this long.
    PRESENCE_GRACE_SECONDS: int(0, 3600).default(15),
    // How long an instance's presence entries live in Redis without a refresh (crash detection).
    PRESENCE_TTL_SECONDS: int(2, 600).default(10),
    // An agent not online this long has its ACTIVE chats put back at the head of the queue; 0: never.
    REQUEUE_DISCONNECTED_SECONDS: int(0, 7 * 24 * 3600).default(120),
    // pino level.
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // off: no introspection.
    INTROSPECTION: onOff.default('on'),
    // Where the embedded Postgres keeps its files.
    DATA_DIR: z.string().min(1).default('./.data'),
    // Port of the embedded Postgres.
    EMBEDDED_PG_PORT: int(1, 65535).default(54329),
    // SIGTERM: how long to wait for requests in flight before exiting anyway.
    SHUTDOWN_TIMEOUT_MS: int(100, 60000).default(8000),
    // WebSocket keepalive: a ping this often; a socket that has not answered by the next one is
    // dropped (half-open connections, and their subscriptions, are freed within twice this).
    WS_KEEPALIVE_SECONDS: int(1, 300).default(12),
    // Subscriptions one WebSocket may hold at once; the excess is refused (the socket stays).
    WS_MAX_SUBSCRIPTIONS: int(1, 10000).default(100),
    // Subscribe frames per socket, BURST:PER_MINUTE; the excess is refused with RATE_LIMITED.
    WS_SUBSCRIBE_RATE: rate.default({ burst: 200, perMinute: 600 }),
    // Open WebSockets per client IP on this instance; further upgrades get HTTP 429.
    WS_MAX_SOCKETS_PER_IP: int(1, 1_000_000).default(100),
    // A WebSocket that holds no subscription for this long is closed (1000 "Idle").
    WS_IDLE_SECONDS: int(1, 86400).default(60),
    // HTTP: the whole header block must arrive within this (a silent connection is closed after it).
    HTTP_HEADERS_TIMEOUT_MS: int(1000, 600000).default(10000),
    // HTTP: the whole request, body included, must arrive within this.
    HTTP_REQUEST_TIMEOUT_MS: int(1000, 600000).default(30000),
    // HTTP: an idle keep-alive connection is closed after this.
    HTTP_KEEPALIVE_TIMEOUT_MS: int(100, 600000).default(5000),
    // Login attempts per client IP, whatever the email, BURST:PER_MINUTE.
    RATE_LOGIN_IP: rate.default({ burst: 20, perMinute: 20 }),
    // Password hashes (scrypt) computed at once per instance; 8 per slot wait, more are RATE_LIMITED.
    PASSWORD_HASH_CONCURRENCY: int(1, 64).default(1),
    // setTyping per person and session, BURST:PER_MINUTE.
    RATE_TYPING: rate.default({ burst: 10, perMinute: 120 }),
    // A typing state already published for a session and side is not published again within this.
    TYPING_COALESCE_MS: int(0, 60000).default(1000),
    // Outgoing email: smtp://user:pass@host:port (smtps:// for TLS); unset: emails are written to the log.
    SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be smtp://user:pass@host:port or smtps://…').optional(),
    // The From of every email, an address or "Name <address>".
    EMAIL_FROM: z.string().regex(/^([^<>]{0,100}<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/, 'must be an address or "Name <address>"').default('Switchboard <no-reply@localhost>'),
    // Where visitors reach this server (the continue link in emails); unset: http://localhost:PORT.
    PUBLIC_URL: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http(s) URL').optional(),
    // An agent message unread, with no widget connected, this long: the visitor gets an email.
    EMAIL_NOTIFY_DELAY_SECONDS: int(1, 7 * 24 * 3600).default(120),
    // First retry of an email that could not be sent; doubling up to EMAIL_RETRY_MAX_SECONDS, for 24 h.
    EMAIL_RETRY_SECONDS: int(1, 3600).default(30),
    // The longest wait between two attempts at an email.
    EMAIL_RETRY_MAX_SECONDS: int(1, 6 * 3600).default(3600),
    // emailTranscript per customer, BURST:PER_MINUTE.
    RATE_EMAIL_TRANSCRIPT: rate.default({ burst: 3, perMinute: 3 }),
    // An ACTIVE chat whose agent sent nothing this long after its assignment is taken back; 0: off.
    REASSIGN_AFTER_SECONDS: int(0, 24 * 3600).default(0),
    // An agent that misses this many chats in a row is set AWAY; 0: off.
    AWAY_AFTER_MISSED: int(0, 1000).default(0),
    // A chat QUEUED for a skill this long may go to any available agent; 0: off.
    SKILL_FALLBACK_SECONDS: int(0, 7 * 24 * 3600).default(0),
    // A separate port for GET /metrics (on HOST); unset: none.
    METRICS_PORT: int(0, 65535).optional(),
    // 1: also serve GET /metrics on the main port to anyone (default 0: not there, unless METRICS_TOKEN).
    METRICS_PUBLIC: z.enum(['0', '1']).default('0'),
    // When set, GET /metrics (main port or METRICS_PORT) needs `Authorization: Bearer <token>`.
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    // Webhooks: the delays between a delivery's attempts, seconds; after the last one it is FAILED.
    WEBHOOK_RETRY_SCHEDULE: seconds.default([5, 300, 1800, 7200, 18000, 36000, 36000]),
    // 1: let webhook URLs reach loopback, private and link-local addresses (development, tests).
    WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
    // Webhook endpoints the organisation may register (deleted ones do not count).
    WEBHOOK_MAX_ENDPOINTS: int(1, 1000).default(50),
    // Webhook slots per instance (each attempts up to 5 deliveries of one endpoint at once), and of those per endpoint.
    WEBHOOK_CONCURRENCY: int(1, 256).default(32),
    WEBHOOK_ENDPOINT_CONCURRENCY: int(1, 256).default(4),
    // sendTestWebhook and replays per person or key, BURST:PER_MINUTE.
    RATE_WEBHOOK_ACTIONS: rate.default({ burst: 20, perMinute: 60 }),
    // RabbitMQ (AMQP 0-9-1): every event also to this broker; unset: none.
    EVENTS_AMQP_URL: amqpUrl.optional(),
    // The durable topic exchange events are published to (routing key: the event type).
    EVENTS_AMQP_EXCHANGE: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/).default('switchboard.events'),
    // The desk's files: the largest upload accepted, bytes (default 10 MB; larger: 413).
    UPLOAD_MAX_BYTES: int(1024, 100 * 1024 * 1024).default(10 * 1024 * 1024),
    // A local directory for uploaded files; unset: they are stored in Postgres (shared by every instance).
    STORAGE_DIR: z.string().min(1).optional(),
    // on: the visitor's unsent text (setTyping's draft) reaches agents and supervisors; off: dropped.
    TYPING_PREVIEW: onOff.default('on'),
    // Sessions closed more than this many days ago are erased, once a day; unset: kept for ever.
    RETENTION_DAYS: int(1, 36500).optional(),
    // CSV exports per caller (supervisor or key), BURST:PER_MINUTE.
    RATE_EXPORT: rate.default({ burst: 5, perMinute: 10 }),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.AUTH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (env.WEBHOOK_ENDPOINT_CONCURRENCY > env.WEBHOOK_CONCURRENCY) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_ENDPOINT_CONCURRENCY'], message: 'must not exceed WEBHOOK_CONCURRENCY' });
    }
    if (Boolean(env.SUPERVISOR_EMAIL) !== Boolean(env.SUPERVISOR_PASSWORD)) {
      const missing = env.SUPERVISOR_EMAIL ? 'SUPERVISOR_PASSWORD' : 'SUPERVISOR_EMAIL';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with the other SUPERVISOR_ variable' });
    }
    if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'cannot be set together with REDIS_URL (one Redis or one Redis Cluster)' });
    }
    // Run even when other variables are bad, so that the one message names every bad variable.
  }, { when: () => true });

type Parsed = z.infer<typeof schema>;
export type RateSetting = { burst: number; perMinute: number };

export interface Config extends Parsed {
  production: boolean;
  rateLimits: boolean;
  introspection: boolean;
  trustProxy: boolean;
  /** True when AUTH_SECRET was not given and a random one is used (tokens die with the process). */
  ephemeralSecret: boolean;
  authSecret: string;
  /** PUBLIC_URL without a trailing slash, or http://localhost:PORT. */
  publicUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * `.env` in the working directory, if there is one, into process.env (Node's own parser,
 * process.loadEnvFile): a variable already set in the environment wins over the file.
 */
export function loadEnvFile(file = '.env'): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  if (!fs.existsSync(file)) return false;
  process.loadEnvFile(file); // sets only what the environment does not already have
  return true;
}

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const known = Object.keys(schema.shape);
  const input: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const parsed = result.data;
  const authSecret = parsed.AUTH_SECRET ?? randomSecret();
  return Object.freeze({
    ...parsed,
    production: parsed.NODE_ENV === 'production',
    rateLimits: parsed.RATE_LIMITS === 'on',
    introspection: parsed.INTROSPECTION === 'on',
    trustProxy: parsed.TRUST_PROXY === '1',
    ephemeralSecret: !parsed.AUTH_SECRET,
    authSecret,
    publicUrl: (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, ''),
  });
}

function randomSecret(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(32).toString('hex');
}
