import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode, type Context as WsServerContext } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { App } from '../app';
import type { Credential } from '../auth/revocation';
import { BadInputError, RateLimitedError, UnavailableError } from '../errors';
import type { Actor } from '../policies';
import { SlowConsumerError } from '../pubsub/feed';
import { selectOperation } from './documents';
import { formatGraphQLErrors } from './errors';
import type { GraphQLPipeline } from './pipeline';
import { serveGraphQLWs, type WsExtra } from './ws-server';

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

type Extra = WsExtra & {
  viewer?: Actor;
  /** What the socket was opened with, if it can be revoked (an API key, an agent's token). */
  credential?: Credential;
  expiry?: NodeJS.Timeout;
  present?: boolean;
  /** The subscribe-frame bucket (WS_SUBSCRIBE_RATE). */
  bucket?: { tokens: number; at: number };
  /** Closes the socket once it has held no operation for WS_IDLE_SECONDS. */
  idle?: NodeJS.Timeout;
  lastActive?: number;
};

/** The credential behind a viewer, as revocations name it; null for visitors and the anonymous. */
const credentialOf = (viewer: Actor): Credential | null =>
  viewer.kind === 'apiKey' ? { kind: 'apiKey', id: viewer.keyId } : viewer.kind === 'agent' ? { kind: 'agent', id: viewer.agentId } : null;
const credentialKey = (c: Credential) => `${c.kind}:${c.id}`;

/**
 * The open sockets by credential: when a credential is revoked (on any instance: auth/revocation.ts)
 * its sockets here are closed with 4403 Forbidden. After a bus outage (revocations may have gone
 * unheard) the keys of open sockets are checked against Postgres again.
 */
export class SocketRegistry {
  private readonly byCredential = new Map<string, Set<WebSocket>>();

  constructor(private readonly app: App) {
    app.revocations.onRevoked((credential) => this.close(credential));
    app.revocations.onResync(() => void this.recheck());
  }

  add(credential: Credential, socket: WebSocket): void {
    const key = credentialKey(credential);
    let set = this.byCredential.get(key);
    if (!set) this.byCredential.set(key, (set = new Set()));
    set.add(socket);
  }

  remove(credential: Credential, socket: WebSocket): void {
    const key = credentialKey(credential);
    const set = this.byCredential.get(key);
    set?.delete(socket);
    if (set?.size === 0) this.byCredential.delete(key);
  }

