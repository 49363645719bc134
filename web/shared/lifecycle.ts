/**
 * Lifecycle steps shown inline in a transcript ("Bob joined", "Transferred to Alice", "Chat
 * ended by you"), derived from two successive states of a session as sessionUpdated delivers
 * them. Nothing is stored as a message: seq stays the visitors' and agents' own.
 */
export interface Lifecycle {
  status: 'QUEUED' | 'ACTIVE' | 'CLOSED';
  agent: { id: string; name: string } | null;
}

export interface Viewpoint {
  /** The console's agent, or null for the visitor. */
  me: string | null;
  /** This side ended the chat itself (its closeChat). */
  endedHere: boolean;
}

/** The steps' words; the widget passes its language's (web/widget/i18n.ts). */
export interface LifecycleWords {
  endedBeforeJoin: string;
  endedByYou: string;
  endedByVisitor: string;
  endedBy(name: string): string;
  theTeam: string;
  backInQueue: string;
  leftWaiting(name: string): string;
  theAgent: string;
  you: string;
  transferredTo(name: string): string;
  youJoined: string;
  joined(name: string): string;
}

export const ENGLISH_STEPS: LifecycleWords = {
  endedBeforeJoin: 'Chat ended before anyone joined',
  endedByYou: 'Chat ended by you',
  endedByVisitor: 'Chat ended by the visitor',
  endedBy: (name) => `Chat ended by ${name}`,
  theTeam: 'the team',
  backInQueue: 'Back in the queue',
  leftWaiting: (name) => `${name} left; waiting for someone else`,
  theAgent: 'The agent',
  you: 'you',
  transferredTo: (name) => `Transferred to ${name}`,
  youJoined: 'You joined',
  joined: (name) => `${name} joined`,
};

export function lifecycleNote(prev: Lifecycle, next: Lifecycle, view: Viewpoint, w: LifecycleWords = ENGLISH_STEPS): string | null {
  if (next.status === 'CLOSED') {
    if (prev.status === 'CLOSED') return null;
    if (prev.status === 'QUEUED') return w.endedBeforeJoin;
    if (view.endedHere) return w.endedByYou;
    if (view.me) return w.endedByVisitor;
    return w.endedBy(next.agent?.name ?? prev.agent?.name ?? w.theTeam);
  }
  if (next.status === 'QUEUED') {
    if (prev.status !== 'ACTIVE') return null;
    return view.me ? w.backInQueue : w.leftWaiting(prev.agent?.name ?? w.theAgent);
  }
  if (!next.agent || next.agent.id === prev.agent?.id) return null;
  const name = next.agent.id === view.me ? w.you : next.agent.name;
  if (prev.agent && prev.status === 'ACTIVE') return w.transferredTo(name);
  return next.agent.id === view.me ? w.youJoined : w.joined(next.agent.name);
}
