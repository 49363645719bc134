import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiScope } from '../policies/viewer';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/** The `api_key` table: its columns, its one mapper, its statements. Only the secret's hash is stored. */
export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: ApiScope[];
  prefix: string;
  createdById: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = 'id, name, scopes, prefix, created_by, created_at, last_used_at, revoked_at';

const at = (value: unknown): Date | null => (value === null || value === undefined ? null : asDate(value));

export function toApiKey(row: Record<string, unknown>): ApiKeyRow {
  return {
    id: row.id as string,
    name: row.name as string,
    scopes: row.scopes as ApiScope[],
    prefix: row.prefix as string,
    createdById: (row.created_by as string | null) ?? null,
    createdAt: asDate(row.created_at),
    lastUsedAt: at(row.last_used_at),
    revokedAt: at(row.revoked_at),
  };
}

export async function insert(
  em: EntityManager,
  k: { id: string; name: string; scopes: readonly ApiScope[]; prefix: string; secretHash: Buffer; createdById: string },
): Promise<ApiKeyRow> {
  const rows = await sql(
    em,
    `insert into api_key (id, name, scopes, prefix, secret_hash, created_by, created_at)
     values ($1, $2, $3::text[], $4, $5, $6, now()) returning ${COLUMNS}`,
    [k.id, k.name, pgArray(k.scopes), k.prefix, k.secretHash, k.createdById],
  );
  return toApiKey(rows[0]);
}

/** Serialises key creation for the rest of the transaction (so that the cap below holds under concurrency). */
export async function lockCreation(em: EntityManager): Promise<void> {
  await sql(em, "select pg_advisory_xact_lock(hashtext('api_key.create'))");
}

/** Keys not revoked (a cap on how many may be live at once). */
export async function countLive(em: EntityManager): Promise<number> {
  const [row] = await sql<{ n: number }>(em, 'select count(*)::int as n from api_key where revoked_at is null');
  return row.n;
}

/** Newest first. */
export async function list(em: EntityManager): Promise<ApiKeyRow[]> {
  return (await sql(em, `select ${COLUMNS} from api_key order by created_at desc, id desc`)).map(toApiKey);
}

export async function byId(em: EntityManager, id: string): Promise<ApiKeyRow | null> {
  const rows = await sql(em, `select ${COLUMNS} from api_key where id = $1`, [id]);
  return rows.length ? toApiKey(rows[0]) : null;
}

/** The key whose secret hashes to this, revoked or not. */
export async function byHash(em: EntityManager, secretHash: Buffer): Promise<ApiKeyRow | null> {
  const rows = await sql(em, `select ${COLUMNS} from api_key where secret_hash = $1`, [secretHash]);
  return rows.length ? toApiKey(rows[0]) : null;
}

/** Sets revoked_at once (a second revocation keeps the first time). */
export async function revoke(em: EntityManager, id: string): Promise<ApiKeyRow | null> {
  const rows = await sql(em, `update api_key set revoked_at = coalesce(revoked_at, now()) where id = $1 returning ${COLUMNS}`, [id]);
  return rows.length ? toApiKey(rows[0]) : null;
}

/** lastUsedAt, at most once a minute per key (the statement skips a fresher one). */
export async function touch(em: EntityManager, id: string): Promise<void> {
  await sql(em, `update api_key set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')`, [id]);
}

/** Of these ids, the ones revoked (a socket registry re-checks its keys after a bus outage). */
export async function revokedAmong(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, 'select id from api_key where id = any($1::uuid[]) and revoked_at is not null', [pgArray(ids)]);
  return rows.map((r) => r.id);
}
