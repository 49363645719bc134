import { Agent, ChatSession, Customer } from '../entities';

/**
 * Rows to entity-shaped objects. Reads go through SQL and this mapping rather than the ORM's
 * identity map, so a long-lived subscription never serves a stale copy.
 */
/** The driver returns timestamptz as text ('2026-11-21 06:38:08.842122+00'). */
export function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

function camel<T extends object>(proto: T, row: Record<string, unknown>): T {
  const out = Object.create(Object.getPrototypeOf(proto)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(row)) {
    const name = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    out[name] = key.endsWith('_at') && value !== null ? asDate(value) : value;
  }
  return out as T;
}

export const toSession = (row: Record<string, unknown>) => camel(ChatSession.prototype, row) as ChatSession & { queuePosition?: number | null };
export const toAgent = (row: Record<string, unknown>) => camel(Agent.prototype, row) as Agent;
export const toCustomer = (row: Record<string, unknown>) => camel(Customer.prototype, row) as Customer;

export const AGENT_COLUMNS =
  'id, name, email, role, status, skills, max_concurrent_chats, active_chats, last_assigned_at, last_seen_at, created_at';
