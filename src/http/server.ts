import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { App } from '../app';
import { ANONYMOUS, InvalidTokenError } from '../auth/tokens';
import { httpContext, type Context } from '../context';
import { UnauthenticatedError } from '../errors';
import { buildAppSchema } from '../schema/build';
import { createErrorFormatter } from './errors';
import { clientIp } from './ip';
import { MAX_BODY_BYTES, parseOptions, validationRules } from './limits';
import { attachWebSocket } from './websocket';

export interface RunningServer {
  httpServer: http.Server;
  port: number;
  url: string;
  /** SIGTERM: stop accepting, close sockets with 1001, finish requests in flight. */
  close(): Promise<void>;
}

export async function startServer(app: App, port = app.config.PORT, host = app.config.HOST): Promise<RunningServer> {
  const schema = buildAppSchema();
  const expressApp = express();
  expressApp.disable('x-powered-by');
  const httpServer = http.createServer(expressApp);
  const origins = app.config.CORS_ORIGINS;
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    verifyClient: ({ origin }: { origin?: string }) => !origins || !origin || origins.includes(origin),
  });
  const wsServer = attachWebSocket(app, wss, schema);
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: app.config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(app.logger, app.config.production),
    validationRules: validationRules(app.config.introspection),
    parseOptions,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ...(app.config.production ? [ApolloServerPluginDisableSuggestions()] : []),
    ],
  });
  await apollo.start();

  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    const ready = await app.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  expressApp.get('/metrics', async (_req, res) => {
    res.type(app.metrics.registry.contentType).send(await app.metrics.registry.metrics());
  });
  expressApp.use(
    '/graphql',
    cors({ origin: origins ?? true, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }),
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          const viewer = await app.tokens.fromAuthorization(req.headers.authorization);
          return httpContext(app, viewer ?? ANONYMOUS, clientIp(req, app.config.trustProxy));
        } catch (error) {
          if (error instanceof InvalidTokenError) throw new UnauthenticatedError('The token is invalid or expired.');
          throw error;
        }
      },
    }),
  );
  // Body-parser refusals (too large, malformed JSON) as GraphQL-shaped errors, never HTML or a stack.
  expressApp.use((error: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message = status === 413 ? `Request body is larger than ${MAX_BODY_BYTES / 1024} KB.` : status === 500 ? 'Internal server error.' : 'Malformed request body.';
    if (status === 500) app.logger.error({ err: error }, 'unexpected HTTP error');
    res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT' } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const bound = (httpServer.address() as AddressInfo).port;
  return {
    httpServer,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    async close() {
      for (const socket of wss.clients) socket.close(1001, 'Server shutting down');
      await Promise.all([apollo.stop(), wsServer.dispose()]);
      wss.close();
    },
  };
}
