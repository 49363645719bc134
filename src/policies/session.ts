import { SessionStatus, type ChatSession } from '../entities';
import { hasScope, isSupervisor, type Actor, type ApiScope } from './viewer';

/** What the policy needs of a session: who it belongs to and where it is in its life. */
export type SessionResource = Pick<ChatSession, 'customerId' | 'agentId' | 'status'>;

/**
 * The part a viewer plays in one session: its customer, its assigned agent, any supervisor, an
 * API key (the organisation), or a teammate (any other agent: it sees the session while QUEUED).
 */
export type Role = 'customer' | 'agent' | 'supervisor' | 'apiKey' | 'teammate';

export type SessionAction =
  /** `session(id)`, `sessionUpdated`, and the session in any answer. */
  | 'session.read'
  /** `messageAdded`, `typing`: the conversation itself. */
  | 'session.watch'
  | 'message.send'
  | 'session.close'
  | 'session.rate'
  | 'session.transfer'
  | 'session.markRead'
  | 'session.typing'
  /** `emailTranscript` (desk): the transcript to the customer's own email. */
  | 'session.emailTranscript'
  /** The desk's side of a session (notes, tags, visitor context, events, `noteAdded`): never its customer. */
  | 'session.desk'
  | 'note.add'
  | 'session.tag'
  /** `updateVisitorContext`: the page the customer is on. */
  | 'session.context'
  /** `POST /uploads` for this session: who may send it messages. */
  | 'file.upload';

interface SessionRule {
  /** Who may, in this order of precedence (the first that matches is the part played). */
  roles: readonly Role[];
  /** What an API key needs for it (keys never do what has no scope). */
  scope?: ApiScope;
  /** Which state the session must be in for that part, else the CONFLICT to answer. */
  state?: (session: SessionResource, role: Role) => string | null;
}

/**
 * The send statement's guard (`db/messages.ts`) repeats `message.send` in SQL, for speed:
 * test/policy.test.ts proves the two agree on every (viewer, session state) pair.
 */
const open = (s: SessionResource): string | null => (s.status === SessionStatus.CLOSED ? 'This chat is closed.' : null);
const sendable = (s: SessionResource, role: Role): string | null =>
  open(s) ?? (role === 'agent' && s.status !== SessionStatus.ACTIVE ? 'This chat is not active.' : null);

/** One line per action: who may act on a session (contract: "Who may do what"). */
const RULES: Record<SessionAction, SessionRule> = {
  'session.read': { roles: ['customer', 'agent', 'supervisor', 'apiKey', 'teammate'], scope: 'CHATS_READ' },
  'session.watch': { roles: ['customer', 'agent', 'supervisor', 'apiKey'], scope: 'CHATS_READ' },
  // A key's message is stored as SYSTEM, with the key's name (partners: CHATS_WRITE).
  'message.send': { roles: ['customer', 'agent', 'apiKey'], scope: 'CHATS_WRITE', state: sendable },
  'session.close': { roles: ['customer', 'agent', 'supervisor', 'apiKey'], scope: 'CHATS_WRITE' },
  'session.rate': { roles: ['customer'] },
  'session.transfer': { roles: ['agent', 'supervisor', 'apiKey'], scope: 'CHATS_WRITE' },
  'session.markRead': { roles: ['customer', 'agent'] },
  'session.typing': { roles: ['customer', 'agent'], state: open },
  'session.emailTranscript': { roles: ['customer'] },
  'session.desk': { roles: ['agent', 'supervisor', 'apiKey', 'teammate'], scope: 'CHATS_READ' },
  'note.add': { roles: ['agent', 'supervisor', 'apiKey'], scope: 'CHATS_WRITE' },
  'session.tag': { roles: ['agent', 'supervisor', 'apiKey'], scope: 'CHATS_WRITE' },
  'session.context': { roles: ['customer'], state: open },
  'file.upload': { roles: ['customer', 'agent'], state: sendable },
};

function plays(actor: Actor, session: SessionResource, role: Role, scope: ApiScope | undefined): boolean {
  switch (role) {
    case 'customer':
      return actor.kind === 'visitor' && session.customerId === actor.customerId;
    case 'agent':
      return actor.kind === 'agent' && session.agentId === actor.agentId;
    case 'supervisor':
      return isSupervisor(actor);
    case 'apiKey':
      return scope !== undefined && hasScope(actor, scope);
    case 'teammate':
      return actor.kind === 'agent' && session.status === SessionStatus.QUEUED;
  }
}

/** The part the actor plays for `action` on this session, or undefined when it may not act. */
export function roleFor(actor: Actor, action: SessionAction, session: SessionResource): Role | undefined {
  const rule = RULES[action];
  return rule.roles.find((role) => plays(actor, session, role, rule.scope));
}

/** Why the session's state refuses the action to that part (CONFLICT), or null. */
export function stateRefusal(action: SessionAction, session: SessionResource, role: Role): string | null {
  return RULES[action].state?.(session, role) ?? null;
}

export function canOnSession(actor: Actor, action: SessionAction, session: SessionResource): boolean {
  const role = roleFor(actor, action, session);
  return role !== undefined && stateRefusal(action, session, role) === null;
}

/** Who the refusal names: "Only the session's customer or agent may do that." */
export function refusalMessage(action: SessionAction): string {
  const people = RULES[action].roles.filter((r) => r !== 'apiKey' && r !== 'teammate');
  return `Only the session's ${people.join(' or ')} may do that.`;
}

export const scopeOf = (action: SessionAction): ApiScope | undefined => RULES[action].scope;
