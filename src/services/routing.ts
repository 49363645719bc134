import type { EntityManager } from '@mikro-orm/postgresql';
import { asDate } from '../db/rows';
import * as agents from '../db/agents';
import * as locks from '../db/locks';
import * as sessions from '../db/sessions';
import { ConflictError, NotFoundError } from '../errors';
import * as audit from '../events/audit';
import type { Effects } from '../events/effects';
import type { AppMetrics } from '../metrics';
import type { Presence } from './presence';

/**
 * Routing (contract: "Routing"). It runs inside the caller's transaction under one
 * transaction-scoped advisory lock, taken by every transaction that changes who holds what
 * (start, close, transfer, status, capacity, presence). Serialising routing is what makes the
 * invariants hold across any number of instances: no agent above capacity, one agent per
 * session, and no session left queued while an agent that can take it is available (a queue
 * insert and a freed slot cannot pass each other unseen). Routing transactions are short
 * (a few statements), so one lock costs little at support-desk rates. Routing is the only writer
 * of `agent.active_chats` (drain, takeSlot, releaseSlot, releaseAll).
 */
export const ROUTING_LOCK = 7_310_002;

interface Candidate {
  id: string;
  skills: string[];
  activeChats: number;
  maxConcurrentChats: number;
  lastAssignedAt: number;
}

export interface Assignment {
  sessionId: string;
  agentId: string;
}

/** Least active chats first, then the oldest last assignment (never assigned: oldest of all). */
export function pickAgent(candidates: readonly Candidate[], skill: string | null, exclude?: string): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (c.activeChats >= c.maxConcurrentChats || c.id === exclude) continue;
    if (skill !== null && !c.skills.includes(skill)) continue;
    if (
      !best ||
      c.activeChats < best.activeChats ||
      (c.activeChats === best.activeChats && c.lastAssignedAt < best.lastAssignedAt) ||
      (c.activeChats === best.activeChats && c.lastAssignedAt === best.lastAssignedAt && c.id < best.id)
    ) {
      best = c;
    }
  }
  return best;
}

export class Routing {
  constructor(
    private readonly presence: Presence,
    private readonly metrics: AppMetrics,
  ) {}

  async isOnline(agentId: string): Promise<boolean> {
    return (await this.presence.onlineIds()).has(agentId);
  }

  onlineIds(): Promise<Set<string>> {
    return this.presence.onlineIds();
  }

  /** Serialises routing across instances until the transaction ends. */
  async lock(em: EntityManager): Promise<void> {
    await locks.transactionLock(em, ROUTING_LOCK);
  }

  /**
   * Assigns queued sessions, first come first served, to available agents. Call after `lock`.
   * `avoid` steers one session away from one agent (a transfer back to the queue goes to someone
   * else when anyone else can take it, and back to the sender only when nobody else can).
   */
  async drain(em: EntityManager, effects: Effects, avoid?: Assignment): Promise<Assignment[]> {
    const online = [...(await this.presence.onlineIds())];
    if (!online.length) return [];
    const rows = await agents.candidates(em, online);
    if (!rows.length) return [];
    const candidates: Candidate[] = rows.map((r) => ({
      id: r.id as string,
      skills: r.skills as string[],
      activeChats: r.active_chats as number,
      maxConcurrentChats: r.max_concurrent_chats as number,
      lastAssignedAt: r.last_assigned_at ? asDate(r.last_assigned_at).getTime() : 0,
    }));
    const skills = [...new Set(candidates.flatMap((c) => c.skills))];
    const queued = await sessions.queuedFor(em, skills);
    const assignments: Assignment[] = [];
    const base = Date.now();
    for (const session of queued) {
      const avoided = avoid?.sessionId === session.id ? avoid.agentId : undefined;
      const agent = pickAgent(candidates, session.skill, avoided) ?? (avoided ? pickAgent(candidates, session.skill) : undefined);
      if (!agent) continue;
      agent.activeChats += 1;
      agent.lastAssignedAt = base + assignments.length;
      assignments.push({ sessionId: session.id, agentId: agent.id });
      if (candidates.every((c) => c.activeChats >= c.maxConcurrentChats)) break;
    }
    if (!assignments.length) return [];
    await this.apply(em, assignments);
    this.metrics.routingDecisions.inc({ outcome: 'assigned' }, assignments.length);
    const assignedIds = new Set(assignments.map((a) => a.sessionId));
    for (const a of assignments) {
      effects.sessions.add(a.sessionId);
      effects.assigned.push(a);
      effects.agents.add(a.agentId);
    }
    // Everyone still queued behind them moved up.
    for (const s of queued) if (!assignedIds.has(s.id)) effects.sessions.add(s.id);
    effects.queueChanged = true;
    return assignments;
  }

  private async apply(em: EntityManager, assignments: Assignment[]): Promise<void> {
    await sessions.assign(em, assignments.map((a) => a.sessionId), assignments.map((a) => a.agentId));
    // last_assigned_at keeps the order of this pass (the agent assigned last is the newest), so
    // later tie-breaks see the same order this pass used.
    await agents.takeSlots(em, assignments.map((a) => a.agentId));
    await audit.recordAssignments(em, assignments.map((a) => a.sessionId));
  }

  /**
   * Takes one slot of the named agent, which must be available as routing means it (ONLINE,
   * connected, a free slot): a transfer to it, or a supervisor's assignment by hand.
   */
  async takeSlot(em: EntityManager, agentId: string): Promise<void> {
    if (await agents.takeSlotIfAvailable(em, agentId, await this.isOnline(agentId))) return;
    if (!(await agents.exists(em, agentId))) throw new NotFoundError('Agent');
    throw new ConflictError('That agent is not available: not ONLINE, not connected, or without a free slot.');
  }

  /** The agent no longer holds one chat (closed, transferred away). */
  async releaseSlot(em: EntityManager, agentId: string, effects: Effects): Promise<void> {
    await agents.releaseSlot(em, agentId);
    effects.agents.add(agentId);
  }

  /** The agent holds no chat any more (all requeued). */
  async releaseAll(em: EntityManager, agentId: string, effects: Effects): Promise<void> {
    await agents.releaseAll(em, agentId);
    effects.agents.add(agentId);
  }

  /** The queue changed in a way that moves everyone in it: their positions are news. */
  async touchQueue(em: EntityManager, effects: Effects): Promise<void> {
    for (const id of await sessions.queuedIds(em)) effects.sessions.add(id);
    effects.queueChanged = true;
  }
}
