import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from './execute';
import { asDate } from './rows';
import { pgArray } from './sql';

/** The `upload` table: files sent to the desk, their owner, the message they were sent with. */
export interface UploadRow {
  id: string;
  ownerKind: 'visitor' | 'agent';
  ownerId: string;
  sessionId: string | null;
  messageId: string | null;
  name: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  createdAt: string;
}

const COLUMNS = 'id, owner_kind, owner_id, session_id, message_id, name, content_type, size, width, height, created_at';

export function toUpload(row: Record<string, unknown>): UploadRow {
  return {
    id: row.id as string,
    ownerKind: row.owner_kind as UploadRow['ownerKind'],
    ownerId: row.owner_id as string,
    sessionId: (row.session_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
    name: row.name as string,
    contentType: row.content_type as string,
    size: row.size as number,
    width: (row.width as number | null) ?? null,
    height: (row.height as number | null) ?? null,
    createdAt: asDate(row.created_at).toISOString(),
  };
}

/** A new upload; `data` null when the bytes live on disk (STORAGE_DIR). */
export async function insert(em: EntityManager, u: Omit<UploadRow, 'messageId' | 'createdAt'>, data: Buffer | null): Promise<UploadRow> {
  const rows = await sql(
    em,
    `insert into upload (id, owner_kind, owner_id, session_id, name, content_type, size, width, height, data)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning ${COLUMNS}`,
    [u.id, u.ownerKind, u.ownerId, u.sessionId, u.name, u.contentType, u.size, u.width, u.height, data],
  );
  return toUpload(rows[0]);
}

export async function byId(em: EntityManager, id: string): Promise<UploadRow | null> {
  const rows = await sql(em, `select ${COLUMNS} from upload where id = $1`, [id]);
  return rows.length ? toUpload(rows[0]) : null;
}

/** The stored bytes (Postgres storage), or null. */
export async function data(em: EntityManager, id: string): Promise<Buffer | null> {
  const rows = await sql<{ data: Buffer | null }>(em, 'select data from upload where id = $1', [id]);
  return rows[0]?.data ?? null;
}

/**
 * Ties unused uploads of one owner to a message, in the order given: those of `sessionId` (a
 * send) or, with `sessionId` null, those uploaded with no session (a startChat, which gives them
 * the new session). Returns how many were tied: fewer than asked means one is someone else's,
 * used already, for another session or unknown.
 */
export async function attach(
  em: EntityManager,
  a: { ids: readonly string[]; ownerId: string; sessionId: string | null; toSessionId: string; messageId: string },
): Promise<UploadRow[]> {
  const rows = await sql(
    em,
    `update upload u set message_id = $1, session_id = $2, position = a.i
       from unnest($3::uuid[]) with ordinality as a(id, i)
      where u.id = a.id and u.owner_id = $4 and u.message_id is null
        and ${a.sessionId === null ? 'u.session_id is null' : 'u.session_id = $5'}
     returning ${COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')}, a.i`,
    a.sessionId === null ? [a.messageId, a.toSessionId, pgArray(a.ids), a.ownerId] : [a.messageId, a.toSessionId, pgArray(a.ids), a.ownerId, a.sessionId],
  );
  return rows.sort((x, y) => Number(x.i) - Number(y.i)).map(toUpload);
}

/** The attachments of these messages, each message's in the order they were sent. */
export async function ofMessages(em: EntityManager, messageIds: readonly string[]): Promise<UploadRow[]> {
  const rows = await sql(em, `select ${COLUMNS} from upload where message_id = any($1::uuid[]) order by message_id, position`, [pgArray(messageIds)]);
  return rows.map(toUpload);
}

/** Uploads never sent, older than `hours`: deleted, their ids returned (the disk's files go too). */
export async function deleteUnused(em: EntityManager, hours: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, `delete from upload where message_id is null and created_at < now() - make_interval(hours => $1) returning id`, [hours]);
  return rows.map((r) => r.id);
}

/** Every upload of these sessions: deleted, ids returned. */
export async function deleteOfSessions(em: EntityManager, sessionIds: readonly string[]): Promise<string[]> {
  const rows = await sql<{ id: string }>(em, 'delete from upload where session_id = any($1::uuid[]) returning id', [pgArray(sessionIds)]);
  return rows.map((r) => r.id);
}

/** Every upload of a customer (its sessions' files, and what it uploaded and never sent): deleted, ids returned. */
export async function deleteOfCustomer(em: EntityManager, customerId: string): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    em,
    `delete from upload where owner_id = $1 or session_id in (select id from chat_session where customer_id = $1) returning id`,
    [customerId],
  );
  return rows.map((r) => r.id);
}
