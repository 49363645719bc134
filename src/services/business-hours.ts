import { DateTime, IANAZone } from 'luxon';
import { BadInputError } from '../errors';

/**
 * Business hours (contract, desk: "Never lose a visitor"): weekly opening intervals in local time
 * of one IANA zone, and whole closed days. Zoned time is Luxon's, never hand arithmetic, so
 * daylight saving moves the instants, not the local hours.
 */
export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningInterval {
  day: Weekday;
  opens: string;
  closes: string;
}

export interface BusinessHours {
  timeZone: string;
  weekly: OpeningInterval[];
  closedDates: string[];
}

export const HOURS_LIMITS = { intervals: 70, closedDates: 400, zoneMax: 64 } as const;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Minutes after local midnight; "24:00" (closes only) is 1440. */
function minutes(value: string, field: string, allowMidnight: boolean): number {
  if (allowMidnight && value === '24:00') return 24 * 60;
  const m = TIME.exec(value);
  if (!m) throw new BadInputError(`${field} must be a local time "HH:MM" from 00:00 to 23:59${allowMidnight ? ', or "24:00"' : ''}.`, field);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The input checked whole (nothing is stored unless all of it is valid), closed dates sorted and unique. */
export function validateHours(input: { timeZone: string; weekly: readonly OpeningInterval[]; closedDates?: readonly string[] | null }): BusinessHours {
  const timeZone = input.timeZone;
  if (timeZone.length > HOURS_LIMITS.zoneMax || !IANAZone.isValidZone(timeZone)) {
    throw new BadInputError('timeZone must be an IANA time zone, e.g. "Europe/Paris".', 'timeZone');
  }
  if (input.weekly.length > HOURS_LIMITS.intervals) throw new BadInputError(`weekly: at most ${HOURS_LIMITS.intervals} intervals.`, 'weekly');
  const weekly = input.weekly.map((interval) => {
    if (!WEEKDAYS.includes(interval.day)) throw new BadInputError('day must be a Weekday.', 'day');
    const opens = minutes(interval.opens, 'opens', false);
    const closes = minutes(interval.closes, 'closes', true);
    if (closes <= opens) throw new BadInputError(`closes (${interval.closes}) must be after opens (${interval.opens}).`, 'closes');
    return { day: interval.day, opens: interval.opens, closes: interval.closes };
  });
  const closed = input.closedDates ?? [];
  if (closed.length > HOURS_LIMITS.closedDates) throw new BadInputError(`closedDates: at most ${HOURS_LIMITS.closedDates}.`, 'closedDates');
  for (const date of closed) {
    if (!DATE.test(date) || !DateTime.fromISO(date, { zone: timeZone }).isValid) throw new BadInputError('closedDates must be dates "YYYY-MM-DD".', 'closedDates');
  }
  return { timeZone, weekly, closedDates: [...new Set(closed)].sort() };
}

function intervalsOn(hours: BusinessHours, local: DateTime): Array<{ opens: number; closes: number }> {
  if (hours.closedDates.includes(local.toISODate() as string)) return [];
  const day = WEEKDAYS[local.weekday - 1];
  return hours.weekly
    .filter((i) => i.day === day)
    .map((i) => ({ opens: minutes(i.opens, 'opens', false), closes: minutes(i.closes, 'closes', true) }))
    .sort((a, b) => a.opens - b.opens);
}

/** Whether `at` falls in an opening interval, in the hours' zone (none set: always). */
export function withinHours(hours: BusinessHours | null, at: Date): boolean {
  if (!hours) return true;
  const local = DateTime.fromJSDate(at, { zone: hours.timeZone });
  const now = local.hour * 60 + local.minute;
  return intervalsOn(hours, local).some((i) => i.opens <= now && now < i.closes);
}

/** When the hours next begin after `at`; null while within them, or when they never open. */
export function nextOpenAt(hours: BusinessHours | null, at: Date): Date | null {
  if (!hours || withinHours(hours, at)) return null;
  const local = DateTime.fromJSDate(at, { zone: hours.timeZone });
  for (let d = 0; d <= 400; d++) {
    const day = local.startOf('day').plus({ days: d });
    for (const interval of intervalsOn(hours, day)) {
      // Local wall-clock time on that date: Luxon applies that day's offset (a time that falls in a
      // spring-forward gap moves to just after it).
      const opens = DateTime.fromObject(
        { year: day.year, month: day.month, day: day.day, hour: Math.floor(interval.opens / 60), minute: interval.opens % 60 },
        { zone: hours.timeZone },
      );
      if (opens.toMillis() > at.getTime()) return opens.toJSDate();
    }
  }
  return null;
}
