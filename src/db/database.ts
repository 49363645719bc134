import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { Client } from 'pg';
import { migrationsList } from '../../migrations';
import type { Config } from '../config';
import { entities } from '../entities';
import type { Logger } from '../logger';
import { startEmbeddedPostgres } from './embedded';
import { openStatementPool, ping } from './execute';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  /** Both pools answer (MikroORM's and the statement pool): for readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Any fixed number: all instances take this session lock while they migrate. */
const MIGRATION_LOCK = 7_310_001;

/** Postgres connections per instance: 20, as before the statement pool was split off. */
const ORM_POOL = 10;
const STATEMENT_POOL = 10;
const CONNECTION = { connectionTimeoutMillis: 5_000, statement_timeout: 20_000, query_timeout: 30_000, keepAlive: true };

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let url = config.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const started = Date.now();
    const embedded = await startEmbeddedPostgres(config, logger);
    url = embedded.url;
    stopEmbedded = embedded.stop;
    logger.info({ ms: Date.now() - started, dir: embedded.dir }, 'no DATABASE_URL: embedded Postgres started');
  }
  await migrate(url, logger);
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, snapshot: false },
    discovery: { disableDynamicFileAccess: true },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    pool: { min: 1, max: ORM_POOL },
    // A Postgres that goes silent (a partition, not a refusal) must not hold requests for minutes:
    // connecting gives up after 5 s, waiting for a pooled connection after 10 s, a statement is
    // cancelled by the server after 20 s and abandoned by the client after 30 s. Each surfaces as
    // a retryable error (src/http/errors.ts).
    driverOptions: { acquireConnectionTimeout: 10_000, connection: CONNECTION },
    debug: false,
  });
  const statements = openStatementPool(orm, { ...CONNECTION, max: STATEMENT_POOL });
  return {
    orm,
    url,
    embedded: Boolean(stopEmbedded),
    async ping() {
      const [viaOrm, viaPool] = await Promise.all([orm.checkConnection().then((c) => c.ok), ping(statements)]);
      return viaOrm && viaPool;
    },
    async close() {
      await statements.end().catch(() => undefined);
      await orm.close(true);
      await stopEmbedded?.();
    },
  };
}

/** Applies pending migrations, one instance at a time. */
export async function migrate(url: string, logger: Logger): Promise<void> {
  const lock = new Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const orm = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: url,
      entities,
      extensions: [Migrator],
      migrations: { migrationsList, transactional: true, allOrNothing: true, silent: true, snapshot: false },
      discovery: { disableDynamicFileAccess: true },
      pool: { min: 0, max: 1 },
    });
    try {
      const applied = await orm.getMigrator().up();
      if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    } finally {
      await orm.close(true);
    }
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}
