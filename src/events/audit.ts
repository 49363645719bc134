import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../policies';
import * as sessionEvents from '../db/session-events';
import { EventKind } from '../entities';
import type { Effects } from './effects';

/**
 * The audit trail: every lifecycle step of a session (created, queued, assigned, transferred,
 * requeued, reassigned, closed, rated) is a `session_event` row written in the transaction of the change, so
 * it exists exactly when the change committed. `agentMetrics` is computed from these rows.
 */
export type AuditStep = sessionEvents.SessionEventRow;

/**
 * Appends one step. `at` is the clock, not the transaction's start: several steps of one
 * transaction (created, assigned) must keep their order, and an assignment made after waiting for
 * the routing lock happened when it was made.
 */
export function record(em: EntityManager, effects: Effects, step: AuditStep): Promise<void> {
  effects.steps.push(step);
  return sessionEvents.insert(em, step);
}

/** Routing's assignments, one `assigned` step each, by the system, in the order they were made. */
export function recordAssignments(
  em: EntityManager,
  effects: Effects,
  assignments: ReadonlyArray<{ sessionId: string; agentId: string; data?: Record<string, unknown> }>,
): Promise<void> {
  for (const a of assignments) effects.steps.push({ sessionId: a.sessionId, kind: EventKind.ASSIGNED, actorKind: 'system', agentId: a.agentId, data: a.data });
  return sessionEvents.insertAssignments(em, EventKind.ASSIGNED, assignments.map((a) => a.sessionId), assignments.map((a) => a.data ?? {}));
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
