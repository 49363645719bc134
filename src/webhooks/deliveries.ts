import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { OutboxRow } from '../db/outbox';
import * as webhooks from '../db/webhooks';
import type { DeliveryRow, EndpointRow } from '../db/webhooks';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import { AddressRefused, resolveTarget } from './address';
import { ATTEMPT_TIMEOUT_MS, post, type AttemptResult } from './post';
import { Signer } from './signature';

const RETENTION_QUEUE = 'webhook.retention';
/** Deliveries one slot attempts together (one endpoint's). */
const CHUNK = 20;
/** A claim outlives its attempts, so an instance that died mid-attempt frees its deliveries. */
const LEASE_SECONDS = ATTEMPT_TIMEOUT_MS / 1000 + 15;
/**
 * A held chunk is attempted only if its attempt ends well within its lease; one that waited for a
 * slot longer is dropped from memory, and swept once its lease ran out.
 */
const HELD_FRESH_MS = LEASE_SECONDS * 1000 - ATTEMPT_TIMEOUT_MS - 5000;
/** Claimed deliveries (payloads in memory) waiting for a slot on this instance; beyond, they are released for any instance's sweep. */
const HELD_MAX = 2000;
/** Unclaimed chunks (replays) waiting for a slot, per endpoint; beyond, they wait in the table for a sweep. */
const WAITING_MAX = 100;
const SWEEP_MS = 1000;
/** Contract: "An endpoint with no success for 5 days is disabled". */
export const DISABLE_AFTER_SECONDS = 5 * 24 * 3600;
/** Contract: "The delivery log keeps every delivery for 30 days". */
const KEEP_DAYS = 30;

export type NewDelivery = { id: string; endpointId: string; event: string; eventId: string; payload: string };
type Claimed = { delivery: DeliveryRow; endpoint: EndpointRow };
/** A delivery waiting for a slot: `held` when this instance claimed it (inserted it) at `at`. */
type Waiting = { deliveryId: string; generation: number; held?: { claimed: Claimed; at: number } };

const wants = (endpoint: EndpointRow, type: string) => endpoint.events.includes('*') || endpoint.events.includes(type);

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** A delivery just inserted, as the table holds it. */
function inserted(d: NewDelivery): DeliveryRow {
  const now = new Date();
  return { ...d, status: 'PENDING', attempts: 0, responseStatus: null, lastError: null, lastAttemptAt: null, nextAttemptAt: now, createdAt: now, generation: 0 };
}

/**
 * Webhook deliveries (contract, partners: "Webhooks"). The `webhook_delivery` table is their
 * durable queue: the outbox relay inserts a PENDING row per endpoint that wants each event, in the
 * statement that deletes the event's outbox row, already claimed by this instance
 * (`claimed_until`, a lease past the attempts' timeout), and attempts them at once, so a first
 * attempt costs no claim statement. Every other attempt first claims its rows (one statement, one
 * instance), so one attempt of a delivery is in flight at a time across instances. Every
 * instance's sweep (each second, and at once while it knows of more due work than it had slots
 * for) claims what is due and unclaimed: retries, due WEBHOOK_RETRY_SCHEDULE after a failure,
 * replays, first attempts an instance had no slot for, and the deliveries of an instance that
 * died (their lease ran out).
 *
 * Slots: at most WEBHOOK_CONCURRENCY chunks (of up to CHUNK deliveries, attempted at once) in
 * flight per instance, WEBHOOK_ENDPOINT_CONCURRENCY of them one endpoint's; the rest wait for a
 * slot here (held ones up to HELD_MAX, then released to the table). A hanging endpoint holds only
 * its own slots, never another's nor any request.
 */
export class WebhookDeliveries {
  private readonly inFlight = new Map<string, number>();
  /** Per endpoint, chunks waiting for a slot here. */
  private readonly waiting = new Map<string, Waiting[][]>();
  private held = 0;
  private total = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  /** More is due in the table than this instance had slots for: sweep again as slots free up. */
  private backlog = false;
  private readonly signers = new Map<string, Signer>();

  constructor(
    private readonly config: Config,
    private readonly jobs: Jobs,
    private readonly fork: () => EntityManager,
    private readonly logger: Logger,
    /** Whether any endpoint is enabled: without, the sweep does not run. */
    private readonly wanted: () => boolean,
  ) {}

