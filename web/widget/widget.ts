/**
 * The widget's controller: who the visitor is, what survives a reload (localStorage), starting and
 * resuming a chat, and drawing it. The chat itself (messages, outbox, live streams, typing, read
 * receipts) is the shared model, `web/shared/chat.ts`, as in the console.
 */
import {
  WidgetAvailabilityDocument,
  WidgetOlderMessagesDocument,
  WidgetSessionDocument,
  WidgetStartChatDocument,
  WidgetUpdateContextDocument,
  type WidgetAvailabilityQuery,
  type WidgetMessageFragment,
  type WidgetSessionFragment,
} from '../generated/widget';
import { ChatModel } from '../shared/chat';
import { setAttr, setText } from '../shared/dom';
import { createLive, GraphQLRequestError, request, wsUrlFor, type Live, type LiveState, type TypedDocument } from '../shared/gql';
import { BODY_MAX, lengthNote, tooLongMessage } from '../shared/limits';
import { WIDGET_CHAT } from './documents';
import { Ending } from './ending';
import { FileTray } from './files';
import { locale, t } from './i18n';
import { currentPage, watchPage, type PageContext } from './page';
import { Storage } from './storage';
import { Transcript, type WidgetChat } from './transcript';
import { buildView, type View } from './view';

/** Who the visitor is, as the embedding site knows it (script tag data-* or Switchboard.identify). */
export interface Identity {
  externalId?: string | null;
  /** Hex HMAC-SHA256 of externalId with the server's IDENTITY_SECRET, computed by the site's server. */
  identityHash?: string | null;
  name?: string | null;
  email?: string | null;
}

const startErrors = (): Record<string, string> => ({ BAD_USER_INPUT: t.badInput, FORBIDDEN: t.forbidden, RATE_LIMITED: t.rateLimited });

export class Widget {
  private readonly api: string;
  private readonly storage: Storage;
  private chat: WidgetChat | null = null;
  private conn: LiveState | 'idle' = 'idle';
  private live?: Live;
  private readTimer?: ReturnType<typeof setTimeout>;
  private loadTimer?: ReturnType<typeof setTimeout>;
  private readonly ending: Ending;
  private identity: Identity;
  private composeError = '';
  private formError = '';
  private busy = false;
  /** Asked before the pre-chat form: null until known (the plain form meanwhile). */
  private availability: WidgetAvailabilityQuery['availability'] | null = null;
  /** The chat was left through the offline form: answered by email. */
  private leftOffline = false;
  private readonly root: ShadowRoot;
  private readonly v: View;
  private readonly transcript: Transcript;
  private readonly tray: FileTray;
  /** Page changes: at most one a second is sent (the server keeps no more), the latest last. */
  private contextTimer?: ReturnType<typeof setTimeout>;
  private contextSentAt = 0;
  private pendingContext: PageContext | null = null;

  constructor(
    host: HTMLElement,
    private readonly server: string,
    identity: Identity = {},
    /** The full-page chat of the email's continue link (/chat/<id>): always open, no launcher. */
    private readonly fullPage = false,
  ) {
    this.identity = identity;
    this.api = `${server}/graphql`;
    this.storage = new Storage(server);
    this.root = host.attachShadow({ mode: 'open' });
    this.v = buildView(this.root, {
      toggle: () => this.setOpen(this.v.panel.hidden !== false),
      close: () => this.setOpen(false),
      askEnd: () => this.ending.ask(),
      confirmEnd: () => void this.ending.end(),
      cancelEnd: () => this.ending.cancel(),
      start: () => void this.start(),
      send: () => this.send(),
      input: () => {
        this.composeError = '';
        this.renderCounter();
        this.chat?.typed(Boolean(this.v.input.value.trim()), this.v.input.value);
      },
      blur: () => this.chat?.stopTyping(),
      files: (files, e) => {
        const chat = this.chat;
        if (!chat || chat.session.status === 'CLOSED') return;
        e?.preventDefault();
        this.composeError = '';
        this.tray.add(files, chat.id);
      },
      panelKey: (e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        this.setOpen(false);
      },
    });
    this.transcript = new Transcript(this.v.log, this.v.typing, server);
    this.tray = new FileTray(this.v.tray, server, () => this.storage.state.token, () => this.renderCounter());
    // The page the visitor is on, reported to the agent as it changes (single-page sites too).
    watchPage((context) => this.pageChanged(context));
    this.ending = new Ending({
      root: this.root,
      view: this.v,
      chat: () => this.chat,
      call: (document, variables) => this.call(document, variables),
      render: () => this.render(),
      scrollToEnd: () => this.scrollToEnd(),
      newChat: () => this.newChat(),
    });
    document.addEventListener('visibilitychange', () => this.scheduleRead());
    this.prefill();
    this.render();
    const { token, sessionId, open } = this.storage.state;
    if (token && sessionId) void this.resume(sessionId);
    else void this.checkAvailability();
    if (open || fullPage) this.setOpen(true, false);
  }

