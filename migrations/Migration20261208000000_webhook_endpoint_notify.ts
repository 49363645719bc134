import { Migration } from '@mikro-orm/migrations';

/**
 * A change of which endpoints want which events, by any path (the API, a delivery disabling its
 * endpoint, an operator's SQL), announces itself when it commits: each instance LISTENs on the
 * channel (db/webhooks.ts ENDPOINTS_CHANNEL) and reloads, instead of polling every 2 s.
 */
export class Migration20261208000000_webhook_endpoint_notify extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function webhook_endpoint_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('switchboard_webhook_endpoints', '');
        return null;
      end $$;
      create trigger webhook_endpoint_added_or_removed after insert or delete on webhook_endpoint
        for each row execute function webhook_endpoint_notify();
      create trigger webhook_endpoint_changed after update on webhook_endpoint
        for each row when (old.events is distinct from new.events or old.enabled is distinct from new.enabled or old.deleted_at is distinct from new.deleted_at)
        execute function webhook_endpoint_notify();
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop trigger webhook_endpoint_changed on webhook_endpoint;
      drop trigger webhook_endpoint_added_or_removed on webhook_endpoint;
      drop function webhook_endpoint_notify();
    `);
  }
}
