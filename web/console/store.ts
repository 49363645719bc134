/**
 * The console's state, outside React: the signed-in agent, its chats (each with its transcript,
 * kept live by subscriptions that resume from the last seq seen), the queue and the team.
 * Components read it through useStore(); every change bumps `version`.
 */
import {
  ConsoleAgentsDocument,
  ConsoleAgentUpdatedDocument,
  ConsoleCloseChatDocument,
  ConsoleMarkReadDocument,
  ConsoleMessageAddedDocument,
  ConsoleQueueDocument,
  ConsoleQueueUpdatedDocument,
  ConsoleSendMessageDocument,
  ConsoleSessionAssignedDocument,
  ConsoleSessionsDocument,
  ConsoleSessionUpdatedDocument,
  ConsoleSetStatusDocument,
  ConsoleSetTypingDocument,
  ConsoleTransferChatDocument,
  ConsoleTypingDocument,
  type AgentStatus,
  type ConsoleAgentFragment,
  type ConsoleMessageFragment,
  type ConsoleSessionFragment,
} from '../generated/console';
import { createLive, GraphQLRequestError, newId, request, type Live, type LiveState, type TypedDocument } from '../shared/gql';
import { lifecycleNote } from '../shared/lifecycle';

export type Agent = ConsoleAgentFragment;
export type Session = ConsoleSessionFragment;
export type Message = ConsoleMessageFragment;

export interface Outgoing {
  clientMessageId: string;
  body: string;
  createdAt: string;
  failed?: string;
}

export interface Chat {
  session: Session;
  messages: Map<number, Message>;
  /** Highest seq received in order: where messageAdded resumes after a reconnect. */
  streamSeq: number;
  outbox: Outgoing[];
  visitorTyping: string | null;
  /** Set when the chat left this agent (transferred away, or closed and dismissed). */
  gone?: string;
  off: (() => void)[];
  typingTimer?: ReturnType<typeof setTimeout>;
  /** The read receipt in flight, if any. */
  readSent: number;
  /** Lifecycle steps seen live ("Transferred to Alice"), each after the message it followed. */
  notices: { key: string; afterSeq: number; text: string }[];
  /** A supervisor watching someone else's chat: read only, never "mine". */
  observer?: boolean;
  /** This console closed it (for "Chat ended by you"). */
  endedHere?: boolean;
}

const TOKEN_KEY = 'switchboard-console-token';

export function savedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* private mode: the session lasts as long as the page */
  }
}

export const API = `${location.origin}/graphql`;

