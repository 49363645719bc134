import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import * as outbox from '../db/outbox';
import type { OutboxRow, Sink } from '../db/outbox';
import * as messages from '../db/messages';
import { EventKind } from '../entities';
import type { Logger } from '../logger';
import type { Effects } from './effects';
import { messageJson, Snapshot, type Json } from './presenters';

/** The partners' event types (contract, partners: "Events and their data"). */
export const EVENT_TYPES = [
  'chat.started',
  'chat.assigned',
  'chat.transferred',
  'chat.requeued',
  'chat.closed',
  'chat.rated',
  'message.created',
  'agent.updated',
  'ping',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The audit trail's requeue reasons, as the contract names them. */
const REQUEUE_REASONS: Record<string, string> = { offline: 'agent_offline', disconnected: 'agent_disconnected' };

/** An event of a change; `data` is read from the change's snapshot only when some sink wants it. */
interface Derived {
  type: EventType;
  data: (s: Snapshot) => Promise<Json | null>;
}

/**
 * The durable half of the one publisher (events/publisher.ts): which sinks want which events, and
 * the outbox rows of a change, written on the change's own connection before it commits.
 *
 * Nothing is derived, read or written when no sink wants an event: with no webhook endpoint and
 * no AMQP, a change costs what it cost before. Which types the endpoints want is cached on each
 * instance and reloaded: at once after this instance changes an endpoint; when an endpoint changes
 * anywhere (the table's triggers NOTIFY on commit, each instance LISTENs: `start`'s `watch`); after
 * the LISTEN connection (re)connects; and every `backstopMs`, in case a NOTIFY was missed anyway.
 * So an endpoint registered elsewhere receives the events of changes committed from a few
 * milliseconds after its registration.
 */
export class Outbox {
  private webhookTypes = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private listener: { close(): Promise<void> } | null = null;
  /** A reload is running; `again`: another was asked for meanwhile, and runs after it. */
  private reloading: Promise<void> | null = null;
  private again = false;
  /** Called after a commit that wrote rows, per sink (the relays wake up). */
  onWritten: (sinks: ReadonlySet<Sink>) => void = () => undefined;

  constructor(
    private readonly amqp: boolean,
    private readonly loadTypes: () => Promise<string[]>,
    private readonly online: () => Promise<Set<string>>,
    private readonly logger: Logger,
  ) {}

  /** `watch` calls its argument on each announced change and after each reconnect. */
  async start(backstopMs: number, watch: (changed: () => void) => { close(): Promise<void> }): Promise<void> {
    await this.refresh();
    this.listener = watch(() => this.reload());
    this.timer = setInterval(() => this.reload(), backstopMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.listener = null;
  }

  async refresh(): Promise<void> {
    this.webhookTypes = new Set(await this.loadTypes());
  }

  /** One reload at a time; a burst of announcements costs at most two. */
  private reload(): void {
    if (this.reloading) {
      this.again = true;
      return;
    }
    this.reloading = this.refresh()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'webhook endpoints: reload failed'))
      .finally(() => {
        this.reloading = null;
        if (this.again) {
          this.again = false;
          this.reload();
        }
      });
  }

  /** The sinks that want `type` now (none: write nothing for it). */
  sinksFor(type: EventType): Sink[] {
    const sinks: Sink[] = [];
    if (this.webhookTypes.has('*') || this.webhookTypes.has(type)) sinks.push('webhooks');
    if (this.amqp) sinks.push('amqp');
    return sinks;
  }

  get active(): boolean {
    return this.amqp || this.wantsWebhooks;
  }

  /** Some enabled endpoint exists (as this instance last read): the webhook relay and sweep run. */
  get wantsWebhooks(): boolean {
    return this.webhookTypes.size > 0;
  }

  /** Inside the change's transaction: its events, as its Effects and audit steps say. */
  async record(em: EntityManager, effects: Effects): Promise<Set<Sink>> {
    const written = new Set<Sink>();
    if (!this.active) return written;
    const derived = derive(effects).filter((e) => this.sinksFor(e.type).length);
    if (!derived.length) return written;
    const snapshot = new Snapshot(em, await this.online());
    await snapshot.preload([...effects.steps.map((s) => s.sessionId), ...effects.messages.map((m) => m.sessionId)]);
    const rows: Array<Parameters<typeof outbox.insert>[1][number]> = [];
    for (const event of derived) {
      const data = await event.data(snapshot);
      if (!data) continue;
      const id = randomUUID();
      for (const sink of this.sinksFor(event.type)) {
        rows.push({ id, sink, type: event.type, data, messageId: null });
        written.add(sink);
      }
    }
    await outbox.insert(em, rows);
    return written;
  }

  /** One event on its own (a ping, presence going offline), committed by itself. */
  async recordAlone(em: EntityManager, type: EventType, data: Json, sinks: readonly Sink[] = this.sinksFor(type)): Promise<string> {
    const id = randomUUID();
    await outbox.insert(em, sinks.map((sink) => ({ id, sink, type, data, messageId: null })));
    this.onWritten(new Set(sinks));
    return id;
  }

  /**
   * The body each row is sent with (webhook and broker alike): `{type, timestamp, data}`. The send
   * statement's message.created rows name their message: their data is read now, the message as
   * stored and its chat as it is. Null for a row whose message is gone (nothing to send).
   */
  async bodies(em: EntityManager, rows: readonly OutboxRow[]): Promise<Map<string, string | null>> {
    const named = rows.filter((r) => r.data === null && r.messageId).map((r) => r.messageId as string);
    const stored = new Map((named.length ? await messages.byIds(em, named) : []).map((m) => [m.id, m]));
    const snapshot = new Snapshot(em, named.length ? await this.online() : new Set());
    await snapshot.preload([...stored.values()].map((m) => m.sessionId));
    const out = new Map<string, string | null>();
    for (const row of rows) {
      let data = row.data;
      if (data === null) {
        const message = row.messageId ? stored.get(row.messageId) : undefined;
        const chat = message ? await snapshot.chat(message.sessionId) : null;
        data = message && chat ? { message: messageJson(message), chat } : null;
      }
      out.set(row.seq, data === null ? null : JSON.stringify({ type: row.type, timestamp: row.at, data }));
    }
    return out;
  }

  /** Presence changes commit nowhere (Redis): agent.updated for them is written after the fact. */
  async recordAgents(em: EntityManager, agentIds: Iterable<string>): Promise<void> {
    const sinks = this.sinksFor('agent.updated');
    if (!sinks.length) return;
    const snapshot = new Snapshot(em, await this.online());
    for (const id of agentIds) {
      const agent = await snapshot.agent(id);
      if (agent) await this.recordAlone(em, 'agent.updated', { agent }, sinks);
    }
  }
}

