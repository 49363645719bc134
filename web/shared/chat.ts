/**
 * One chat session as a client holds it, with no framework and no DOM: the widget (a visitor) and
 * the console (an agent, or a supervisor watching) each keep one per session and render it.
 *
 * - the message list, keyed by seq, merged from the first read and the live stream (each once);
 * - the live stream, resubscribed after every reconnect with afterSeq = the last seq seen in order;
 * - the outbox: messages written but not yet confirmed, sent one at a time in order with a
 *   clientMessageId (so the server stores each once however often it is sent), retried only when
 *   the error says it may be (`GraphQLRequestError.retryable`), shown as failed otherwise;
 * - the lifecycle steps seen ("Ada joined"), each placed after the message it followed;
 * - typing, both ways, and read receipts.
 */
import type { Author, WidgetMessageFragment } from '../generated/widget';
import { GraphQLRequestError, newId, type Live, type TypedDocument } from './gql';
import { lifecycleNote, type Lifecycle, type LifecycleWords } from './lifecycle';

/**
 * What the model reads of a message, as the schema types it: the widget's fragment, the smallest
 * of the apps' (the console's selects these and more).
 */
export type MessageLike = Omit<WidgetMessageFragment, 'id'>;

export interface SessionLike extends Lifecycle {
  id: string;
  lastSeq: number;
  visitorReadSeq: number;
  agentReadSeq: number;
}

/** A file as a message shows it: sent (with its signed `url`), or still on its way (`url` a local preview, or empty). */
export interface FileLike {
  id: string;
  name: string;
  contentType: string;
  url: string;
}

export interface Outgoing {
  clientMessageId: string;
  body: string;
  createdAt: string;
  failed?: string;
  /** Files uploaded for it, sent as attachmentIds. */
  files?: FileLike[];
}

/** A lifecycle step shown after the message with seq `afterSeq`. */
export interface Notice {
  key: string;
  afterSeq: number;
  text: string;
}

/** One line of the transcript: a message (confirmed, or still in the outbox) or a step. */
export type Entry =
  | { kind: 'notice'; key: string; text: string }
  | {
      kind: 'message';
      key: string;
      author: Author;
      name: string;
      body: string;
      seq?: number;
      at: string;
      pending?: Outgoing;
      files: FileLike[];
      /** The first of a run by one author (a step between two lines names them again). */
      first: boolean;
    };

type Typing = { author: Author; name: string | null; typing: boolean; draft?: string | null };

/** The operations a chat needs, each app's own (their fragments differ). */
export interface ChatDocuments<S, M> {
  messageAdded: TypedDocument<{ messageAdded: M }, { sessionId: string; afterSeq?: number | null }>;
  sessionUpdated: TypedDocument<{ sessionUpdated: S }, { sessionId: string }>;
  typing: TypedDocument<{ typing: Typing }, { sessionId: string }>;
  sendMessage: TypedDocument<{ sendMessage: M }, { input: { sessionId: string; body: string; clientMessageId?: string | null; attachmentIds?: string[] | null } }>;
  setTyping: TypedDocument<unknown, { sessionId: string; typing: boolean; draft?: string | null }>;
  markRead: TypedDocument<{ markRead: S }, { sessionId: string; seq: number }>;
}

export interface ChatOptions<S, M> {
  session: S;
  documents: ChatDocuments<S, M>;
  live: Live;
  call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R>;
  /** Which side this client writes as. */
  side: 'VISITOR' | 'AGENT';
  /** The console's agent id (for "You joined"), null for the visitor. */
  me: string | null;
  /** The name on this side's pending messages. */
  myName?: string;
  /** An outbox kept from before (the widget's, from localStorage). */
  outbox?: Outgoing[];
  notices?: Notice[];
  /** Every change: render. */
  onChange(): void;
  /** The outbox changed (the widget keeps it in localStorage). */
  onOutbox?(outbox: Outgoing[]): void;
  /** A new state of the session arrived (after the step it means was noted). */
  onSession?(previous: S, next: S): void;
  /** A message arrived on the live stream (not one read or sent here): the console's notifications. */
  onLive?(message: M): void;
  /** The server ended the message stream (the console: the chat may have left this agent). */
  onStreamEnd?(): void;
  /** The other side's name for "… is typing" when the event has none. */
  typingName(name: string | null, session: S): string;
  /** What a message that cannot be sent says. */
  failedText?(error: unknown): string;
  /** The visitor's side: send what is typed with setTyping (the agent's typing preview), at most every 500 ms. */
  drafts?: boolean;
  /** The lifecycle steps' words (default English). */
  words?: LifecycleWords;
}

