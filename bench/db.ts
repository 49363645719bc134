/** The benchmark's databases on the local Postgres: created, migrated (the reference), seeded, dropped. */
import { migrationsList } from '../migrations';
import { withClient } from '../test/support/env';
import { cfg } from './config';

export { withClient };

export function dbUrl(name: string): string {
  const url = new URL(cfg.adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
/** The reference gets the project's own schema: its migrations, applied as SQL. */
export async function applyMigrations(url: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const { class: M } of migrationsList) {
      const m = new (M as unknown as new (driver: unknown, config: unknown) => { up(): Promise<void>; getQueries(): unknown[] })(null, null);
      await m.up();
      for (const q of m.getQueries()) {
        if (typeof q !== 'string') throw new Error('bench: only string migrations can be applied to the reference database');
        await c.query(q);
      }
    }
  });
}
/** Idle widgets: `count` sessions of one customer, each with one stored message (seq 1); CLOSED ones are never routed. */
export async function seedIdleSessions(url: string, customerId: string, count: number, status: 'QUEUED' | 'CLOSED' = 'QUEUED'): Promise<string[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      `with s as (
         insert into chat_session (id, customer_id, status, queued_at, created_at, closed_at, last_seq)
         select gen_random_uuid(), $1, $3::text, case when $3 = 'QUEUED' then clock_timestamp() end, now(), case when $3 = 'CLOSED' then now() end, 1
           from generate_series(1, $2)
         returning id
       )
       insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
       select gen_random_uuid(), s.id, 1, 'VISITOR', $1, 'Idle', 'hello', null, now() from s
       returning session_id`,
      [customerId, count, status],
    );
    return rows.map((r) => r.session_id as string);
  });
}

// ---- processes --------------------------------------------------------------------------------
