import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/** The `webhook_endpoint` and `webhook_delivery` tables: their mappers and statements. */

export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  deletedAt: Date | null;
}

export type DeliveryStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export interface DeliveryRow {
  id: string;
  endpointId: string;
  event: string;
  eventId: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  generation: number;
}

const date = (v: unknown) => (v === null || v === undefined ? null : asDate(v));

const toEndpoint = (r: Record<string, unknown>): EndpointRow => ({
  id: r.id as string,
  url: r.url as string,
  events: r.events as string[],
  description: (r.description as string | null) ?? null,
  enabled: r.enabled as boolean,
  disabledReason: (r.disabled_reason as string | null) ?? null,
  secret: r.secret as string,
  previousSecret: (r.previous_secret as string | null) ?? null,
  previousSecretUntil: date(r.previous_secret_until),
  failingSince: date(r.failing_since),
  createdAt: asDate(r.created_at),
  deletedAt: date(r.deleted_at),
});

const toDelivery = (r: Record<string, unknown>): DeliveryRow => ({
  id: r.id as string,
  endpointId: r.endpoint_id as string,
  event: r.event as string,
  eventId: r.event_id as string,
  payload: r.payload as string,
  status: r.status as DeliveryStatus,
  attempts: r.attempts as number,
  responseStatus: (r.response_status as number | null) ?? null,
  lastError: (r.last_error as string | null) ?? null,
  lastAttemptAt: date(r.last_attempt_at),
  nextAttemptAt: date(r.next_attempt_at),
  createdAt: asDate(r.created_at),
  generation: r.generation as number,
});

const DELIVERY = 'id, endpoint_id, event, event_id, payload, status, attempts, response_status, last_error, last_attempt_at, next_attempt_at, created_at, generation';

// ---- endpoints

export async function insertEndpoint(em: EntityManager, e: { id: string; url: string; events: string[]; description: string | null; secret: string }): Promise<EndpointRow> {
  const rows = await sql(em, `insert into webhook_endpoint (id, url, events, description, secret) values ($1, $2, $3::text[], $4, $5) returning *`, [
    e.id,
    e.url,
    pgArray(e.events),
    e.description,
    e.secret,
  ]);
  return toEndpoint(rows[0]);
}

/** Not deleted; with `lock`, FOR UPDATE (inside a transaction). */
export async function endpoint(em: EntityManager, id: string, lock = false): Promise<EndpointRow | null> {
  const rows = await sql(em, `select * from webhook_endpoint where id = $1 and deleted_at is null${lock ? ' for update' : ''}`, [id]);
  return rows.length ? toEndpoint(rows[0]) : null;
}

export async function endpoints(em: EntityManager): Promise<EndpointRow[]> {
  return (await sql(em, 'select * from webhook_endpoint where deleted_at is null order by created_at desc, id desc')).map(toEndpoint);
}

export async function countEndpoints(em: EntityManager): Promise<number> {
  const rows = await sql<{ n: number }>(em, 'select count(*)::int as n from webhook_endpoint where deleted_at is null');
  return rows[0].n;
}

/**
 * Where a change of the endpoints (added, removed, enabled or disabled, other events) is announced
 * when it commits, by the table's triggers (migration 20261208000000): each instance LISTENs.
 */
export const ENDPOINTS_CHANNEL = 'switchboard_webhook_endpoints';

/** The event types some enabled endpoint wants ('*': all). */
export async function wantedTypes(em: EntityManager): Promise<string[]> {
  const rows = await sql<{ t: string }>(em, 'select distinct unnest(events) as t from webhook_endpoint where enabled and deleted_at is null');
  return rows.map((r) => r.t);
}

export async function updateEndpoint(
  em: EntityManager,
  id: string,
  p: { url?: string; events?: string[]; description?: string | null; enabled?: boolean },
): Promise<EndpointRow | null> {
  const rows = await sql(
    em,
    `update webhook_endpoint set url = coalesce($2, url), events = coalesce($3::text[], events),
            description = case when $4::boolean then $5 else description end,
            enabled = coalesce($6, enabled),
            disabled_reason = case when coalesce($6, enabled) then null else disabled_reason end,
            failing_since = case when $6 and not enabled then null else failing_since end
      where id = $1 and deleted_at is null returning *`,
    [id, p.url ?? null, p.events ? pgArray(p.events) : null, p.description !== undefined, p.description ?? null, p.enabled ?? null],
  );
  return rows.length ? toEndpoint(rows[0]) : null;
}

export async function deleteEndpoint(em: EntityManager, id: string): Promise<boolean> {
  const rows = await sql(em, 'update webhook_endpoint set deleted_at = now(), enabled = false where id = $1 and deleted_at is null returning id', [id]);
  return rows.length > 0;
}

/** The new secret signs; the old one alongside it until `overlapSeconds` from now. */
export async function rotateSecret(em: EntityManager, id: string, secret: string, overlapSeconds: number): Promise<EndpointRow | null> {
  const rows = await sql(
    em,
    `update webhook_endpoint set previous_secret = secret, secret = $2, previous_secret_until = now() + make_interval(secs => $3)
      where id = $1 and deleted_at is null returning *`,
    [id, secret, overlapSeconds],
  );
  return rows.length ? toEndpoint(rows[0]) : null;
}