export class ConsoleStore {
  version = 0;
  me: Agent;
  conn: LiveState = 'connecting';
  agents = new Map<string, Agent>();
  queue: Session[] = [];
  chats = new Map<string, Chat>();
  selected: string | null = null;
  error: string | null = null;
  /** Supervisors: every live chat that is not mine (read, join by transfer to myself). */
  teamChats: Session[] = [];
  private connectedOnce!: Promise<void>;
  private reconcileTimer?: ReturnType<typeof setTimeout>;
  private readonly listeners = new Set<() => void>();
  private readonly live: Live;
  private readonly off: (() => void)[] = [];
  private flushing = new Set<string>();
  private typingSent = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    readonly token: string,
    me: Agent,
    private readonly onSignedOut: (reason: string) => void,
  ) {
    this.me = me;
    let connected: () => void = () => undefined;
    this.connectedOnce = new Promise<void>((resolve) => (connected = resolve));
    this.live = createLive({
      url: `${location.origin.replace(/^http/, 'ws')}/graphql`,
      token: () => this.token,
      // The console's socket is what makes the agent `online`: open it at once.
      eager: true,
      onState: (state) => {
        const back = state === 'connected' && this.conn === 'reconnecting';
        this.conn = state;
        if (state === 'connected') connected();
        this.changed();
        if (back) void this.refresh();
      },
      onFatal: () => this.onSignedOut('Your session has expired. Please sign in again.'),
    });
  }

  // ——— plumbing ———

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R> {
    return request(API, document, variables, this.token).catch((error: unknown) => {
      if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED') this.onSignedOut('Your session has expired. Please sign in again.');
      throw error;
    });
  }

  // ——— start and stop ———

  async start(): Promise<void> {
    this.off.push(
      this.live.subscribe(ConsoleSessionAssignedDocument, {}, { next: ({ sessionAssigned }) => this.adopt(sessionAssigned, true) }),
      this.live.subscribe(ConsoleQueueUpdatedDocument, {}, {
        next: ({ queueUpdated }) => {
          this.queue = queueUpdated;
          this.changed();
        },
      }),
      this.live.subscribe(ConsoleAgentUpdatedDocument, {}, { next: ({ agentUpdated }) => this.setAgent(agentUpdated) }),
    );
    // Subscribe first, read after: the server acknowledges the socket only once the chats waiting
    // for this agent were assigned (its presence routed them), so a read after that sees every one;
    // later ones arrive on sessionAssigned, and agentUpdated's activeChats catches any in between.
    await Promise.race([this.connectedOnce, new Promise((r) => setTimeout(r, 5000))]);
    await this.refresh();
  }

  /** Loads (or reloads, after a reconnect) my chats, the queue and the team. */
  async refresh(): Promise<void> {
    try {
      const [{ sessions }, { queue }, { agents }] = await Promise.all([
        this.call(ConsoleSessionsDocument, { status: 'ACTIVE', first: 100 }),
        this.call(ConsoleQueueDocument, {}),
        this.call(ConsoleAgentsDocument, {}),
      ]);
      this.queue = queue;
      for (const a of agents) this.agents.set(a.id, a);
      const me = this.agents.get(this.me.id);
      if (me) this.me = me;
      for (const s of sessions.sessions) if (s.agent?.id === this.me.id) this.adopt(s, false);
      this.teamChats = this.me.role === 'SUPERVISOR' ? sessions.sessions.filter((s) => s.agent?.id !== this.me.id) : [];
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    }
    this.changed();
  }

  dispose(): void {
    clearTimeout(this.reconcileTimer);
    for (const off of this.off) off();
    for (const chat of this.chats.values()) for (const off of chat.off) off();
    this.live.dispose();
  }

  // ——— the team ———

  private setAgent(agent: Agent): void {
    this.agents.set(agent.id, agent);
    if (agent.id === this.me.id) this.me = agent;
    // The server says I hold more chats than I show (one assigned while I connected), or a
    // supervisor's view of the team's chats moved: read them again, once for a burst of updates.
    if ((agent.id === this.me.id && agent.activeChats > this.activeCount()) || this.me.role === 'SUPERVISOR') this.reconcileSoon();
    this.changed();
  }

  private reconcileSoon(): void {
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(() => void this.refresh(), 300);
  }

  /** My ACTIVE chats (not those I only watch). */
  activeCount(): number {
    return Array.from(this.chats.values()).filter((c) => !c.gone && !c.observer && c.session.status === 'ACTIVE').length;
  }

  /** The team as it is now (before a transfer: who is there, and with what load). */
  async refreshAgents(): Promise<void> {
    const { agents } = await this.call(ConsoleAgentsDocument, {});
    for (const a of agents) this.agents.set(a.id, a);
    this.changed();
  }

  async setStatus(status: AgentStatus): Promise<void> {
    const { setStatus } = await this.call(ConsoleSetStatusDocument, { status });
    this.setAgent(setStatus);
  }

  // ——— chats ———

  /** A session assigned to me: watched live from now on. */
  private adopt(session: Session, announce: boolean): void {
    const existing = this.chats.get(session.id);
    if (existing && !existing.gone) {
      if (existing.observer && session.agent?.id === this.me.id) {
        // A supervisor joined a chat it was watching: it is mine now.
        existing.observer = false;
        existing.notices.push({ key: `n:${existing.notices.length}`, afterSeq: existing.streamSeq, text: 'You joined' });
      }
      existing.session = session;
      this.changed();
      return;
    }
    if (existing) for (const off of existing.off) off();
    const notices = announce ? [{ key: 'n:0', afterSeq: existing?.streamSeq ?? 0, text: 'Assigned to you' }] : [];
    const chat: Chat = { session, messages: new Map(), streamSeq: 0, outbox: existing?.outbox ?? [], visitorTyping: null, off: [], readSent: 0, notices };
    this.chats.set(session.id, chat);
    this.queue = this.queue.filter((q) => q.id !== session.id);
    // Chats already mine when the console opens: show the first. New arrivals wait, unread, in the list.
    // (Not on a phone, where the list is the first pane.)
    const narrow = typeof matchMedia === 'function' && matchMedia('(max-width: 720px)').matches;
    if (!announce && !narrow && (!this.selected || this.chats.get(this.selected)?.gone)) this.selected = session.id;
    this.watch(chat);
    this.teamChats = this.teamChats.filter((s) => s.id !== session.id);
    if (announce && document.hidden) document.title = `(${this.unreadTotal() || '•'}) Switchboard console`;
    this.changed();
  }

  private watch(chat: Chat): void {
    const id = chat.session.id;
    chat.off.push(
      this.live.subscribe(
        ConsoleMessageAddedDocument,
        { sessionId: id, afterSeq: chat.streamSeq },
        {
          next: ({ messageAdded }) => {
            this.addMessage(chat, messageAdded, true);
            this.changed();
          },
          // The server ends the stream when the chat is no longer mine.
          complete: () => void this.recheck(chat),
          error: () => void this.recheck(chat),
        },
        (vars) => ({ ...vars, afterSeq: chat.streamSeq }),
      ),
      this.live.subscribe(
        ConsoleSessionUpdatedDocument,
        { sessionId: id },
        { next: ({ sessionUpdated }) => this.updateSession(chat, sessionUpdated) },
      ),
      this.live.subscribe(
        ConsoleTypingDocument,
        { sessionId: id },
        {
          next: ({ typing }) => {
            if (typing.author !== 'VISITOR') return;
            clearTimeout(chat.typingTimer);
            chat.visitorTyping = typing.typing ? typing.name || chat.session.customer.name || 'The visitor' : null;
            if (typing.typing) chat.typingTimer = setTimeout(() => ((chat.visitorTyping = null), this.changed()), 8000);
            this.changed();
          },
        },
      ),
    );
  }

  private async recheck(chat: Chat): Promise<void> {
    if (chat.gone || chat.observer) return;
    try {
      const { sessions } = await this.call(ConsoleSessionsDocument, { status: 'ACTIVE', first: 100 });
      const still = sessions.sessions.find((s) => s.id === chat.session.id && s.agent?.id === this.me.id);
      // (The transfer's own result may have said more meanwhile: where it went.)
      if (!still && !chat.gone && chat.session.status !== 'CLOSED') this.release(chat, 'Transferred away');
    } catch {
      /* try again on the next reconnect */
    }
  }

  private updateSession(chat: Chat, session: Session): void {
    const note = lifecycleNote(chat.session, session, { me: this.me.id, endedHere: !!chat.endedHere });
    if (note) chat.notices.push({ key: `n:${chat.notices.length}`, afterSeq: chat.streamSeq, text: note });
    chat.session = session;
    if (session.status === 'CLOSED') chat.visitorTyping = null;
    if (!chat.observer && session.status !== 'CLOSED' && session.agent?.id !== this.me.id) this.release(chat, session.agent ? `Transferred to ${session.agent.name}` : 'Back in the queue');
    if (chat.observer && session.status === 'QUEUED') this.release(chat, 'Back in the queue');
    this.changed();
  }

  private release(chat: Chat, reason: string): void {
    // The step in the transcript too, unless the session update already said it.
    if (chat.notices.at(-1)?.text !== reason) chat.notices.push({ key: `n:${chat.notices.length}`, afterSeq: chat.streamSeq, text: reason });
    chat.gone = reason;
    for (const off of chat.off) off();
    chat.off = [];
    this.changed();
  }

  dismiss(id: string): void {
    const chat = this.chats.get(id);
    if (!chat) return;
    for (const off of chat.off) off();
    this.chats.delete(id);
    if (this.selected === id) this.selected = this.visibleChats()[0]?.session.id ?? null;
    this.changed();
  }

  /** null: back to the list (on a phone, one pane at a time). */
  select(id: string | null): void {
    this.selected = id;
    this.changed();
  }

  /** Supervisors: open a teammate's live chat, read only (messageAdded and the rest allow it). */
  observe(session: Session): void {
    const existing = this.chats.get(session.id);
    if (!existing || existing.gone) {
      if (existing) for (const off of existing.off) off();
      const chat: Chat = { session, messages: new Map(), streamSeq: 0, outbox: [], visitorTyping: null, off: [], readSent: 0, notices: [], observer: true };
      this.chats.set(session.id, chat);
      this.watch(chat);
    }
    this.select(session.id);
  }

  /** Supervisors: a QUEUED chat straight to a named agent (or to myself), ahead of the queue. */
  async assign(sessionId: string, agentId: string): Promise<void> {
    await this.call(ConsoleTransferChatDocument, { sessionId, toAgentId: agentId, skill: null });
    this.queue = this.queue.filter((q) => q.id !== sessionId);
    this.changed();
  }

  /** Agents that can take a chat now, as routing means it: ONLINE, connected, with a free slot. */
  canTake(agent: Agent): string | null {
    if (agent.status !== 'ONLINE') return agent.status === 'AWAY' ? 'away' : 'offline';
    if (!agent.online) return 'not connected';
    if (agent.activeChats >= agent.maxConcurrentChats) return 'no free slot';
    return null;
  }

  private addMessage(chat: Chat, m: Message, inOrder: boolean): void {
    chat.messages.set(m.seq, m);
    if (inOrder && m.seq > chat.streamSeq) chat.streamSeq = m.seq;
    if (m.seq > chat.session.lastSeq) chat.session = { ...chat.session, lastSeq: m.seq };
    if (m.clientMessageId) chat.outbox = chat.outbox.filter((o) => o.clientMessageId !== m.clientMessageId);
    if (m.author === 'VISITOR' && chat.visitorTyping) {
      clearTimeout(chat.typingTimer);
      chat.visitorTyping = null;
    }
  }

  visibleChats(): Chat[] {
    const rank = (c: Chat) => (c.gone ? 2 : c.session.status === 'CLOSED' ? 1 : 0);
    return Array.from(this.chats.values()).filter((c) => !c.observer).sort((a, b) => rank(a) - rank(b) || (b.session.assignedAt ?? '').localeCompare(a.session.assignedAt ?? ''));
  }

  unread(chat: Chat): number {
    if (chat.gone || chat.observer) return 0;
    let n = 0;
    for (const m of chat.messages.values()) if (m.author === 'VISITOR' && m.seq > chat.session.agentReadSeq) n++;
    return n;
  }

  unreadTotal(): number {
    let n = 0;
    for (const c of this.chats.values()) if (!c.gone) n += this.unread(c);
    return n;
  }

  /** Read receipt for what the agent is looking at. */
  markRead(id: string): void {
    const chat = this.chats.get(id);
    if (!chat || chat.gone || chat.observer) return;
    const seq = Math.max(0, ...chat.messages.keys());
    if (seq <= chat.session.agentReadSeq || seq <= chat.readSent) return;
    chat.readSent = seq; // in flight
    this.call(ConsoleMarkReadDocument, { sessionId: id, seq })
      .then(({ markRead }) => {
        chat.readSent = 0;
        this.updateSession(chat, markRead);
      })
      .catch(() => (chat.readSent = 0));
  }

  send(id: string, body: string): void {
    const chat = this.chats.get(id);
    const text = body.trim();
    if (!chat || chat.gone || !text || chat.session.status === 'CLOSED') return;
    this.typing(id, false);
    chat.outbox.push({ clientMessageId: newId(), body: text, createdAt: new Date().toISOString() });
    this.changed();
    this.flush(chat);
  }

  /** In order, one at a time; temporary failures retried with the same clientMessageId. */
  private flush(chat: Chat, delayMs = 0): void {
    const id = chat.session.id;
    if (delayMs) {
      setTimeout(() => this.flush(chat), delayMs);
      return;
    }
    if (this.flushing.has(id) || chat.gone) return;
    const next = chat.outbox.find((o) => !o.failed);
    if (!next) return;
    this.flushing.add(id);
    this.call(ConsoleSendMessageDocument, { input: { sessionId: id, body: next.body, clientMessageId: next.clientMessageId } })
      .then(({ sendMessage }) => {
        this.flushing.delete(id);
        this.addMessage(chat, sendMessage, false);
        this.changed();
        this.flush(chat);
      })
      .catch((error: unknown) => {
        this.flushing.delete(id);
        if (error instanceof GraphQLRequestError && error.retryable) return this.flush(chat, error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 2000);
        next.failed = error instanceof GraphQLRequestError ? `Not sent: ${error.message}` : 'Not sent.';
        this.changed();
        this.flush(chat);
      });
  }

  /** Typing on while keys come, off after 3 s of quiet or on send. */
  typing(id: string, typing: boolean): void {
    const chat = this.chats.get(id);
    if (!chat || chat.gone || chat.session.status === 'CLOSED') return;
    const timer = this.typingSent.get(id);
    clearTimeout(timer);
    if (typing) {
      this.typingSent.set(
        id,
        setTimeout(() => this.typing(id, false), 3000),
      );
      if (timer) return;
      this.call(ConsoleSetTypingDocument, { sessionId: id, typing: true }).catch(() => undefined);
    } else if (timer) {
      this.typingSent.delete(id);
      this.call(ConsoleSetTypingDocument, { sessionId: id, typing: false }).catch(() => undefined);
    }
  }

  async close(id: string): Promise<void> {
    const chat = this.chats.get(id);
    if (!chat) return;
    this.typing(id, false);
    chat.endedHere = true;
    const { closeChat } = await this.call(ConsoleCloseChatDocument, { sessionId: id }).catch((error: unknown) => {
      chat.endedHere = false;
      throw error;
    });
    this.updateSession(chat, closeChat);
  }

  async transfer(id: string, toAgentId: string | null): Promise<void> {
    const chat = this.chats.get(id);
    if (!chat) return;
    this.typing(id, false);
    const { transferChat } = await this.call(ConsoleTransferChatDocument, { sessionId: id, toAgentId, skill: toAgentId ? null : chat.session.skill });
    this.updateSession(chat, transferChat);
  }
}
