import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../policies';
import * as sessionEvents from '../db/session-events';
import { EventKind } from '../entities';

/**
 * The audit trail: every lifecycle step of a session (created, queued, assigned, transferred,
 * requeued, closed, rated) is a `session_event` row written in the transaction of the change, so
 * it exists exactly when the change committed. `agentMetrics` is computed from these rows.
 */
export type AuditStep = sessionEvents.SessionEventRow;

/**
 * Appends one step. `at` is the clock, not the transaction's start: several steps of one
 * transaction (created, assigned) must keep their order, and an assignment made after waiting for
 * the routing lock happened when it was made.
 */
export function record(em: EntityManager, step: AuditStep): Promise<void> {
  return sessionEvents.insert(em, step);
}

/** Routing's assignments, one `assigned` step each, by the system, in the order they were made. */
export function recordAssignments(em: EntityManager, sessionIds: readonly string[]): Promise<void> {
  return sessionEvents.insertAssignments(em, EventKind.ASSIGNED, sessionIds);
}

/** Whether anyone ever took the chat (assigned or transferred to). */
export function everAssigned(em: EntityManager, sessionId: string): Promise<boolean> {
  return sessionEvents.exists(em, sessionId, [EventKind.ASSIGNED, EventKind.TRANSFERRED]);
}

/** Who did it, as the trail records it. */
export function actorOf(viewer: Actor): Pick<AuditStep, 'actorKind' | 'actorId'> {
  if (viewer.kind === 'agent') return { actorKind: 'agent', actorId: viewer.agentId };
  if (viewer.kind === 'visitor') return { actorKind: 'visitor', actorId: viewer.customerId };
  if (viewer.kind === 'apiKey') return { actorKind: 'apiKey', actorId: viewer.keyId };
  return { actorKind: 'system', actorId: null };
}
