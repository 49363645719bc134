import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import { createHash, timingSafeEqual } from 'node:crypto';
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
import { DocumentGate } from './documents';
import { MAX_BODY_BYTES } from './limits';
import { mountFrontends } from './static';
import { attachWebSocket } from './websocket';

export interface RunningServer {
  httpServer: http.Server;
  port: number;
  url: string;
  /** The port of GET /metrics when METRICS_PORT is set. */
  metricsPort?: number;
  /** SIGTERM: stop accepting, close sockets with 1001, finish requests in flight. */
  close(): Promise<void>;
}

export async function startServer(app: App, port = app.config.PORT, host = app.config.HOST): Promise<RunningServer> {
  const schema = buildAppSchema();
  // The one parse-and-validate step and its LRU, for the fast path, Apollo and graphql-ws alike.
  const hits = app.metrics.documentCache.labels('hit');
  const misses = app.metrics.documentCache.labels('miss');
  const gate = new DocumentGate(schema, app.config.introspection, (hit) => (hit ? hits : misses).inc());
  const expressApp = express();
  expressApp.disable('x-powered-by');
  // POST /graphql with a plain JSON body skips Express (see graphql-post.ts); the rest is Express's.
  const fast: { graphqlPost?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean } = {};
  const httpServer = http.createServer(
    {
      // A connection must deliver its headers, then its whole request, in time; idle keep-alive
      // connections are closed. Without these a silent TCP connection is held for ever.
      headersTimeout: app.config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: app.config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: app.config.HTTP_KEEPALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, app.config.HTTP_HEADERS_TIMEOUT_MS / 2),
    },
    (req, res) => {
      if (!fast.graphqlPost?.(req, res)) expressApp(req, res);
    },
  );
  // Node times out a request whose headers are late, but not a connection that never sends a
  // byte: that one gets the same limit here, until its first request (or upgrade) arrives.
  const silentTimeout = () => app.metrics.connectionsRejected.inc({ reason: 'http_timeout' });
  httpServer.on('connection', (socket) => {
    socket.setTimeout(app.config.HTTP_HEADERS_TIMEOUT_MS);
    socket.once('timeout', silentTimeout);
  });
  const spoke = (req: http.IncomingMessage) => {
    if (req.socket.listeners('timeout').includes(silentTimeout)) {
      req.socket.removeListener('timeout', silentTimeout);
      req.socket.setTimeout(0);
    }
  };
  httpServer.on('request', spoke);
  httpServer.on('upgrade', spoke);
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    app.metrics.connectionsRejected.inc({ reason: timeout ? 'http_timeout' : 'http_error' });
    if (socket.writable && !socket.writableEnded) socket.write(`HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
  const origins = app.config.CORS_ORIGINS;
  const socketsPerIp = new Map<string, number>();
  // noServer: upgrades are handed over below. Attached with `server`, ws re-emits the HTTP
  // server's own errors (a busy port) on the WebSocket server, where graphql-ws prints them as
  // "Internal error … check your implementation" before the real message.
  const wss = new WebSocketServer({
    noServer: true,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    verifyClient: ({ origin, req }: { origin?: string; req: http.IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      if (origins && origin && !origins.includes(origin)) return done(false, 401);
      if ((socketsPerIp.get(clientIp(req, app.config.trustProxy)) ?? 0) >= app.config.WS_MAX_SOCKETS_PER_IP) {
        app.metrics.connectionsRejected.inc({ reason: 'ws_per_ip' });
        return done(false, 429, 'Too many WebSockets from this address');
      }
      done(true);
    },
  });
  wss.on('connection', (socket, req) => {
    const ip = clientIp(req, app.config.trustProxy);
    socketsPerIp.set(ip, (socketsPerIp.get(ip) ?? 0) + 1);
    socket.once('close', () => {
      const left = (socketsPerIp.get(ip) ?? 1) - 1;
      if (left > 0) socketsPerIp.set(ip, left);
      else socketsPerIp.delete(ip);
    });
  });
  httpServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
  const wsServer = attachWebSocket(app, wss, schema, gate);
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: app.config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(app.logger, app.config.production),
    // The gate parses and validates, once per document: Apollo is handed its parsed documents by
    // hash (its document store), and a refused one is answered by the plugin below. Nothing
    // reaches Apollo's execution that the gate did not pass.
    dangerouslyDisableValidation: true,
    documentStore: {
      get: async (key: string) => gate.forApollo(key.slice(key.lastIndexOf(':') + 1)),
      set: async () => undefined,
      delete: async () => true,
    },
    // main.ts owns SIGTERM/SIGINT. Apollo's own handlers (on unless NODE_ENV=test) would stop it
    // first and re-send the signal, and main's second apollo.stop() then never settles: the drain
    // hung until the force-exit timer, and app.close() (presence grace, Redis, Postgres) never ran.
    stopOnTerminationSignals: false,
    plugins: [
      {
        async requestDidStart() {
          return {
            // Judged here (an error thrown here would be a 500), answered below, where a thrown
            // error is the response: the document store hands Apollo a refused document as an
            // empty one, so Apollo neither parses nor runs it.
            async didResolveSource({ source, queryHash }) {
              gate.check(source, queryHash);
            },
            async didResolveOperation({ source, queryHash }) {
              const { errors } = gate.check(source, queryHash);
              if (errors) throw refusal(errors);
            },
          };
        },
      },
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
  const metricsServer = await serveMetrics(app, expressApp);
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
    gate,
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
    metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined,
    async close() {
      for (const socket of wss.clients) socket.close(1001, 'Server shutting down');
      await Promise.all([apollo.stop(), wsServer.dispose()]);
      wss.close();
      metricsServer?.close();
    },
  };
}

/** A refused document as Apollo answers validation errors: 400, the first error (formatError gives it BAD_USER_INPUT). */
function refusal(errors: readonly GraphQLError[]): GraphQLError {
  const [first] = errors;
  return new GraphQLError(first.message, { nodes: first.nodes, source: first.source, positions: first.positions, extensions: { http: { status: 400 } } });
}

/**
 * GET /metrics: on METRICS_PORT when set; on the main port only with METRICS_PUBLIC=1 or a
 * METRICS_TOKEN (then `Authorization: Bearer <token>` is required, wherever it is served).
 * Otherwise the main port answers 404: the numbers (fd limit, event-loop lag) help an attacker.
 */
async function serveMetrics(app: App, expressApp: express.Express): Promise<http.Server | undefined> {
  const { METRICS_PORT, METRICS_TOKEN } = app.config;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  const expected = METRICS_TOKEN ? digest(`Bearer ${METRICS_TOKEN}`) : undefined;
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized\n');
      return;
    }
    const body = await app.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': app.metrics.registry.contentType }).end(body);
  };
  if (app.config.METRICS_PUBLIC === '1' || METRICS_TOKEN) expressApp.get('/metrics', (req, res) => void handler(req, res));
  if (METRICS_PORT === undefined) return undefined;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) void handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(METRICS_PORT, app.config.HOST, () => resolve());
  });
  app.logger.info({ port: (server.address() as AddressInfo).port }, 'metrics served on their own port');
  return server;
}
