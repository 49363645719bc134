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

export function lifecycleNote(prev: Lifecycle, next: Lifecycle, view: Viewpoint): string | null {
  if (next.status === 'CLOSED') {
    if (prev.status === 'CLOSED') return null;
    if (prev.status === 'QUEUED') return 'Chat ended before anyone joined';
    if (view.endedHere) return 'Chat ended by you';
    if (view.me) return 'Chat ended by the visitor';
    return `Chat ended by ${next.agent?.name ?? prev.agent?.name ?? 'the team'}`;
  }
  if (next.status === 'QUEUED') {
    if (prev.status !== 'ACTIVE') return null;
    return view.me ? 'Back in the queue' : `${prev.agent?.name ?? 'The agent'} left; waiting for someone else`;
  }
  if (!next.agent || next.agent.id === prev.agent?.id) return null;
  const name = next.agent.id === view.me ? 'you' : next.agent.name;
  if (prev.agent && prev.status === 'ACTIVE') return `Transferred to ${name}`;
  return next.agent.id === view.me ? 'You joined' : `${next.agent.name} joined`;
}
