import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, CONTRACT_CODES, UnavailableError } from '../errors';
import type { Logger } from '../logger';

// Postgres (pg, knex) and Redis (ioredis: a command given up on while it reconnects) out of reach.
const CONNECTION_ERRORS = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|terminating connection|too many clients|the database system is|Connection is closed|Knex: Timeout|max retries per request|Stream isn't writeable|timeout exceeded when trying to connect|Query read timeout|canceling statement due to statement timeout|Connection terminated due to connection timeout/i;

/**
 * One place turns any error into what a client may see: contract codes pass through; errors in
 * the request itself (parse, validation, variables: GraphQL errors raised before execution) are
 * BAD_USER_INPUT, without "Did you mean" in production; anything else is logged in full and shown
 * as INTERNAL_SERVER_ERROR with a masked message. No stack traces, no SQL.
 */
export function createErrorFormatter(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = unwrapResolverError(error);
    // graphql-ws (a stream that throws mid-way) and Apollo (a context function that throws) wrap
    // the error in a GraphQLError with no path and no location: judge, and log, the one inside.
    if (original instanceof GraphQLError && !original.path && !original.nodes?.length && original.originalError) original = original.originalError;
    const base = { locations: formatted.locations, path: formatted.path };
    if (original instanceof AppError) {
      const extensions: Record<string, unknown> = { ...original.extensions };
      delete extensions.http; // a status for the transport, not for the client
      return { ...base, message: original.message, extensions: { ...extensions, code: original.code } };
    }
    if (original instanceof GraphQLError && (!original.path || original.originalError instanceof GraphQLError)) {
      const code = original.extensions?.code ?? (original.originalError as GraphQLError | undefined)?.extensions?.code;
      const message = production ? formatted.message.replace(/\s*Did you mean .*$/s, '') : formatted.message;
      return { ...base, message, extensions: { code: typeof code === 'string' && CONTRACT_CODES.has(code) ? code : 'BAD_USER_INPUT' } };
    }
    const cause = original instanceof Error ? original : new Error(String(original));
    if (CONNECTION_ERRORS.test(cause.message)) {
      logger.warn({ err: cause, path: formatted.path }, 'backing service unavailable');
      const unavailable = new UnavailableError();
      return { ...base, message: unavailable.message, extensions: unavailable.extensions };
    }
    logger.error({ err: cause, path: formatted.path }, 'unexpected error');
    return { ...base, message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** graphql-ws has no formatError: the same formatter, applied to GraphQLErrors. */
export function formatGraphQLErrors(format: ReturnType<typeof createErrorFormatter>, errors: readonly GraphQLError[]): GraphQLFormattedError[] {
  return errors.map((e) => format(e.toJSON(), e));
}