/** A delivery succeeded: the endpoint is not failing. */
export async function endpointSucceeded(em: EntityManager, id: string): Promise<void> {
  await sql(em, 'update webhook_endpoint set failing_since = null where id = $1 and failing_since is not null', [id]);
}

/**
 * A delivery to an enabled endpoint failed: failing since now, unless already; disabled (with
 * `reason`) when `disable` is given, or when it has failed without a success for
 * `disableAfterSeconds`. Returns whether this disabled it.
 */
export async function endpointFailed(em: EntityManager, id: string, disableAfterSeconds: number, disable: string | null): Promise<boolean> {
  const rows = await sql<{ enabled: boolean }>(
    em,
    `update webhook_endpoint
        set failing_since = coalesce(failing_since, now()),
            enabled = enabled and $3::text is null and coalesce(failing_since, now()) > now() - make_interval(secs => $2),
            disabled_reason = case
              when not enabled then disabled_reason
              when $3::text is not null then $3
              when coalesce(failing_since, now()) <= now() - make_interval(secs => $2) then 'No successful delivery for 5 days.'
              else null end
      where id = $1 and enabled returning enabled`,
    [id, disableAfterSeconds, disable],
  );
  return rows.length > 0 && !rows[0].enabled;
}

// ---- deliveries

/**
 * New deliveries, PENDING and due now, claimed for `leaseSeconds` by the instance inserting them
 * (it attempts them at once: no claim statement first; if it dies, the lease runs out and any
 * instance's sweep takes them). At most one per endpoint and event: a hand-on made twice inserts
 * nothing the second time. `handedOn`: the outbox rows they came from, deleted in this statement,
 * so the relay's hand-on is one atomic statement. Returns the ids inserted.
 */
export async function insertDeliveries(
  em: EntityManager,
  rows: ReadonlyArray<{ id: string; endpointId: string; event: string; eventId: string; payload: string }>,
  p: { leaseSeconds: number; handedOn?: readonly string[] },
): Promise<Set<string>> {
  if (!rows.length && !p.handedOn?.length) return new Set();
  const inserted = await sql<{ id: string }>(
    em,
    `with handed_on as (delete from event_outbox where seq = any($3::bigint[]))
     insert into webhook_delivery (id, endpoint_id, event, event_id, payload, next_attempt_at, claimed_until)
     select d.id, d.endpoint_id, d.event, d.event_id, d.payload, now(), now() + make_interval(secs => $2)
       from jsonb_to_recordset($1::jsonb) as d(id uuid, endpoint_id uuid, event text, event_id uuid, payload text)
     on conflict (endpoint_id, event_id) do nothing
     returning id`,
    [JSON.stringify(rows.map((d) => ({ id: d.id, endpoint_id: d.endpointId, event: d.event, event_id: d.eventId, payload: d.payload }))), p.leaseSeconds, pgArray(p.handedOn ?? [])],
  );
  return new Set(inserted.map((r) => r.id));
}

export async function delivery(em: EntityManager, id: string): Promise<DeliveryRow | null> {
  const rows = await sql(em, `select ${DELIVERY} from webhook_delivery where id = $1`, [id]);
  return rows.length ? toDelivery(rows[0]) : null;
}

/** Newest first, keyset paged by (created_at, id). */
export async function deliveries(
  em: EntityManager,
  p: { endpointId?: string | null; status?: DeliveryStatus | null; event?: string | null; before?: { createdAt: string; id: string }; limit: number },
): Promise<DeliveryRow[]> {
  const rows = await sql(
    em,
    `select ${DELIVERY} from webhook_delivery
      where ($1::uuid is null or endpoint_id = $1) and ($2::text is null or status = $2) and ($3::text is null or event = $3)
        and ($4::timestamptz is null or (created_at, id) < ($4::timestamptz, $5::uuid))
      order by created_at desc, id desc limit $6`,
    [p.endpointId ?? null, p.status ?? null, p.event ?? null, p.before?.createdAt ?? null, p.before?.id ?? null, p.limit],
  );
  return rows.map(toDelivery);
}

/**
 * Takes deliveries for one attempt each: only those of the given generation, only while PENDING
 * and due (a retry is not made early), and only those no other attempt holds (a lease past the attempts' timeout, so an instance that
 * died holding them frees them). Returns them, each with its endpoint (deleted ones included).
 */
export async function claimDeliveries(
  em: EntityManager,
  items: ReadonlyArray<{ deliveryId: string; generation: number }>,
  leaseSeconds: number,
): Promise<Array<{ delivery: DeliveryRow; endpoint: EndpointRow }>> {
  const rows = await sql(
    em,
    `with d as (
       update webhook_delivery w set claimed_until = now() + make_interval(secs => $2)
         from jsonb_to_recordset($1::jsonb) as i(id uuid, generation int)
        where w.id = i.id and w.generation = i.generation and w.status = 'PENDING' and w.next_attempt_at <= now()
          and (w.claimed_until is null or w.claimed_until < now())
        returning ${DELIVERY.split(', ').map((c) => `w.${c}`).join(', ')}
     )
     select d.*, (select to_jsonb(e) from webhook_endpoint e where e.id = d.endpoint_id) as endpoint from d`,
    [JSON.stringify(items.map((i) => ({ id: i.deliveryId, generation: i.generation }))), leaseSeconds],
  );
  return rows.map((r) => ({ delivery: toDelivery(r), endpoint: toEndpoint(r.endpoint as Record<string, unknown>) }));
}

