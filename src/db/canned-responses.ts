import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';
import { asDate } from './rows';

/** The `canned_response` table: the team's (owner null) and each agent's own. */
export interface CannedRow {
  id: string;
  ownerId: string | null;
  shortcut: string;
  title: string;
  body: string;
  updatedAt: string;
}

const COLUMNS = 'id, owner_id, shortcut, title, body, updated_at';

function toCanned(row: Record<string, unknown>): CannedRow {
  return {
    id: row.id as string,
    ownerId: (row.owner_id as string | null) ?? null,
    shortcut: row.shortcut as string,
    title: row.title as string,
    body: row.body as string,
    updatedAt: asDate(row.updated_at).toISOString(),
  };
}

/** The team's and `agentId`'s own, by shortcut (the agent's own first on a tie). */
export async function visibleTo(em: EntityManager, agentId: string): Promise<CannedRow[]> {
  const rows = await sql(em, `select ${COLUMNS} from canned_response where owner_id is null or owner_id = $1 order by shortcut, owner_id nulls last limit 1000`, [agentId]);
  return rows.map(toCanned);
}

export async function byId(em: EntityManager, id: string): Promise<CannedRow | null> {
  const rows = await sql(em, `select ${COLUMNS} from canned_response where id = $1`, [id]);
  return rows.length ? toCanned(rows[0]) : null;
}

export async function countOf(em: EntityManager, ownerId: string | null): Promise<number> {
  const rows = await sql<{ n: number }>(em, 'select count(*)::int as n from canned_response where owner_id is not distinct from $1', [ownerId]);
  return rows[0].n;
}

/** Unique per owner: a duplicate shortcut is a unique violation (canned_response_shortcut). */
export async function insert(em: EntityManager, c: Omit<CannedRow, 'id' | 'updatedAt'>): Promise<CannedRow> {
  const rows = await sql(
    em,
    `insert into canned_response (id, owner_id, shortcut, title, body, updated_at) values (gen_random_uuid(), $1, $2, $3, $4, now()) returning ${COLUMNS}`,
    [c.ownerId, c.shortcut, c.title, c.body],
  );
  return toCanned(rows[0]);
}

export async function update(em: EntityManager, id: string, c: Omit<CannedRow, 'id' | 'updatedAt'>): Promise<CannedRow | null> {
  const rows = await sql(
    em,
    `update canned_response set owner_id = $2, shortcut = $3, title = $4, body = $5, updated_at = now() where id = $1 returning ${COLUMNS}`,
    [id, c.ownerId, c.shortcut, c.title, c.body],
  );
  return rows.length ? toCanned(rows[0]) : null;
}

export async function remove(em: EntityManager, id: string): Promise<boolean> {
  return (await sql(em, 'delete from canned_response where id = $1 returning id', [id])).length > 0;
}
