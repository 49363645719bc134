import { Migration } from '@mikro-orm/migrations';

/** The whole schema of docs/design.md: customers, agents, sessions, messages, the audit trail. */
export class Migration20261121000000_init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table customer (
        id uuid primary key,
        name text,
        email text,
        external_id text,
        verified boolean not null default false,
        created_at timestamptz not null default now()
      );
      create unique index customer_external_id_verified on customer (external_id) where verified;

      create table agent (
        id uuid primary key,
        name text not null,
        email text not null unique,
        password_hash text not null,
        role text not null default 'AGENT' check (role in ('AGENT', 'SUPERVISOR')),
        status text not null default 'OFFLINE' check (status in ('ONLINE', 'AWAY', 'OFFLINE')),
        skills text[] not null default '{}',
        max_concurrent_chats integer not null default 3 check (max_concurrent_chats >= 0),
        active_chats integer not null default 0 check (active_chats >= 0 and active_chats <= max_concurrent_chats),
        last_assigned_at timestamptz,
        last_seen_at timestamptz,
        created_at timestamptz not null default now()
      );

      create table chat_session (
        id uuid primary key,
        customer_id uuid not null references customer (id),
        agent_id uuid references agent (id),
        status text not null check (status in ('QUEUED', 'ACTIVE', 'CLOSED')),
        skill text,
        queued_at timestamptz,
        created_at timestamptz not null default now(),
        assigned_at timestamptz,
        first_response_at timestamptz,
        closed_at timestamptz,
        last_seq integer not null default 0,
        visitor_read_seq integer not null default 0,
        agent_read_seq integer not null default 0,
        rating smallint check (rating between 1 and 5),
        rating_comment text,
        check ((status = 'ACTIVE') = (agent_id is not null) or status = 'CLOSED'),
        check ((status = 'QUEUED') = (queued_at is not null))
      );
      create index chat_session_customer_id_index on chat_session (customer_id, created_at desc);
      create index chat_session_agent_index on chat_session (agent_id, status);
      create index chat_session_queue_index on chat_session (queued_at, id) where status = 'QUEUED';
      create index chat_session_created_index on chat_session (created_at desc, id desc);

      create table message (
        id uuid primary key,
        session_id uuid not null references chat_session (id) on delete cascade,
        seq integer not null check (seq >= 1),
        author text not null check (author in ('VISITOR', 'AGENT', 'SYSTEM')),
        author_id uuid,
        author_name text,
        body text not null,
        client_message_id text,
        created_at timestamptz not null default now(),
        constraint message_session_seq_unique unique (session_id, seq),
        constraint message_session_client_id_unique unique (session_id, client_message_id)
      );
      create index message_author_index on message (author_id, created_at) where author = 'AGENT';

      create table session_event (
        id uuid primary key,
        session_id uuid not null references chat_session (id) on delete cascade,
        kind text not null,
        actor_kind text not null,
        actor_id uuid,
        agent_id uuid,
        data jsonb not null default '{}',
        at timestamptz not null default now()
      );
      create index session_event_session_index on session_event (session_id, at);
      create index session_event_kind_index on session_event (kind, at, agent_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table session_event, message, chat_session, agent, customer cascade;');
  }
}
