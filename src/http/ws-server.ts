import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger';

/** What graphql-ws's own `useServer` (graphql-ws/use/ws) hands to every hook as `ctx.extra`. */
export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
}

/** One line, no stack: what a client did wrong is not the server's error. */
const oneLine = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).replace(/\s+/g, ' ');

/**
 * graphql-ws on a `ws` server: graphql-ws's `useServer` (keepalive pings, the same close codes),
 * except that what it prints with console.error (a multi-line stack outside the JSON log) goes
 * through pino at warn, one line: a socket error (an oversized frame: ws closes it with 1009) and
 * a message graphql-ws refuses (a client sending a server's message type, e.g. `next`: closed with
 * 4400 Bad Request, as graphql-ws closes other invalid messages, where useServer said 4500). A
 * hook of ours that throws is still the server's error: logged in full (one JSON line), 4500.
 */
export function serveGraphQLWs<E extends WsExtra>(
  options: ServerOptions<Record<string, unknown> | undefined, E>,
  wss: WebSocketServer,
  keepAliveMs: number,
  logger: Logger,
  extra: (socket: WebSocket, request: IncomingMessage) => E,
) {
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => logger.warn({ error: oneLine(error) }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      logger.warn({ error: oneLine(error) }, 'WebSocket error: socket closed');
      socket.close(CloseCode.InternalServerError, 'Internal server error'); // ws has closed it already (1009 for a frame too large)
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (error) {
              if (error instanceof Error && error.message.startsWith('Unexpected message of type')) {
                logger.warn({ error: oneLine(error) }, 'WebSocket message refused: socket closed');
                socket.close(CloseCode.BadRequest, 'Invalid message received');
              } else {
                // One of our hooks failed: the server's fault, logged in full, masked to the client.
                logger.error({ err: error }, 'unexpected WebSocket error');
                socket.close(CloseCode.InternalServerError, 'Internal server error');
              }
            }
          }),
      },
      extra(socket, request),
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
