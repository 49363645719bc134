/**
 * Rows to entity-shaped objects. Reads go through SQL and this mapping rather than the ORM's
 * identity map, so a long-lived subscription never serves a stale copy.
 */
/** The driver returns timestamptz as text ('2026-11-21 06:38:08.842122+00'). */
export function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

export function camel<T extends object>(proto: T, row: Record<string, unknown>): T {
  const out = Object.create(Object.getPrototypeOf(proto)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(row)) {
    const name = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[name] = key.endsWith('_at') && value !== null ? asDate(value) : value;
  }
  return out as T;
}


