import type { EntityManager } from '@mikro-orm/postgresql';
import * as sessions from '../db/sessions';
import { authorizeOn, requireSignedIn, type Role, type SessionAction, type Actor } from '../policies';

/**
 * Loads a session and asks the policy whether the viewer may do `action` on it: NOT_FOUND when
 * the viewer may not see it at all (the same as an id that never existed), FORBIDDEN when it may
 * see it but not act (e.g. a supervisor sending a message). With `lock`, the row is locked FOR
 * UPDATE (call inside a transaction). The decision itself is `policies/`'s.
 */
export async function authorizeSession(
  em: EntityManager,
  viewer: Actor,
  sessionId: string,
  action: SessionAction,
  lock = false,
): Promise<{ session: sessions.SessionRow; role: Role }> {
  return authorizeRead((id) => sessions.byId(em, id, lock), viewer, sessionId, action);
}

/** authorizeSession with the session read by `read` (e.g. `sessions.sharedReads`, for subscriptions starting). */
export async function authorizeRead(
  read: (id: string) => Promise<sessions.SessionRow | null>,
  viewer: Actor,
  sessionId: string,
  action: SessionAction,
): Promise<{ session: sessions.SessionRow; role: Role }> {
  requireSignedIn(viewer);
  const session = await read(sessionId);
  const role = authorizeOn(viewer, action, session);
  return { session: session!, role };
}
