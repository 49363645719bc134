import { BadInputError } from '../errors';
import { isUuid } from '../db/sql';

/** A keyset cursor over (createdAt, id), newest first (sessions, webhook deliveries). */
export function encodeCursor(s: { createdAt: Date | string; id: string }): string {
  return Buffer.from(`${new Date(s.createdAt).toISOString()}|${s.id}`).toString('base64url');
}

/** Exactly what encodeCursor writes (years 0001 to 9999): anything else Postgres may refuse, a 500. */
const CURSOR_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const valid = CURSOR_TIME.test(createdAt ?? '') && !Number.isNaN(Date.parse(createdAt)) && new Date(createdAt).toISOString() === createdAt;
  if (!valid || !isUuid(id)) throw new BadInputError('after is not a valid cursor.', 'after');
  return { createdAt, id };
}
