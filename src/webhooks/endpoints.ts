import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import type { RateLimiter } from '../auth/rate-limit';
import type { Config } from '../config';
import { isUuid } from '../db/sql';
import * as webhooks from '../db/webhooks';
import type { DeliveryRow, DeliveryStatus, EndpointRow } from '../db/webhooks';
import { BadInputError, ConflictError, NotFoundError } from '../errors';
import { EVENT_TYPES, type Outbox } from '../events/outbox';
import { authorize, personId, type Actor } from '../policies';
import { decodeCursor, encodeCursor } from '../services/cursor';
import * as validate from '../services/validate';
import { AddressRefused, resolveTarget } from './address';
import type { WebhookDeliveries } from './deliveries';

/** Contract: "the old one keeps signing alongside for 24 hours". */
const ROTATION_OVERLAP_SECONDS = 24 * 3600;
const EVENTS_MAX = EVENT_TYPES.length + 1;
const DESCRIPTION_MAX = 500;

export interface EndpointInput {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Webhook endpoints and their delivery log (contract, partners: "Webhooks"): a supervisor or a
 * WEBHOOKS_MANAGE key (the policy's `webhooks.manage`).
 */
export class WebhookEndpoints {
  constructor(
    private readonly config: Config,
    private readonly outbox: Outbox,
    private readonly deliveries: WebhookDeliveries,
    private readonly rateLimiter: RateLimiter,
  ) {}

  list(em: EntityManager, actor: Actor): Promise<EndpointRow[]> {
    authorize(actor, 'webhooks.manage');
    return webhooks.endpoints(em);
  }

  async create(em: EntityManager, actor: Actor, input: EndpointInput): Promise<{ endpoint: EndpointRow; secret: string }> {
    authorize(actor, 'webhooks.manage');
    const url = await this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const description = validate.optionalText(input.description, 'description', DESCRIPTION_MAX);
    if ((await webhooks.countEndpoints(em)) >= this.config.WEBHOOK_MAX_ENDPOINTS) {
      throw new ConflictError(`At most ${this.config.WEBHOOK_MAX_ENDPOINTS} webhook endpoints; delete one first.`);
    }
    const secret = newSecret();
    const endpoint = await webhooks.insertEndpoint(em, { id: randomUUID(), url, events, description, secret });
    await this.outbox.refresh();
    return { endpoint, secret };
  }

  async update(em: EntityManager, actor: Actor, id: string, input: EndpointInput): Promise<EndpointRow> {
    authorize(actor, 'webhooks.manage');
    await this.existing(em, id);
    const url = input.url === undefined || input.url === null ? undefined : await this.checkUrl(input.url);
    const events = input.events === undefined || input.events === null ? undefined : checkEvents(input.events);
    const description = input.description === undefined ? undefined : validate.optionalText(input.description, 'description', DESCRIPTION_MAX);
    const endpoint = await webhooks.updateEndpoint(em, id, { url, events, description, enabled: input.enabled ?? undefined });
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    await this.outbox.refresh();
    return endpoint;
  }

  async remove(em: EntityManager, actor: Actor, id: string): Promise<boolean> {
    authorize(actor, 'webhooks.manage');
    if (!isUuid(id) || !(await webhooks.deleteEndpoint(em, id))) throw new NotFoundError('Webhook endpoint');
    await this.outbox.refresh();
    return true;
  }

  async rotate(em: EntityManager, actor: Actor, id: string): Promise<{ endpoint: EndpointRow; secret: string }> {
    authorize(actor, 'webhooks.manage');
    await this.existing(em, id);
    const secret = newSecret();
    const endpoint = await webhooks.rotateSecret(em, id, secret, ROTATION_OVERLAP_SECONDS);
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    return { endpoint, secret };
  }

  /** A "ping" to the endpoint now, whatever events it wants. */
  async sendTest(em: EntityManager, actor: Actor, endpointId: string): Promise<DeliveryRow> {
    authorize(actor, 'webhooks.manage');
    await this.limit(actor);
    const endpoint = await this.existing(em, endpointId);
    if (!endpoint.enabled) throw new ConflictError('The endpoint is disabled; enable it first.');
    const id = randomUUID();
    const payload = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: {} });
    await this.deliveries.create(em, endpoint, { id, endpointId, event: 'ping', eventId: randomUUID(), payload });
    return (await webhooks.delivery(em, id)) as DeliveryRow;
  }

