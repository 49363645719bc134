import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { execute, GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { App } from '../../app';
import { InvalidTokenError } from '../../auth/tokens';
import { httpContext } from '../../context';
import { BadInputError, UnauthenticatedError } from '../../errors';
import { assertCleanText } from '../../services/validate';
import { selectOperation } from '../documents';
import { clientIp } from '../ip';
import { MAX_BODY_BYTES } from '../limits';
import type { GraphQLPipeline } from '../pipeline';
import { personId } from '../../policies';
import { IdempotencyStore } from './idempotency';
import { exportPaths } from '../exports';
import { openApiDocument } from './openapi';
import { HttpRefusal, inputProblem, sendProblem } from './problem';
import { routes, type Call, type Route } from './routes';

/** `/chats/{id}` as Express writes it: `/chats/:id`. */
const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** application/json, with or without a charset (utf-8). */
const isJson = (type: string) => /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i.test(type.trim());

/**
 * REST under /api/v1 (partners.md, "REST"): every route runs through the same pipeline as GraphQL
 * (the viewer and its key bucket, the formatter that logs and masks) and the same resolvers,
 * services and policy, by running a GraphQL operation on the schema (or, for sending, calling the
 * service the resolver calls). Requests are checked in this order: content type (415), size
 * (413), JSON, credential (401, a key's rate 429), body and query against their schemas (400,
 * unknown fields refused), then the operation's own refusals. Errors are problem+json.
 */
export function restRouter(app: App, pipeline: GraphQLPipeline): express.Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  const document = openApiDocument(routes, exportPaths());
  const idempotency = new IdempotencyStore(app.redis, app.config.REDIS_PREFIX);
  router.use(
    cors({
      origin: app.config.CORS_ORIGINS ?? true, // the same rule as GraphQL's
      methods: ['GET', 'POST', 'PUT', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      exposedHeaders: ['Retry-After', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  router.use((req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.method !== 'POST' && req.method !== 'PUT') return next();
    const type = req.headers['content-type'];
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    // A POST without a body (close) may omit the type; any other type is refused (no form posts).
    if (type ? !isJson(type) : hasBody) return next(new HttpRefusal(415, 'Send the body as application/json.'));
    next();
  });
  router.use(express.json({ limit: MAX_BODY_BYTES, strict: true }));

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });

  const run = (r: Route) => async (req: Request, res: Response) => {
    try {
      const { status, body, replayed } = await handle(r, req);
      if (replayed) res.setHeader('Idempotent-Replayed', 'true');
      const type = r.success.mediaType ?? 'application/json';
      res.status(status).type(type).send(type === 'application/json' ? JSON.stringify(body) : body);
    } catch (error) {
      problem(res, error);
    }
  };

  const answer = (r: Route, out: { status?: number; body: unknown }) => ({ status: out.status ?? r.success.status, body: out.body });
  const handle = async (r: Route, req: Request): Promise<{ status: number; body: unknown; replayed?: boolean }> => {
    const viewer = await pipeline.admitViewer(req.headers.authorization).catch((error: unknown) => {
      throw error instanceof InvalidTokenError ? new UnauthenticatedError('The token is invalid or expired.') : error;
    });
    const query = parse(r.query, req.query, 'query');
    if (r.bodyRequired && req.body === undefined) throw new BadInputError('Send a JSON body.', 'body');
    const body = req.body === undefined ? undefined : parse(r.body ?? null, req.body, 'body');
    assertCleanText(body); // as every GraphQL argument (schema/build.ts)
    const ctx = httpContext(app, viewer, clientIp(req, app.config.trustProxy));
    const call: Call<unknown, unknown> = {
      ctx,
      params: req.params as Record<string, string>,
      query,
      body,
      header: (name) => req.get(name),
      graphql: (source, variables) => graphql(ctx, source, variables),
    };
    const key = r.idempotency === 'stored' ? req.get('idempotency-key') : undefined;
    if (key === undefined) return answer(r, await r.handle(call));
    const scope = `${r.operationId}|${personId(viewer) ?? `ip:${ctx.ip}`}`;
    const first = await idempotency.begin(scope, key, body);
    if (first) return { ...first, replayed: true };
    let response: { status: number; body: unknown } | null = null;
    try {
      response = answer(r, await r.handle(call));
      return response;
    } finally {
      await idempotency.finish(scope, key, body, response);
    }
  };

  const graphql = async <T>(ctx: Call<unknown, unknown>['ctx'], source: string, variables?: Record<string, unknown>): Promise<T> => {
    const prepared = pipeline.document(source);
    if (prepared.errors) throw new Error(`REST route document refused: ${prepared.errors[0].message}`); // ours: a bug, a 500
    pipeline.admit('rest', selectOperation(prepared, undefined)?.type, undefined);
    const result = await execute({ schema: pipeline.schema, document: prepared.document, variableValues: variables, contextValue: ctx });
    if (result.errors?.length) throw result.errors[0];
    return result.data as T;
  };

  const problem = (res: Response, error: unknown) => {
    if (error instanceof HttpRefusal) return sendProblem(res, { message: error.message, extensions: { code: error.code } }, error.status);
    const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error });
    // The one formatter: contract codes pass, anything else is logged and masked.
    const formatted: GraphQLFormattedError = pipeline.format(graphQLError.toJSON(), error);
    sendProblem(res, formatted);
  };

  for (const r of routes) {
    for (const path of [r.path, ...(r.aliases ?? [])]) router[r.method](expressPath(path), run(r));
  }
  router.use((_req, res) => sendProblem(res, { message: 'No such route under /api/v1 (see /api/v1/openapi.json).', extensions: { code: 'NOT_FOUND' } }));
  // Body-parser refusals (too large, malformed JSON, another charset) and our own 415.
  router.use((error: { status?: number; type?: string } | HttpRefusal, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    if (error instanceof HttpRefusal) return problem(res, error);
    if (error.status === 413) return problem(res, new HttpRefusal(413, `Request body is larger than ${MAX_BODY_BYTES / 1024} KB.`));
    if (error.status === 415) return problem(res, new HttpRefusal(415, 'Send the body as UTF-8 application/json.'));
    if (error.status && error.status < 500) return problem(res, new BadInputError('Malformed JSON body.', 'body'));
    problem(res, error);
  });
  return router;
}

function parse<T>(schema: import('zod').ZodType<T> | null | undefined, value: unknown, where: 'body' | 'query'): T {
  if (!schema) {
    // A route that takes no query string, or no body.
    if (where === 'query' && Object.keys(value as object).length === 0) return {} as T;
    throw new BadInputError(where === 'body' ? 'This route takes no body.' : 'This route takes no query parameters.', where);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw inputProblem(result.error.issues, where);
  return result.data;
}
