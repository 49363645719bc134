import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotePayload } from '../pubsub/topics';
import { sql } from './execute';
import { pgArray } from './sql';
import { asDate } from './rows';

/** The `note` table: what agents write about a session for each other. No customer path reads it. */
const COLUMNS = 'id, session_id, author_id, author_name, body, created_at';

function toNote(row: Record<string, unknown>): NotePayload {
  return {
    id: row.id as string,
    sessionId: row.session_id as string,
    authorId: (row.author_id as string | null) ?? null,
    authorName: row.author_name as string,
    body: row.body as string,
    createdAt: asDate(row.created_at).toISOString(),
  };
}

export async function insert(em: EntityManager, n: { sessionId: string; authorId: string | null; authorName: string; body: string }): Promise<NotePayload> {
  const rows = await sql(
    em,
    `insert into note (id, session_id, author_id, author_name, body, created_at)
     values (gen_random_uuid(), $1, $2, $3, $4, clock_timestamp()) returning ${COLUMNS}`,
    [n.sessionId, n.authorId, n.authorName, n.body],
  );
  return toNote(rows[0]);
}

/** A session's notes, oldest first (at most 500). */
export async function ofSession(em: EntityManager, sessionId: string): Promise<NotePayload[]> {
  const rows = await sql(em, `select ${COLUMNS} from note where session_id = $1 order by created_at, id limit 500`, [sessionId]);
  return rows.map(toNote);
}

/** Erasure: the notes on these sessions lose their text (agents write about the customer in them). */
export async function eraseIn(em: EntityManager, sessionIds: readonly string[]): Promise<void> {
  if (sessionIds.length) await sql(em, `update note set body = '' where session_id = any($1::uuid[]) and body <> ''`, [pgArray(sessionIds)]);
}
