import { Migration } from '@mikro-orm/migrations';

/**
 * api_key: partners' keys (contract, partners: "API keys"). Only the SHA-256 of the secret is
 * stored; `prefix` (its first 12 characters) lets a supervisor recognise it.
 */
export class Migration20261203000000_api_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table api_key (
        id uuid primary key,
        name text not null,
        scopes text[] not null,
        prefix text not null,
        secret_hash bytea not null unique,
        created_by uuid references agent (id) on delete set null,
        created_at timestamptz not null default now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      create index api_key_created_index on api_key (created_at desc, id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table api_key;');
  }
}
