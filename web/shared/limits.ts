/** The contract's limit on a message body (1–4000 characters after trimming). */
export const BODY_MAX = 4000;
/** From this length on, the composers count down. */
const COUNT_FROM = 3500;

/** What a composer says under its text: a count-down near the limit, the excess beyond it. */
export function lengthNote(length: number): { text: string; over: boolean } {
  if (length > BODY_MAX) return { text: `${(length - BODY_MAX).toLocaleString('en')} characters too many (at most ${BODY_MAX.toLocaleString('en')})`, over: true };
  if (length >= COUNT_FROM) return { text: `${(BODY_MAX - length).toLocaleString('en')} characters left`, over: false };
  return { text: '', over: false };
}

export function tooLongMessage(length: number): string {
  return `Too long to send: ${length.toLocaleString('en')} characters, at most ${BODY_MAX.toLocaleString('en')}. Please shorten it or send it in parts.`;
}
