import { hasScope, isSupervisor, type Actor, type ApiScope } from './viewer';

/** Actions on the desk as a whole, or on one agent (`target`: its id, or null for the team). */
export type TeamAction =
  | 'chat.start'
  /** `mySessions`: a visitor's own sessions. */
  | 'sessions.mine'
  /** `sessions`: an agent's own; see `sessions.all` for everyone's. */
  | 'sessions.list'
  | 'sessions.all'
  /** `queue`, `queueUpdated`. */
  | 'queue.read'
  /** `agents`, `agentUpdated`. */
  | 'agents.read'
  /** `sessionAssigned`: chats routed to me (keys are never routed to). */
  | 'assigned.watch'
  | 'agent.create'
  /** `setStatus`: an agent's own availability (keys are never online). */
  | 'status.set'
  /** `updateAgent` of `target`. */
  | 'agent.update'
  /** `agentMetrics` of `target` (null: the team). */
  | 'metrics.read'
  /** `allAgents`, and `updateAgent`'s role, active and email: running the team (team extension). */
  | 'team.manage'
  /** `changePassword`: an agent's own. */
  | 'password.change'
  /** `resetAgentPassword`: another agent's. */
  | 'password.reset'
  /** The CSV exports (`GET /api/v1/exports/…`). */
  | 'exports.read'
  /** `customerExport`, `eraseCustomer`: personal data. */
  | 'customer.data'
  /** `apiKeys`, `createApiKey`, `revokeApiKey`: supervisors only; keys never manage keys. */
  | 'apiKeys.manage'
  /** `availability`: anyone, anonymous included (desk). */
  | 'availability.read'
  /** `businessHours`: anyone (desk). */
  | 'hours.read'
  /** `setBusinessHours` (desk). */
  | 'hours.set'
  /** Webhook endpoints and their deliveries (partners: "Webhooks"). */
  | 'webhooks.manage'
  /** `POST /uploads` with no session: a visitor's file for its next `startChat`. */
  | 'upload.unbound'
  /** `cannedResponses`: the team's and one's own. */
  | 'canned.read'
  /** Write a personal canned response (`target`: its owner, the caller). */
  | 'canned.own'
  /** Write the team's canned responses. */
  | 'canned.team'
  /** `Customer.sessions`: a customer's history (an agent's is limited to customers it is chatting with). */
  | 'history.read';

type Who = 'anonymous' | 'visitor' | 'agent' | 'self' | 'supervisor';

interface TeamRule {
  allow: readonly Who[];
  scope?: ApiScope;
  /** The FORBIDDEN message for a signed-in person who may not. */
  refusal: string;
}

const AGENTS_ONLY = 'Only agents may do that.';

/** One line per action. */
const RULES: Record<TeamAction, TeamRule> = {
  'chat.start': { allow: ['anonymous', 'visitor'], scope: 'CHATS_WRITE', refusal: 'Agents cannot start chats; use a visitor token or none.' },
  'sessions.mine': { allow: ['visitor'], refusal: 'mySessions is for visitors; agents use sessions.' },
  'sessions.list': { allow: ['agent'], scope: 'CHATS_READ', refusal: AGENTS_ONLY },
  'sessions.all': { allow: ['supervisor'], scope: 'CHATS_READ', refusal: 'Only supervisors may do that.' },
  'queue.read': { allow: ['agent'], scope: 'CHATS_READ', refusal: AGENTS_ONLY },
  'agents.read': { allow: ['agent'], scope: 'AGENTS_READ', refusal: AGENTS_ONLY },
  'assigned.watch': { allow: ['agent'], refusal: AGENTS_ONLY },
  'agent.create': { allow: ['supervisor'], scope: 'AGENTS_WRITE', refusal: 'Only supervisors may do that.' },
  'status.set': { allow: ['agent'], refusal: AGENTS_ONLY },
  'agent.update': { allow: ['self', 'supervisor'], scope: 'AGENTS_WRITE', refusal: 'Only the agent itself or a supervisor may change an agent.' },
  'metrics.read': { allow: ['self', 'supervisor'], scope: 'METRICS_READ', refusal: 'Agents see their own metrics only.' },
  'team.manage': { allow: ['supervisor'], refusal: 'Only supervisors may do that.' },
  'password.change': { allow: ['agent'], refusal: AGENTS_ONLY },
  'password.reset': { allow: ['supervisor'], refusal: 'Only supervisors may do that.' },
  'exports.read': { allow: ['supervisor'], scope: 'METRICS_READ', refusal: 'Only supervisors may export.' },
  'customer.data': { allow: ['supervisor'], refusal: 'Only supervisors may do that.' },
  'apiKeys.manage': { allow: ['supervisor'], refusal: 'Only supervisors may manage API keys.' },
  'availability.read': { allow: ['anonymous', 'visitor', 'agent'], scope: 'CHATS_READ', refusal: 'You may not do that.' },
  'hours.read': { allow: ['anonymous', 'visitor', 'agent'], scope: 'CHATS_READ', refusal: 'You may not do that.' },
  'hours.set': { allow: ['supervisor'], scope: 'AGENTS_WRITE', refusal: 'Only supervisors may do that.' },
  'webhooks.manage': { allow: ['supervisor'], scope: 'WEBHOOKS_MANAGE', refusal: 'Only supervisors may do that.' },
  'upload.unbound': { allow: ['visitor'], refusal: 'Only a visitor may upload a file without a sessionId (for its next startChat).' },
  'canned.read': { allow: ['agent'], refusal: AGENTS_ONLY },
  'canned.own': { allow: ['agent'], refusal: AGENTS_ONLY },
  'canned.team': { allow: ['supervisor'], refusal: "Only supervisors may write the team's canned responses." },
  'history.read': { allow: ['agent'], scope: 'CHATS_READ', refusal: AGENTS_ONLY },
};

function matches(actor: Actor, who: Who, target: string | null | undefined): boolean {
  switch (who) {
    case 'anonymous':
    case 'visitor':
    case 'agent':
      return actor.kind === who;
    case 'self':
      return actor.kind === 'agent' && target === actor.agentId;
    case 'supervisor':
      return isSupervisor(actor);
  }
}

export function canOnTeam(actor: Actor, action: TeamAction, target?: string | null): boolean {
  const rule = RULES[action];
  if (actor.kind === 'apiKey') return rule.scope !== undefined && hasScope(actor, rule.scope);
  // A supervisor is an agent: whatever any agent may, it may.
  return rule.allow.some((who) => matches(actor, who, target) || (who === 'agent' && isSupervisor(actor)));
}

export function teamRule(action: TeamAction): Readonly<TeamRule> {
  return RULES[action];
}

/** Actions on one agent need an agent token first: a visitor is told "only agents", not "only itself". */
export const needsAgent = (action: TeamAction): boolean => RULES[action].allow.every((who) => who === 'agent' || who === 'self' || who === 'supervisor');

export { AGENTS_ONLY };