  /** Before the pre-chat form: can anyone answer now? If not, the offline form (email required). */
  private async checkAvailability(): Promise<void> {
    try {
      this.availability = (await request(this.api, WidgetAvailabilityDocument, {}, undefined)).availability;
      this.v.form.dataset.availability = this.availability.open ? 'open' : 'offline';
    } catch {
      this.availability = null; // unknown: the plain form, which queues the chat as before
      this.v.form.dataset.availability = 'unknown';
    }
    this.render();
  }

  private get offline(): boolean {
    return this.availability !== null && !this.availability.open;
  }

  private call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R> {
    return request(this.api, document, variables, this.storage.state.token);
  }

  // ——— identity ———

  /** Single-page sites: who the visitor is now (a later startChat sends it); the form is pre-filled. */
  identify(identity: Identity): void {
    this.identity = { ...identity };
    this.prefill(true);
    this.render();
  }

  private prefill(force = false): void {
    const { name, email } = this.identity;
    if (name && (force || !this.v.nameInput.value)) this.v.nameInput.value = name;
    if (email && (force || !this.v.emailInput.value)) this.v.emailInput.value = email;
  }

  // ——— opening, starting, resuming ———

  setOpen(open: boolean, focus = true): void {
    if (this.fullPage) open = true;
    if (open && !this.chat && !this.busy) void this.checkAvailability();
    this.v.panel.hidden = !open;
    this.storage.set({ open });
    setAttr(this.v.launcher, 'aria-expanded', String(open));
    setAttr(this.v.launcher, 'aria-label', open ? t.closeChat : t.openChat);
    this.render();
    if (open) {
      this.scrollToEnd();
      this.scheduleRead();
      if (focus) (this.chat ? this.v.input : this.v.nameInput).focus();
    } else if (focus) this.v.launcher.focus();
  }

  private async start(): Promise<void> {
    const name = this.v.nameInput.value.trim();
    const email = this.v.emailInput.value.trim();
    const offline = this.offline;
    const message = offline ? this.v.offlineMessage.value.trim() : '';
    const missing: Array<[boolean, string, HTMLElement]> = [
      [!name, t.nameMissing, this.v.nameInput],
      [offline && !email, t.emailMissing, this.v.emailInput],
    ];
    const first = missing.find(([bad]) => bad);
    if (first) {
      this.formError = first[1];
      this.render();
      first[2].focus();
      return;
    }
    this.busy = true;
    this.formError = '';
    this.render();
    try {
      const { externalId, identityHash } = this.identity;
      const { startChat } = await this.call(WidgetStartChatDocument, {
        input: {
          name,
          email: email || null,
          context: currentPage(),
          ...(message ? { message } : {}),
          ...(externalId ? { externalId, identityHash: identityHash ?? null } : {}),
        },
      });
      this.leftOffline = offline;
      this.v.offlineMessage.value = '';
      if (this.live && startChat.visitorToken !== this.storage.state.token) {
        // Another customer than the open socket's: a new connection_init with the new token.
        this.live.dispose();
        this.live = undefined;
      }
      this.storage.set({ token: startChat.visitorToken, sessionId: startChat.session.id, name, email, outbox: [] });
      this.open(startChat.session, []);
      this.v.input.focus();
    } catch (error) {
      this.formError = (error instanceof GraphQLRequestError && startErrors()[error.code]) || t.startFailed;
    } finally {
      this.busy = false;
      this.render();
    }
  }

