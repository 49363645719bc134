import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, loadConfig, loadEnvFile } from './config';
import { startServer } from './http/server';
import { createLogger } from './logger';

/** Start-up only: config, database and pub/sub, HTTP + WebSocket, shutdown. */
async function main() {
  let config;
  try {
    loadEnvFile();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const started = Date.now();
  const app = await createApp(config, logger);
  const server = await startServer(app).catch(async (error: unknown) => {
    await app.close().catch(() => undefined); // the embedded Postgres, if any, stops with us
    throw error;
  });
  const base = `http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST}:${server.port}`;
  logger.info(
    { port: server.port, host: config.HOST, ms: Date.now() - started, embeddedPostgres: app.db.embedded, redis: Boolean(config.REDIS_URL) },
    `Switchboard listening on ${base}/graphql · demo page ${base}/ · agent console ${base}/console · playground ${base}/playground`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.warn('shutdown took too long; exiting');
      process.exit(0);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    try {
      await server.close();
      await app.close();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
    logger.info('bye');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** One line that says what went wrong and what to do, never a stack. */
function startupProblem(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === 'EADDRINUSE') return `port ${e.port ?? '?'} on ${e.address ?? 'this host'} is already in use (another Switchboard?): stop it, or set PORT`;
  if (e?.code === 'EACCES' && e.syscall === 'listen') return `not allowed to listen on port ${e.port ?? '?'}: set PORT to one above 1023`;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

main().catch((error: unknown) => {
  console.error(`Switchboard failed to start: ${startupProblem(error)}`);
  process.exit(1);
});
