import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { canOnSession, refusalMessage, roleFor, scopeOf, stateRefusal, type Role, type SessionAction, type SessionResource } from './session';
import { AGENTS_ONLY, canOnTeam, needsAgent, teamRule, type TeamAction } from './team';
import { hasScope, isSupervisor, type Actor, type AgentViewer, type ApiKeyViewer, type ApiScope } from './viewer';

/**
 * The one access decision (in the spirit of Outline's `server/policies/`): who may do what, for
 * every action of the contract, for every kind of viewer (visitor, agent, supervisor, API key with
 * scopes). Services ask it; nothing else decides access. The rules are data, one line per
 * action, in `session.ts` (actions on one session) and `team.ts` (the desk, one agent).
 */
export function can(actor: Actor, action: SessionAction, session: SessionResource): boolean;
export function can(actor: Actor, action: 'agent.update' | 'metrics.read', target: string | null): boolean;
export function can(actor: Actor, action: Exclude<TeamAction, 'agent.update' | 'metrics.read'>): boolean;
export function can(actor: Actor, action: SessionAction | TeamAction, resource?: SessionResource | string | null): boolean {
  if (typeof resource === 'object' && resource !== null) return canOnSession(actor, action as SessionAction, resource);
  return canOnTeam(actor, action as TeamAction, resource);
}

const lacksScope = (scope: ApiScope | undefined) => new ForbiddenError(scope ? `This API key lacks the scope ${scope}.` : 'API keys may not do that.');

/**
 * The part the actor plays, or the contract's refusal: UNAUTHENTICATED for the anonymous,
 * NOT_FOUND (the same as an id that never existed) when it may not see the session at all,
 * FORBIDDEN when it sees it but may not act. The session's state is not judged here (see
 * `refuseState`): a retried send is answered before its state is.
 */
export function authorizeOn(actor: Actor, action: SessionAction, session: SessionResource | null): Role {
  if (actor.kind === 'anonymous') throw new UnauthenticatedError();
  requireScope(actor, action);
  if (!session || !roleFor(actor, 'session.read', session)) {
    // A key acts as the organisation: with the action's scope every session exists for it.
    if (session && actor.kind === 'apiKey') return 'apiKey';
    throw new NotFoundError();
  }
  const role = roleFor(actor, action, session);
  if (role) return role;
  throw new ForbiddenError(refusalMessage(action));
}

/**
 * A key without the scope of `action` is refused before anything is read (FORBIDDEN naming the
 * scope); with it, the action's other rules (the session's state) still apply. Others: no-op.
 */
export function requireScope(actor: Actor, action: SessionAction): void {
  if (actor.kind !== 'apiKey') return;
  const scope = scopeOf(action);
  if (!scope || !hasScope(actor, scope)) throw lacksScope(scope);
}

/** CONFLICT when the session's state refuses the action to that part (a closed chat, say). */
export function refuseState(action: SessionAction, session: SessionResource, role: Role): void {
  const refusal = stateRefusal(action, session, role);
  if (refusal) throw new ConflictError(refusal);
}

/** `authorizeOn` for actions without a session: throws UNAUTHENTICATED or FORBIDDEN. */
export function authorize(actor: Actor, action: 'agent.update' | 'metrics.read', target: string | null): asserts actor is AgentViewer | ApiKeyViewer;
export function authorize(actor: Actor, action: 'sessions.mine' | 'upload.unbound'): asserts actor is Extract<Actor, { kind: 'visitor' }>;
export function authorize(actor: Actor, action: 'chat.start' | 'availability.read' | 'hours.read'): void;
/** Actions no key may take (no scope grants them): whoever passes is an agent. */
export function authorize(actor: Actor, action: 'apiKeys.manage' | 'status.set' | 'assigned.watch'): asserts actor is AgentViewer;
export function authorize(
  actor: Actor,
  action: Exclude<TeamAction, 'agent.update' | 'metrics.read' | 'sessions.mine' | 'upload.unbound' | 'chat.start' | 'availability.read' | 'hours.read'>,
): asserts actor is AgentViewer | ApiKeyViewer;
export function authorize(actor: Actor, action: TeamAction, target?: string | null): void {
  if (canOnTeam(actor, action, target)) return;
  if (actor.kind === 'anonymous') throw new UnauthenticatedError();
  if (actor.kind === 'apiKey') throw lacksScope(teamRule(action).scope);
  throw new ForbiddenError(actor.kind === 'visitor' && needsAgent(action) ? AGENTS_ONLY : teamRule(action).refusal);
}

/**
 * Whether the actor's right to watch a session can change while it watches: only an agent's (not
 * a supervisor's) does, when the session is transferred away or requeued. Customers, supervisors
 * and keys never lose sight of a session, so their streams need no re-check.
 */
export const sightFollowsAssignment = (actor: Actor): boolean => actor.kind === 'agent' && !isSupervisor(actor);

/** Any signed-in viewer (the first check of every operation on a session). */
export function requireSignedIn<A extends Actor>(actor: A): asserts actor is Exclude<A, { kind: 'anonymous' }> {
  if (actor.kind === 'anonymous') throw new UnauthenticatedError();
}

export type { Role, SessionAction, SessionResource } from './session';
export type { TeamAction } from './team';
export { hasScope, isSupervisor, personId, type Actor, type AgentViewer, type ApiKeyViewer, type ApiScope, type SignedIn } from './viewer';
