import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { execute, GraphQLError, Kind, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { DocumentGate } from './documents';

/**
 * The API's hot path: `POST /graphql` with a plain JSON body goes straight from node:http to
 * Apollo (`executeHTTPGraphQLRequest`, the documented integration API), without Express's
 * router, cors, body-parser and serve-static layers, which cost more CPU per request than the
 * GraphQL execution itself (see bench/README.md). Everything Apollo does is unchanged: CSRF
 * prevention, the document cache, validation rules, formatError, status codes.
 *
 * It does, for the requests it takes, exactly what that Express chain did:
 * - CORS as `cors({ origin })` does on a non-preflight request: `Vary: Origin`, and
 *   `Access-Control-Allow-Origin: <origin>` when the origin is allowed;
 * - the body as `express.json({ limit })` reads it: UTF-8, a leading BOM dropped, strict (an
 *   object or an array), and a malformed one refused as the Express error handler does
 *   (400, `BAD_USER_INPUT`, "Malformed request body.").
 * Every other request (another method or path, a body that is not plain UTF-8 JSON, compressed,
 * chunked, empty or larger than the limit) returns false and is left to Express, untouched.
 * Do not add Express middleware that must see `POST /graphql` without adding it here too.
 *
 * Within that, an operation whose document the gate (DocumentGate, shared with Apollo and
 * graphql-js) found valid runs on graphql-js
 * `execute` directly, answered as Apollo answers (`executeOnce`); everything else, and every case
 * where nothing has run yet but something is off, goes through Apollo.
 */
export function graphqlPostHandler<TContext extends BaseContext>(options: {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Allowed origins; undefined: any. */
  origins: readonly string[] | undefined;
  maxBodyBytes: number;
  logger: Logger;
  /** What Apollo was given: the schema, the one document gate, formatError. */
  schema: GraphQLSchema;
  gate: DocumentGate;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { apollo, context, origins, maxBodyBytes, logger } = options;
  const executeOnce = directExecutor(options);

  const takes = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/graphql' && !url.startsWith('/graphql?')) return false;
    const h = req.headers;
    if (h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= maxBodyBytes)) return false;
    return isPlainJson(h['content-type']);
  };

  const fail = (res: ServerResponse, status: number, message: string, code: string) => {
    const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    let text = raw.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let body: unknown;
    const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(text)?.[1];
    if (first !== '{' && first !== '[') return fail(res, 400, 'Malformed request body.', 'BAD_USER_INPUT');
    try {
      body = JSON.parse(text);
    } catch {
      return fail(res, 400, 'Malformed request body.', 'BAD_USER_INPUT');
    }
    const direct = await executeOnce(req, body);
    if (direct) {
      res.statusCode = direct.status;
      for (const [key, value] of direct.headers) res.setHeader(key, value);
      res.setHeader('Content-Length', Buffer.byteLength(direct.body));
      res.end(direct.body);
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: q < 0 ? '' : url.slice(q), body },
      context: () => context(req),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      if (!res.hasHeader('content-type')) res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  return (req, res) => {
    if (!takes(req)) return false;
    // cors(): a non-preflight request gets Vary: Origin, and the origin echoed when allowed.
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin && (!origins || origins.includes(origin))) res.setHeader('Access-Control-Allow-Origin', origin);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      handle(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).catch((error: unknown) => {
        logger.error({ err: error }, 'unexpected HTTP error');
        if (!res.headersSent) fail(res, 500, 'Internal server error.', 'INTERNAL_SERVER_ERROR');
        else res.destroy();
      });
    });
    return true;
  };
}

/** `application/json`, with no charset or a UTF-8 one (what express.json() decodes itself). */
function isPlainJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const [name, value] = param.split('=');
    if (name.trim().toLowerCase() !== 'charset') return false;
    if ((value ?? '').trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

interface Known {
  document: DocumentNode;
  operationName: string | undefined;
}

const APPLICATION_JSON = 'application/json; charset=utf-8';

/**
 * Runs a request on graphql-js directly when Apollo would do nothing more than that: one query or
 * mutation, in a document that passed the gate, with JSON the client accepts. The answer is
 * Apollo's to the byte: errors formatted as its
 * normalizeAndFormatErrors does (code defaulted, `extensions.http` taken as status and headers,
 * then formatError), `{errors, data, extensions}` in that order, a trailing newline, status 200.
 * Returns null, having run nothing, whenever Apollo must answer instead (an invalid
 * document, several operations, a subscription, @defer/@stream, extensions such as persisted
 * queries, another accept header, a context that fails, a request error such as bad variables).
 * A document is checked once: Apollo, taking a refused one, gets the gate's cached verdict.
 */
function directExecutor<TContext>(options: {
  context: (req: IncomingMessage) => Promise<TContext>;
  schema: GraphQLSchema;
  gate: DocumentGate;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}) {
  const { schema, context, formatError, gate } = options;
  const known = new WeakMap<DocumentNode, Known | null>();

  const lookup = (query: string): Known | null => {
    const { document } = gate.check(query);
    if (!document) return null;
    let entry = known.get(document);
    if (entry !== undefined) return entry;
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    entry = operations.length === 1 && operations[0].operation !== 'subscription' && !/@(defer|stream)\b/.test(query) ? { document, operationName: operations[0].name?.value } : null;
    known.set(document, entry);
    return entry;
  };

  return async (req: IncomingMessage, body: unknown): Promise<{ status: number; headers: Map<string, string>; body: string } | null> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
    const { query, variables, operationName, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length || typeof query !== 'string' || !query) return null;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
    const accept = req.headers.accept;
    if (accept !== undefined && accept !== '*/*' && accept !== 'application/json') return null;
    const entry = lookup(query);
    if (!entry || ((operationName ?? undefined) !== undefined && operationName !== entry.operationName)) return null;
    let contextValue: TContext;
    try {
      contextValue = await context(req);
    } catch {
      return null; // Apollo answers a failed context (e.g. 401 for a bad token)
    }
    const result = await execute({
      schema,
      document: entry.document,
      variableValues: (variables as Record<string, unknown> | null | undefined) ?? undefined,
      operationName: (operationName as string | null | undefined) ?? undefined,
      contextValue,
    });
    if (result.data === undefined) return null; // a request error: nothing ran, Apollo says why (400)
    const headers = new Map<string, string>([['content-type', APPLICATION_JSON]]);
    let status = 200;
    const errors = result.errors?.map((error) => {
      try {
        const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
        const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
        if (http && typeof http === 'object' && (!('status' in http) || typeof http.status === 'number') && (!('headers' in http) || http.headers instanceof Map)) {
          if (http.status) status = http.status as number;
          if (http.headers) for (const [k, v] of http.headers as Map<string, string>) headers.set(k, v);
          delete extensions.http;
        }
        return formatError({ ...(error instanceof GraphQLError ? error.toJSON() : { message: String(error) }), extensions }, error);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { status, headers, body: `${JSON.stringify({ errors, data: result.data, extensions: result.extensions })}\n` };
  };
}