  async start(): Promise<void> {
    await this.jobs.define(RETENTION_QUEUE, {}, async () => {
      const n = await webhooks.deleteDeliveriesBefore(this.fork(), new Date(Date.now() - KEEP_DAYS * 24 * 3600 * 1000));
      if (n) this.logger.info({ deleted: n }, 'webhook deliveries older than 30 days deleted');
    });
    await this.jobs.schedule(RETENTION_QUEUE, '17 3 * * *');
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /**
   * The relay's hand-on: a delivery per endpoint that wants each event, inserted (claimed by this
   * instance) by the statement that deletes the events' outbox rows. Returns what to do next
   * (attempt them here and now).
   */
  async fanOut(em: EntityManager, rows: readonly OutboxRow[], bodies: ReadonlyMap<string, string | null>): Promise<() => void> {
    const endpoints = (await webhooks.endpoints(em)).filter((e) => e.enabled);
    const deliveries: Array<NewDelivery & { endpoint: EndpointRow }> = [];
    for (const row of rows) {
      const payload = bodies.get(row.seq);
      if (!payload) continue;
      for (const endpoint of endpoints) {
        // An endpoint hears of what happened after it was registered.
        if (wants(endpoint, row.type) && endpoint.createdAt.getTime() <= Date.parse(row.at))
          deliveries.push({ id: randomUUID(), endpointId: endpoint.id, event: row.type, eventId: row.id, payload, endpoint });
      }
    }
    const ids = await webhooks.insertDeliveries(em, deliveries, { leaseSeconds: LEASE_SECONDS, handedOn: rows.map((r) => r.seq) });
    const claimed = deliveries.filter((d) => ids.has(d.id)).map(({ endpoint, ...d }) => ({ delivery: inserted(d), endpoint }));
    return () => this.hold(claimed);
  }

  /** A new delivery on its own (a ping), attempted at once. */
  async create(em: EntityManager, endpoint: EndpointRow, delivery: NewDelivery): Promise<void> {
    await webhooks.insertDeliveries(em, [delivery], { leaseSeconds: LEASE_SECONDS });
    this.hold([{ delivery: inserted(delivery), endpoint }]);
  }

  /** Attempts these committed, unclaimed deliveries (replays) as far as this instance has slots; the sweep takes the rest. */
  dispatch(deliveries: ReadonlyArray<{ id: string; endpointId: string; generation?: number }>): void {
    this.enqueue(deliveries.map((d) => ({ endpointId: d.endpointId, item: { deliveryId: d.id, generation: d.generation ?? 0 } })));
  }

  /** Deliveries this instance inserted, claimed: attempted as slots allow, released past HELD_MAX. */
  private hold(claimed: readonly Claimed[]): void {
    const at = Date.now();
    const room = Math.max(0, HELD_MAX - this.held);
    const over = claimed.slice(room).map((c) => c.delivery.id);
    if (over.length) {
      this.backlog = true;
      void webhooks.release(this.fork(), over).catch((error: unknown) => this.logger.warn({ err: error }, 'webhook deliveries: release failed (their lease runs out)'));
    }
    const kept = claimed.slice(0, room);
    this.held += kept.length;
    this.enqueue(kept.map((c) => ({ endpointId: c.endpoint.id, item: { deliveryId: c.delivery.id, generation: c.delivery.generation, held: { claimed: c, at } } })));
  }

  private enqueue(items: ReadonlyArray<{ endpointId: string; item: Waiting }>): void {
    const byEndpoint = new Map<string, Waiting[]>();
    for (const { endpointId, item } of items) {
      const list = byEndpoint.get(endpointId) ?? [];
      list.push(item);
      byEndpoint.set(endpointId, list);
    }
    for (const [endpointId, list] of byEndpoint) {
      const queue = this.waiting.get(endpointId) ?? [];
      for (const chunk of chunks(list, CHUNK)) {
        // Held chunks are bounded by HELD_MAX; unclaimed ones wait in the table past WAITING_MAX.
        if (chunk[0].held || queue.length < WAITING_MAX) queue.push(chunk);
        else this.backlog = true;
      }
      this.waiting.set(endpointId, queue);
      this.next(endpointId);
    }
  }

  /** Starts the endpoint's waiting chunks while it has slots. */
  private next(endpointId: string): void {
    const queue = this.waiting.get(endpointId);
    while (queue?.length && this.take(endpointId)) {
      const chunk = queue.shift()!;
      if (!chunk[0].held) {
        void this.run(endpointId, async () => this.attempt(await webhooks.claimDeliveries(this.fork(), chunk, LEASE_SECONDS)));
        continue;
      }
      this.held -= chunk.length;
      const fresh = chunk.filter((i) => Date.now() - i.held!.at < HELD_FRESH_MS);
      if (fresh.length < chunk.length) this.backlog = true;
      void this.run(endpointId, () => this.attempt(fresh.map((i) => i.held!.claimed)));
    }
    if (queue && !queue.length) this.waiting.delete(endpointId);
  }

  private take(endpointId: string): boolean {
    const n = this.inFlight.get(endpointId) ?? 0;
    if (this.total >= this.config.WEBHOOK_CONCURRENCY || n >= this.config.WEBHOOK_ENDPOINT_CONCURRENCY) return false;
    this.inFlight.set(endpointId, n + 1);
    this.total += 1;
    return true;
  }

  private async run(endpointId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      // The claims expire; the sweep attempts them again.
      this.logger.warn({ err: error, endpointId }, 'webhook attempt failed to record');
    } finally {
      this.total -= 1;
      const n = (this.inFlight.get(endpointId) ?? 1) - 1;
      if (n) this.inFlight.set(endpointId, n);
      else this.inFlight.delete(endpointId);
      this.next(endpointId);
      // A slot freed for everyone: another endpoint may be waiting for the total.
      for (const id of this.waiting.keys()) if (id !== endpointId) this.next(id);
      if (this.backlog && !this.waiting.size) void this.sweep();
    }
  }