  async replay(em: EntityManager, actor: Actor, id: string): Promise<DeliveryRow> {
    authorize(actor, 'webhooks.manage');
    await this.limit(actor);
    if (!isUuid(id)) throw new NotFoundError('Webhook delivery');
    const restarted = await webhooks.restartDelivery(em, id);
    if (!restarted) throw new NotFoundError('Webhook delivery');
    this.deliveries.dispatch([restarted]);
    return restarted;
  }

  async replayFailed(em: EntityManager, actor: Actor, endpointId: string, since: Date): Promise<number> {
    authorize(actor, 'webhooks.manage');
    await this.limit(actor);
    await this.existing(em, endpointId);
    const restarted = await webhooks.restartFailed(em, endpointId, since);
    this.deliveries.dispatch(restarted);
    return restarted.length;
  }

  /** Newest first; `first` 1 to 200; `after` the previous page's endCursor. */
  async page(
    em: EntityManager,
    actor: Actor,
    args: { endpointId?: string | null; status?: DeliveryStatus | null; event?: string | null; first: number; after?: string | null },
  ): Promise<{ deliveries: DeliveryRow[]; endCursor: string | null }> {
    authorize(actor, 'webhooks.manage');
    const first = validate.limit(args.first, 'first');
    if (args.endpointId && !isUuid(args.endpointId)) return { deliveries: [], endCursor: null };
    const event = validate.optionalText(args.event, 'event', 100);
    const rows = await webhooks.deliveries(em, { endpointId: args.endpointId, status: args.status, event, before: args.after ? decodeCursor(args.after) : undefined, limit: first + 1 });
    const list = rows.slice(0, first);
    const last = list[list.length - 1];
    return { deliveries: list, endCursor: rows.length > first && last ? encodeCursor(last) : null };
  }

  private async existing(em: EntityManager, id: string): Promise<EndpointRow> {
    const endpoint = isUuid(id) ? await webhooks.endpoint(em, id) : null;
    if (!endpoint) throw new NotFoundError('Webhook endpoint');
    return endpoint;
  }

  private async checkUrl(raw: string | null | undefined): Promise<string> {
    if (typeof raw !== 'string' || !raw.trim()) throw new BadInputError('url is required.', 'url');
    try {
      return (await resolveTarget(raw.trim(), this.config.WEBHOOK_ALLOW_PRIVATE === '1')).url.toString();
    } catch (error) {
      if (error instanceof AddressRefused) throw new BadInputError(error.message, 'url');
      throw error;
    }
  }

  private async limit(actor: Actor): Promise<void> {
    await this.rateLimiter.consume('webhookActions', actor.kind === 'apiKey' ? `key:${actor.keyId}` : (personId(actor) ?? 'anonymous'));
  }
}

function checkEvents(events: string[] | null | undefined): string[] {
  if (!events || !events.length) throw new BadInputError('events must name at least one event type, or "*".', 'events');
  if (events.length > EVENTS_MAX) throw new BadInputError(`events may name at most ${EVENTS_MAX} types.`, 'events');
  const known = new Set<string>([...EVENT_TYPES, '*']);
  for (const e of events) if (!known.has(e)) throw new BadInputError(`Unknown event type ${JSON.stringify(e.slice(0, 100))}; known: ${[...known].join(', ')}.`, 'events');
  return [...new Set(events)];
}