const TYPING_IDLE_MS = 3000;
const DRAFT_EVERY_MS = 500;
const TYPING_SHOWN_MS = 8000;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30_000;

const defaultFailedText = (error: unknown) => (error instanceof GraphQLRequestError && error.code === 'CONFLICT' ? 'Not sent: the chat has ended.' : 'Not sent.');

export class ChatModel<S extends SessionLike, M extends MessageLike> {
  session: S;
  readonly messages = new Map<number, M>();
  /** The highest seq received in order (first read and live stream): where a resubscription resumes. */
  streamSeq = 0;
  outbox: Outgoing[];
  notices: Notice[];
  /** The other side is typing: its name. */
  otherTyping: string | null = null;
  /** What the visitor is typing, for agents (typing preview), while it types. */
  otherDraft: string | null = null;
  /** This side ended the chat itself (for "Chat ended by you"). */
  endedHere = false;
  private off: (() => void)[] = [];
  private flushing = false;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private retries = 0;
  private otherTypingTimer?: ReturnType<typeof setTimeout>;
  private typingSent = false;
  private typingTimer?: ReturnType<typeof setTimeout>;
  private draftTimer?: ReturnType<typeof setTimeout>;
  private draftSentAt = 0;
  private draftLatest: string | null = null;
  private readSent = 0;
  private stopped = false;

  constructor(private readonly o: ChatOptions<S, M>) {
    this.session = o.session;
    this.outbox = o.outbox ?? [];
    this.notices = o.notices ?? [];
  }

  get id(): string {
    return this.session.id;
  }

  /** From the other side: counts as unread, and ends its typing indicator. */
  private fromOther(author: Author): boolean {
    return this.o.side === 'VISITOR' ? author !== 'VISITOR' : author === 'VISITOR';
  }

  // ——— the live streams ———

  /** Subscribes to the session's messages (from streamSeq, and from the last seq seen after each reconnect), state and typing. */
  watch(): void {
    const { live, documents } = this.o;
    const sessionId = this.id;
    this.stopped = false;
    this.off.push(
      live.subscribe(
        documents.messageAdded,
        { sessionId, afterSeq: this.streamSeq },
        {
          next: ({ messageAdded }) => {
            const fresh = !this.messages.has(messageAdded.seq);
            this.add(messageAdded, true);
            if (fresh) this.o.onLive?.(messageAdded);
            this.o.onChange();
          },
          complete: () => this.o.onStreamEnd?.(),
          error: () => this.o.onStreamEnd?.(),
        },
        (variables) => ({ ...variables, afterSeq: this.streamSeq }),
      ),
      live.subscribe(documents.sessionUpdated, { sessionId }, { next: ({ sessionUpdated }) => this.setSession(sessionUpdated) }),
      live.subscribe(documents.typing, { sessionId }, { next: ({ typing }) => this.onTypingEvent(typing) }),
    );
  }

  /** Stops the streams and timers (the chat left this client, or a new one replaces it). */
  stop(): void {
    this.stopped = true;
    for (const off of this.off) off();
    this.off = [];
    clearTimeout(this.flushTimer);
    clearTimeout(this.otherTypingTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.draftTimer);
  }

  /** Messages read in order (the first read of the transcript). */
  load(messages: readonly M[]): void {
    for (const m of messages) this.add(m, true);
  }

