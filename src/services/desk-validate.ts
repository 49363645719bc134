import { BadInputError } from '../errors';
import * as validate from './validate';

/** The desk extension's limits on input (contract, desk), beside the core's in validate.ts. */
export const DESK_LIMITS = { tagsMax: 20, contextFieldMax: 2000, shortcutMax: 40, titleMax: 200, searchMax: 200 } as const;

/** Lower case, as a skill; at most 20; duplicates dropped. */
export function tags(values: readonly string[]): string[] {
  if (values.length > DESK_LIMITS.tagsMax) throw new BadInputError(`tags: at most ${DESK_LIMITS.tagsMax}.`, 'tags');
  return [...new Set(values.map((v) => validate.skill(v, 'tags') as string))];
}

/** One tag to filter by. */
export const tag = (value: string | null | undefined): string | null => validate.skill(value, 'tag');

export interface ContextInput {
  pageUrl?: string | null;
  pageTitle?: string | null;
  referrer?: string | null;
  locale?: string | null;
  timeZone?: string | null;
}

function httpUrl(value: string | null, field: string): string | null {
  if (value === null || value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadInputError(`${field} must be an http(s) URL.`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInputError(`${field} must be an http(s) URL.`, field);
  return value;
}

/** Each field at most 2000 characters; pageUrl and referrer http(s) URLs; userAgent from the request. */
export function context(input: ContextInput, userAgent: string | null) {
  const text = (v: string | null | undefined, field: string) => validate.optionalText(v, field, DESK_LIMITS.contextFieldMax);
  return {
    pageUrl: httpUrl(text(input.pageUrl, 'pageUrl'), 'pageUrl'),
    pageTitle: text(input.pageTitle, 'pageTitle'),
    referrer: httpUrl(text(input.referrer, 'referrer'), 'referrer'),
    locale: text(input.locale, 'locale'),
    timeZone: text(input.timeZone, 'timeZone'),
    userAgent: userAgent ? [...userAgent].slice(0, DESK_LIMITS.contextFieldMax).join('') : null,
  };
}

const SHORTCUT = /^[a-z0-9_-]{1,40}$/;

export function canned(input: { shortcut: string; title: string; body: string }) {
  if (!SHORTCUT.test(input.shortcut)) throw new BadInputError('shortcut must be 1 to 40 of a-z, 0-9, - and _.', 'shortcut');
  const title = validate.optionalText(input.title, 'title', DESK_LIMITS.titleMax) as string;
  if (!title.trim()) throw new BadInputError('title must not be blank.', 'title');
  return { shortcut: input.shortcut, title, body: validate.body(input.body) };
}

/** Words to search for: 1 to 200 characters. */
export function search(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (!value.trim()) throw new BadInputError('search must not be blank.', 'search');
  return validate.optionalText(value, 'search', DESK_LIMITS.searchMax);
}

/** A message's body when files come with it: may be empty, at most 4000 characters. */
export function bodyWithFiles(value: string): string {
  if (!value.trim()) return '';
  return validate.body(value);
}
