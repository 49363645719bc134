import { GraphQLError } from 'graphql';

/** The contract's error codes (docs/contract/README.md, "Errors"). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

export const CONTRACT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
]);

/**
 * Base of every error we raise on purpose: the code travels in extensions.code. `retryable` is the
 * one place that tells a client it may send the same request again (a send with the same
 * clientMessageId is stored once): `extensions.retryable: true`, on the subclasses below that
 * mean a passing condition (a rate limit, an outage, a stream the server could not keep up).
 * An unexpected error is masked and not retryable: trying it again would fail the same way.
 */
export class AppError extends GraphQLError {
  constructor(message: string, readonly code: ErrorCode, extensions: Record<string, unknown> = {}, readonly retryable = false) {
    super(message, withoutStack({ extensions: { ...extensions, code, ...(retryable ? { retryable: true } : {}) } }));
    Error.stackTraceLimit = STACK_TRACE_LIMIT;
  }
}

/**
 * An error we raise on purpose is an answer, not a fault: no stack trace is captured for it (the
 * client never sees one, and nothing logs it). Capturing one was a fifth of the server's CPU
 * under a flood of refused requests (security-dos-auth). Restored right after the constructor.
 */
const STACK_TRACE_LIMIT = Error.stackTraceLimit;
function withoutStack<T>(options: T): T {
  Error.stackTraceLimit = 0;
  return options;
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Sign in first: send a valid bearer token.') {
    super(message, 'UNAUTHENTICATED');
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You may not do that.') {
    super(message, 'FORBIDDEN');
  }
}

/** The same message whether the id never existed or the caller may not see it. */
export class NotFoundError extends AppError {
  constructor(what = 'Session') {
    super(`${what} not found.`, 'NOT_FOUND');
  }
}

export class BadInputError extends AppError {
  constructor(message: string, field?: string) {
    super(message, 'BAD_USER_INPUT', field ? { field } : {});
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(message, 'CONFLICT');
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(`Too many requests: retry in ${retryAfterSeconds} s.`, 'RATE_LIMITED', { retryAfterSeconds }, true);
  }
}

/** Postgres or Redis is unreachable, or a stream fell behind on the server's side: the client may retry. */
export class UnavailableError extends AppError {
  constructor(message = 'The service is briefly unavailable; retry shortly.') {
    super(message, 'INTERNAL_SERVER_ERROR', {}, true);
  }
}