  /** After a reload: the stored session, its transcript, then live from the last seq loaded. */
  private async resume(id: string): Promise<void> {
    clearTimeout(this.loadTimer);
    try {
      const { session } = await this.call(WidgetSessionDocument, { id });
      if (!session) return this.forgetSession();
      let messages = session.messages.messages;
      if (session.messages.hasMore && messages.length) {
        const older = await this.call(WidgetOlderMessagesDocument, { id, beforeSeq: messages[0].seq });
        messages = [...(older.session?.messages.messages ?? []), ...messages];
      }
      this.open(withoutMessages(session), messages);
      this.chat?.flush();
    } catch (error) {
      if (error instanceof GraphQLRequestError && (error.code === 'UNAUTHENTICATED' || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN')) {
        return this.forgetSession(error.code === 'UNAUTHENTICATED');
      }
      this.conn = 'reconnecting';
      this.loadTimer = setTimeout(() => void this.resume(id), 3000);
    } finally {
      this.render();
    }
  }

  /** A chat model for this session, its transcript loaded, watched live. */
  private open(session: WidgetSessionFragment, messages: readonly WidgetMessageFragment[]): void {
    this.reset();
    const chat: WidgetChat = new ChatModel({
      session,
      documents: WIDGET_CHAT,
      live: this.connect(),
      call: (document, variables) => this.call(document, variables),
      side: 'VISITOR',
      me: null,
      outbox: this.storage.state.outbox,
      onChange: () => this.render(),
      onOutbox: (outbox) => this.storage.set({ outbox }),
      typingName: (name) => name ?? chat.session.agent?.name ?? t.theAgent,
      failedText: (error) => (error instanceof GraphQLRequestError && error.code === 'CONFLICT' ? t.notSentEnded : t.notSent),
      drafts: true,
      words: t.steps,
    });
    this.chat = chat;
    chat.load(messages);
    this.noticesFromState(messages);
    chat.watch();
    this.render();
  }

  private forgetSession(dropToken = false): void {
    this.storage.forgetSession(dropToken);
    this.reset();
    this.render();
  }

  private reset(): void {
    this.chat?.stop();
    this.chat = null;
    this.transcript.clear();
    this.tray.clear();
    this.ending.reset();
    this.conn = this.live ? this.conn : 'idle';
  }

  /** One socket for the visitor, reused by every chat it starts. */
  private connect(): Live {
    this.live ??= createLive({
      url: wsUrlFor(this.server),
      token: () => this.storage.state.token,
      onState: (state) => {
        const reconnected = state === 'connected' && this.conn === 'reconnecting';
        this.conn = state;
        this.render();
        if (reconnected) {
          // The session may have changed while we were away (assigned, closed); the messages
          // come back through the resumed subscription.
          void this.refreshSession();
          this.chat?.resume();
        }
      },
    });
    return this.live;
  }

  private async refreshSession(): Promise<void> {
    const id = this.chat?.id;
    if (!id) return;
    try {
      const { session } = await this.call(WidgetSessionDocument, { id });
      if (session) this.chat?.setSession(withoutMessages(session));
    } catch {
      /* the next reconnect tries again */
    }
  }

  /** After a reload: who joined (placed by assignedAt) and that it ended, from the stored state. */
  private noticesFromState(messages: readonly WidgetMessageFragment[]): void {
    const chat = this.chat!;
    const s = chat.session;
    if (!s.agent || !s.assignedAt) return;
    const at = Date.parse(s.assignedAt);
    const before = messages.filter((m) => Date.parse(m.createdAt) <= at).map((m) => m.seq);
    chat.notices.push({ key: 'n:joined', afterSeq: Math.max(0, ...before), text: t.steps.joined(s.agent.name) });
    if (s.status === 'CLOSED') chat.notices.push({ key: 'n:ended', afterSeq: chat.streamSeq, text: t.chatEnded });
  }

  // ——— writing, reading, ending ———

  private pageChanged(context: PageContext): void {
    const sessionId = this.chat?.id;
    if (!sessionId || this.chat?.session.status === 'CLOSED') return;
    if (this.contextSentAt === Infinity) {
      this.pendingContext = context;
      return;
    }
    clearTimeout(this.contextTimer);
    // A second after the last one was answered (the server stamps it before it answers), so the
    // latest page is never the one dropped.
    const wait = Math.max(0, this.contextSentAt + 1050 - Date.now());
    this.contextTimer = setTimeout(() => {
      this.contextSentAt = Infinity; // in flight: a change meanwhile waits for the answer
      this.call(WidgetUpdateContextDocument, { sessionId, input: context })
        .catch(() => undefined)
        .finally(() => {
          this.contextSentAt = Date.now();
          if (this.pendingContext) {
            const next = this.pendingContext;
            this.pendingContext = null;
            this.pageChanged(next);
          }
        });
    }, wait);
  }

  private send(): void {
    const chat = this.chat;
    const body = this.v.input.value.trim();
    if (!chat || chat.session.status === 'CLOSED') return;
    if (this.tray.busy) {
      this.composeError = t.waitForFiles;
      this.renderCounter();
      return;
    }
    const files = body.length > BODY_MAX ? [] : this.tray.take();
    if (!body && !files.length) return;
    if (body.length > BODY_MAX) {
      // Never cut silently: say so, keep every character where it was.
      this.composeError = tooLongMessage(body.length, t.length);
      this.renderCounter();
      this.v.input.focus();
      return;
    }
    this.composeError = '';
    this.v.input.value = '';
    this.renderCounter();
    chat.send(body, files);
    this.scrollToEnd();
  }

  /** Read receipts: everything shown while the panel is open and the page visible (at most every 250 ms). */
  private scheduleRead(): void {
    if (this.readTimer) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      if (this.v.panel.hidden || document.visibilityState !== 'visible') return;
      this.chat?.markRead();
    }, 250);
  }

  private newChat(): void {
    this.forgetSession();
    this.v.nameInput.value = this.storage.state.name ?? '';
    this.v.emailInput.value = this.storage.state.email ?? '';
    this.v.nameInput.focus();
  }

  // ——— rendering ———

  private render(): void {
    const { v } = this;
    const chat = this.chat;
    const s = chat?.session;
    const closed = s?.status === 'CLOSED';
    setText(v.status, statusLine(s, this.leftOffline ? this.storage.state.email : undefined));
    v.endButton.hidden = !s || closed;
    v.endConfirm.hidden = !this.ending.confirming || !s || closed;
    v.connBanner.hidden = !(s && (this.conn === 'reconnecting' || this.conn === 'failed'));
    setText(v.connBanner, this.conn === 'failed' ? t.disconnected : t.reconnecting);

    v.form.hidden = !!s;
    this.renderAvailability();
    v.startButton.disabled = this.busy;
    setText(v.formError, this.formError);
    if (!s && !v.nameInput.value && this.storage.state.name) v.nameInput.value = this.storage.state.name;
    v.log.hidden = !s;
    v.composer.hidden = !s || closed;

    if (chat) {
      const wasAtEnd = v.body.scrollHeight - v.body.scrollTop - v.body.clientHeight < 40;
      this.transcript.render(chat);
      if (wasAtEnd) this.scrollToEnd();
    } else this.transcript.renderTyping(null);
    this.ending.render();
    this.renderCounter();

    const unread = chat?.unread() ?? 0;
    v.badge.hidden = !v.panel.hidden || unread === 0;
    setText(v.badge, String(unread));
    setAttr(v.launcher, 'title', unread && v.panel.hidden ? t.unread(unread) : null);
    if (chat) this.scheduleRead();
  }

  /** The offline form while nobody can answer (email required, when we are back); else the expected wait. */
  private renderAvailability(): void {
    const { v } = this;
    const a = this.availability;
    const offline = this.offline;
    v.offline.hidden = !offline;
    v.emailInput.required = offline;
    setText(v.emailNote, offline ? t.emailRequired : t.optional);
    setText(v.startButton, offline ? t.leaveMessage : t.startChat);
    setText(v.offlineNote, a && offline ? replyPromise(a.nextOpenAt) : '');
    const wait = a && !offline && a.expectedWaitSeconds !== null ? t.usuallyAnswered(duration(a.expectedWaitSeconds)) : '';
    v.wait.hidden = !wait;
    setText(v.wait, wait);
  }

  /** A count-down near the limit, and the refusal once over it. */
  private renderCounter(): void {
    const { counter, input } = this.v;
    const note = lengthNote(input.value.trim().length, t.length);
    const text = this.composeError || note.text;
    counter.hidden = !text;
    setText(counter, text);
    counter.classList.toggle('over', note.over || Boolean(this.composeError));
    setAttr(counter, 'role', this.composeError ? 'alert' : null);
    setAttr(input, 'aria-invalid', note.over ? 'true' : null);
  }

  private scrollToEnd(): void {
    this.v.body.scrollTop = this.v.body.scrollHeight;
  }
}

