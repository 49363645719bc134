import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';

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
 */
export function graphqlPostHandler<TContext extends BaseContext>(options: {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Allowed origins; undefined: any. */
  origins: readonly string[] | undefined;
  maxBodyBytes: number;
  logger: Logger;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { apollo, context, origins, maxBodyBytes, logger } = options;

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
