/**
 * The soak's invariants: sampled every second while the load runs (capacity, the queue), and
 * checked over Postgres and every client's log at the end (nothing acknowledged lost, every
 * stream in seq order with no gap or duplicate and caught up, one agent per session at a time,
 * the agents' counters true).
 */
import type { Redis } from 'ioredis';
import { Client } from 'pg';
import { sleep } from './common';
import type { SoakLoad } from './soak-load';

export interface Invariant {
  name: string;
  violations: number;
  detail: string;
  samples: string[];
}

const violation = (name: string, samples: string[], detail: string, count = samples.length): Invariant => ({ name, violations: count, detail, samples: samples.slice(0, 10) });

/** A waiting chat must not stay queued this long while an available agent has a free slot. */
const QUEUE_GRACE_MS = 15_000;

interface AgentRow {
  id: string;
  status: string;
  max: number;
  counter: number;
  actual: number;
}

/** Every second: no agent above capacity; no chat left waiting while an available agent has room. */
export class Sampler {
  samples = 0;
  skipped = 0;
  readonly overCapacity: string[] = [];
  readonly leftWaiting: string[] = [];
  maxQueued = 0;
  maxWaitWithRoomMs = 0;
  /** Samples in which an available agent had a free slot, and those of them with chats queued. */
  withRoom = 0;
  withRoomAndQueue = 0;
  private readonly waitingSince = new Map<string, number>();
  private readonly reported = new Set<string>();
  private timer?: NodeJS.Timeout;
  private client?: Client;
  private busy = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly redis: Redis,
    private readonly presenceKey: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await sleep(50);
    await this.client?.end().catch(() => undefined);
  }

  private async db(): Promise<Client> {
    if (!this.client) {
      const client = new Client({ connectionString: this.databaseUrl });
      client.on('error', () => (this.client = undefined));
      await client.connect();
      this.client = client;
    }
    return this.client;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const db = await this.db();
      const { rows: agents } = await db.query<AgentRow>(
        `select a.id, a.status, a.max_concurrent_chats as max, a.active_chats as counter,
                (select count(*)::int from chat_session s where s.agent_id = a.id and s.status = 'ACTIVE') as actual
           from agent a where a.role = 'AGENT'`,
      );
      const { rows: queued } = await db.query<{ id: string }>(`select id from chat_session where status = 'QUEUED' and skill is null`);
      this.samples++;
      const at = new Date().toISOString().slice(11, 19);
      for (const a of agents) {
        if (a.actual > a.max || a.counter > a.max) this.overCapacity.push(`${at} agent ${a.id}: ${a.actual} ACTIVE chats (counter ${a.counter}), capacity ${a.max}`);
      }
      this.maxQueued = Math.max(this.maxQueued, queued.length);
      let online: Set<string>;
      try {
        online = new Set((await this.redis.zrangebyscore(this.presenceKey, `(${Date.now()}`, '+inf')).map((m) => m.split('|')[0]));
      } catch {
        // Redis is down (the fault): presence is unknown, so is "available".
        this.waitingSince.clear();
        return;
      }
      const room = agents.filter((a) => a.status === 'ONLINE' && online.has(a.id) && a.actual < a.max);
      if (!room.length) {
        this.waitingSince.clear();
        return;
      }
      this.withRoom++;
      if (queued.length) this.withRoomAndQueue++;
      const now = Date.now();
      const ids = new Set(queued.map((q) => q.id));
      for (const id of this.waitingSince.keys()) if (!ids.has(id)) this.waitingSince.delete(id);
      for (const id of ids) {
        const since = this.waitingSince.get(id) ?? now;
        this.waitingSince.set(id, since);
        this.maxWaitWithRoomMs = Math.max(this.maxWaitWithRoomMs, now - since);
        if (now - since > QUEUE_GRACE_MS && !this.reported.has(id)) {
          this.reported.add(id);
          this.leftWaiting.push(`${at} chat ${id} queued ${((now - since) / 1000).toFixed(0)} s while ${room.length} available agent(s) had room (${room[0].id}: ${room[0].actual}/${room[0].max})`);
        }
      }
    } catch {
      this.skipped++; // Postgres is being cut off (the fault): the next second samples again.
    } finally {
      this.busy = false;
    }
  }

  invariants(): Invariant[] {
    return [
      violation('no agent above capacity (sampled every second)', this.overCapacity, `${this.samples} samples (${this.skipped} skipped during faults)`),
      violation('every queued chat assigned once capacity appeared', this.leftWaiting, `${this.withRoom} samples with an available agent's slot free (${this.withRoomAndQueue} with chats queued); longest wait then ${(this.maxWaitWithRoomMs / 1000).toFixed(1)} s (grace ${QUEUE_GRACE_MS / 1000} s); queue peaked at ${this.maxQueued}`),
    ];
  }
}

/** Streams still followed must reach their session's last seq (reconnecting ones included). */
export interface CatchUp {
  behind: string[];
  count: number;
  ms: number;
}

