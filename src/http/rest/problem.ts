import type { Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { BadInputError, type ErrorCode } from '../../errors';
import type { Problem } from './schemas';

/** The HTTP status of each contract code (partners.md, "REST"). */
const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/** A refusal that is HTTP's own (413, 415), with the contract code that goes with it. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ErrorCode = 'BAD_USER_INPUT',
  ) {
    super(message);
  }
}

/**
 * Writes an RFC 9457 problem from an error formatted by the one GraphQL formatter (which logged
 * and masked what was not ours): `{type, title, status, detail, code}` plus `field`,
 * `retryAfterSeconds` (and Retry-After) or `retryable` when the error carries them.
 */
export function sendProblem(res: Response, formatted: GraphQLFormattedError, status?: number): void {
  const ext = (formatted.extensions ?? {}) as Record<string, unknown>;
  const code = (typeof ext.code === 'string' && ext.code in STATUS ? ext.code : 'INTERNAL_SERVER_ERROR') as ErrorCode;
  const retryable = ext.retryable === true;
  const httpStatus = status ?? (code === 'INTERNAL_SERVER_ERROR' && retryable ? 503 : STATUS[code]);
  const problem: z.infer<typeof Problem> = {
    type: 'about:blank',
    title: STATUS_CODES[httpStatus] ?? 'Error',
    status: httpStatus,
    detail: formatted.message,
    code,
  };
  if (typeof ext.field === 'string') problem.field = ext.field;
  if (typeof ext.retryAfterSeconds === 'number') {
    problem.retryAfterSeconds = ext.retryAfterSeconds;
    res.setHeader('Retry-After', String(ext.retryAfterSeconds));
  }
  if (retryable) problem.retryable = true;
  if (code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(httpStatus).type('application/problem+json').send(JSON.stringify(problem));
}

/** zod's first issue as the contract's BAD_USER_INPUT, naming the field (an unknown one included). */
export function inputProblem(issues: readonly z.core.$ZodIssue[], where: 'body' | 'query'): BadInputError {
  // An unknown field first: "nickname is not a field" says more than what it displaced.
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  if (issue.code === 'unrecognized_keys') {
    const field = [...issue.path.map(String), issue.keys[0]].join('.');
    return new BadInputError(`Unknown ${where === 'body' ? 'field' : 'query parameter'} "${field.slice(0, 100)}".`, field.slice(0, 100));
  }
  const field = issue.path.map(String).join('.');
  if (!field) return new BadInputError(where === 'body' ? 'The body must be a JSON object.' : 'Malformed query string.', where);
  return new BadInputError(`${field}: ${issue.message}`, field);
}
