import { Migration } from '@mikro-orm/migrations';

/**
 * The relays hand events on without a transaction block (events/relay.ts): an outbox row is taken
 * by a lease (`claimed_until`) rather than a row lock held across the hand-on, and handed on by
 * one statement that inserts its deliveries and deletes it. One delivery per endpoint and event,
 * so a hand-on made twice (a lease that ran out under a slow pass) inserts nothing the second time.
 */
export class Migration20261210000000_outbox_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table event_outbox add column claimed_until timestamptz;
      delete from webhook_delivery d using webhook_delivery e
        where d.endpoint_id = e.endpoint_id and d.event_id = e.event_id and (d.created_at, d.id) > (e.created_at, e.id);
      create unique index webhook_delivery_endpoint_event on webhook_delivery (endpoint_id, event_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop index webhook_delivery_endpoint_event; alter table event_outbox drop column claimed_until;');
  }
}
