import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { startServer } from './http/server';
import { createLogger } from './logger';

/** Start-up only: config, database and pub/sub, HTTP + WebSocket, shutdown. */
async function main() {
  let config;
  try {
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
  const server = await startServer(app);
  logger.info(
    { port: server.port, host: config.HOST, ms: Date.now() - started, embeddedPostgres: app.db.embedded, redis: Boolean(config.REDIS_URL) },
    `Switchboard listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${server.port}/graphql`,
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

main().catch((error: unknown) => {
  console.error('Switchboard failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
