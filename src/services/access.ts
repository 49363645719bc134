import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { ChatSession } from '../entities';
import { isUuid } from '../db/sql';
import { authorizeOn, requireSignedIn, type Role, type SessionAction } from '../policies';

/**
 * Loads a session and asks the policy whether the viewer may do `action` on it: NOT_FOUND when
 * the viewer may not see it at all (the same as an id that never existed), FORBIDDEN when it may
 * see it but not act (e.g. a supervisor sending a message). With `lock`, the row is locked FOR
 * UPDATE (call inside a transaction). The decision itself is `policies/`'s.
 */
export async function authorizeSession(
  em: EntityManager,
  viewer: Viewer,
  sessionId: string,
  action: SessionAction,
  lock = false,
): Promise<{ session: ChatSession; role: Role }> {
  requireSignedIn(viewer);
  if (!isUuid(sessionId)) authorizeOn(viewer, action, null);
  const row = await em.execute<Array<Record<string, unknown>>>(
    `select * from chat_session where id = ?${lock ? ' for update' : ''}`,
    [sessionId],
  );
  const session = row.length ? em.map(ChatSession, row[0]) : null;
  const role = authorizeOn(viewer, action, session);
  return { session: session!, role };
}
