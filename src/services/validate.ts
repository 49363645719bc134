import { isEmail } from 'class-validator';
import { BadInputError } from '../errors';

/** The contract's "Limits on input", in one place, for every transport. */
export const LIMITS = {
  bodyMax: 4000,
  nameMax: 200,
  commentMax: 2000,
  clientMessageIdMax: 100,
  pageMax: 200,
  passwordMin: 8,
  passwordMax: 200,
  externalIdMax: 200,
  emailMax: 254,
} as const;

export function body(value: string, field = 'body'): string {
  const length = [...value.trim()].length;
  if (length < 1) throw new BadInputError(`${field} must not be empty.`, field);
  if (length > LIMITS.bodyMax) throw new BadInputError(`${field} must be at most ${LIMITS.bodyMax} characters.`, field);
  return value;
}

export function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if ([...value].length > max) throw new BadInputError(`${field} must be at most ${max} characters.`, field);
  return value;
}

export function name(value: string | null | undefined, field = 'name'): string | null {
  const v = optionalText(value, field, LIMITS.nameMax);
  if (v !== null && v.trim() === '') throw new BadInputError(`${field} must not be blank.`, field);
  return v;
}

export function email(value: string | null | undefined, field = 'email'): string | null {
  if (value === undefined || value === null) return null;
  if (value.length > LIMITS.emailMax || !isEmail(value)) throw new BadInputError(`${field} must be a valid email address.`, field);
  return value;
}

const SKILL = /^[a-z0-9_-]{1,50}$/;

export function skill(value: string | null | undefined, field = 'skill'): string | null {
  if (value === undefined || value === null) return null;
  if (!SKILL.test(value)) throw new BadInputError(`${field} must be 1 to 50 of a-z, 0-9, - and _.`, field);
  return value;
}

export function skills(values: readonly string[], field = 'skills'): string[] {
  if (values.length > 50) throw new BadInputError(`${field}: at most 50 skills.`, field);
  return [...new Set(values.map((v) => skill(v, field) as string))];
}

export function limit(value: number, field = 'limit'): number {
  if (!Number.isInteger(value) || value < 1 || value > LIMITS.pageMax) {
    throw new BadInputError(`${field} must be 1 to ${LIMITS.pageMax}.`, field);
  }
  return value;
}

export function seq(value: number | null | undefined, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 0) throw new BadInputError(`${field} must be 0 or more.`, field);
  return value;
}

export function clientMessageId(value: string | null | undefined): string | null {
  const v = optionalText(value, 'clientMessageId', LIMITS.clientMessageIdMax);
  if (v !== null && v.length === 0) throw new BadInputError('clientMessageId must not be empty.', 'clientMessageId');
  return v;
}

export function capacity(value: number | null | undefined, field = 'maxConcurrentChats'): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < 0 || value > 100) throw new BadInputError(`${field} must be 0 to 100.`, field);
  return value;
}

export function password(value: string, field = 'password'): string {
  const length = [...value].length;
  if (length < LIMITS.passwordMin) throw new BadInputError(`${field} must be at least ${LIMITS.passwordMin} characters.`, field);
  if (length > LIMITS.passwordMax) throw new BadInputError(`${field} must be at most ${LIMITS.passwordMax} characters.`, field);
  return value;
}

export function rating(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 5) throw new BadInputError('rating must be 1 to 5.', 'rating');
  return value;
}

/**
 * Every string argument, at any depth: no NUL bytes and no lone surrogates (Postgres cannot store
 * them). Run by a global middleware before any resolver.
 */
export function assertCleanText(value: unknown, path = 'input'): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000') || !value.isWellFormed()) {
      throw new BadInputError(`${path} contains characters that are not allowed (NUL or invalid Unicode).`, path);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertCleanText(v, `${path}[${i}]`));
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) assertCleanText(v, path === 'input' ? k : `${path}.${k}`);
  }
}
