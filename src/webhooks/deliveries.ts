import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../config';
import type { OutboxRow } from '../db/outbox';
import * as webhooks from '../db/webhooks';
import type { DeliveryRow, EndpointRow } from '../db/webhooks';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import { AddressRefused, resolveTarget } from './address';
import { ATTEMPT_TIMEOUT_MS, post, type AttemptResult } from './post';

const RETENTION_QUEUE = 'webhook.retention';
/** Deliveries one slot claims and attempts together (one endpoint's). */
const CHUNK = 5;
/** A claim outlives its attempts, so an instance that died mid-attempt frees its deliveries. */
const LEASE_SECONDS = ATTEMPT_TIMEOUT_MS / 1000 + 15;
/** Chunks waiting for one endpoint's slot on this instance; beyond, they wait in the table for a sweep. */
const WAITING_MAX = 100;
/** A first attempt not made this long after it was due is taken by any instance's sweep. */
const GRACE_SECONDS = 3;
const SWEEP_MS = 1000;
/** Contract: "An endpoint with no success for 5 days is disabled". */
export const DISABLE_AFTER_SECONDS = 5 * 24 * 3600;
/** Contract: "The delivery log keeps every delivery for 30 days". */
const KEEP_DAYS = 30;

export type NewDelivery = { id: string; endpointId: string; event: string; eventId: string; payload: string };
type Claimed = { delivery: DeliveryRow; endpoint: EndpointRow };

const wants = (endpoint: EndpointRow, type: string) => endpoint.events.includes('*') || endpoint.events.includes(type);

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Webhook deliveries (contract, partners: "Webhooks"). The `webhook_delivery` table is their
 * durable queue: the outbox relay fans each event out to a PENDING row per endpoint that wants
 * it, in its transaction; an attempt first claims its rows (`claimed_until`, a lease past the
 * attempts' timeout, taken by one statement on one instance), so one attempt of a delivery is in
 * flight at a time across instances. After commit, the instance that relayed them attempts them at
 * once; every instance's sweep (each second) claims what is due and unclaimed: first attempts
 * that instance did not make (it died, or had no free slot), and retries, due
 * WEBHOOK_RETRY_SCHEDULE after a failure. A claim whose instance died expires and is swept.
 *
 * Slots: at most WEBHOOK_CONCURRENCY chunks (of up to CHUNK deliveries, attempted at once) in
 * flight per instance, WEBHOOK_ENDPOINT_CONCURRENCY of them one endpoint's; the rest wait for a
 * slot here, unclaimed (any instance's sweep may take them). A hanging endpoint holds only its own
 * slots, never another's nor any request.
 */
export class WebhookDeliveries {
  private readonly inFlight = new Map<string, number>();
  /** Per endpoint, committed chunks not claimed yet, waiting for a slot here (the sweep may take them first). */
  private readonly waiting = new Map<string, Array<Array<{ deliveryId: string; generation: number }>>>();
  private total = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;

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
   * The relay's hand-on, inside its transaction: a delivery per endpoint that wants each event.
   * Returns what to do once that transaction committed (attempt them here and now).
   */
  async fanOut(em: EntityManager, rows: readonly OutboxRow[], bodies: ReadonlyMap<string, string | null>): Promise<() => void> {
    const endpoints = (await webhooks.endpoints(em)).filter((e) => e.enabled);
    const deliveries: NewDelivery[] = [];
    for (const row of rows) {
      const payload = bodies.get(row.seq);
      if (!payload) continue;
      for (const endpoint of endpoints) {
        // An endpoint hears of what happened after it was registered.
        if (wants(endpoint, row.type) && endpoint.createdAt.getTime() <= Date.parse(row.at)) deliveries.push({ id: randomUUID(), endpointId: endpoint.id, event: row.type, eventId: row.id, payload });
      }
    }
    await webhooks.insertDeliveries(em, deliveries);
    return () => this.dispatch(deliveries);
  }

  /** A new delivery on its own (a ping), attempted at once. */
  async create(em: EntityManager, delivery: NewDelivery): Promise<void> {
    await webhooks.insertDeliveries(em, [delivery]);
    this.dispatch([delivery]);
  }

  /**
   * Attempts these committed deliveries now, as far as this instance has slots; the rest the
   * sweep takes when due.
   */
  dispatch(deliveries: ReadonlyArray<{ id: string; endpointId: string; generation?: number }>): void {
    const byEndpoint = new Map<string, Array<{ deliveryId: string; generation: number }>>();
    for (const d of deliveries) {
      const items = byEndpoint.get(d.endpointId) ?? [];
      items.push({ deliveryId: d.id, generation: d.generation ?? 0 });
      byEndpoint.set(d.endpointId, items);
    }
    for (const [endpointId, items] of byEndpoint) {
      const queue = this.waiting.get(endpointId) ?? [];
      for (const chunk of chunks(items, CHUNK)) if (queue.length < WAITING_MAX) queue.push(chunk);
      this.waiting.set(endpointId, queue);
      this.next(endpointId);
    }
  }

  /** Starts the endpoint's waiting chunks while it has slots. */
  private next(endpointId: string): void {
    const queue = this.waiting.get(endpointId);
    while (queue?.length && this.take(endpointId)) {
      const chunk = queue.shift()!;
      void this.run(endpointId, async () => this.attempt(await webhooks.claimDeliveries(this.fork(), chunk, LEASE_SECONDS)));
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
    }
  }

  /** Claims what is due and unclaimed, as far as there are slots, and attempts it. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.total >= this.config.WEBHOOK_CONCURRENCY || !this.wanted()) return;
    this.sweeping = true;
    try {
      const busy = [...this.inFlight].filter(([, n]) => n >= this.config.WEBHOOK_ENDPOINT_CONCURRENCY).map(([id]) => id);
      const limit = (this.config.WEBHOOK_CONCURRENCY - this.total) * CHUNK;
      const claimed = await webhooks.claimDue(this.fork(), { limit, busy, graceSeconds: GRACE_SECONDS, leaseSeconds: LEASE_SECONDS });
      const byEndpoint = new Map<string, Claimed[]>();
      for (const c of claimed) byEndpoint.set(c.endpoint.id, [...(byEndpoint.get(c.endpoint.id) ?? []), c]);
      const unused: string[] = [];
      for (const [endpointId, list] of byEndpoint) {
        for (const chunk of chunks(list, CHUNK)) {
          if (this.take(endpointId)) void this.run(endpointId, () => this.attempt(chunk));
          else unused.push(...chunk.map((c) => c.delivery.id));
        }
      }
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
    const signature = secrets.map((secret) => new Webhook(secret).sign(delivery.id, now, delivery.payload)).join(' ');
    return post(target, delivery.payload, {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    });
  }
}
