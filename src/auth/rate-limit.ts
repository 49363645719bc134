import type { RateSetting } from '../config';
import { RateLimitedError } from '../errors';
import type { RedisKeys } from '../pubsub/keys';
import type { RedisClient } from '../pubsub/redis';
import { within } from '../services/concurrency';

/**
 * Token buckets: BURST tokens, refilled at PER_MINUTE per minute. With Redis the bucket is one
 * hash updated by one atomic script (Redis' own clock), so every instance shares it (on a Redis
 * Cluster the key is hash-tagged and the script runs on the one shard that owns it); without
 * Redis the same arithmetic runs in memory. rate-limiter-flexible was considered: it offers fixed
 * windows, not the token buckets the contract names, so this is the one small script instead.
 */
export interface RateLimiter {
  /** Takes a token or throws RATE_LIMITED with retryAfterSeconds. */
  consume(bucket: Bucket, key: string): Promise<void>;
}

export type Bucket = 'startChat' | 'sendMessage' | 'login' | 'loginIp' | 'typing' | 'apiKey' | 'emailTranscript' | 'webhookActions' | 'export';
type Buckets = Record<Bucket, RateSetting>;

const SCRIPT = `
local burst = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * perMs)
local waitMs = 0
if tokens >= 1 then tokens = tokens - 1 else waitMs = math.ceil((1 - tokens) / perMs) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
return waitMs
`;

export class NoRateLimiter implements RateLimiter {
  async consume(): Promise<void> {}
}

/** How long a send waits for Redis' answer before it takes a token from this instance's buckets. */
export const REDIS_TOKEN_WAIT_MS = 250;

export class RedisRateLimiter implements RateLimiter {
  /** Insurance while Redis fails: the same buckets, per instance, rather than a 500 for the user. */
  private readonly fallback: MemoryRateLimiter;

  constructor(
    private readonly redis: RedisClient,
    private readonly buckets: Buckets,
    private readonly keys: RedisKeys,
    private readonly onRedisError: (error: unknown) => void = () => undefined,
  ) {
    redis.defineCommand('sbTakeToken', { numberOfKeys: 1, lua: SCRIPT });
    this.fallback = new MemoryRateLimiter(buckets);
  }

  /**
   * Never waits on a Redis that is not there: while ioredis reconnects, a command waits in its
   * offline queue (or, sent just before the connection dropped, until it is back), which held
   * every send for the length of the outage and then let them all through at once. Not ready, or
   * no answer within REDIS_TOKEN_WAIT_MS: this instance's buckets decide (a late token taken in
   * Redis costs the sender one token, nothing more).
   */
  async consume(bucket: keyof Buckets, key: string): Promise<void> {
    const { burst, perMinute } = this.buckets[bucket];
    const take = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>).sbTakeToken;
    let waitMs: number;
    try {
      if (this.redis.status !== 'ready') throw new Error(`Redis is ${this.redis.status}`);
      waitMs = await within(take.call(this.redis, this.keys.rate(bucket, key), burst, perMinute / 60_000), REDIS_TOKEN_WAIT_MS, 'Redis');
    } catch (error) {
      this.onRedisError(error);
      return this.fallback.consume(bucket, key);
    }
    if (waitMs > 0) throw new RateLimitedError(Math.ceil(waitMs / 1000));
  }
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly state = new Map<string, { tokens: number; ts: number }>();

  constructor(private readonly buckets: Buckets) {}

  async consume(bucket: keyof Buckets, key: string): Promise<void> {
    const { burst, perMinute } = this.buckets[bucket];
    const perMs = perMinute / 60_000;
    const now = Date.now();
    const id = `${bucket}:${key}`;
    const prev = this.state.get(id) ?? { tokens: burst, ts: now };
    const tokens = Math.min(burst, prev.tokens + Math.max(0, now - prev.ts) * perMs);
    if (tokens < 1) {
      this.state.set(id, { tokens, ts: now });
      throw new RateLimitedError(Math.ceil((1 - tokens) / perMs / 1000));
    }
    this.state.set(id, { tokens: tokens - 1, ts: now });
    if (this.state.size > 100_000) this.sweep(now);
  }

  /** Forget full buckets, so memory stays bounded. */
  private sweep(now: number) {
    for (const [id, entry] of this.state) {
      const setting = this.buckets[id.split(':')[0] as keyof Buckets];
      if (entry.tokens + (now - entry.ts) * (setting.perMinute / 60_000) >= setting.burst) this.state.delete(id);
    }
  }
}
