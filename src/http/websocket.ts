import type { IncomingMessage } from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { App } from '../app';
import { ANONYMOUS, type Viewer } from '../auth/tokens';
import { wsContext } from '../context';
import { createErrorFormatter, formatGraphQLErrors } from './errors';
import { parseOptions, validationRules } from './limits';
import { clientIp } from './ip';

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
  wss.on('connection', (socket) => {
    app.metrics.socketsOpen.inc();
    socket.once('close', () => app.metrics.socketsOpen.dec());
  });
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
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
        if (viewer.kind !== 'anonymous') {
          const ms = viewer.expiresAt - Date.now();
          ctx.extra.expiry = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
          ctx.extra.expiry.unref();
        }
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
        let document;
        try {
          document = parse(payload.query, parseOptions);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('Could not parse the query.')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length) return errors;
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue: wsContext(app, ctx.extra.viewer ?? ANONYMOUS, clientIp(ctx.extra.request, app.config.trustProxy)),
        };
      },
      onError: (_ctx, _id, _payload, errors) => formatGraphQLErrors(format, errors),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return undefined;
        return { ...result, errors: formatGraphQLErrors(format, result.errors) };
      },
    },
    wss,
  );
}