  /** Closes every socket opened with the credential (4403, as for an expired token). */
  close(credential: Credential): void {
    for (const socket of this.byCredential.get(credentialKey(credential)) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden');
  }

  private async recheck(): Promise<void> {
    const keyIds = [...this.byCredential.keys()].filter((k) => k.startsWith('apiKey:')).map((k) => k.slice('apiKey:'.length));
    try {
      for (const id of await this.app.apiKeys.revokedAmong(this.app.orm.em as never, keyIds)) this.close({ kind: 'apiKey', id });
    } catch (error) {
      this.app.logger.warn({ err: error }, 'open API-key sockets not re-checked');
    }
  }
}

/** Operations (subscriptions, and queries or mutations in flight) the socket holds now. */
const held = (ctx: WsServerContext<Record<string, unknown> | undefined, Extra>) => Object.keys(ctx.subscriptions).length;

/** Checks every WS_IDLE_SECONDS; a socket that held nothing for that long is closed with 1000. */
function watchIdle(ctx: WsServerContext<Record<string, unknown> | undefined, Extra>, idleMs: number, onIdle: () => void): void {
  ctx.extra.lastActive = Date.now();
  const check = () => {
    if (held(ctx) > 0) ctx.extra.lastActive = Date.now();
    const due = (ctx.extra.lastActive ?? 0) + idleMs - Date.now();
    if (due > 0) {
      ctx.extra.idle = setTimeout(check, due);
      ctx.extra.idle.unref();
    } else if (ctx.extra.socket.readyState === ctx.extra.socket.OPEN) {
      onIdle();
      ctx.extra.socket.close(1000, 'Idle: no subscription');
    }
  };
  ctx.extra.idle = setTimeout(check, idleMs);
  ctx.extra.idle.unref();
}

/** Takes a subscribe-frame token; the milliseconds until the next one when there is none. */
function takeToken(extra: Extra, burst: number, perMinute: number): number {
  const now = Date.now();
  const perMs = perMinute / 60_000;
  const b = (extra.bucket ??= { tokens: burst, at: now });
  b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return Math.ceil((1 - b.tokens) / perMs);
}

/**
 * graphql-ws on the shared port. connection_init carries `authorization: Bearer <token>`:
 * a bad or expired token closes the socket with 4403, and so does the token expiring while open;
 * no connection_init within 3 s closes it with 4408. Operations go through the same pipeline as
 * HTTP's (documents and their limits, context, formatter, admit).
 */
export function attachWebSocket(app: App, wss: WebSocketServer, pipeline: GraphQLPipeline) {
  const { format, schema } = pipeline;
  const { WS_MAX_SUBSCRIPTIONS: maxSubscriptions, WS_SUBSCRIBE_RATE: subscribeRate } = app.config;
  const registry = new SocketRegistry(app);
  wss.on('connection', (socket) => {
    app.metrics.socketsOpen.inc();
    socket.once('close', () => app.metrics.socketsOpen.dec());
  });
  const dropSlowConsumer = (socket: WebSocket, why: string) => {
    if (socket.readyState !== socket.OPEN) return;
    // A socket with nothing unsent reads what it is given: the stream fell behind on the server's
    // side (events faster than it can prepare them). Only that subscription ends (an error
    // frame, retryable); a healthy consumer's other streams and socket stay.
    if (socket.bufferedAmount === 0) return;
    app.logger.warn({ bufferedAmount: socket.bufferedAmount, why }, 'closing a slow WebSocket consumer');
    socket.close(SLOW_CONSUMER, 'Slow consumer: reconnect and resume');
    setTimeout(() => socket.terminate(), 5000).unref();
  };
  return serveGraphQLWs<Extra>(
    {
      schema,
      connectionInitWaitTimeout: 3000,
      context: (ctx) => pipeline.wsContext(ctx.extra.request, ctx.extra.viewer),
      onConnect: async (ctx) => {
        let viewer: Actor;
        try {
          viewer = await pipeline.admitViewer(ctx.connectionParams?.authorization);
        } catch {
          return false; // a bad, revoked or over-its-rate credential: 4403
        }
        ctx.extra.viewer = viewer;
        watchIdle(ctx, app.config.WS_IDLE_SECONDS * 1000, () => app.metrics.connectionsRejected.inc({ reason: 'ws_idle' }));
        if (viewer.kind === 'agent' || viewer.kind === 'visitor') closeAtExpiry(ctx.extra, viewer.expiresAt);
        const credential = credentialOf(viewer);
        if (credential) {
          ctx.extra.credential = credential;
          registry.add(credential, ctx.extra.socket);
          // Revoked between its check and now: the registry missed the news.
          if (viewer.kind === 'apiKey' && app.apiKeys.heardRevoked(viewer.keyId)) return false;
        }
        if (viewer.kind === 'agent') {
          ctx.extra.present = true;
          await app.presence.connect(viewer.agentId).catch((error: unknown) => app.logger.warn({ err: error }, 'presence connect failed'));
        }
        return true;
      },
      onClose: async (ctx) => {
        clearTimeout(ctx.extra.expiry);
        clearTimeout(ctx.extra.idle);
        if (ctx.extra.credential) registry.remove(ctx.extra.credential, ctx.extra.socket);
        if (ctx.extra.present && ctx.extra.viewer?.kind === 'agent') {
          ctx.extra.present = false;
          await app.presence.disconnect(ctx.extra.viewer.agentId).catch((error: unknown) => app.logger.warn({ err: error }, 'presence disconnect failed'));
        }
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        ctx.extra.lastActive = Date.now();
        // Cheap refusals first: the frame rate, then the count (this operation included), then
        // the document (the gate's LRU: widgets all send the same few, parsed and validated once,
        // the AST shared; graphql-js never mutates it).
        const wait = takeToken(ctx.extra, subscribeRate.burst, subscribeRate.perMinute);
        if (wait > 0) return [new RateLimitedError(Math.ceil(wait / 1000))];
        const viewer = ctx.extra.viewer;
        if (viewer?.kind === 'apiKey') {
          // Every operation of a key counts against its bucket (RATE_API_KEY), as on HTTP.
          const limited = await app.rateLimiter.consume('apiKey', viewer.keyId).then(() => null, (error: unknown) => error);
          if (limited instanceof RateLimitedError) return [limited];
          if (limited) throw limited;
        }
        if (held(ctx) > maxSubscriptions) {
          return [new BadInputError(`This socket already holds ${maxSubscriptions} subscriptions (WS_MAX_SUBSCRIPTIONS); complete some first.`)];
        }
        const prepared = pipeline.document(payload.query);
        if (prepared.errors) return prepared.errors;
        const refused = pipeline.admit('ws', selectOperation(prepared, payload.operationName)?.type, payload.operationName ?? undefined);
        if (refused) return [refused];
        // A feed of this operation that overflows closes its socket (passed down explicitly).
        const slow = () => dropSlowConsumer(ctx.extra.socket, 'a subscription fell too far behind');
        const contextValue = pipeline.wsContext(ctx.extra.request, ctx.extra.viewer, slow);
        return {
          schema,
          document: prepared.document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue,
        };
      },
      onError: (ctx, _id, _payload, errors) => {
        const slow = errors.find((e) => e.originalError instanceof SlowConsumerError);
        if (!slow) return formatGraphQLErrors(format, errors);
        dropSlowConsumer(ctx.extra.socket, 'a subscription fell too far behind');
        return formatGraphQLErrors(format, [new UnavailableError(slow.message)]);
      },
      onNext: (ctx, _id, _payload, _args, result) => {
        if (ctx.extra.socket.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) dropSlowConsumer(ctx.extra.socket, 'too much unsent data');
        if (!result.errors?.length) return undefined;
        return { ...result, errors: formatGraphQLErrors(format, result.errors) };
      },
    },
    wss,
    app.config.WS_KEEPALIVE_SECONDS * 1000,
    app.logger,
    (socket, request) => ({ socket, request }),
  );
}
