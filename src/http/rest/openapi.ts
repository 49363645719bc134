import { z } from 'zod';
import type { Route } from './routes';
import { bodies, models } from './schemas';

const ref = (id: string) => `#/components/schemas/${id}`;

/** zod's JSON Schema (2020-12, OpenAPI 3.1's dialect) without the keys a component does not carry. */
function clean(schema: unknown): Record<string, unknown> {
  const rest = { ...(schema as Record<string, unknown>) };
  delete rest.$schema;
  delete rest.$id;
  return rest;
}

/** The component id of a registered schema, or its JSON Schema inline. */
function schemaOf(schema: z.ZodType, registry: typeof models, io: 'input' | 'output'): Record<string, unknown> {
  const id = registry.get(schema)?.id;
  return id ? { $ref: ref(id) } : clean(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
}

const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: { $ref: ref('Problem') } } },
});

/** The refusals every route may answer (partners.md: "Errors are application/problem+json"). */
function errorResponses(r: Route): Record<string, unknown> {
  return problemResponses(r.method !== 'get');
}

/** The problem+json answers of a route that reads (`writes` false) or changes something. */
export function problemResponses(writes: boolean): Record<string, unknown> {
  return {
    400: problem('BAD_USER_INPUT: a bad body, query or value; `field` names it (unknown fields are refused).'),
    401: problem('UNAUTHENTICATED: no credential where one is needed, or an invalid, expired or revoked one.', {
      'WWW-Authenticate': { schema: { type: 'string' } },
    }),
    403: problem('FORBIDDEN: the caller may not (a key: the scope it lacks is named).'),
    404: problem('NOT_FOUND: no such resource, or one the caller may not see.'),
    ...(writes ? { 409: problem('CONFLICT: the resource is in a state that refuses this (e.g. a closed chat).') } : {}),
    ...(writes ? { 413: problem('The body is over 100 KB.'), 415: problem('The body is not application/json.') } : {}),
    429: problem('RATE_LIMITED: retry after `retryAfterSeconds`.', { 'Retry-After': { description: 'Seconds.', schema: { type: 'integer' } } }),
    500: problem('INTERNAL_SERVER_ERROR (masked).'),
    503: problem('A backing service is briefly unavailable; `retryable`: send it again.'),
  };
}

function operation(r: Route, path: string, alias: boolean): Record<string, unknown> {
  const parameters: unknown[] = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  if (r.query instanceof z.ZodObject) {
    for (const [name, field] of Object.entries(r.query.shape as Record<string, z.ZodType>)) {
      const schema = clean(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }));
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: false, ...(description ? { description } : {}), schema: rest });
    }
  }
  if (r.idempotency) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        r.idempotency === 'message'
          ? 'The clientMessageId: a retry with the same key returns the first message (200) and stores nothing new.'
          : 'A retry with the same key (same caller, same body) within 24 hours gets the first answer again (`Idempotent-Replayed: true`) and changes nothing; while the first still runs, 409.',
      schema: { type: 'string', minLength: 1, maxLength: 100 },
    });
  }
  const replayed = { 'Idempotent-Replayed': { description: '`true` on a retry answered with the first answer.', schema: { type: 'string', enum: ['true'] } } };
  const success = { description: r.success.description, ...(r.idempotency === 'stored' ? { headers: replayed } : {}), content: { [r.success.mediaType ?? 'application/json']: { schema: schemaOf(r.success.schema, models, 'output') } } };
  return {
    operationId: alias ? `${r.operationId}Alias` : r.operationId,
    summary: alias ? `${r.summary} (alias of ${r.path})` : r.summary,
    description: r.description,
    tags: [r.tag],
    security: r.anonymous ? [{}, { bearer: [] }] : [{ bearer: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: Boolean(r.bodyRequired), content: { 'application/json': { schema: schemaOf(r.body, bodies, 'input') } } } } : {}),
    responses: {
      [r.success.status]: success,
      ...(r.success.alsoStatus ? { [r.success.alsoStatus.status]: { ...success, description: r.success.alsoStatus.description } } : {}),
      ...errorResponses(r),
    },
  };
}

/**
 * The OpenAPI 3.1 document of /api/v1, written from the routes and their schemas at start-up
 * (so the document is the code's own description: it cannot drift). Served at
 * /api/v1/openapi.json, rendered at /api/docs.
 */
export function openApiDocument(routes: readonly Route[], more: Record<string, Record<string, unknown>> = {}): string {
  const paths: Record<string, Record<string, unknown>> = {
    '/openapi.json': {
      get: {
        operationId: 'openApi',
        summary: 'This document',
        description: 'The OpenAPI 3.1 document of the REST API.',
        tags: ['Meta'],
        security: [{}],
        responses: { 200: { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  for (const r of routes) {
    for (const path of [r.path, ...(r.aliases ?? [])]) (paths[path] ??= {})[r.method] = operation(r, path, path !== r.path);
  }
  // Routes served beside the route table, that describe themselves (the CSV exports: http/exports.ts).
  Object.assign(paths, more);
  const components = {
    ...(z.toJSONSchema(models, { io: 'output', uri: ref, unrepresentable: 'any' }).schemas as Record<string, unknown>),
    ...(z.toJSONSchema(bodies, { io: 'input', uri: ref, unrepresentable: 'any' }).schemas as Record<string, unknown>),
  };
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard REST API',
      version: '1',
      description:
        'The seed designs’ endpoints over the same rules as the GraphQL API (POST /graphql): the same services, policy, limits and rate limits. ' +
        'Authenticate with `Authorization: Bearer <token>`: an API key (`sbk_…`, created by a supervisor with `createApiKey`), an agent token (POST /auth/login) or a visitor token (POST /chats).',
    },
    servers: [{ url: '/api/v1' }],
    tags: [{ name: 'Chats' }, { name: 'Agents' }, { name: 'Metrics' }, { name: 'Exports' }, { name: 'Auth' }, { name: 'Meta' }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).map(([k, v]) => [k, clean(v)])),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (sbk_…), an agent token or a visitor token.' } },
    },
  };
  return JSON.stringify(document);
}
