import { ADMIN_DATABASE_URL, sql, uniqueName } from './env';
import { leave } from './leftovers';

/**
 * A deterministic failure, caused in the real database: Postgres refuses (a trigger raises) every
 * message whose body is `body`. The send fails the same way however often it is tried; the server
 * answers a masked INTERNAL_SERVER_ERROR that is not retryable, and stores nothing. Returns the undo.
 */
export async function poisonMessageBody(databaseUrl: string, body: string): Promise<() => Promise<void>> {
  const literal = `'${body.replace(/'/g, "''")}'`;
  await sql(
    databaseUrl,
    `create or replace function test_poisoned_message() returns trigger language plpgsql as $$
     begin if new.body = ${literal} then raise exception 'poisoned message body (a test fault)'; end if; return new; end $$;
     drop trigger if exists test_poisoned_message on message;
     create trigger test_poisoned_message before insert on message for each row execute function test_poisoned_message();`,
  );
  return async () => {
    await sql(databaseUrl, 'drop trigger if exists test_poisoned_message on message; drop function if exists test_poisoned_message();');
  };
}

/**
 * A database of its own that a role of its own signs in to, so that Postgres' connection limit can
 * be applied to it (superusers, which the tests otherwise are, are exempt from every limit).
 * `limitToOpen()` lets the role keep the connections it has and refuses any new one ("too many
 * connections for role", SQLSTATE 53300: Postgres at its limit); `unlimit()` lifts that.
 * Dropped (database and role) after the test.
 */
export async function limitedDatabase(): Promise<{ url: string; limitToOpen(): Promise<number>; unlimit(): Promise<void> }> {
  const role = uniqueName('sb_limited');
  await sql(ADMIN_DATABASE_URL, `create role ${role} login`);
  await sql(ADMIN_DATABASE_URL, `create database ${role} owner ${role}`);
  leave(async () => {
    await sql(ADMIN_DATABASE_URL, `drop database if exists ${role} with (force)`);
    await sql(ADMIN_DATABASE_URL, `drop role if exists ${role}`);
  });
  const url = new URL(ADMIN_DATABASE_URL);
  url.username = role;
  url.pathname = `/${role}`;
  return {
    url: url.toString(),
    async limitToOpen() {
      const [{ n }] = await sql<{ n: number }>(ADMIN_DATABASE_URL, 'select count(*)::int as n from pg_stat_activity where usename = $1', [role]);
      await sql(ADMIN_DATABASE_URL, `alter role ${role} connection limit ${n}`);
      return n;
    },
    async unlimit() {
      await sql(ADMIN_DATABASE_URL, `alter role ${role} connection limit -1`);
    },
  };
}
