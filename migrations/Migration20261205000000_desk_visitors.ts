import { Migration } from '@mikro-orm/migrations';

/**
 * Desk extension, "Never lose a visitor" and "Routing additions":
 * - business_hours: one row (or none: always within hours), its zone, weekly intervals, closed dates.
 * - agent.missed_in_a_row: chats taken back from the agent for no reply since its last reply
 *   (AWAY_AFTER_MISSED); chatsMissed itself is counted from the audit trail.
 * - chat_session.last_agent_seq / last_agent_at: the agent's newest message (kept by the send
 *   statement); notified_seq / notified_at: what the last unread-reply email covered, and when.
 *   The partial index holds only the sessions with an agent message the visitor has not read and
 *   no email covered yet: what the notification sweep reads every second.
 */
export class Migration20261205000000_desk_visitors extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table business_hours (
        id smallint primary key default 1 check (id = 1),
        time_zone text not null,
        weekly jsonb not null,
        closed_dates text[] not null default '{}',
        updated_at timestamptz not null default now()
      );
      alter table agent add column missed_in_a_row integer not null default 0;
      alter table chat_session
        add column last_agent_seq integer not null default 0,
        add column last_agent_at timestamptz,
        add column notified_seq integer not null default 0,
        add column notified_at timestamptz;
      create index chat_session_unread_by_visitor on chat_session (last_agent_at)
        where last_agent_seq > visitor_read_seq and last_agent_seq > notified_seq;
      create index chat_session_assigned_at on chat_session (assigned_at);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index chat_session_assigned_at;
      drop index chat_session_unread_by_visitor;
      alter table chat_session drop column last_agent_seq, drop column last_agent_at, drop column notified_seq, drop column notified_at;
      alter table agent drop column missed_in_a_row;
      drop table business_hours;
    `);
  }
}
