import { Migration } from '@mikro-orm/migrations';

/**
 * The team extension: agents that can be deactivated, a token version per agent (raised to
 * revoke every token issued before), and erasure marks on customers and sessions (personal data
 * removed for good; see services/erasure.ts), with the index the retention sweep walks.
 */
export class Migration20261207000000_team extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table agent add column active boolean not null default true;
      alter table agent add column token_version integer not null default 0;
      alter table customer add column erased_at timestamptz;
      alter table chat_session add column erased_at timestamptz;
      create index chat_session_retention_index on chat_session (closed_at) where status = 'CLOSED' and erased_at is null;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index chat_session_retention_index;
      alter table chat_session drop column erased_at;
      alter table customer drop column erased_at;
      alter table agent drop column token_version;
      alter table agent drop column active;
    `);
  }
}