  add(m: M, inOrder: boolean): void {
    this.messages.set(m.seq, m);
    if (inOrder && m.seq > this.streamSeq) this.streamSeq = m.seq;
    if (m.seq > this.session.lastSeq) this.session = { ...this.session, lastSeq: m.seq };
    if (m.clientMessageId && this.outbox.some((o) => o.clientMessageId === m.clientMessageId)) {
      this.outbox = this.outbox.filter((o) => o.clientMessageId !== m.clientMessageId);
      this.o.onOutbox?.(this.outbox);
    }
    if (this.fromOther(m.author) && (this.otherTyping || this.otherDraft)) {
      clearTimeout(this.otherTypingTimer);
      this.otherTyping = null;
      this.otherDraft = null;
    }
  }

  /** A new state of the session: the step it means goes into the transcript. */
  setSession(next: S): void {
    if (next.id !== this.id) return;
    const previous = this.session;
    this.note(lifecycleNote(previous, next, { me: this.o.me, endedHere: this.endedHere }, this.o.words));
    this.session = next;
    if (next.status === 'CLOSED') {
      this.otherTyping = null;
      if (previous.status !== 'CLOSED') this.stopTyping();
    }
    this.o.onSession?.(previous, next);
    this.o.onChange();
  }

  /** A step in the transcript, after the last message seen in order. */
  note(text: string | null): void {
    if (text) this.notices.push({ key: `n:${this.notices.length}`, afterSeq: this.streamSeq, text });
  }

  private onTypingEvent(typing: Typing): void {
    if (!this.fromOther(typing.author)) return;
    clearTimeout(this.otherTypingTimer);
    this.otherTyping = typing.typing ? this.o.typingName(typing.name, this.session) : null;
    if (typing.draft !== undefined && typing.draft !== null) this.otherDraft = typing.draft;
    if (!typing.typing) this.otherDraft = null;
    if (typing.typing) this.otherTypingTimer = setTimeout(() => ((this.otherTyping = null), (this.otherDraft = null), this.o.onChange()), TYPING_SHOWN_MS);
    this.o.onChange();
  }

  // ——— sending ———

  /** Queues a message (trimmed; nothing when empty without files, or the chat is closed) and sends the outbox. */
  send(body: string, files: FileLike[] = []): boolean {
    const text = body.trim();
    if ((!text && !files.length) || this.session.status === 'CLOSED') return false;
    this.stopTyping();
    this.outbox.push({ clientMessageId: newId(), body: text, createdAt: new Date().toISOString(), ...(files.length ? { files } : {}) });
    this.o.onOutbox?.(this.outbox);
    this.o.onChange();
    this.flush();
    return true;
  }

