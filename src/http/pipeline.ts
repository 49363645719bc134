import { HeaderMap } from '@apollo/server';
import cors from 'cors';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, type OperationTypeNode } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app';
import { ANONYMOUS, bearerToken, InvalidTokenError } from '../auth/tokens';
import { RateLimitedError } from '../errors';
import type { Actor } from '../policies';
import { isApiKeySecret } from '../services/api-keys';
import { httpContext, wsContext, type Context } from '../context';
import { buildAppSchema } from '../schema/build';
import { DocumentGate, type Verdict } from './documents';
import { createErrorFormatter } from './errors';
import { clientIp } from './ip';

/** How an operation reached the server: HTTP straight to graphql-js, HTTP through Apollo, or graphql-ws. */
export type OperationPath = 'direct' | 'apollo' | 'ws' | 'rest';

export const SUBSCRIPTION_OVER_HTTP = 'subscriptions are served over WebSocket at /graphql';

/**
 * The one GraphQL pipeline of every transport (the HTTP direct path, Apollo, graphql-ws): one
 * schema, one prepared-document cache (the gate's LRU), one context builder, one error formatter,
 * one CORS policy, and `admit`, the one place every operation passes just before it runs (metrics,
 * the debug log, the refusal of subscriptions over HTTP; per-operation limits belong there too).
 */
export class GraphQLPipeline {
  readonly schema: GraphQLSchema;
  readonly gate: DocumentGate;
  readonly format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** `cors()` as Express runs it, and the direct path calls (it is synchronous for a fixed origin list). */
  readonly cors: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

  /** The operations counter's children, by path and type (labels looked up once, not per operation). */
  private readonly counted = new Map<string, { inc(): void }>();

  constructor(private readonly app: App) {
    this.schema = buildAppSchema();
    const hits = app.metrics.documentCache.labels('hit');
    const misses = app.metrics.documentCache.labels('miss');
    this.gate = new DocumentGate(this.schema, app.config.introspection, (hit) => (hit ? hits : misses).inc());
    this.format = createErrorFormatter(app.logger, app.config.production);
    this.cors = cors({ origin: app.config.CORS_ORIGINS ?? true, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }) as GraphQLPipeline['cors'];
  }

  /** The gate's verdict on a source (parsed and validated once, then from the LRU). */
  document(source: string, hash?: string): Verdict {
    return this.gate.check(source, hash);
  }

  /**
   * Who is calling, from an `Authorization` value: an agent's or visitor's token, or an API key
   * (`sbk_…`). A bad, expired, unknown or revoked one throws InvalidTokenError.
   */
  async viewer(authorization: unknown): Promise<Actor> {
    const token = bearerToken(authorization);
    if (token === null) return ANONYMOUS;
    if (isApiKeySecret(token)) return this.app.apiKeys.verify(this.app.orm.em as Context['em'], token);
    return this.app.tokens.verify(token);
  }

  /**
   * The viewer of one request (HTTP, REST) or WebSocket operation: a key's requests are counted
   * against its own bucket (RATE_API_KEY) here, whatever they ask.
   */
  async admitViewer(authorization: unknown): Promise<Actor> {
    const viewer = await this.viewer(authorization);
    if (viewer.kind === 'apiKey') await this.app.rateLimiter.consume('apiKey', viewer.keyId);
    return viewer;
  }

  /**
   * An HTTP request's context; a bad token is a 401 UNAUTHENTICATED, a key over its rate 429
   * RATE_LIMITED with Retry-After (`http` sets the status and headers and is not sent).
   */
  async httpContext(req: IncomingMessage): Promise<Context> {
    try {
      return httpContext(this.app, await this.admitViewer(req.headers.authorization), clientIp(req, this.app.config.trustProxy), req.headers['user-agent'] ?? null);
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        throw new GraphQLError('The token is invalid or expired.', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      if (error instanceof RateLimitedError) {
        // Thrown as it is: the formatter keeps retryAfterSeconds (and never shows `http`).
        const seconds = error.extensions.retryAfterSeconds as number;
        (error.extensions as Record<string, unknown>).http = { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) };
        throw error;
      }
      throw error;
    }
  }

  /** A WebSocket operation's context, for the viewer its connection_init proved. */
  wsContext(request: IncomingMessage, viewer: Actor | undefined, onSlowConsumer?: () => void): Context {
    return wsContext(this.app, viewer ?? ANONYMOUS, clientIp(request, this.app.config.trustProxy), onSlowConsumer, request.headers['user-agent'] ?? null);
  }

  /**
   * Every operation, on every path, once, after its document passed the gate and before it runs.
   * Returns the refusal to answer instead, if any: a subscription over HTTP (served over
   * WebSocket only) is BAD_USER_INPUT, 400, logged at debug (anyone can send one).
   */
  admit(path: OperationPath, operation: OperationTypeNode | undefined, operationName: string | undefined): GraphQLError | undefined {
    const key = `${path} ${operation ?? 'unknown'}`;
    let counter = this.counted.get(key);
    if (!counter) this.counted.set(key, (counter = this.app.metrics.operations.labels(path, operation ?? 'unknown')));
    counter.inc();
    if (operation === 'subscription' && path !== 'ws') {
      this.app.logger.debug({ operationName }, 'subscription sent over HTTP refused');
      return new GraphQLError(`${SUBSCRIPTION_OVER_HTTP}.`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
    }
    if (this.app.logger.isLevelEnabled('trace')) this.app.logger.trace({ path, operation, operationName }, 'GraphQL operation');
    return undefined;
  }
}

/** A refused document as Apollo answers validation errors: 400, the first error (formatError gives it BAD_USER_INPUT). */
export function refusal(errors: readonly GraphQLError[]): GraphQLError {
  const [first] = errors;
  return new GraphQLError(first.message, { nodes: first.nodes, source: first.source, positions: first.positions, extensions: { http: { status: 400 } } });
}