/**
 * Due deliveries nobody holds, oldest due first, claimed for `leaseSeconds`: retries, replays,
 * first attempts their instance had no slot for or died before making. Never of the `busy`
 * endpoints.
 */
export async function claimDue(
  em: EntityManager,
  p: { limit: number; busy: readonly string[]; leaseSeconds: number },
): Promise<Array<{ delivery: DeliveryRow; endpoint: EndpointRow }>> {
  const rows = await sql(
    em,
    `with c as (
       select id from webhook_delivery
        where status = 'PENDING' and (claimed_until is null or claimed_until < now()) and next_attempt_at <= now()
          and not (endpoint_id = any($2::uuid[]))
        order by next_attempt_at limit $1 for update skip locked
     ), d as (
       update webhook_delivery w set claimed_until = now() + make_interval(secs => $3) from c where w.id = c.id
       returning ${DELIVERY.split(', ').map((col) => `w.${col}`).join(', ')}
     )
     select d.*, (select to_jsonb(e) from webhook_endpoint e where e.id = d.endpoint_id) as endpoint from d`,
    [p.limit, pgArray(p.busy), p.leaseSeconds],
  );
  return rows.map((r) => ({ delivery: toDelivery(r), endpoint: toEndpoint(r.endpoint as Record<string, unknown>) }));
}

/** Claimed, but no slot to attempt them after all: free for the next claim. */
export async function release(em: EntityManager, ids: readonly string[]): Promise<void> {
  if (ids.length) await sql(em, 'update webhook_delivery set claimed_until = null where id = any($1::uuid[])', [pgArray(ids)]);
}

/** Successful attempts, in one statement; returns the ids recorded (not those replayed meanwhile). */
export async function recordSuccesses(em: EntityManager, done: ReadonlyArray<{ id: string; generation: number; responseStatus: number | null }>): Promise<Set<string>> {
  if (!done.length) return new Set();
  const rows = await sql<{ id: string }>(
    em,
    `update webhook_delivery w set attempts = w.attempts + 1, status = 'SUCCEEDED', response_status = i.status, last_error = null,
            last_attempt_at = now(), next_attempt_at = null, claimed_until = null
       from jsonb_to_recordset($1::jsonb) as i(id uuid, generation int, status int)
      where w.id = i.id and w.generation = i.generation returning w.id`,
    [JSON.stringify(done.map((d) => ({ id: d.id, generation: d.generation, status: d.responseStatus })))],
  );
  return new Set(rows.map((r) => r.id));
}

/** The outcome of one attempt; `next` null: no more attempts (status SUCCEEDED or FAILED). */
export async function recordAttempt(
  em: EntityManager,
  id: string,
  generation: number,
  a: { status: DeliveryStatus; responseStatus: number | null; error: string | null; next: Date | null },
): Promise<boolean> {
  const rows = await sql(
    em,
    `update webhook_delivery set attempts = attempts + 1, status = $3, response_status = $4, last_error = $5,
            last_attempt_at = now(), next_attempt_at = $6, claimed_until = null
      where id = $1 and generation = $2 returning id`,
    [id, generation, a.status, a.responseStatus, a.error, a.next],
  );
  return rows.length > 0;
}

/**
 * Replay: PENDING again from its first attempt, same id and payload, a new generation. An attempt
 * in flight keeps its claim (its outcome, of the old generation, is not recorded).
 */
export async function restartDelivery(em: EntityManager, id: string): Promise<DeliveryRow | null> {
  const rows = await sql(
    em,
    `update webhook_delivery set status = 'PENDING', attempts = 0, generation = generation + 1, next_attempt_at = now(),
            last_error = null, response_status = null
      where id = $1 returning ${DELIVERY}`,
    [id],
  );
  return rows.length ? toDelivery(rows[0]) : null;
}

/** Replay every FAILED delivery of the endpoint created since `since`. */
export async function restartFailed(em: EntityManager, endpointId: string, since: Date): Promise<DeliveryRow[]> {
  const rows = await sql(
    em,
    `update webhook_delivery set status = 'PENDING', attempts = 0, generation = generation + 1, next_attempt_at = now(),
            last_error = null, response_status = null
      where endpoint_id = $1 and status = 'FAILED' and created_at >= $2 returning ${DELIVERY}`,
    [endpointId, since],
  );
  return rows.map(toDelivery);
}

/** The delivery log's retention. */
export async function deleteDeliveriesBefore(em: EntityManager, before: Date): Promise<number> {
  const rows = await sql(em, 'with d as (delete from webhook_delivery where created_at < $1 returning 1) select count(*)::int as n from d', [before]);
  return rows[0].n as number;
}