/** Before a chat starts, the promise comes from `availability` (renderAvailability), not from here. */
function statusLine(s: WidgetSessionFragment | undefined, offlineEmail?: string): string {
  if (!s) return '';
  if (s.status === 'QUEUED') {
    const line = s.queuePosition ? t.waitingAt(s.queuePosition) : t.waiting;
    return offlineEmail ? t.orByEmail(line, offlineEmail) : line;
  }
  return s.status === 'ACTIVE' ? t.chattingWith(s.agent?.name ?? t.anAgent) : t.ended;
}

function withoutMessages<T extends { messages: unknown }>(session: T): Omit<T, 'messages'> {
  const copy: Partial<T> = { ...session };
  delete copy.messages;
  return copy as Omit<T, 'messages'>;
}

/** When the offline form promises an answer: when business hours begin again, else as soon as someone is back. */
function replyPromise(nextOpenAt: string | null): string {
  if (!nextOpenAt) return t.answerWhenBack;
  const when = new Date(nextOpenAt).toLocaleString(locale, { weekday: 'long', hour: '2-digit', minute: '2-digit' });
  return t.backAt(when);
}

function duration(seconds: number): string {
  if (seconds < 60) return t.underAMinute;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? t.aboutMinutes(minutes) : t.aboutHours(Math.round(minutes / 60));
}
