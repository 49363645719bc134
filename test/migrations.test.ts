import { DatabaseSchema } from '@mikro-orm/postgresql';
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
 * entity describes (pg-boss's schema, the raw tables of table modules: api_key, webhook_*, upload…)
 * are not the entities' to judge: the generator reads only the entities' tables. (Told merely not
 * to drop tables, it would still drop the foreign keys pointing at a table it thinks removed, such
 * as webhook_delivery's to webhook_endpoint.)
 */
let url: string;
let db: Database;

beforeAll(async () => {
  const database = await createTestDatabase({ empty: true });
  url = database.url;
  const config = loadConfig({ ...testServerEnv({ databaseUrl: url, redisPrefix: 'migrations:' }), NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  db = await openDatabase(config, createLogger('silent')); // applies every migration, as a start does
  leave(async () => {
    await db.close();
    await database.drop();
  });
});

async function pending(): Promise<string> {
  const em = db.orm.em.fork();
  const platform = em.getPlatform();
  const tables = Object.values(db.orm.getMetadata().getAll()).map((meta) => meta.tableName);
  const fromSchema = await DatabaseSchema.create(em.getConnection(), platform, db.orm.config, undefined, undefined, tables);
  return db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, dropTables: false, fromSchema });
}

describe('migrations and entities', () => {
  it('should leave nothing for the schema generator to change after every migration ran on a fresh database', async () => {
    expect((await pending()).trim()).toBe('');
  });

  it('should notice a partial index, a GIN index, a column default and a check constraint that the database lacks', async () => {
    await sql(url, `drop index chat_session_queue_index;
      alter table agent alter column skills drop default;
      alter table chat_session drop constraint chat_session_rating_check;
      drop index message_search`);
    const diff = await pending();
    expect(diff).toMatch(/create index chat_session_queue_index on chat_session \(queued_at, id\) where status = 'QUEUED'/);
    expect(diff).toMatch(/alter table "agent" alter column "skills" set default '\{\}'/);
    expect(diff).toMatch(/add constraint chat_session_rating_check check\(rating >= 1 and rating <= 5\)/);
    expect(diff).toMatch(/create index message_search on message using gin \(search\)/);
  });
});