  /** Claims what is due and unclaimed, as far as there are slots, and attempts it. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.total >= this.config.WEBHOOK_CONCURRENCY || !this.wanted()) return;
    this.sweeping = true;
    try {
      const busy = [...this.inFlight].filter(([, n]) => n >= this.config.WEBHOOK_ENDPOINT_CONCURRENCY).map(([id]) => id);
      const limit = (this.config.WEBHOOK_CONCURRENCY - this.total) * CHUNK;
      const claimed = await webhooks.claimDue(this.fork(), { limit, busy, leaseSeconds: LEASE_SECONDS });
      this.backlog = claimed.length >= limit;
      const byEndpoint = new Map<string, Claimed[]>();
      for (const c of claimed) byEndpoint.set(c.endpoint.id, [...(byEndpoint.get(c.endpoint.id) ?? []), c]);
      const unused: string[] = [];
      for (const [endpointId, list] of byEndpoint) {
        for (const chunk of chunks(list, CHUNK)) {
          if (this.take(endpointId)) void this.run(endpointId, () => this.attempt(chunk));
          else unused.push(...chunk.map((c) => c.delivery.id));
        }
      }
      if (unused.length) this.backlog = true;
      await webhooks.release(this.fork(), unused);
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** One attempt of each claimed delivery, at once. Throws only when the database does. */
  private async attempt(claimed: readonly Claimed[]): Promise<void> {
    const results = await Promise.all(
      claimed.map(async ({ delivery, endpoint }) => {
        const stopped = !endpoint.enabled || endpoint.deletedAt;
        const result = stopped ? { status: null, error: endpoint.deletedAt ? 'endpoint deleted' : 'endpoint disabled' } : await this.send(delivery, endpoint);
        return { delivery, endpoint, result };
      }),
    );
    const succeeded = results.filter((r) => r.result.error === null);
    // One statement for the successes; the endpoint's "failing since" only when it was failing.
    const recorded = await webhooks.recordSuccesses(this.fork(), succeeded.map((r) => ({ id: r.delivery.id, generation: r.delivery.generation, responseStatus: r.result.status })));
    // Replayed while in flight: not recorded, but no longer held either.
    await webhooks.release(this.fork(), succeeded.filter((r) => !recorded.has(r.delivery.id)).map((r) => r.delivery.id));
    const recovered = new Set(succeeded.filter((r) => r.endpoint.failingSince).map((r) => r.endpoint.id));
    for (const id of recovered) await webhooks.endpointSucceeded(this.fork(), id);
    const failed = results.filter((r) => r.result.error !== null);
    if (failed.length) await this.failed(failed);
  }

  /** Failed attempts: each PENDING again, due after its delay in the schedule, or FAILED. */
  private async failed(failed: ReadonlyArray<Claimed & { result: AttemptResult }>): Promise<void> {
    await this.fork().transactional(async (tem) => {
      for (const { delivery, endpoint, result } of failed) {
        const gone = result.status === 410;
        const stopped = !endpoint.enabled || Boolean(endpoint.deletedAt);
        const delay = gone || stopped ? undefined : this.config.WEBHOOK_RETRY_SCHEDULE[delivery.attempts];
        const next = delay === undefined ? null : new Date(Date.now() + delay * 1000);
        const recorded = await webhooks.recordAttempt(tem, delivery.id, delivery.generation, { status: next ? 'PENDING' : 'FAILED', responseStatus: result.status, error: result.error, next });
        if (!recorded) await webhooks.release(tem, [delivery.id]); // replayed while in flight
        if (stopped) continue;
        const disabled = await webhooks.endpointFailed(tem, endpoint.id, DISABLE_AFTER_SECONDS, gone ? 'The endpoint answered 410 Gone.' : null);
        if (disabled) this.logger.warn({ endpointId: endpoint.id }, 'webhook endpoint disabled');
      }
    });
  }

  /** One signer per secret (it decodes the key once). */
  private signer(secret: string): Signer {
    let signer = this.signers.get(secret);
    if (!signer) {
      if (this.signers.size >= 1000) this.signers.clear();
      signer = new Signer(secret);
      this.signers.set(secret, signer);
    }
    return signer;
  }

  private async send(delivery: DeliveryRow, endpoint: EndpointRow): Promise<AttemptResult> {
    let target;
    try {
      target = await resolveTarget(endpoint.url, this.config.WEBHOOK_ALLOW_PRIVATE === '1');
    } catch (error) {
      if (error instanceof AddressRefused) return { status: null, error: error.message };
      throw error;
    }
    const now = new Date();
    const secrets = [endpoint.secret];
    if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now) secrets.push(endpoint.previousSecret);
    const seconds = Math.floor(now.getTime() / 1000);
    const signature = secrets.map((secret) => this.signer(secret).sign(delivery.id, seconds, delivery.payload)).join(' ');
    return post(target, delivery.payload, {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(seconds),
      'webhook-signature': signature,
    });
  }
}
