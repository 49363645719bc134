import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../auth/tokens';
import { AgentRole, ChatSession, SessionStatus } from '../entities';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { isUuid } from '../db/sql';

/**
 * Who may see what (contract: "Who may do what"). A session the caller may not see does not
 * exist for it: the same NOT_FOUND, with the same message, as an id that never existed.
 */
export type Party = 'customer' | 'agent' | 'supervisor';

export function isSupervisor(viewer: Viewer): boolean {
  return viewer.kind === 'agent' && viewer.role === AgentRole.SUPERVISOR;
}

/** The session's customer, its agent, any supervisor, and any agent while it is QUEUED. */
export function canSee(viewer: Viewer, session: Pick<ChatSession, 'customerId' | 'agentId' | 'status'>): boolean {
  if (viewer.kind === 'visitor') return session.customerId === viewer.customerId;
  if (viewer.kind === 'agent') {
    return viewer.role === AgentRole.SUPERVISOR || session.agentId === viewer.agentId || session.status === SessionStatus.QUEUED;
  }
  return false;
}

/** Which of the allowed parties the viewer is for this session, if any. */
export function partyOf(viewer: Viewer, session: Pick<ChatSession, 'customerId' | 'agentId'>, allowed: readonly Party[]): Party | undefined {
  if (viewer.kind === 'visitor' && allowed.includes('customer') && session.customerId === viewer.customerId) return 'customer';
  if (viewer.kind === 'agent') {
    if (allowed.includes('agent') && session.agentId === viewer.agentId) return 'agent';
    if (allowed.includes('supervisor') && viewer.role === AgentRole.SUPERVISOR) return 'supervisor';
  }
  return undefined;
}

export function requireSignedIn(viewer: Viewer): asserts viewer is Exclude<Viewer, { kind: 'anonymous' }> {
  if (viewer.kind === 'anonymous') throw new UnauthenticatedError();
}

export function requireAgent(viewer: Viewer): asserts viewer is Extract<Viewer, { kind: 'agent' }> {
  requireSignedIn(viewer);
  if (viewer.kind !== 'agent') throw new ForbiddenError('Only agents may do that.');
}

export function requireSupervisor(viewer: Viewer): asserts viewer is Extract<Viewer, { kind: 'agent' }> {
  requireAgent(viewer);
  if (viewer.role !== AgentRole.SUPERVISOR) throw new ForbiddenError('Only supervisors may do that.');
}

/** The agent itself or a supervisor (decided from the token alone: no read, no lock). */
export function requireSelfOrSupervisor(viewer: Viewer, agentId: string): asserts viewer is Extract<Viewer, { kind: 'agent' }> {
  requireAgent(viewer);
  if (viewer.agentId !== agentId && viewer.role !== AgentRole.SUPERVISOR) {
    throw new ForbiddenError('Only the agent itself or a supervisor may change an agent.');
  }
}

/**
 * Loads a session and checks the viewer is one of `allowed`: NOT_FOUND when the viewer may not
 * see it at all, FORBIDDEN when it may see it but not act (e.g. a supervisor sending a message).
 * With `lock`, the row is locked FOR UPDATE (call inside a transaction).
 */
export async function authorizeSession(
  em: EntityManager,
  viewer: Viewer,
  sessionId: string,
  allowed: readonly Party[],
  lock = false,
): Promise<{ session: ChatSession; party: Party }> {
  requireSignedIn(viewer);
  if (!isUuid(sessionId)) throw new NotFoundError();
  const row = await em.execute<Array<Record<string, unknown>>>(
    `select * from chat_session where id = ?${lock ? ' for update' : ''}`,
    [sessionId],
  );
  if (!row.length) throw new NotFoundError();
  const session = em.map(ChatSession, row[0]);
  if (!canSee(viewer, session) && !partyOf(viewer, session, allowed)) throw new NotFoundError();
  const party = partyOf(viewer, session, allowed);
  if (!party) throw new ForbiddenError('Only the session\'s ' + allowed.join(' or ') + ' may do that.');
  return { session, party };
}