/** What a change did, as events: from its audit steps, its messages and the agents it touched. */
function derive(effects: Effects): Derived[] {
  const events: Derived[] = [];
  const withChat = (sessionId: string, more: (s: Snapshot) => Promise<Json>) => async (s: Snapshot): Promise<Json | null> => {
    const chat = await s.chat(sessionId);
    return chat ? { chat, ...(await more(s)) } : null;
  };
  for (const step of effects.steps) {
    const data = (step.data ?? {}) as Record<string, unknown>;
    switch (step.kind) {
      case EventKind.CREATED:
        events.push({ type: 'chat.started', data: withChat(step.sessionId, async () => ({})) });
        break;
      case EventKind.ASSIGNED:
        events.push({ type: 'chat.assigned', data: withChat(step.sessionId, async (s) => ({ agent: await s.agent(step.agentId) })) });
        break;
      case EventKind.TRANSFERRED:
        events.push({
          type: 'chat.transferred',
          data: withChat(step.sessionId, async (s) => ({ fromAgent: await s.agent(data.fromAgentId as string), toAgent: await s.agent(step.agentId) })),
        });
        break;
      case EventKind.REASSIGNED:
        // Taken back from an agent that did not reply (services/timers.ts): back in the queue.
        events.push({ type: 'chat.requeued', data: withChat(step.sessionId, async (s) => ({ fromAgent: await s.agent(step.agentId), reason: String(data.reason ?? 'no_reply') })) });
        break;
      case EventKind.REQUEUED:
        // With a reason the system or an agent going offline put it back; without, a transfer to the queue.
        if (typeof data.reason === 'string') {
          const reason = REQUEUE_REASONS[data.reason] ?? data.reason;
          events.push({ type: 'chat.requeued', data: withChat(step.sessionId, async (s) => ({ fromAgent: await s.agent(step.agentId), reason })) });
        } else {
          events.push({ type: 'chat.transferred', data: withChat(step.sessionId, async (s) => ({ fromAgent: await s.agent(step.agentId), toAgent: null })) });
        }
        break;
      case EventKind.CLOSED: {
        // A key acts as the organisation: its close is the system's.
        const closedBy = step.actorKind === 'agent' ? (step.actorId === step.agentId ? 'agent' : 'supervisor') : step.actorKind === 'apiKey' ? 'system' : step.actorKind;
        events.push({ type: 'chat.closed', data: withChat(step.sessionId, async () => ({ closedBy })) });
        break;
      }
      case EventKind.RATED:
        events.push({ type: 'chat.rated', data: withChat(step.sessionId, async () => ({})) });
        break;
      default:
        break;
    }
  }
  for (const message of effects.messages) {
    events.push({ type: 'message.created', data: withChat(message.sessionId, async () => ({ message: messageJson(message) })) });
  }
  for (const agentId of effects.agents) {
    events.push({
      type: 'agent.updated',
      data: async (s) => {
        const agent = await s.agent(agentId);
        return agent ? { agent } : null;
      },
    });
  }
  return events;
}
