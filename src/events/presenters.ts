import type { EntityManager } from '@mikro-orm/postgresql';
import * as agents from '../db/agents';
import * as customers from '../db/customers';
import * as sessions from '../db/sessions';
import { SessionStatus, type Agent, type Customer } from '../entities';
import type { MessagePayload } from '../pubsub/topics';

/**
 * The partners' events carry objects as their GraphQL types, as JSON (contract, partners:
 * "Events and their data"): one presenter per type, as an organisation-wide reader (a supervisor,
 * or a key with every read scope) sees it, so agents' emails included.
 */
export type Json = Record<string, unknown>;

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

export function agentJson(a: Agent, online: ReadonlySet<string>): Json {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    role: a.role,
    status: a.status,
    online: online.has(a.id),
    skills: a.skills,
    maxConcurrentChats: a.maxConcurrentChats,
    activeChats: a.activeChats,
    lastSeenAt: iso(a.lastSeenAt),
  };
}

function customerJson(c: Customer): Json {
  return { id: c.id, name: c.name, email: c.email, externalId: c.externalId, verified: c.verified, createdAt: iso(c.createdAt) };
}

export function messageJson(m: MessagePayload): Json {
  return {
    id: m.id,
    sessionId: m.sessionId,
    seq: m.seq,
    author: m.author,
    authorName: m.authorName,
    body: m.body,
    clientMessageId: m.clientMessageId,
    createdAt: m.createdAt,
  };
}

/**
 * Reads what the events of one change (or one relay batch) need, each row once, on the caller's
 * connection (inside a change's transaction: the state it commits). `preload` reads many chats
 * in three statements (sessions, customers, agents) rather than three per chat.
 */
export class Snapshot {
  private readonly chats = new Map<string, Promise<Json | null>>();
  private readonly agentRows = new Map<string, Promise<Json | null>>();

  constructor(
    private readonly em: EntityManager,
    private readonly online: ReadonlySet<string>,
  ) {}

  async preload(sessionIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(sessionIds)].filter((id) => !this.chats.has(id));
    if (!ids.length) return;
    const rows = await sessions.byIds(this.em, ids);
    const people = await customers.byIds(this.em, [...new Set(rows.map((r) => r.customerId))]);
    const agentIds = [...new Set(rows.flatMap((r) => (r.agentId && !this.agentRows.has(r.agentId) ? [r.agentId] : [])))];
    const team = agentIds.length ? await agents.byIds(this.em, agentIds) : [];
    for (const a of team) this.agentRows.set(a.id, Promise.resolve(agentJson(a, this.online)));
    const byId = new Map(people.map((c) => [c.id, c]));
    for (const id of ids) this.chats.set(id, Promise.resolve(null));
    for (const row of rows) this.chats.set(row.id, this.present(row, byId.get(row.customerId)));
  }

  agent(id: string | null | undefined): Promise<Json | null> {
    if (!id) return Promise.resolve(null);
    let found = this.agentRows.get(id);
    if (!found) {
      found = agents.byId(this.em, id).then((a) => (a ? agentJson(a, this.online) : null));
      this.agentRows.set(id, found);
    }
    return found;
  }

  chat(id: string): Promise<Json | null> {
    let found = this.chats.get(id);
    if (!found) {
      found = sessions.byId(this.em, id).then(async (s) => (s ? this.present(s, (await customers.byIds(this.em, [s.customerId]))[0]) : null));
      this.chats.set(id, found);
    }
    return found;
  }

  private async present(s: sessions.SessionRow, customer: Customer | undefined): Promise<Json> {
    const queued = s.status === SessionStatus.QUEUED;
    return {
      id: s.id,
      status: s.status,
      customer: customer ? customerJson(customer) : null,
      agent: await this.agent(s.agentId),
      skill: s.skill,
      queuePosition: queued ? await sessions.queuePosition(this.em, s.id) : null,
      queuedAt: queued ? iso(s.enteredQueueAt) : null,
      createdAt: iso(s.createdAt),
      assignedAt: iso(s.assignedAt),
      firstResponseAt: iso(s.firstResponseAt),
      closedAt: iso(s.closedAt),
      lastSeq: s.lastSeq,
      visitorReadSeq: s.visitorReadSeq,
      agentReadSeq: s.agentReadSeq,
      rating: s.rating,
      ratingComment: s.ratingComment,
    };
  }
}
