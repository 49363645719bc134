import express, { type NextFunction, type Request, type Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { App } from '../app';
import { startApollo } from './apollo';
import { fail, graphqlHttp } from './graphql-post';
import { exportsRouter } from './exports';
import { clientIp } from './ip';
import { MAX_BODY_BYTES } from './limits';
import { GraphQLPipeline } from './pipeline';
import { restRouter } from './rest/router';
import { mountFrontends } from './static';
import { mountFiles } from './uploads';
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

export interface ServerOptions {
  /**
   * `POST /graphql` taken before Express, known-valid operations run on graphql-js directly
   * (graphql-post.ts). Default on; off, every request goes through Express and Apollo (the
   * differential test compares the two).
   */
  direct?: boolean;
}

export async function startServer(app: App, port = app.config.PORT, host = app.config.HOST, options: ServerOptions = {}): Promise<RunningServer> {
  // The one GraphQL pipeline: schema, documents, context, formatter and CORS, for every transport.
  const pipeline = new GraphQLPipeline(app);
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
  const wsServer = attachWebSocket(app, wss, pipeline);
  const apollo = await startApollo(pipeline, httpServer, { introspection: app.config.introspection, production: app.config.production });

  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    const ready = await app.ready();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  // The CSV exports (team extension): their own router, bearer tokens only (no cookies: no CSRF).
  expressApp.use('/api/v1/exports', pipeline.cors, exportsRouter(app, pipeline));
  const metricsServer = await serveMetrics(app, expressApp);
  expressApp.use('/api/v1', restRouter(app, pipeline)); // REST: the same services and policy (http/rest/)
  mountFiles(expressApp, app, pipeline.cors); // POST /uploads, GET /files/<id>
  mountFrontends(expressApp, app.logger); // /, /widget.js, /console, /playground, and GET /graphql from a browser
  const graphql = graphqlHttp({ pipeline, apollo, maxBodyBytes: MAX_BODY_BYTES, logger: app.logger, direct: options.direct ?? true });
  expressApp.use('/graphql', pipeline.cors, express.json({ limit: MAX_BODY_BYTES }), graphql.express);
  fast.graphqlPost = graphql.fast;
  // Body-parser refusals (too large, malformed JSON) as GraphQL-shaped errors, never HTML or a stack.
  expressApp.use((error: { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const message = status === 413 ? `Request body is larger than ${MAX_BODY_BYTES / 1024} KB.` : status === 500 ? 'Internal server error.' : 'Malformed request body.';
    if (status === 500) app.logger.error({ err: error }, 'unexpected HTTP error');
    fail(res, status, message, status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT');
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen({ port, host, backlog: app.config.LISTEN_BACKLOG }, () => resolve());
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
