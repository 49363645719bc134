import { createHash } from 'node:crypto';
import type { RedisClient } from '../../pubsub/redis';
import { BadInputError, ConflictError } from '../../errors';

/** How long an answer is kept for a retry with the same Idempotency-Key. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const MAX_KEY_LENGTH = 100;
/** Bound of the in-memory store (no Redis: one instance). */
const MEMORY_ENTRIES = 10_000;

interface Entry {
  fingerprint: string;
  response?: { status: number; body: unknown };
}

/**
 * `Idempotency-Key` on the REST routes that create or change something without a key of their
 * own (a new chat, a new agent, a transfer): the first request runs; a retry with the same key,
 * from the same caller, to the same route, with the same body gets the first answer again
 * (header `Idempotent-Replayed: true`) and changes nothing; one sent while the first still runs is
 * CONFLICT; the same key with another body is BAD_USER_INPUT. Refusals are not kept: a retry
 * after a 4xx or 5xx runs again. Kept in Redis for 24 hours, shared by every instance (in memory
 * without Redis). Messages do not need this: their Idempotency-Key is their clientMessageId,
 * kept with the message in Postgres.
 */
export class IdempotencyStore {
  private readonly memory = new Map<string, { entry: Entry; until: number }>();

  constructor(
    private readonly redis: RedisClient | null,
    private readonly prefix: string,
  ) {}

  /** The first answer to replay, or null when this request is the first (and now holds the key). */
  async begin(scope: string, key: string, body: unknown): Promise<{ status: number; body: unknown } | null> {
    if (!key || key.length > MAX_KEY_LENGTH) throw new BadInputError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`, 'Idempotency-Key');
    const id = this.id(scope, key);
    const fingerprint = createHash('sha256').update(JSON.stringify(body ?? null)).digest('base64');
    const fresh: Entry = { fingerprint };
    const existing = await this.claim(id, fresh);
    if (!existing) return null;
    if (existing.fingerprint !== fingerprint) throw new BadInputError('This Idempotency-Key was used for another request.', 'Idempotency-Key');
    if (!existing.response) throw new ConflictError('A request with this Idempotency-Key is still running; retry shortly.');
    return existing.response;
  }

  /** Keeps the answer for retries (a success), or lets the key go (a refusal: a retry runs again). */
  async finish(scope: string, key: string, body: unknown, response: { status: number; body: unknown } | null): Promise<void> {
    const id = this.id(scope, key);
    if (!response) return this.release(id);
    const entry: Entry = { fingerprint: createHash('sha256').update(JSON.stringify(body ?? null)).digest('base64'), response };
    if (this.redis) await this.redis.set(id, JSON.stringify(entry), 'EX', IDEMPOTENCY_TTL_SECONDS);
    else this.memory.set(id, { entry, until: Date.now() + IDEMPOTENCY_TTL_SECONDS * 1000 });
  }

  private id(scope: string, key: string): string {
    return `${this.prefix}idem:${createHash('sha256').update(`${scope}\n${key}`).digest('base64url')}`;
  }

  /** Takes the key if free; otherwise what holds it. */
  private async claim(id: string, entry: Entry): Promise<Entry | null> {
    if (this.redis) {
      const taken = await this.redis.set(id, JSON.stringify(entry), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX');
      if (taken) return null;
      const held = await this.redis.get(id);
      return held ? (JSON.parse(held) as Entry) : this.claim(id, entry);
    }
    const now = Date.now();
    const held = this.memory.get(id);
    if (held && held.until > now) return held.entry;
    if (this.memory.size >= MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value as string);
    this.memory.set(id, { entry, until: now + IDEMPOTENCY_TTL_SECONDS * 1000 });
    return null;
  }

  private async release(id: string): Promise<void> {
    if (this.redis) await this.redis.del(id);
    else this.memory.delete(id);
  }
}