  /**
   * Sends the outbox in order, one at a time. What the server marks retryable (and a request that
   * got no answer) is sent again later with the same clientMessageId, backing off from 2 s to 30 s
   * (or after retryAfterSeconds); anything else is shown as failed, once, and the next one goes.
   */
  flush(delayMs = 0): void {
    clearTimeout(this.flushTimer);
    if (delayMs) {
      this.flushTimer = setTimeout(() => this.flush(), delayMs);
      return;
    }
    if (this.flushing || this.stopped) return;
    const next = this.outbox.find((o) => !o.failed);
    if (!next) return;
    this.flushing = true;
    const sessionId = this.id;
    this.o
      .call(this.o.documents.sendMessage, {
        input: { sessionId, body: next.body, clientMessageId: next.clientMessageId, ...(next.files?.length ? { attachmentIds: next.files.map((f) => f.id) } : {}) },
      })
      .then(({ sendMessage }) => {
        this.flushing = false;
        this.retries = 0;
        this.add(sendMessage, false);
        this.o.onChange();
        this.flush();
      })
      .catch((error: unknown) => {
        this.flushing = false;
        if (error instanceof GraphQLRequestError && error.retryable) {
          const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.retries++);
          this.flush(error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : backoff);
          return;
        }
        next.failed = (this.o.failedText ?? defaultFailedText)(error);
        this.o.onOutbox?.(this.outbox);
        this.o.onChange();
        this.flush();
      });
  }

  /** Back online: send what waits now, not at the end of a back-off. */
  resume(): void {
    this.retries = 0;
    this.flush();
  }

  // ——— typing and reading ———

  /**
   * Typing on while keys come (with text in the composer), off after 3 s of quiet, on send, on
   * blur. With `drafts` (the visitor), the text itself goes along, at most every 500 ms.
   */
  typed(hasText: boolean, text = ''): void {
    if (this.session.status === 'CLOSED') return;
    if (!hasText) return this.stopTyping();
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    if (this.o.drafts) return this.sendDraft(text);
    if (this.typingSent) return;
    this.typingSent = true;
    this.o.call(this.o.documents.setTyping, { sessionId: this.id, typing: true }).catch(() => (this.typingSent = false));
  }

  private sendDraft(text: string): void {
    this.draftLatest = text;
    if (this.draftTimer) return;
    const wait = Math.max(0, this.draftSentAt + DRAFT_EVERY_MS - Date.now());
    this.draftTimer = setTimeout(() => {
      this.draftTimer = undefined;
      if (this.draftLatest === null) return;
      this.draftSentAt = Date.now();
      this.typingSent = true;
      this.o.call(this.o.documents.setTyping, { sessionId: this.id, typing: true, draft: this.draftLatest }).catch(() => undefined);
    }, wait);
  }

  stopTyping(): void {
    clearTimeout(this.typingTimer);
    clearTimeout(this.draftTimer);
    this.draftTimer = undefined;
    this.draftLatest = null;
    if (!this.typingSent) return;
    this.typingSent = false;
    this.o.call(this.o.documents.setTyping, { sessionId: this.id, typing: false }).catch(() => undefined);
  }

  private get readSeq(): number {
    return this.o.side === 'VISITOR' ? this.session.visitorReadSeq : this.session.agentReadSeq;
  }

  /** Read receipt for everything shown (the caller knows whether it is shown). */
  markRead(): void {
    const seq = Math.max(0, ...this.messages.keys());
    if (seq <= this.readSeq || seq <= this.readSent) return;
    this.readSent = seq; // in flight
    this.o
      .call(this.o.documents.markRead, { sessionId: this.id, seq })
      .then(({ markRead }) => this.setSession(markRead))
      .catch(() => (this.readSent = 0));
  }

  /** Messages from the other side this side has not read. */
  unread(): number {
    let n = 0;
    for (const m of this.messages.values()) if (this.fromOther(m.author) && m.seq > this.readSeq) n++;
    return n;
  }

  /** The newest message, if any. */
  last(): M | undefined {
    return this.messages.get(Math.max(0, ...this.messages.keys()));
  }

  // ——— the transcript ———

  /** Messages by seq, then the outbox's, with each step after the message it followed. */
  timeline(): Entry[] {
    type Row = Omit<Extract<Entry, { kind: 'message' }>, 'first'>;
    const rows: Row[] = Array.from(this.messages.values())
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({
        kind: 'message',
        key: m.clientMessageId ? `c:${m.clientMessageId}` : `s:${m.seq}`,
        author: m.author,
        name: m.authorName ?? '',
        body: m.body,
        seq: m.seq,
        at: m.createdAt,
        files: m.attachments,
      }));
    const confirmed = new Set(rows.map((r) => r.key));
    for (const o of this.outbox) {
      const key = `c:${o.clientMessageId}`;
      if (!confirmed.has(key)) rows.push({ kind: 'message', key, author: this.o.side, name: this.o.myName ?? '', body: o.body, at: o.createdAt, pending: o, files: o.files ?? [] });
    }
    const notices = [...this.notices].sort((a, b) => a.afterSeq - b.afterSeq);
    const entries: Entry[] = [];
    let n = 0;
    let previous: Row | undefined;
    const noticesBefore = (seq: number) => {
      for (; n < notices.length && notices[n].afterSeq < seq; n++) {
        entries.push({ kind: 'notice', key: notices[n].key, text: notices[n].text });
        previous = undefined;
      }
    };
    for (const row of rows) {
      noticesBefore(row.seq ?? Infinity); // the outbox's come after every step
      entries.push({ ...row, first: !previous || previous.author !== row.author || previous.name !== row.name });
      previous = row;
    }
    noticesBefore(Infinity);
    return entries;
  }
}
