/** The contract's limit on a message body (1–4000 characters after trimming). */
export const BODY_MAX = 4000;
/** From this length on, the composers count down. */
const COUNT_FROM = 3500;

/** The composers' words about length; the widget passes its language's (web/widget/i18n.ts). */
export interface LengthWords {
  tooMany(over: number, max: number): string;
  left(n: number): string;
  tooLong(length: number, max: number): string;
}

const n = (v: number) => v.toLocaleString('en');

export const ENGLISH_LENGTH: LengthWords = {
  tooMany: (over, max) => `${n(over)} characters too many (at most ${n(max)})`,
  left: (left) => `${n(left)} characters left`,
  tooLong: (length, max) => `Too long to send: ${n(length)} characters, at most ${n(max)}. Please shorten it or send it in parts.`,
};

/** What a composer says under its text: a count-down near the limit, the excess beyond it. */
export function lengthNote(length: number, w: LengthWords = ENGLISH_LENGTH): { text: string; over: boolean } {
  if (length > BODY_MAX) return { text: w.tooMany(length - BODY_MAX, BODY_MAX), over: true };
  if (length >= COUNT_FROM) return { text: w.left(BODY_MAX - length), over: false };
  return { text: '', over: false };
}

export function tooLongMessage(length: number, w: LengthWords = ENGLISH_LENGTH): string {
  return w.tooLong(length, BODY_MAX);
}
