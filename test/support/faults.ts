import { sql } from './env';

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
