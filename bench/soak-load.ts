/**
 * The soak's mixed load, all through the load balancer: idle widgets (one stored message each,
 * subscribed, silent), live chats (a visitor who talks, then starts a new chat when the agent
 * closes it), agents who answer, close, transfer and go AWAY and back, and random reconnects.
 * Every acknowledged send and every stream is recorded for the invariant check (./soak-checks.ts).
 */
import { randomUUID } from 'node:crypto';
import { SEND_MESSAGE, sleep, START_CHAT } from './common';
import { seedIdleSessions } from './db';
import { gqlRetry, LiveSocket, StreamLog, Tally } from './soak-socket';

const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token agent { id } } }`;
const CREATE_AGENT = `mutation CreateAgent($input: CreateAgentInput!) { createAgent(input: $input) { id } }`;
const SET_STATUS = `mutation SetStatus($status: AgentStatus!) { setStatus(status: $status) { id status } }`;
const MY_CHATS = `query MyChats { sessions(status: ACTIVE, first: 100) { sessions { id status } } }`;
const CLOSE = `mutation CloseChat($sessionId: ID!) { closeChat(sessionId: $sessionId) { id status } }`;
const TRANSFER = `mutation TransferChat($sessionId: ID!, $toAgentId: ID) { transferChat(sessionId: $sessionId, toAgentId: $toAgentId) { id status } }`;
const ASSIGNED = `subscription SessionAssigned { sessionAssigned { id } }`;

export interface LoadShape {
  idle: number;
  chats: number;
  agents: number;
  capacity: number;
}

export interface Ack {
  sessionId: string;
  seq: number;
  id: string | null;
}

const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

interface SoakAgent {
  id: string;
  token: string;
  socket: LiveSocket;
  chats: Map<string, { log: StreamLog; unwatch: () => void }>;
}

export class SoakLoad {
  running = true;
  /** Every acknowledged message, by clientMessageId. */
  readonly acked = new Map<string, Ack>();
  /** Every stream ever followed; `following` those still subscribed. */
  readonly streams: StreamLog[] = [];
  readonly following = new Set<StreamLog>();
  readonly errors = new Tally();
  readonly counts = { startChats: 0, sent: 0, closes: 0, transfers: 0, statusChanges: 0, plannedDrops: 0 };
  readonly sockets: LiveSocket[] = [];
  readonly agents: SoakAgent[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly url: string,
    private readonly wsUrl: string,
    private readonly shape: LoadShape,
  ) {}

  /** The supervisor's token (the soak registers its webhook endpoint with it). */
  async supervisorToken(supervisor: { email: string; password: string }): Promise<string> {
    return (await this.call<{ login: { token: string } }>(LOGIN, supervisor)).login.token;
  }

  /** Agents: created by the supervisor, signed in, ONLINE, each with a console socket. */
  async startAgents(supervisor: { email: string; password: string }): Promise<void> {
    const boss = await this.call<{ login: { token: string } }>(LOGIN, supervisor);
    for (let i = 0; i < this.shape.agents; i++) {
      const email = `soak-${i}-${randomUUID().slice(0, 8)}@example.com`;
      const password = 'soak-password';
      await this.call(CREATE_AGENT, { input: { name: `Soak agent ${i}`, email, password, maxConcurrentChats: this.shape.capacity } }, boss.login.token);
      const { login } = await this.call<{ login: { token: string; agent: { id: string } } }>(LOGIN, { email, password });
      await this.call(SET_STATUS, { status: 'ONLINE' }, login.token);
      const agent: SoakAgent = { id: login.agent.id, token: login.token, socket: this.socket(login.token), chats: new Map() };
      agent.socket.subscribe(ASSIGNED, () => ({}), (data) => this.watch(agent, (data.sessionAssigned as { id: string }).id));
      agent.socket.start();
      this.agents.push(agent);
    }
    for (const agent of this.agents) this.loops.push(this.agentLoop(agent));
  }

  /** Idle widgets: seeded CLOSED sessions of one customer (never routed), each followed by its own socket. */
  async startIdle(databaseUrl: string): Promise<void> {
    if (!this.shape.idle) return;
    const { startChat } = await this.call<{ startChat: { visitorToken: string; session: { customer: { id: string } } } }>(START_CHAT, { input: { name: 'Idle widgets' } });
    const ids = await seedIdleSessions(databaseUrl, startChat.session.customer.id, this.shape.idle, 'CLOSED');
    for (let i = 0; i < ids.length; i++) {
      const socket = this.socket(startChat.visitorToken);
      this.follow(socket, new StreamLog(ids[i], `idle ${i}`));
      socket.start();
      if (i % 50 === 49) await sleep(100);
    }
  }

  startChats(): void {
    for (let i = 0; i < this.shape.chats; i++) this.loops.push(this.visitorLoop(i));
  }

  /** Drops `fraction` of all sockets at random, as flaky networks do; they resume with afterSeq. */
  churn(fraction: number): void {
    for (const socket of this.sockets) {
      if (Math.random() < fraction) {
        socket.drop();
        this.counts.plannedDrops++;
      }
    }
  }

  /** Stops new work and waits for every loop's send in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  close(): void {
    for (const socket of this.sockets) socket.stop();
  }

  private socket(token: string): LiveSocket {
    const socket = new LiveSocket(this.wsUrl, token);
    this.sockets.push(socket);
    return socket;
  }

  private follow(socket: LiveSocket, log: StreamLog): () => void {
    this.streams.push(log);
    this.following.add(log);
    const unwatch = socket.watch(log, () => this.following.delete(log));
    return () => {
      this.following.delete(log);
      unwatch();
    };
  }

  private async call<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
    const r = await gqlRetry<T>(this.url, query, variables, token, this.errors, 60_000);
    if (!r.data || r.errors) throw new Error(`setup failed: ${JSON.stringify(r.errors)}`);
    return r.data;
  }

  /** One send, retried with its clientMessageId; 'gone' when the chat closed or left this sender. */
  private async send(token: string, sessionId: string, who: string): Promise<'ok' | 'gone' | 'failed'> {
    const clientMessageId = randomUUID();
    const r = await gqlRetry<{ sendMessage: { id: string; seq: number } }>(this.url, SEND_MESSAGE, { input: { sessionId, body: `${who}: ${clientMessageId}`, clientMessageId } }, token, this.errors);
    if (r.data?.sendMessage) {
      this.acked.set(clientMessageId, { sessionId, seq: r.data.sendMessage.seq, id: r.data.sendMessage.id });
      this.counts.sent++;
      return 'ok';
    }
    const code = r.errors?.[0]?.extensions?.code;
    return code === 'CONFLICT' || code === 'NOT_FOUND' ? 'gone' : 'failed';
  }

  private async visitorLoop(i: number): Promise<void> {
    await sleep(between(0, 3000));
    while (this.running) {
      const clientMessageId = randomUUID();
      const r = await gqlRetry<{ startChat: { visitorToken: string; session: { id: string } } }>(this.url, START_CHAT, { input: { name: `Soak visitor ${i}`, message: 'hello', clientMessageId } }, undefined, this.errors);
      if (!r.data?.startChat) {
        await sleep(1000);
        continue;
      }
      this.counts.startChats++;
      const { visitorToken, session } = r.data.startChat;
      this.acked.set(clientMessageId, { sessionId: session.id, seq: 1, id: null });
      const socket = this.socket(visitorToken);
      const unfollow = this.follow(socket, new StreamLog(session.id, `visitor ${i}`));
      socket.start();
      let outcome: 'ok' | 'gone' | 'failed' = 'ok';
      while (this.running && outcome !== 'gone') {
        await sleep(between(3000, 8000));
        if (this.running) outcome = await this.send(visitorToken, session.id, `visitor ${i}`);
      }
      // A closed chat's widget goes away; at the end the open ones stay for the catch-up check.
      if (outcome === 'gone') {
        unfollow();
        socket.stop();
      }
    }
  }

  private watch(agent: SoakAgent, sessionId: string): void {
    if (agent.chats.has(sessionId)) return;
    const log = new StreamLog(sessionId, `agent ${agent.id}`);
    const unwatch = this.follow(agent.socket, log);
    agent.chats.set(sessionId, { log, unwatch });
  }

  private unwatch(agent: SoakAgent, sessionId: string): void {
    agent.chats.get(sessionId)?.unwatch();
    agent.chats.delete(sessionId);
  }

  private async agentLoop(agent: SoakAgent): Promise<void> {
    let nextSync = 0;
    let awayUntil = 0;
    while (this.running) {
      await sleep(between(500, 1500));
      if (!this.running) break;
      if (Date.now() > nextSync) {
        nextSync = Date.now() + 2000;
        const r = await gqlRetry<{ sessions: { sessions: Array<{ id: string; status: string }> } }>(this.url, MY_CHATS, {}, agent.token, this.errors, 5000);
        const mine = new Set((r.data?.sessions.sessions ?? []).filter((s) => s.status === 'ACTIVE').map((s) => s.id));
        if (r.data) {
          for (const id of mine) this.watch(agent, id);
          for (const id of [...agent.chats.keys()]) if (!mine.has(id)) this.unwatch(agent, id);
        }
      }
      if (awayUntil && Date.now() > awayUntil) {
        awayUntil = 0;
        await gqlRetry(this.url, SET_STATUS, { status: 'ONLINE' }, agent.token, this.errors);
        this.counts.statusChanges++;
      }
      const chat = pick([...agent.chats.keys()]);
      const roll = Math.random();
      if (chat && roll < 0.5) {
        if ((await this.send(agent.token, chat, `agent ${agent.id}`)) === 'gone') this.unwatch(agent, chat);
      } else if (chat && roll < 0.53) {
        const r = await gqlRetry(this.url, CLOSE, { sessionId: chat }, agent.token, this.errors);
        if (!r.errors) this.counts.closes++;
        this.unwatch(agent, chat);
      } else if (chat && roll < 0.55) {
        // To a named colleague (refused with CONFLICT when that one is full), or back to the queue.
        const to = Math.random() < 0.5 ? pick(this.agents.filter((a) => a !== agent))?.id : null;
        const r = await gqlRetry(this.url, TRANSFER, { sessionId: chat, toAgentId: to }, agent.token, this.errors);
        if (!r.errors) {
          this.counts.transfers++;
          this.unwatch(agent, chat);
        }
      } else if (roll > 0.99 && !awayUntil) {
        awayUntil = Date.now() + between(3000, 8000);
        await gqlRetry(this.url, SET_STATUS, { status: 'AWAY' }, agent.token, this.errors);
        this.counts.statusChanges++;
      }
    }
  }
}
