import { Migration20261121000000_init } from './Migration20261121000000_init';
import { Migration20261201000000_entered_queue_at } from './Migration20261201000000_entered_queue_at';
import { Migration20261203000000_api_keys } from './Migration20261203000000_api_keys';
import { Migration20261204000000_webhooks } from './Migration20261204000000_webhooks';
import { Migration20261205000000_desk_visitors } from './Migration20261205000000_desk_visitors';
import { Migration20261206000000_desk_tools } from './Migration20261206000000_desk_tools';
import { Migration20261207000000_team } from './Migration20261207000000_team';
import { Migration20261208000000_webhook_endpoint_notify } from './Migration20261208000000_webhook_endpoint_notify';
import { Migration20261210000000_outbox_leases } from './Migration20261210000000_outbox_leases';

/** Every migration, in order. Listed here so the same code runs from TypeScript and from dist/. */
export const migrationsList = [
  { name: 'Migration20261121000000_init', class: Migration20261121000000_init },
  { name: 'Migration20261201000000_entered_queue_at', class: Migration20261201000000_entered_queue_at },
  { name: 'Migration20261203000000_api_keys', class: Migration20261203000000_api_keys },
  { name: 'Migration20261204000000_webhooks', class: Migration20261204000000_webhooks },
  { name: 'Migration20261205000000_desk_visitors', class: Migration20261205000000_desk_visitors },
  { name: 'Migration20261206000000_desk_tools', class: Migration20261206000000_desk_tools },
  { name: 'Migration20261207000000_team', class: Migration20261207000000_team },
  { name: 'Migration20261208000000_webhook_endpoint_notify', class: Migration20261208000000_webhook_endpoint_notify },
  { name: 'Migration20261210000000_outbox_leases', class: Migration20261210000000_outbox_leases },
];
