import type { Viewer } from '../auth/tokens';
import { AgentRole } from '../entities/enums';

/** The scopes an API key may hold (contract, partners: "API keys"). */
export type ApiScope = 'CHATS_READ' | 'CHATS_WRITE' | 'AGENTS_READ' | 'AGENTS_WRITE' | 'METRICS_READ' | 'WEBHOOKS_MANAGE';

/**
 * An API key acts as the organisation: it sees every session, like a supervisor, but may do only
 * what its scopes allow (partners extension; issued by services/api-keys.ts).
 */
export interface ApiKeyViewer {
  kind: 'apiKey';
  keyId: string;
  name: string;
  scopes: readonly ApiScope[];
}

/** Everyone the policy decides for: the token's viewers, and API keys. */
export type Actor = Viewer | ApiKeyViewer;

export type SignedIn = Exclude<Actor, { kind: 'anonymous' }>;
export type AgentViewer = Extract<Viewer, { kind: 'agent' }>;

export const isSupervisor = (actor: Actor): boolean => actor.kind === 'agent' && actor.role === AgentRole.SUPERVISOR;

export const hasScope = (actor: Actor, scope: ApiScope): boolean => actor.kind === 'apiKey' && actor.scopes.includes(scope);

/** Who is behind a viewer (rate-limit keys, authorship): the customer, the agent, the key; null for the anonymous. */
export function personId(viewer: Actor): string | null {
  switch (viewer.kind) {
    case 'visitor':
      return viewer.customerId;
    case 'agent':
      return viewer.agentId;
    case 'apiKey':
      return viewer.keyId;
    default:
      return null;
  }
}
