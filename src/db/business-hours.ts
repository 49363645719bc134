import type { EntityManager } from '@mikro-orm/postgresql';
import type { BusinessHours } from '../services/business-hours';
import { pgArray } from './sql';
import { sql } from './execute';

/** The `business_hours` table: one row, or none (always within hours). */
export async function get(em: EntityManager): Promise<BusinessHours | null> {
  const rows = await sql<{ time_zone: string; weekly: BusinessHours['weekly']; closed_dates: string[] }>(
    em,
    'select time_zone, weekly, closed_dates from business_hours where id = 1',
  );
  return rows.length ? { timeZone: rows[0].time_zone, weekly: rows[0].weekly, closedDates: rows[0].closed_dates } : null;
}

export async function put(em: EntityManager, hours: BusinessHours): Promise<void> {
  await sql(
    em,
    `insert into business_hours (id, time_zone, weekly, closed_dates, updated_at) values (1, $1, $2::jsonb, $3::text[], now())
     on conflict (id) do update set time_zone = excluded.time_zone, weekly = excluded.weekly, closed_dates = excluded.closed_dates, updated_at = now()`,
    [hours.timeZone, JSON.stringify(hours.weekly), pgArray(hours.closedDates)],
  );
}

export async function clear(em: EntityManager): Promise<void> {
  await sql(em, 'delete from business_hours where id = 1');
}
