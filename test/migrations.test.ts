import { loadConfig } from '../src/config';
import { openDatabase, type Database } from '../src/db/database';
import { createLogger } from '../src/logger';
import { createTestDatabase, sql, testServerEnv } from './support/env';
import { leave } from './support/leftovers';

/**
 * Migrations are written by hand (reviewed SQL, partial indexes, checks), so they are checked
 * against the entities: on a fresh database, after every migration, MikroORM's schema generator
 * must find nothing to change for the tables the entities describe. An entity that gains a column,
 * an index, a default or a constraint without a migration (or the reverse) fails here. Tables no
 * entity describes (pg-boss's schema, raw tables of other modules) are not the entities' to judge:
 * the generator is told not to drop tables.
 */
let url: string;
let db: Database;

beforeAll(async () => {
  const database = await createTestDatabase();
  url = database.url;
  const config = loadConfig({ ...testServerEnv({ databaseUrl: url, redisPrefix: 'migrations:' }), NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  db = await openDatabase(config, createLogger('silent')); // applies every migration, as a start does
  leave(async () => {
    await db.close();
    await database.drop();
  });
});

const pending = () => db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, dropTables: false });

describe('migrations and entities', () => {
  it('should leave nothing for the schema generator to change after every migration ran on a fresh database', async () => {
    expect((await pending()).trim()).toBe('');
  });

  it('should notice a partial index, a column default and a check constraint that the database lacks', async () => {
    await sql(url, `drop index chat_session_queue_index;
      alter table agent alter column skills drop default;
      alter table chat_session drop constraint chat_session_rating_check`);
    const diff = await pending();
    expect(diff).toMatch(/create index chat_session_queue_index on chat_session \(queued_at, id\) where status = 'QUEUED'/);
    expect(diff).toMatch(/alter table "agent" alter column "skills" set default '\{\}'/);
    expect(diff).toMatch(/add constraint chat_session_rating_check check\(rating >= 1 and rating <= 5\)/);
  });
});
