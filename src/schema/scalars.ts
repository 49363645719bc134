import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Years Postgres' timestamptz and the ISO form above share: year 0 and, after an offset, 10000 are refused there. */
function inRange(ms: number): boolean {
  const year = new Date(ms).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

function toDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO.test(value) || Number.isNaN(Date.parse(value)) || !inRange(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO-8601 date-time string, e.g. 2026-11-21T09:30:00.000Z.', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return new Date(value);
}

/** The contract's DateTime: ISO-8601, UTC. Accepts Date or ISO strings (pub/sub payloads) when serialising. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time string, UTC, e.g. 2026-11-21T09:30:00.000Z.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date.');
    return date.toISOString();
  },
  parseValue: toDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) return toDate(undefined);
    return toDate(ast.value);
  },
});
