import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter } from '../auth/rate-limit';
import type { Config } from '../config';
import * as outboxRows from '../db/outbox';
import { listen } from '../db/listen';
import * as webhooks from '../db/webhooks';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import { WebhookDeliveries } from '../webhooks/deliveries';
import { WebhookEndpoints } from '../webhooks/endpoints';
import { closePools } from '../webhooks/post';
import { AmqpStream } from './amqp';
import { Outbox } from './outbox';
import { Relay } from './relay';

/**
 * How often each instance reloads which event types the webhook endpoints want, besides when a
 * change is announced (LISTEN/NOTIFY, events/outbox.ts): only a backstop.
 */
const TYPES_BACKSTOP_MS = 30_000;
/** How often a relay looks for other instances' events when nothing woke it. */
const RELAY_POLL_MS = 1000;
const RELAY_BATCH = 200;
/** After this instance commits an event, its relay waits this long for more (batches under load). */
const RELAY_COALESCE_MS = 200;

export interface EventSinks {
  outbox: Outbox;
  webhooks: WebhookEndpoints;
  stop(): Promise<void>;
}

/**
 * The partners' sinks (contract, partners): the outbox the one publisher writes, the webhook
 * relay and deliveries, and, with EVENTS_AMQP_URL, the AMQP relay and stream. Wired at start-up.
 */
export async function startEventSinks(p: {
  config: Config;
  /** The database's URL (DATABASE_URL or the embedded one's), for the LISTEN connection. */
  databaseUrl: string;
  jobs: Jobs;
  fork: () => EntityManager;
  online: () => Promise<Set<string>>;
  rateLimiter: RateLimiter;
  logger: Logger;
}): Promise<EventSinks> {
  const { config, fork, logger } = p;
  const outbox = new Outbox(Boolean(config.EVENTS_AMQP_URL), () => webhooks.wantedTypes(fork()), p.online, logger);
  await outbox.start(TYPES_BACKSTOP_MS, (changed) => listen(p.databaseUrl, webhooks.ENDPOINTS_CHANNEL, changed, logger));
  // With no enabled endpoint neither the webhook relay nor the sweep queries anything.
  const deliveries = new WebhookDeliveries(config, p.jobs, fork, logger, () => outbox.wantsWebhooks);
  await deliveries.start();
  const relays: Relay[] = [
    new Relay('webhooks', fork, async (em, rows) => deliveries.fanOut(em, rows, await outbox.bodies(em, rows)), logger, { pollMs: RELAY_POLL_MS, batch: RELAY_BATCH, coalesceMs: RELAY_COALESCE_MS, ready: () => outbox.wantsWebhooks }),
  ];
  let stream: AmqpStream | null = null;
  if (config.EVENTS_AMQP_URL) {
    const amqp = new AmqpStream(config.EVENTS_AMQP_URL, config.EVENTS_AMQP_EXCHANGE, logger);
    amqp.start();
    stream = amqp;
    relays.push(new Relay('amqp', fork, async (em, rows) => {
        await amqp.publish(rows, await outbox.bodies(em, rows));
        await outboxRows.remove(em, rows.map((r) => r.seq));
      }, logger, { pollMs: RELAY_POLL_MS, batch: RELAY_BATCH, coalesceMs: RELAY_COALESCE_MS, ready: () => amqp.ready }));
  }
  outbox.onWritten = (sinks) => {
    for (const relay of relays) if (sinks.has(relay.sink)) relay.nudge();
  };
  for (const relay of relays) relay.start();
  return {
    outbox,
    webhooks: new WebhookEndpoints(config, outbox, deliveries, p.rateLimiter),
    async stop() {
      await outbox.stop();
      deliveries.stop();
      await Promise.all(relays.map((r) => r.stop()));
      closePools();
      await stream?.stop();
    },
  };
}
