import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { App } from '../app';
import { ANONYMOUS, InvalidTokenError } from '../auth/tokens';
import { httpContext, type Context } from '../context';
import { buildAppSchema } from '../schema/build';
import { createErrorFormatter } from './errors';
import { graphqlPostHandler } from './graphql-post';
import { clientIp } from './ip';
import { MAX_BODY_BYTES, parseOptions, validationRules } from './limits';
import { mountFrontends } from './static';
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
  // POST /graphql with a plain JSON body skips Express (see graphql-post.ts); the rest is Express's.
  const fast: { graphqlPost?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean } = {};
  const httpServer = http.createServer((req, res) => {
    if (!fast.graphqlPost?.(req, res)) expressApp(req, res);
  });
  const origins = app.config.CORS_ORIGINS;
  // noServer: upgrades are handed over below. Attached with `server`, ws re-emits the HTTP
  // server's own errors (a busy port) on the WebSocket server, where graphql-ws prints them as
  // "Internal error … check your implementation" before the real message.
  const wss = new WebSocketServer({
    noServer: true,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    verifyClient: ({ origin }: { origin?: string }) => !origins || !origin || origins.includes(origin),
  });
  httpServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
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
    // main.ts owns SIGTERM/SIGINT. Apollo's own handlers (on unless NODE_ENV=test) would stop it
    // first and re-send the signal, and main's second apollo.stop() then never settles: the drain
    // hung until the force-exit timer, and app.close() (presence grace, Redis, Postgres) never ran.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No cache hints exist here (every response is private and live); the implicit cache-control
      // plugin would only wrap every field resolver of the shared schema, WebSocket events included.
      ApolloServerPluginCacheControlDisabled(),
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
  mountFrontends(expressApp, app.logger); // /, /widget.js, /console, /playground, and GET /graphql from a browser
  const graphqlContext = async ({ req }: { req: http.IncomingMessage }): Promise<Context> => {
    try {
      const viewer = await app.tokens.fromAuthorization(req.headers.authorization);
      return httpContext(app, viewer ?? ANONYMOUS, clientIp(req, app.config.trustProxy));
    } catch (error) {
      // 401, not Apollo's default 500 for a failed context; `http` sets the status and is not sent.
      if (error instanceof InvalidTokenError) {
        throw new GraphQLError('The token is invalid or expired.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      throw error;
    }
  };
  expressApp.use(
    '/graphql',
    cors({ origin: origins ?? true, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }),
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, { context: graphqlContext }),
  );
  fast.graphqlPost = graphqlPostHandler({
    apollo,
    context: (req) => graphqlContext({ req }),
    origins,
    maxBodyBytes: MAX_BODY_BYTES,
    logger: app.logger,
    // Exactly what Apollo was given above, for the operations run without it.
    schema,
    validationRules: validationRules(app.config.introspection),
    parseOptions,
    formatError: createErrorFormatter(app.logger, app.config.production),
  });
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
