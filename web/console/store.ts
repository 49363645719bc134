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
import { ChatModel, type ChatDocuments, type FileLike, type Notice, type Outgoing } from '../shared/chat';
import { Desk } from './desk';
import { Notifier } from './notify';
import { createLive, GraphQLRequestError, request, wsUrlFor, type Live, type LiveState, type TypedDocument } from '../shared/gql';

export type Agent = ConsoleAgentFragment;
export type Session = ConsoleSessionFragment;
export type Message = ConsoleMessageFragment;

/** A chat in the console: the shared chat model, and what the console adds to it. */
export interface Chat {
  model: ChatModel<Session, Message>;
  /** Set when the chat left this agent (transferred away, or closed and dismissed). */
  gone?: string;
  /** A supervisor watching someone else's chat: read only, never "mine". */
  observer?: boolean;
}

const DOCUMENTS: ChatDocuments<Session, Message> = {
  messageAdded: ConsoleMessageAddedDocument,
  sessionUpdated: ConsoleSessionUpdatedDocument,
  typing: ConsoleTypingDocument,
  sendMessage: ConsoleSendMessageDocument,
  setTyping: ConsoleSetTypingDocument,
  markRead: ConsoleMarkReadDocument,
};

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
  /** Notes, tags, the visitor's page, history and the trail of each open chat; the canned responses. */
  readonly desk: Desk;
  readonly notifier = new Notifier();
  /** Chats I took myself (join, assign to me): no notification for those. */
  private readonly tookMyself = new Set<string>();
  private connectedOnce!: Promise<void>;
  private reconcileTimer?: ReturnType<typeof setTimeout>;
  private readonly listeners = new Set<() => void>();
  private readonly live: Live;
  private readonly off: (() => void)[] = [];

  constructor(
    readonly token: string,
    me: Agent,
    private readonly onSignedOut: (reason: string) => void,
  ) {
    this.me = me;
    let connected: () => void = () => undefined;
    this.connectedOnce = new Promise<void>((resolve) => (connected = resolve));
    this.live = createLive({
      url: wsUrlFor(location.origin),
      token: () => this.token,
      // The console's socket is what makes the agent `online`: open it at once.
      eager: true,
      onState: (state) => {
        const back = state === 'connected' && this.conn === 'reconnecting';
        this.conn = state;
        if (state === 'connected') connected();
        this.changed();
        if (back) {
          void this.refresh();
          for (const chat of this.chats.values()) chat.model.resume();
        }
      },
      onFatal: () => this.onSignedOut('Your session has expired. Please sign in again.'),
    });
    this.desk = new Desk({
      call: (document, variables) => this.call(document, variables),
      live: this.live,
      changed: () => this.changed(),
      sessionChanged: (session) => this.chats.get(session.id)?.model.setSession(session),
    });
  }

  // ——— plumbing ———

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** Signs this console out with a reason shown on the sign-in form. */
  signedOut(reason: string): void {
    this.onSignedOut(reason);
  }

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
    void this.desk.loadCanned().catch(() => undefined);
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
    for (const chat of this.chats.values()) chat.model.stop();
    this.desk.dispose();
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
    return Array.from(this.chats.values()).filter((c) => !c.gone && !c.observer && c.model.session.status === 'ACTIVE').length;
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
        existing.model.note('You joined');
      }
      existing.model.session = session;
      this.changed();
      return;
    }
    existing?.model.stop();
    const notices = announce ? [{ key: 'n:0', afterSeq: existing?.model.streamSeq ?? 0, text: 'Assigned to you' }] : [];
    const chat = this.open(session, { outbox: existing?.model.outbox, notices });
    this.queue = this.queue.filter((q) => q.id !== session.id);
    // Chats already mine when the console opens: show the first. New arrivals wait, unread, in the list.
    // (Not on a phone, where the list is the first pane.)
    const narrow = typeof matchMedia === 'function' && matchMedia('(max-width: 720px)').matches;
    if (!announce && !narrow && (!this.selected || this.chats.get(this.selected)?.gone)) this.selected = session.id;
    chat.model.watch();
    this.teamChats = this.teamChats.filter((s) => s.id !== session.id);
    if (announce && document.hidden) document.title = `(${this.unreadTotal() || '•'}) Switchboard console`;
    if (announce && !this.tookMyself.delete(session.id)) {
      this.notifier.notify(`New chat: ${session.customer.name || 'Visitor'}`, 'A chat was assigned to you.', () => this.select(session.id));
    }
    this.changed();
  }

  /** A chat of this console, on the shared model; the console's own rules on each new state. */
  private open(session: Session, extra: { outbox?: Outgoing[]; notices?: Notice[]; observer?: boolean }): Chat {
    const chat: Chat = {
      observer: extra.observer,
      model: new ChatModel({
        session,
        documents: DOCUMENTS,
        live: this.live,
        call: (document, variables) => this.call(document, variables),
        side: 'AGENT',
        me: this.me.id,
        myName: this.me.name,
        outbox: extra.outbox,
        notices: extra.notices,
        onChange: () => this.changed(),
        onSession: (previous, next) => {
          this.onSession(chat, next);
          const step = previous.status !== next.status || previous.agent?.id !== next.agent?.id || previous.tags?.join() !== next.tags?.join() || previous.rating !== next.rating;
          this.desk.changedSoon(next.id, step);
        },
        onLive: (m) => {
          // A visitor's message in a chat not in view (another chat selected, or the tab hidden).
          if (m.author !== 'VISITOR' || chat.observer || chat.gone || (this.selected === m.sessionId && !document.hidden)) return;
          this.notifier.notify(`${session.customer.name || 'Visitor'}`, m.body || 'sent a file', () => this.select(m.sessionId));
        },
        // The server ends the stream when the chat is no longer mine.
        onStreamEnd: () => void this.recheck(chat),
        typingName: (name, s) => name || s.customer.name || 'The visitor',
        failedText: (error) => (error instanceof GraphQLRequestError ? `Not sent: ${error.message}` : 'Not sent.'),
      }),
    };
    this.chats.set(session.id, chat);
    return chat;
  }

  private async recheck(chat: Chat): Promise<void> {
    if (chat.gone || chat.observer) return;
    try {
      const { sessions } = await this.call(ConsoleSessionsDocument, { status: 'ACTIVE', first: 100 });
      const still = sessions.sessions.find((s) => s.id === chat.model.id && s.agent?.id === this.me.id);
      // (The transfer's own result may have said more meanwhile: where it went.)
      if (!still && !chat.gone && chat.model.session.status !== 'CLOSED') this.release(chat, 'Transferred away');
    } catch {
      /* try again on the next reconnect */
    }
  }

  /** A chat that is no longer mine (or no longer live, for one I watch) leaves me. */
  private onSession(chat: Chat, session: Session): void {
    if (!chat.observer && session.status !== 'CLOSED' && session.agent?.id !== this.me.id) this.release(chat, session.agent ? `Transferred to ${session.agent.name}` : 'Back in the queue');
    if (chat.observer && session.status === 'QUEUED') this.release(chat, 'Back in the queue');
  }

  private release(chat: Chat, reason: string): void {
    // The step in the transcript too, unless the session update already said it.
    if (chat.model.notices.at(-1)?.text !== reason) chat.model.note(reason);
    chat.gone = reason;
    chat.model.stop();
    this.changed();
  }

  dismiss(id: string): void {
    const chat = this.chats.get(id);
    if (!chat) return;
    chat.model.stop();
    this.desk.close(id);
    this.chats.delete(id);
    if (this.selected === id) this.selected = this.visibleChats()[0]?.model.id ?? null;
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
      existing?.model.stop();
      this.open(session, { observer: true }).model.watch();
    }
    this.select(session.id);
  }

  /** Supervisors: a QUEUED chat straight to a named agent (or to myself), ahead of the queue. */
  async assign(sessionId: string, agentId: string): Promise<void> {
    if (agentId === this.me.id) this.tookMyself.add(sessionId);
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

  visibleChats(): Chat[] {
    const rank = (c: Chat) => (c.gone ? 2 : c.model.session.status === 'CLOSED' ? 1 : 0);
    const assigned = (c: Chat) => c.model.session.assignedAt ?? '';
    return Array.from(this.chats.values()).filter((c) => !c.observer).sort((a, b) => rank(a) - rank(b) || assigned(b).localeCompare(assigned(a)));
  }

  unread(chat: Chat): number {
    return chat.gone || chat.observer ? 0 : chat.model.unread();
  }

  unreadTotal(): number {
    let n = 0;
    for (const c of this.chats.values()) n += this.unread(c);
    return n;
  }

  /** The chat if this agent may write in it (mine, still here). */
  private writable(id: string): Chat | undefined {
    const chat = this.chats.get(id);
    return chat && !chat.gone && !chat.observer ? chat : undefined;
  }

  /** Read receipt for what the agent is looking at. */
  markRead(id: string): void {
    this.writable(id)?.model.markRead();
  }

  send(id: string, body: string, files: FileLike[] = []): void {
    this.writable(id)?.model.send(body, files);
  }

  /** Typing on while keys come, off after 3 s of quiet or on send. */
  typing(id: string, typing: boolean): void {
    const chat = this.chats.get(id);
    if (chat && !chat.gone) chat.model.typed(typing);
  }

  async close(id: string): Promise<void> {
    const chat = this.chats.get(id);
    if (!chat) return;
    chat.model.stopTyping();
    chat.model.endedHere = true;
    const { closeChat } = await this.call(ConsoleCloseChatDocument, { sessionId: id }).catch((error: unknown) => {
      chat.model.endedHere = false;
      throw error;
    });
    chat.model.setSession(closeChat);
  }

  async transfer(id: string, toAgentId: string | null): Promise<void> {
    const chat = this.chats.get(id);
    if (!chat) return;
    chat.model.stopTyping();
    if (toAgentId === this.me.id) this.tookMyself.add(id);
    const { transferChat } = await this.call(ConsoleTransferChatDocument, { sessionId: id, toAgentId, skill: toAgentId ? null : chat.model.session.skill });
    chat.model.setSession(transferChat);
  }
}
