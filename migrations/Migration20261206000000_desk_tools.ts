import { Migration } from '@mikro-orm/migrations';

/**
 * The agent's desk (contract, desk: "Files", "Agents' tools"): uploads (stored in Postgres unless
 * STORAGE_DIR), notes, canned responses, a session's tags and visitor context, and full-text
 * search over messages (a generated tsvector with a GIN index; the 'simple' configuration, so
 * any language's words match as written).
 */
export class Migration20261206000000_desk_tools extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table upload (
        id uuid primary key,
        owner_kind text not null check (owner_kind in ('visitor', 'agent')),
        owner_id uuid not null,
        session_id uuid references chat_session (id) on delete cascade,
        message_id uuid references message (id) on delete cascade,
        position smallint,
        name text not null,
        content_type text not null,
        size integer not null check (size >= 0),
        width integer,
        height integer,
        data bytea,
        created_at timestamptz not null default now()
      );
      create index upload_message on upload (message_id) where message_id is not null;
      create index upload_unused on upload (created_at) where message_id is null;
      create index upload_session on upload (session_id);
      create index upload_owner on upload (owner_id);

      create table note (
        id uuid primary key,
        session_id uuid not null references chat_session (id) on delete cascade,
        author_id uuid,
        author_name text not null,
        body text not null,
        created_at timestamptz not null default now()
      );
      create index note_session on note (session_id, created_at);

      create table canned_response (
        id uuid primary key,
        owner_id uuid references agent (id) on delete cascade,
        shortcut text not null,
        title text not null,
        body text not null,
        updated_at timestamptz not null default now()
      );
      create unique index canned_response_shortcut on canned_response (coalesce(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), shortcut);

      alter table chat_session add column tags text[] not null default '{}';
      alter table chat_session add column visitor_context jsonb;
      alter table chat_session add column visitor_context_at timestamptz;
      create index chat_session_tags on chat_session using gin (tags);
      create index chat_session_agent_created on chat_session (agent_id, created_at desc);

      alter table message add column search tsvector generated always as (to_tsvector('simple', body)) stored;
      create index message_search on message using gin (search);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index message_search;
      alter table message drop column search;
      drop index chat_session_agent_created;
      drop index chat_session_tags;
      alter table chat_session drop column visitor_context_at;
      alter table chat_session drop column visitor_context;
      alter table chat_session drop column tags;
      drop table canned_response;
      drop table note;
      drop table upload;
    `);
  }
}
