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

export const DELIVER_QUEUE = 'webhook.deliver';
const RETENTION_QUEUE = 'webhook.retention';
/** An attempt's claim outlives its timeout, so an instance that died mid-attempt frees it. */
const LEASE_SECONDS = ATTEMPT_TIMEOUT_MS / 1000 + 5;
/** Contract: "An endpoint with no success for 5 days is disabled". */
export const DISABLE_AFTER_SECONDS = 5 * 24 * 3600;
/** Contract: "The delivery log keeps every delivery for 30 days". */
const KEEP_DAYS = 30;

interface DeliverJob {
  deliveryId: string;
  generation: number;
}

const wants = (endpoint: EndpointRow, type: string) => endpoint.events.includes('*') || endpoint.events.includes(type);

/**
 * Webhook deliveries (contract, partners: "Webhooks"). The outbox relay fans each event out to a
 * delivery row per endpoint that wants it, and a job per delivery, in one transaction. Each
 * attempt is one job on the durable queue (jobs/queue.ts): claimed by one worker on one instance,
 * grouped by endpoint so that at most WEBHOOK_ENDPOINT_CONCURRENCY of one endpoint's attempts run
 * at once per instance (a hanging endpoint holds only those slots, never the others' nor any
 * request's); a failed attempt schedules the next as a new job, WEBHOOK_RETRY_SCHEDULE later.
 * The delivery row's claim makes one attempt of a delivery in flight at a time, across instances,
 * whatever jobs exist for it (a replay while a retry waits, a job expired and retried).
 */
export class WebhookDeliveries {
  constructor(
    private readonly config: Config,
    private readonly jobs: Jobs,
    private readonly fork: () => EntityManager,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.jobs.define<DeliverJob>(
      DELIVER_QUEUE,
      {
        retryLimit: 5,
        retryDelay: 5,
        expireInSeconds: LEASE_SECONDS + 5,
        work: {
          pollingIntervalSeconds: 0.5,
          localConcurrency: this.config.WEBHOOK_CONCURRENCY,
          localGroupConcurrency: this.config.WEBHOOK_ENDPOINT_CONCURRENCY,
        },
      },
      (job) => this.attempt(job),
    );
    await this.jobs.define(RETENTION_QUEUE, {}, async () => {
      const n = await webhooks.deleteDeliveriesBefore(this.fork(), new Date(Date.now() - KEEP_DAYS * 24 * 3600 * 1000));
      if (n) this.logger.info({ deleted: n }, 'webhook deliveries older than 30 days deleted');
    });
    await this.jobs.schedule(RETENTION_QUEUE, '17 3 * * *');
  }

  /** The relay's hand-on, inside its transaction: a delivery and a job per endpoint that wants each event. */
  async fanOut(em: EntityManager, rows: readonly OutboxRow[], bodies: ReadonlyMap<string, string | null>): Promise<void> {
    const endpoints = (await webhooks.endpoints(em)).filter((e) => e.enabled);
    if (!endpoints.length) return;
    const deliveries: Array<{ id: string; endpointId: string; event: string; eventId: string; payload: string }> = [];
    for (const row of rows) {
      const payload = bodies.get(row.seq);
      if (!payload) continue;
      for (const endpoint of endpoints) {
        if (wants(endpoint, row.type)) deliveries.push({ id: randomUUID(), endpointId: endpoint.id, event: row.type, eventId: row.id, payload });
      }
    }
    await this.enqueue(em, deliveries);
  }

  /** New deliveries, and their first attempts, on `em`'s transaction. */
  async enqueue(em: EntityManager, deliveries: ReadonlyArray<{ id: string; endpointId: string; event: string; eventId: string; payload: string }>): Promise<void> {
    await webhooks.insertDeliveries(em, deliveries);
    await this.jobs.sendMany<DeliverJob>(
      em,
      DELIVER_QUEUE,
      deliveries.map((d) => ({ data: { deliveryId: d.id, generation: 0 }, group: { id: d.endpointId } })),
    );
  }

  /** A replayed delivery's first attempt (its new generation). */
  async schedule(em: EntityManager, deliveries: readonly DeliveryRow[]): Promise<void> {
    await this.jobs.sendMany<DeliverJob>(
      em,
      DELIVER_QUEUE,
      deliveries.map((d) => ({ data: { deliveryId: d.id, generation: d.generation }, group: { id: d.endpointId } })),
    );
  }

  /** One attempt of one delivery. Throws only when the database does (the job is retried). */
  private async attempt({ deliveryId, generation }: DeliverJob): Promise<void> {
    const claimed = await webhooks.claimDelivery(this.fork(), deliveryId, generation, LEASE_SECONDS);
    if (!claimed) return; // done, replayed since (another generation), or in flight elsewhere
    const { delivery, endpoint } = claimed;
    const result = endpoint.enabled && !endpoint.deletedAt ? await this.send(delivery, endpoint) : { status: null, error: endpoint.deletedAt ? 'endpoint deleted' : 'endpoint disabled' };
    await this.fork().transactional(async (tem) => {
      const attempts = delivery.attempts + 1;
      if (result.error === null) {
        await webhooks.recordAttempt(tem, delivery.id, generation, { status: 'SUCCEEDED', responseStatus: result.status, error: null, next: null });
        await webhooks.endpointSucceeded(tem, endpoint.id);
        return;
      }
      const gone = result.status === 410;
      const stopped = !endpoint.enabled || Boolean(endpoint.deletedAt);
      const delay = gone || stopped ? undefined : this.config.WEBHOOK_RETRY_SCHEDULE[attempts - 1];
      const next = delay === undefined ? null : new Date(Date.now() + delay * 1000);
      await webhooks.recordAttempt(tem, delivery.id, generation, { status: next ? 'PENDING' : 'FAILED', responseStatus: result.status, error: result.error, next });
      if (!stopped) {
        const disabled = await webhooks.endpointFailed(tem, endpoint.id, DISABLE_AFTER_SECONDS, gone ? 'The endpoint answered 410 Gone.' : null);
        if (disabled) this.logger.warn({ endpointId: endpoint.id }, 'webhook endpoint disabled');
      }
      if (next) await this.jobs.send(tem, DELIVER_QUEUE, { deliveryId: delivery.id, generation }, { startAfter: next, group: { id: endpoint.id } });
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