export async function waitForCatchUp(load: SoakLoad, databaseUrl: string, timeoutMs: number): Promise<CatchUp> {
  const t0 = Date.now();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (;;) {
      const logs = [...load.following].filter((l) => !l.ended);
      const { rows } = await client.query<{ id: string; last_seq: number }>(`select id, last_seq from chat_session where id = any($1::uuid[])`, [[...new Set(logs.map((l) => l.sessionId))]]);
      const last = new Map(rows.map((r) => [r.id, r.last_seq]));
      const behind = logs.filter((l) => l.last < (last.get(l.sessionId) ?? 0));
      if (!behind.length || Date.now() - t0 > timeoutMs) {
        return { behind: behind.slice(0, 10).map((l) => `${l.owner} on ${l.sessionId}: at seq ${l.last} of ${last.get(l.sessionId)}`), count: behind.length, ms: Date.now() - t0 };
      }
      await sleep(500);
    }
  } finally {
    await client.end();
  }
}

/** The end-of-run checks over Postgres and the clients' logs. */
export async function finalInvariants(load: SoakLoad, databaseUrl: string, catchUp: CatchUp): Promise<Invariant[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // 1. Every acknowledged message is stored, with the seq (and id) its sender was given.
    const acked = [...load.acked.entries()];
    const stored = new Map<string, { id: string; session_id: string; seq: number }>();
    for (let i = 0; i < acked.length; i += 5000) {
      const { rows } = await client.query<{ id: string; session_id: string; seq: number; client_message_id: string }>(
        `select id, session_id, seq, client_message_id from message where client_message_id = any($1::text[])`,
        [acked.slice(i, i + 5000).map(([cmid]) => cmid)],
      );
      for (const r of rows) stored.set(`${r.session_id}|${r.client_message_id}`, r);
    }
    const lost: string[] = [];
    for (const [cmid, ack] of acked) {
      const row = stored.get(`${ack.sessionId}|${cmid}`);
      if (!row) lost.push(`${cmid} (session ${ack.sessionId}, seq ${ack.seq}): not in Postgres`);
      else if (row.seq !== ack.seq || (ack.id && row.id !== ack.id)) lost.push(`${cmid}: acknowledged as seq ${ack.seq}, stored as seq ${row.seq}`);
    }

    // 2. Every stream in seq order, no gap, no duplicate (checked as each event arrived).
    const disordered = load.streams.filter((l) => l.gaps || l.duplicates);
    const order = disordered.flatMap((l) => l.samples.map((s) => `${l.owner} on ${l.sessionId}: ${s}`));
    const events = load.streams.reduce((n, l) => n + l.received, 0);

    // 3. One agent per session at a time: replay each session's trail.
    const { rows: trail } = await client.query<{ session_id: string; kind: string; agent_id: string | null; from: string | null }>(
      `select session_id, kind, agent_id, data->>'fromAgentId' as from
         from session_event where kind in ('assigned', 'transferred', 'requeued', 'closed') order by session_id, at, id`,
    );
    const holders = new Map<string, string | null>();
    const doubled: string[] = [];
    for (const e of trail) {
      const holder = holders.get(e.session_id) ?? null;
      if (e.kind === 'assigned') {
        if (holder) doubled.push(`${e.session_id}: assigned to ${e.agent_id} while with ${holder}`);
        holders.set(e.session_id, e.agent_id);
      } else if (e.kind === 'transferred') {
        if (holder !== e.from) doubled.push(`${e.session_id}: transferred from ${e.from} while with ${holder}`);
        holders.set(e.session_id, e.agent_id);
      } else holders.set(e.session_id, null);
    }
    const { rows: sessions } = await client.query<{ id: string; agent_id: string | null }>(`select id, agent_id from chat_session where status = 'ACTIVE'`);
    for (const s of sessions) if ((holders.get(s.id) ?? null) !== s.agent_id) doubled.push(`${s.id}: ACTIVE with ${s.agent_id}, its trail says ${holders.get(s.id)}`);

    // 4. Each agent's counter is its ACTIVE chats (the load has stopped).
    const { rows: counters } = await client.query<{ id: string; counter: number; actual: number }>(
      `select a.id, a.active_chats as counter, (select count(*)::int from chat_session s where s.agent_id = a.id and s.status = 'ACTIVE') as actual from agent a`,
    );
    const drift = counters.filter((c) => c.counter !== c.actual).map((c) => `agent ${c.id}: counter ${c.counter}, ACTIVE chats ${c.actual}`);

    return [
      violation('no acknowledged message lost', lost, `${acked.length} acknowledged, all checked in Postgres`),
      violation('every stream in seq order, no gap or duplicate', order, `${load.streams.length} streams, ${events} events received`, disordered.length),
      violation('every stream still open caught up with Postgres', catchUp.behind, `${load.following.size} open streams; caught up ${(catchUp.ms / 1000).toFixed(1)} s after the load stopped`, catchUp.count),
      violation('no session with two agents', doubled, `${trail.length} trail steps over ${holders.size} sessions replayed`),
      violation("agents' active_chats counters true at the end", drift, `${counters.length} agents`),
    ];
  } finally {
    await client.end();
  }
}
