import type { IncomingMessage } from 'node:http';
import { GraphQLError, parse, specifiedRules, subscribe, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { App } from '../app';
import { ANONYMOUS, type Viewer } from '../auth/tokens';
import { wsContext } from '../context';
import { onSlowConsumer, SlowConsumerError } from '../pubsub/feed';
import { createErrorFormatter, formatGraphQLErrors } from './errors';
import { parseOptions, validationRules } from './limits';
import { clientIp } from './ip';

/** Distinct valid subscription documents remembered (clients send the same few). */
const MAX_CACHED_DOCUMENTS = 500;

/** setTimeout's longest delay (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes the socket with 4403 the moment the token expires (in steps, for tokens beyond one timer). */
function closeAtExpiry(extra: Extra, expiresAt: number): void {
  const ms = expiresAt - Date.now();
  extra.expiry = setTimeout(
    () => (ms > MAX_TIMER_MS ? closeAtExpiry(extra, expiresAt) : extra.socket.close(CloseCode.Forbidden, 'Token expired')),
    Math.max(0, Math.min(ms, MAX_TIMER_MS)),
  );
  extra.expiry.unref();
}

/**
 * A socket whose unsent data passes this is a slow consumer: closed with 1013 (Try Again Later;
 * graphql-ws clients reconnect and resume by seq), and dropped if it cannot even take the close.
 * graphql-ws sends one frame at a time per subscription, and each feed buffers at most 1000
 * events (SlowConsumerError beyond), so with this a slow client costs bounded server memory.
 */
export const MAX_SOCKET_BUFFERED_BYTES = 1024 * 1024;
const SLOW_CONSUMER = 1013;

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  viewer?: Viewer;
  expiry?: NodeJS.Timeout;
  present?: boolean;
};

/**
 * graphql-ws on the shared port. connection_init carries `authorization: Bearer <token>`:
 * a bad or expired token closes the socket with 4403, and so does the token expiring while open;
 * no connection_init within 3 s closes it with 4408. The query limits of HTTP apply here too.
 */
export function attachWebSocket(app: App, wss: WebSocketServer, schema: GraphQLSchema) {
  const format = createErrorFormatter(app.logger, app.config.production);
  const rules = [...specifiedRules, ...validationRules(app.config.introspection)];
  const validDocuments = new Map<string, DocumentNode>();
  wss.on('connection', (socket) => {
    app.metrics.socketsOpen.inc();
    socket.once('close', () => app.metrics.socketsOpen.dec());
  });
  const dropSlowConsumer = (socket: WebSocket, why: string) => {
    if (socket.readyState !== socket.OPEN) return;
    app.logger.warn({ bufferedAmount: socket.bufferedAmount, why }, 'closing a slow WebSocket consumer');
    socket.close(SLOW_CONSUMER, 'Slow consumer: reconnect and resume');
    setTimeout(() => socket.terminate(), 5000).unref();
  };
  /** Each operation's context, to the socket it runs on (for feeds that overflow). */
  const socketOf = new WeakMap<object, WebSocket>();
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      // graphql-ws closes with 4500 and, unless isProd, the error's own message as the reason:
      // masked as everywhere else outside development (its default reads process.env itself).
      isProd: app.config.NODE_ENV !== 'development',
      connectionInitWaitTimeout: 3000,
      context: (ctx) => wsContext(app, ctx.extra.viewer ?? ANONYMOUS, clientIp(ctx.extra.request, app.config.trustProxy)),
      onConnect: async (ctx) => {
        let viewer: Viewer;
        try {
          viewer = await app.tokens.fromAuthorization(ctx.connectionParams?.authorization);
        } catch {
          return false;
        }
        ctx.extra.viewer = viewer;
        if (viewer.kind !== 'anonymous') closeAtExpiry(ctx.extra, viewer.expiresAt);
        if (viewer.kind === 'agent') {
          ctx.extra.present = true;
          await app.presence.connect(viewer.agentId).catch((error: unknown) => app.logger.warn({ err: error }, 'presence connect failed'));
        }
        return true;
      },
      onClose: async (ctx) => {
        clearTimeout(ctx.extra.expiry);
        if (ctx.extra.present && ctx.extra.viewer?.kind === 'agent') {
          ctx.extra.present = false;
          await app.presence.disconnect(ctx.extra.viewer.agentId).catch((error: unknown) => app.logger.warn({ err: error }, 'presence disconnect failed'));
        }
      },
      onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        // Widgets all send the same few documents: parse and validate each once, share the AST
        // (graphql-js never mutates it). Saves CPU per subscribe and memory per idle socket.
        let document = validDocuments.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query, parseOptions);
          } catch (error) {
            return [error instanceof GraphQLError ? error : new GraphQLError('Could not parse the query.')];
          }
          const errors = validate(schema, document, rules);
          if (errors.length) return errors;
          if (validDocuments.size < MAX_CACHED_DOCUMENTS) validDocuments.set(payload.query, document);
        }
        const contextValue = wsContext(app, ctx.extra.viewer ?? ANONYMOUS, clientIp(ctx.extra.request, app.config.trustProxy));
        socketOf.set(contextValue, ctx.extra.socket);
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue,
        };
      },
      // Feeds opened while a subscription starts know their socket: overflowing one closes it.
      subscribe: (args) => {
        const socket = socketOf.get(args.contextValue as object);
        if (!socket) return subscribe(args);
        return onSlowConsumer.run(() => dropSlowConsumer(socket, 'a subscription fell too far behind'), () => subscribe(args));
      },
      onError: (ctx, _id, _payload, errors) => {
        const slow = errors.find((e) => e.originalError instanceof SlowConsumerError);
        if (!slow) return formatGraphQLErrors(format, errors);
        dropSlowConsumer(ctx.extra.socket, 'a subscription fell too far behind');
        return [{ message: slow.message, extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: true } }];
      },
      onNext: (ctx, _id, _payload, _args, result) => {
        if (ctx.extra.socket.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) dropSlowConsumer(ctx.extra.socket, 'too much unsent data');
        if (!result.errors?.length) return undefined;
        return { ...result, errors: formatGraphQLErrors(format, result.errors) };
      },
    },
    wss,
    app.config.WS_KEEPALIVE_SECONDS * 1000,
  );
}
