import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../src/db/database';
import { Jobs } from '../../src/jobs/queue';
import { createLogger } from '../../src/logger';

/**
 * The migrated template every test database is copied from: the project's migrations and
 * pg-boss's schema applied once (per their content), where each test server used to migrate its
 * own fresh database (1–3 s each, a few hundred times a suite). `CREATE DATABASE … TEMPLATE` copies
 * it in a fraction of that. Built under an advisory lock (the jest workers race for it), published
 * by a rename once complete, so a half-built template is never copied.
 */
const LOCK = 7_310_077;
let known: Promise<string> | null = null;

export function migratedTemplate(adminUrl: string): Promise<string> {
  known ??= build(adminUrl).catch((error: unknown) => {
    known = null;
    throw error;
  });
  return known;
}

async function build(adminUrl: string): Promise<string> {
  const pgBoss = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'node_modules', 'pg-boss', 'package.json'), 'utf8')) as { version: string }).version;
  // Named by what it holds: the migrations' sources and pg-boss's version (its schema's).
  const dir = path.join(__dirname, '..', '..', 'migrations');
  const hash = createHash('sha256').update(pgBoss);
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  const name = `sb_template_${hash.digest('hex').slice(0, 12)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = async () => (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    if (await exists()) return name;
    await admin.query('select pg_advisory_lock($1)', [LOCK]);
    try {
      if (await exists()) return name;
      const building = `${name}_building`;
      await admin.query(`drop database if exists ${building} with (force)`);
      await admin.query(`create database ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const logger = createLogger('silent');
      await migrate(url.toString(), logger);
      const jobs = new Jobs(url.toString(), logger);
      await jobs.start();
      await jobs.stop();
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [building]);
      await admin.query(`alter database ${building} rename to ${name}`);
      return name;
    } finally {
      await admin.query('select pg_advisory_unlock($1)', [LOCK]).catch(() => undefined);
    }
  } finally {
    await admin.end();
  }
}
