import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { execute, getVariableValues, GraphQLError } from 'graphql';
import Negotiator from 'negotiator';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../context';
import type { Logger } from '../logger';
import { Lru, selectOperation } from './documents';
import type { GraphQLPipeline } from './pipeline';

/**
 * `/graphql` over HTTP, on the one pipeline (GraphQLPipeline: schema, documents, context,
 * formatter, CORS, admit). Two ways in, one answer:
 * - `express`: the Express route (after cors() and express.json()), for every method and body;
 * - `fast`: `POST /graphql` with a plain JSON body, taken at node:http before Express (whose
 *   router, body-parser and serve-static layers cost more CPU per request than the execution;
 *   see bench/README.md). It does what that chain does: the pipeline's cors() and the body read
 *   as `express.json({ limit })` reads it (UTF-8, a leading BOM dropped, strict, a malformed one
 *   400 "Malformed request body."). Anything else (another method or path, a body that is not
 *   plain UTF-8 JSON, compressed, chunked, empty or over the limit) is left to Express, untouched.
 *
 * Within the fast path, a request Apollo would only hand to graphql-js runs on `execute` directly
 * (`directExecutor`): what Apollo Client 4, urql's POSTs and plain fetch send. The rest goes to
 * Apollo. test/pipeline-http.test.ts sends a fixed corpus through this and through Express and
 * Apollo alone (`direct: false`) and compares status, headers and bytes.
 */
export function graphqlHttp(options: { pipeline: GraphQLPipeline; apollo: ApolloServer<Context>; maxBodyBytes: number; logger: Logger; direct: boolean }) {
  const { pipeline, apollo, maxBodyBytes, logger } = options;
  const executeOnce = directExecutor(pipeline);

  const viaApollo = async (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: q < 0 ? '' : url.slice(q), body },
      context: () => pipeline.httpContext(req),
    });
    await answer(res, response);
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
    if (!direct) return viaApollo(req, res, body);
    res.statusCode = direct.status;
    for (const [key, value] of direct.headers) res.setHeader(key, value);
    res.setHeader('Content-Length', Buffer.byteLength(direct.body));
    res.end(direct.body);
  };

  const takes = (req: IncomingMessage): boolean => {
    if (!options.direct || req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/graphql' && !url.startsWith('/graphql?')) return false;
    const h = req.headers;
    if (h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= maxBodyBytes)) return false;
    return isPlainJson(h['content-type']);
  };

  const unexpected = (res: ServerResponse) => (error: unknown) => {
    logger.error({ err: error }, 'unexpected HTTP error');
    if (!res.headersSent) fail(res, 500, 'Internal server error.', 'INTERNAL_SERVER_ERROR');
    else res.destroy();
  };

  return {
    fast(req: IncomingMessage, res: ServerResponse): boolean {
      if (!takes(req)) return false;
      pipeline.cors(req, res, () => undefined); // synchronous for a non-preflight request
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('error', () => undefined);
      req.on('end', () => handle(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).catch(unexpected(res)));
      return true;
    },
    express(req: IncomingMessage & { body?: unknown }, res: ServerResponse): void {
      viaApollo(req, res, req.body).catch(unexpected(res));
    },
  };
}

/** A transport-level refusal (malformed body, too large, …) as a GraphQL error, on either way in. */
export function fail(res: ServerResponse, status: number, message: string, code: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Apollo's answer, written as the fast path writes its own (no Express res.send: no ETag). */
async function answer(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
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

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** Apollo's candidates for a single result, in its order (chooseContentTypeForSingleResultResponse). */
const SINGLE_RESULT_TYPES = [APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, 'application/json; callbackSpec=1.0; charset=utf-8'];

/**
 * The content type Apollo answers a single result with, for an Accept header, by the same
 * negotiator; null where the direct path leaves the answer to Apollo (callbacks, 406). Clients
 * send a handful of distinct headers: the choice is remembered per header (bounded).
 */
function contentTypes() {
  const chosen = new Lru<string | null>(100, 64 * 1024);
  return (accept: string | undefined): string | null => {
    if (!accept) return APPLICATION_JSON;
    let type = chosen.get(accept);
    if (type === undefined) {
      const preferred = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES);
      type = preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : null;
      chosen.set(accept, type, accept.length);
    }
    return type;
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BODY_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);

/**
 * Runs a request on graphql-js directly when Apollo would do nothing more than that: one query or
 * mutation (named by operationName, or the only one) in a document the gate passed, with an
 * Accept that Apollo answers with JSON or graphql-response+json, and extensions, if any, that
 * Apollo only passes on (Apollo Client's `clientLibrary`; never `persistedQuery`). The answer is
 * Apollo's to the byte: errors formatted as its normalizeAndFormatErrors does (code defaulted,
 * `extensions.http` taken as status and headers, then formatError), `{errors, data, extensions}`
 * in that order, a trailing newline. Returns null, having run nothing, whenever Apollo must
 * answer instead (an invalid document, an unknown or ambiguous operation, a subscription,
 * @defer/@stream, persisted queries, another Accept, a context that fails, variables graphql-js
 * would refuse), so that each operation is admitted once, on the path that runs it.
 */
function directExecutor(pipeline: GraphQLPipeline) {
  const contentType = contentTypes();
  return async (req: IncomingMessage, body: unknown): Promise<{ status: number; headers: Map<string, string>; body: string } | null> => {
    if (!isRecord(body)) return null;
    for (const key in body) if (!BODY_KEYS.has(key)) return null;
    const { query, variables, operationName, extensions } = body;
    if (typeof query !== 'string' || !query) return null;
    if (variables != null && !isRecord(variables)) return null;
    if (operationName != null && typeof operationName !== 'string') return null;
    if (extensions != null && (!isRecord(extensions) || 'persistedQuery' in extensions)) return null;
    const type = contentType(req.headers.accept);
    if (!type) return null;
    const prepared = pipeline.document(query);
    if (prepared.errors || prepared.incremental) return null;
    const operation = selectOperation(prepared, operationName);
    if (operation?.type !== 'query' && operation?.type !== 'mutation') return null;
    // Variables graphql-js would refuse (a request error, 400) are Apollo's to answer, before admit.
    if (operation.node.variableDefinitions?.length && getVariableValues(pipeline.schema, operation.node.variableDefinitions, variables ?? {}, { maxErrors: 50 }).errors) return null;
    let contextValue: Context;
    try {
      contextValue = await pipeline.httpContext(req);
    } catch {
      return null; // Apollo answers a failed context (e.g. 401 for a bad token)
    }
    if (pipeline.admit('direct', operation.type, operationName ?? undefined)) return null; // (none today) Apollo answers it
    const result = await execute({
      schema: pipeline.schema,
      document: prepared.document,
      variableValues: variables ?? undefined,
      operationName: operationName ?? undefined,
      contextValue,
    });
    if (result.data === undefined) return null; // a request error not foreseen above: nothing ran, Apollo says why
    const headers = new Map<string, string>([['content-type', type]]);
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
        return pipeline.format({ ...(error instanceof GraphQLError ? error.toJSON() : { message: String(error) }), extensions }, error);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
    return { status, headers, body: `${JSON.stringify({ errors, data: result.data, extensions: result.extensions })}\n` };
  };
}
