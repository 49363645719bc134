import { Migration } from '@mikro-orm/migrations';

/**
 * Partners (webhooks, event stream): the transactional outbox, webhook endpoints and their
 * delivery log. `event_outbox` holds one row per event and sink ('webhooks', 'amqp'), written in
 * the transaction of the change (or in the send statement itself); the relays fan them out and
 * delete them. `data` is null for the hot path's message.created, which names its message instead.
 */
export class Migration20261204000000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table event_outbox (
        seq bigserial primary key,
        id uuid not null,
        sink text not null,
        type text not null,
        at timestamptz not null default clock_timestamp(),
        data jsonb,
        message_id uuid
      );
      create index event_outbox_sink_seq on event_outbox (sink, seq);

      create table webhook_endpoint (
        id uuid primary key,
        url text not null,
        events text[] not null,
        description text,
        enabled boolean not null default true,
        disabled_reason text,
        secret text not null,
        previous_secret text,
        previous_secret_until timestamptz,
        failing_since timestamptz,
        created_at timestamptz not null default now(),
        deleted_at timestamptz
      );

      create table webhook_delivery (
        id uuid primary key,
        endpoint_id uuid not null references webhook_endpoint (id),
        event text not null,
        event_id uuid not null,
        payload text not null,
        status text not null default 'PENDING',
        attempts int not null default 0,
        response_status int,
        last_error text,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        created_at timestamptz not null default now(),
        generation int not null default 0,
        claimed_until timestamptz
      );
      create index webhook_delivery_newest on webhook_delivery (created_at desc, id desc);
      create index webhook_delivery_endpoint_newest on webhook_delivery (endpoint_id, created_at desc, id desc);
      create index webhook_delivery_due on webhook_delivery (next_attempt_at) where status = 'PENDING';
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table webhook_delivery; drop table webhook_endpoint; drop table event_outbox;');
  }
}
