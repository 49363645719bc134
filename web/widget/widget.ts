import {
  WidgetCloseChatDocument,
  WidgetMarkReadDocument,
  WidgetMessageAddedDocument,
  WidgetRateChatDocument,
  WidgetSendMessageDocument,
  WidgetSessionDocument,
  WidgetSessionUpdatedDocument,
  WidgetSetTypingDocument,
  WidgetStartChatDocument,
  WidgetTypingDocument,
  type WidgetMessageFragment,
  type WidgetSessionFragment,
} from '../generated/widget';
import { h, reconcile, setAttr, setText } from '../shared/dom';
import { createLive, GraphQLRequestError, newId, request, type Live, type LiveState, type TypedDocument } from '../shared/gql';
import { lifecycleNote } from '../shared/lifecycle';
import { BODY_MAX, lengthNote, tooLongMessage } from '../shared/limits';
import { linkNodes } from '../shared/linkify';
import { renderRating, type RatingState } from './rating';
import { css } from './styles';

/** Who the visitor is, as the embedding site knows it (script tag data-* or Switchboard.identify). */
export interface Identity {
  externalId?: string | null;
  /** Hex HMAC-SHA256 of externalId with the server's IDENTITY_SECRET, computed by the site's server. */
  identityHash?: string | null;
  name?: string | null;
  email?: string | null;
}


/** A lifecycle step shown in the transcript after the message with seq `afterSeq`. */
interface Notice {
  key: string;
  afterSeq: number;
  text: string;
}

/** What survives a page reload, per server, in localStorage. */
interface Saved {
  token?: string;
  sessionId?: string;
  name?: string;
  email?: string;
  open?: boolean;
  /** Messages written but not yet confirmed by the server: sent again (same clientMessageId) after a reload. */
  outbox?: Outgoing[];
}

interface Outgoing {
  clientMessageId: string;
  body: string;
  createdAt: string;
  failed?: string;
}

const TYPING_IDLE_MS = 3000;
const TYPING_SHOWN_MS = 8000;

const chatIcon =
  'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z';

export class Widget {
  private readonly api: string;
  private readonly storageKey: string;
  private saved: Saved;
  private session: WidgetSessionFragment | null = null;
  private readonly messages = new Map<number, WidgetMessageFragment>();
  /** The highest seq received in order (initial load and the subscription): where a resubscription resumes. */
  private streamSeq = 0;
  private agentTyping: string | null = null;
  private agentTypingTimer?: ReturnType<typeof setTimeout>;
  private typingSent = false;
  private typingTimer?: ReturnType<typeof setTimeout>;
  private conn: LiveState | 'idle' = 'idle';
  private live?: Live;
  private unsubscribe: (() => void)[] = [];
  private flushing = false;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private readTimer?: ReturnType<typeof setTimeout>;
  private readSent = 0;
  private loadTimer?: ReturnType<typeof setTimeout>;
  private readonly ratingState: RatingState = { value: 0, rated: false, hadAgent: false };
  private notices: Notice[] = [];
  /** This visitor pressed End chat (for "Chat ended by you"). */
  private endedHere = false;
  private confirmingEnd = false;
  private identity: Identity = {};
  private composeError = '';
  private formError = '';
  private busy = false;
  private readonly rows = new Map<string, HTMLElement>();

  // Elements
  private readonly root: ShadowRoot;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLDivElement;
  private readonly status: HTMLParagraphElement;
  private readonly endButton: HTMLButtonElement;
  private readonly connBanner: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly form: HTMLFormElement;
  private readonly nameInput: HTMLInputElement;
  private readonly emailInput: HTMLInputElement;
  private readonly startButton: HTMLButtonElement;
  private readonly formErrorEl: HTMLParagraphElement;
  private readonly log: HTMLUListElement;
  private readonly typing: HTMLDivElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly ratingBox: HTMLDivElement;
  private readonly counter: HTMLParagraphElement;
  private readonly endConfirm: HTMLDivElement;

  constructor(
    host: HTMLElement,
    private readonly server: string,
    identity: Identity = {},
  ) {
    this.identity = identity;
    this.api = `${server}/graphql`;
    this.storageKey = `switchboard:${server}`;
    this.saved = this.read();
    this.root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = css;

    const panelId = 'sb-panel';
    this.status = h('p', { class: 'status', 'data-testid': 'sb-status', role: 'status', 'aria-live': 'polite' });
    this.endButton = h('button', { type: 'button', 'data-testid': 'sb-end', onclick: () => this.askEnd() }, 'End chat');
    const minimise = h('button', { type: 'button', class: 'close', 'data-testid': 'sb-close-panel', 'aria-label': 'Close the chat window', onclick: () => this.setOpen(false) }, '✕');
    const confirmEnd = h('button', { type: 'button', class: 'primary danger', 'data-testid': 'sb-end-confirm', onclick: () => void this.endChat() }, 'End chat');
    this.endConfirm = h(
      'div',
      { class: 'confirm', role: 'alertdialog', 'aria-label': 'End this chat?', hidden: true, 'data-testid': 'sb-end-dialog' },
      h('p', {}, 'End this chat? You will not be able to write in it again.'),
      h('div', { class: 'row' }, confirmEnd, h('button', { type: 'button', class: 'secondary', 'data-testid': 'sb-end-cancel', onclick: () => this.cancelEnd() }, 'Keep chatting')),
    );
    this.connBanner = h('div', { class: 'conn', role: 'status', hidden: true, 'data-testid': 'sb-connection' }, 'Reconnecting…');

    this.nameInput = h('input', { 'data-testid': 'sb-name', name: 'name', autocomplete: 'name', required: true, maxlength: 200 });
    this.emailInput = h('input', { 'data-testid': 'sb-email', name: 'email', type: 'email', autocomplete: 'email', maxlength: 200 });
    this.startButton = h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-start' }, 'Start chat');
    this.formErrorEl = h('p', { class: 'error', role: 'alert' });
    this.form = h(
      'form',
      { class: 'form', 'aria-label': 'Start a chat', onsubmit: (e: Event) => (e.preventDefault(), void this.start()) },
      h('p', {}, 'Hi! Tell us who you are and we will connect you with someone from our team.'),
      h('label', {}, 'Your name', this.nameInput),
      h('label', {}, h('span', {}, 'Email ', h('span', { class: 'opt' }, '(optional)')), this.emailInput),
      this.formErrorEl,
      this.startButton,
    );
    this.log = h('ul', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
    // The rating prompt scrolls with the conversation, under its last line, rather than covering it.
    this.ratingBox = h('div', { class: 'rating', 'data-testid': 'sb-rating' });
    this.body = h('div', { class: 'body' }, this.form, this.log, this.ratingBox);
    this.typing = h('div', { class: 'typing', 'aria-live': 'polite' });

    this.counter = h('p', { class: 'counter', 'data-testid': 'sb-counter', 'aria-live': 'polite', hidden: true });
    this.input = h('textarea', {
      'data-testid': 'sb-input',
      rows: 1,
      'aria-describedby': 'sb-counter',
      placeholder: 'Write a message…',
      'aria-label': 'Message',
      onkeydown: (e: Event) => {
        const k = e as KeyboardEvent;
        if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
          k.preventDefault();
          this.send();
        }
      },
      oninput: () => {
        this.composeError = '';
        this.renderCounter();
        this.onTyping();
      },
      onblur: () => this.stopTyping(),
    });
    setAttr(this.counter, 'id', 'sb-counter');
    this.composer = h(
      'form',
      { class: 'composer', 'aria-label': 'Send a message', onsubmit: (e: Event) => (e.preventDefault(), this.send()) },
      this.counter,
      h('div', { class: 'row' }, this.input, h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-send' }, 'Send')),
    );

    this.panel = h(
      'div',
      { class: 'panel', id: panelId, role: 'dialog', 'aria-label': 'Support chat', hidden: true, onkeydown: (e: Event) => this.onPanelKey(e as KeyboardEvent) },
      h('div', { class: 'head' }, h('div', { class: 'titles' }, h('h2', {}, 'Support'), this.status), this.endButton, minimise),
      this.connBanner,
      this.endConfirm,
      this.body,
      this.typing,
      this.composer,
    );
    this.badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.launcher = h(
      'button',
      { class: 'launcher', type: 'button', 'data-testid': 'sb-launcher', 'aria-controls': panelId, 'aria-expanded': 'false', 'aria-label': 'Open support chat', onclick: () => this.setOpen(this.panel.hidden !== false) },
      svg(chatIcon),
      this.badge,
    );
    this.root.append(style, h('div', { class: 'root' }, this.panel, this.launcher));

    document.addEventListener('visibilitychange', () => this.scheduleRead());
    this.prefill();
    this.render();
    if (this.saved.token && this.saved.sessionId) void this.resume();
    if (this.saved.open) this.setOpen(true, false);
  }

  // ——— state and storage ———

  private read(): Saved {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) ?? '{}') as Saved;
    } catch {
      return {};
    }
  }

  private save(): void {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.saved));
    } catch {
      /* storage full or blocked: the chat still works for this page */
    }
  }

  private call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R> {
    return request(this.api, document, variables, this.saved.token);
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
    if (name && (force || !this.nameInput.value)) this.nameInput.value = name;
    if (email && (force || !this.emailInput.value)) this.emailInput.value = email;
  }

  // ——— opening, starting, resuming ———

  setOpen(open: boolean, focus = true): void {
    this.panel.hidden = !open;
    this.saved.open = open;
    this.save();
    setAttr(this.launcher, 'aria-expanded', String(open));
    setAttr(this.launcher, 'aria-label', open ? 'Close support chat' : 'Open support chat');
    this.render();
    if (open) {
      this.scrollToEnd();
      this.scheduleRead();
      if (focus) (this.session ? this.input : this.nameInput).focus();
    } else if (focus) this.launcher.focus();
  }

  private onPanelKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.stopPropagation();
      this.setOpen(false);
    }
  }

  private async start(): Promise<void> {
    const name = this.nameInput.value.trim();
    const email = this.emailInput.value.trim();
    if (!name) {
      this.formError = 'Please tell us your name.';
      this.render();
      this.nameInput.focus();
      return;
    }
    this.busy = true;
    this.formError = '';
    this.render();
    try {
      const { externalId, identityHash } = this.identity;
      const { startChat } = await this.call(WidgetStartChatDocument, {
        input: { name, email: email || null, ...(externalId ? { externalId, identityHash: identityHash ?? null } : {}) },
      });
      if (this.live && startChat.visitorToken !== this.saved.token) {
        // Another customer than the open socket's: a new connection_init with the new token.
        this.live.dispose();
        this.live = undefined;
      }
      this.saved = { ...this.saved, token: startChat.visitorToken, sessionId: startChat.session.id, name, email, outbox: [] };
      this.save();
      this.reset();
      this.session = startChat.session;
      this.noticesFromState([]); // taken at once: "… joined"
      this.connect();
      this.render();
      this.input.focus();
    } catch (error) {
      this.formError =
        error instanceof GraphQLRequestError && error.code === 'BAD_USER_INPUT'
          ? 'Please check your name and email.'
          : error instanceof GraphQLRequestError && error.code === 'FORBIDDEN'
            ? 'This site could not confirm who you are. Please reload the page and try again.'
            : error instanceof GraphQLRequestError && error.code === 'RATE_LIMITED'
            ? 'Too many chats started; please try again in a minute.'
            : 'We could not start the chat. Please try again.';
    } finally {
      this.busy = false;
      this.render();
    }
  }

  /** After a reload: the stored session, its transcript, then live from the last seq loaded. */
  private async resume(): Promise<void> {
    clearTimeout(this.loadTimer);
    try {
      const { session } = await this.call(WidgetSessionDocument, { id: this.saved.sessionId! });
      if (!session) {
        this.forgetSession();
        return;
      }
      this.session = withoutMessages(session);
      for (const m of session.messages.messages) this.addMessage(m, true);
      this.noticesFromState(session.messages.messages);
      this.connect();
      this.flush();
    } catch (error) {
      if (error instanceof GraphQLRequestError && (error.code === 'UNAUTHENTICATED' || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN')) {
        this.forgetSession(error.code === 'UNAUTHENTICATED');
        return;
      }
      this.conn = 'reconnecting';
      this.loadTimer = setTimeout(() => void this.resume(), 3000);
    } finally {
      this.render();
    }
  }

  private forgetSession(dropToken = false): void {
    this.saved = { name: this.saved.name, email: this.saved.email, open: this.saved.open, token: dropToken ? undefined : this.saved.token };
    this.save();
    this.reset();
    this.render();
  }

  private reset(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.session = null;
    this.messages.clear();
    this.rows.clear();
    this.log.replaceChildren();
    this.streamSeq = 0;
    this.readSent = 0;
    this.agentTyping = null;
    this.ratingState.value = 0;
    this.ratingState.rated = false;
    this.ratingState.hadAgent = false;
    this.notices = [];
    this.endedHere = false;
    this.confirmingEnd = false;
    this.conn = this.live ? this.conn : 'idle';
  }

  private connect(): void {
    const sessionId = this.session!.id;
    this.live ??= createLive({
      url: `${this.server.replace(/^http/, 'ws')}/graphql`,
      token: () => this.saved.token,
      onState: (state) => {
        const reconnected = state === 'connected' && this.conn === 'reconnecting';
        this.conn = state;
        this.render();
        if (reconnected) {
          // The session may have changed while we were away (assigned, closed); the messages
          // come back through the resumed subscription.
          void this.refreshSession();
          this.flush();
        }
      },
    });
    const live = this.live;
    this.unsubscribe.push(
      live.subscribe(
        WidgetMessageAddedDocument,
        { sessionId, afterSeq: this.streamSeq },
        {
          next: ({ messageAdded }) => {
            this.addMessage(messageAdded, true);
            this.render();
          },
        },
        (vars) => ({ ...vars, afterSeq: this.streamSeq }),
      ),
      live.subscribe(
        WidgetSessionUpdatedDocument,
        { sessionId },
        {
          next: ({ sessionUpdated }) => this.setSession(sessionUpdated),
        },
      ),
      live.subscribe(
        WidgetTypingDocument,
        { sessionId },
        {
          next: ({ typing }) => {
            if (typing.author === 'VISITOR') return;
            clearTimeout(this.agentTypingTimer);
            this.agentTyping = typing.typing ? (typing.name ?? this.session?.agent?.name ?? 'The agent') : null;
            if (typing.typing) this.agentTypingTimer = setTimeout(() => ((this.agentTyping = null), this.render()), TYPING_SHOWN_MS);
            this.render();
          },
        },
      ),
    );
  }

  private async refreshSession(): Promise<void> {
    if (!this.session) return;
    try {
      const { session } = await this.call(WidgetSessionDocument, { id: this.session.id });
      if (session && session.id === this.session?.id) {
        this.setSession(withoutMessages(session));
      }
    } catch {
      /* the next reconnect tries again */
    }
  }

  private setSession(session: WidgetSessionFragment): void {
    if (!this.session || session.id !== this.session.id) return;
    const wasClosed = this.session.status === 'CLOSED';
    const note = lifecycleNote(this.session, session, { me: null, endedHere: this.endedHere });
    if (note) this.notices.push({ key: `n:${this.notices.length}`, afterSeq: this.streamSeq, text: note });
    this.session = session;
    if (session.status === 'CLOSED') {
      this.agentTyping = null;
      if (!wasClosed) this.stopTyping();
    }
    this.render();
  }

  private addMessage(m: WidgetMessageFragment, inOrder: boolean): void {
    this.messages.set(m.seq, m);
    if (inOrder && m.seq > this.streamSeq) this.streamSeq = m.seq;
    if (m.clientMessageId && this.saved.outbox?.some((o) => o.clientMessageId === m.clientMessageId)) {
      this.saved.outbox = this.saved.outbox.filter((o) => o.clientMessageId !== m.clientMessageId);
      this.save();
    }
    if (m.author === 'AGENT' && this.agentTyping) {
      clearTimeout(this.agentTypingTimer);
      this.agentTyping = null;
    }
    this.scheduleRead();
  }

  // ——— writing ———

  /** After a reload: who joined (placed by assignedAt) and that it ended, from the stored state. */
  private noticesFromState(messages: readonly WidgetMessageFragment[]): void {
    const s = this.session;
    if (!s?.agent || !s.assignedAt) return;
    const at = Date.parse(s.assignedAt);
    const before = messages.filter((m) => Date.parse(m.createdAt) <= at).map((m) => m.seq);
    this.notices.push({ key: 'n:joined', afterSeq: Math.max(0, ...before), text: `${s.agent.name} joined` });
    if (s.status === 'CLOSED') this.notices.push({ key: 'n:ended', afterSeq: this.streamSeq, text: 'Chat ended' });
  }

  private send(): void {
    const body = this.input.value.trim();
    if (!body || !this.session || this.session.status === 'CLOSED') return;
    if (body.length > BODY_MAX) {
      // Never cut silently: say so, keep every character where it was.
      this.composeError = tooLongMessage(body.length);
      this.renderCounter();
      this.input.focus();
      return;
    }
    this.composeError = '';
    this.input.value = '';
    this.renderCounter();
    this.stopTyping();
    const outbox = (this.saved.outbox ??= []);
    outbox.push({ clientMessageId: newId(), body, createdAt: new Date().toISOString() });
    this.save();
    this.render();
    this.scrollToEnd();
    this.flush();
  }

  /**
   * Sends the outbox in order, one at a time. A failure that may be temporary (network, rate
   * limit, server error) is retried later with the same clientMessageId, so the server stores
   * each message once however often it is sent.
   */
  private flush(delayMs = 0): void {
    clearTimeout(this.flushTimer);
    if (delayMs) {
      this.flushTimer = setTimeout(() => this.flush(), delayMs);
      return;
    }
    if (this.flushing || !this.session) return;
    const next = this.saved.outbox?.find((o) => !o.failed);
    if (!next) return;
    this.flushing = true;
    const sessionId = this.session.id;
    this.call(WidgetSendMessageDocument, { input: { sessionId, body: next.body, clientMessageId: next.clientMessageId } })
      .then(({ sendMessage }) => {
        this.flushing = false;
        if (this.session?.id !== sessionId) return;
        this.addMessage(sendMessage, false);
        this.render();
        this.flush();
      })
      .catch((error: unknown) => {
        this.flushing = false;
        if (error instanceof GraphQLRequestError && error.retryable) {
          this.flush(error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : 2000);
          return;
        }
        next.failed = error instanceof GraphQLRequestError && error.code === 'CONFLICT' ? 'Not sent: the chat has ended.' : 'Not sent.';
        this.save();
        this.render();
        this.flush();
      });
  }

  private onTyping(): void {
    if (!this.session || this.session.status === 'CLOSED') return;
    if (!this.input.value.trim()) return this.stopTyping();
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    if (this.typingSent) return;
    this.typingSent = true;
    this.call(WidgetSetTypingDocument, { sessionId: this.session.id, typing: true }).catch(() => (this.typingSent = false));
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (!this.typingSent || !this.session) return;
    this.typingSent = false;
    this.call(WidgetSetTypingDocument, { sessionId: this.session.id, typing: false }).catch(() => undefined);
  }

  /** Read receipts: everything shown while the panel is open and the page visible. */
  private scheduleRead(): void {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      const session = this.session;
      if (!session || this.panel.hidden || document.visibilityState !== 'visible') return;
      const seq = Math.max(0, ...Array.from(this.messages.keys()));
      if (seq <= session.visitorReadSeq || seq <= this.readSent) return;
      this.readSent = seq;
      this.call(WidgetMarkReadDocument, { sessionId: session.id, seq })
        .then(({ markRead }) => this.setSession(markRead))
        .catch(() => (this.readSent = 0));
    }, 250);
  }

  /** End chat asks first (it cannot be undone); focus goes to the question. */
  private askEnd(): void {
    if (!this.session || this.session.status === 'CLOSED') return;
    this.confirmingEnd = true;
    this.render();
    this.endConfirm.querySelector<HTMLButtonElement>('[data-testid="sb-end-confirm"]')?.focus();
  }

  private cancelEnd(): void {
    this.confirmingEnd = false;
    this.render();
    this.input.focus();
  }

  private async endChat(): Promise<void> {
    if (!this.session || this.session.status === 'CLOSED') return;
    this.endedHere = true;
    try {
      const { closeChat } = await this.call(WidgetCloseChatDocument, { sessionId: this.session.id });
      this.confirmingEnd = false;
      this.setSession(closeChat);
      this.scrollToEnd();
      // Focus stays in the widget: on the rating (or, with nobody to rate, on "Start a new chat").
      (this.ratingBox.querySelector<HTMLElement>('[role="radio"][tabindex="0"]') ?? this.ratingBox.querySelector<HTMLElement>('button'))?.focus();
    } catch {
      this.endedHere = false; // shown as still open; the visitor may try again
      this.render();
    }
  }

  private async rate(comment: string): Promise<void> {
    if (!this.session || !this.ratingState.value) return;
    try {
      const { rateChat } = await this.call(WidgetRateChatDocument, { sessionId: this.session.id, rating: this.ratingState.value, comment: comment.trim() || null });
      this.ratingState.rated = true;
      this.setSession(rateChat);
    } catch {
      this.ratingState.rated = true; // rated already, or the chat is gone: nothing more to ask
      this.render();
    }
    this.ratingBox.querySelector<HTMLElement>('[data-testid="sb-new-chat"]')?.focus();
  }

  private newChat(): void {
    this.forgetSession();
    this.nameInput.value = this.saved.name ?? '';
    this.emailInput.value = this.saved.email ?? '';
    this.nameInput.focus();
  }

  // ——— rendering ———

  private render(): void {
    const s = this.session;
    const closed = s?.status === 'CLOSED';
    // No promise before a chat starts: nothing here knows how soon anyone can answer.
    setText(
      this.status,
      !s
        ? ''
        : s.status === 'QUEUED'
          ? s.queuePosition
            ? `Waiting for an agent: you are number ${s.queuePosition} in the queue`
            : 'Waiting for an agent'
          : s.status === 'ACTIVE'
            ? `Chatting with ${s.agent?.name ?? 'an agent'}`
            : 'This chat has ended',
    );
    this.endButton.hidden = !s || closed;
    this.endConfirm.hidden = !this.confirmingEnd || !s || closed;
    this.connBanner.hidden = !(s && (this.conn === 'reconnecting' || this.conn === 'failed'));
    setText(this.connBanner, this.conn === 'failed' ? 'Disconnected. Reload the page to reconnect.' : 'Reconnecting…');

    this.form.hidden = !!s;
    this.startButton.disabled = this.busy;
    setText(this.formErrorEl, this.formError);
    if (!s && !this.nameInput.value && this.saved.name) this.nameInput.value = this.saved.name;
    this.log.hidden = !s;
    this.composer.hidden = !s || closed;

    this.renderMessages();
    this.renderTyping();
    this.renderRating();
    this.renderCounter();

    const unread = s ? Array.from(this.messages.values()).filter((m) => m.author !== 'VISITOR' && m.seq > s.visitorReadSeq).length : 0;
    this.badge.hidden = !this.panel.hidden || unread === 0;
    setText(this.badge, String(unread));
    setAttr(this.launcher, 'title', unread && this.panel.hidden ? `${unread} unread` : null);
  }

  private renderMessages(): void {
    const s = this.session;
    if (!s) return;
    const wasAtEnd = this.body.scrollHeight - this.body.scrollTop - this.body.clientHeight < 40;
    type Item = { key: string; author: WidgetMessageFragment['author']; name: string; body: string; seq?: number; at: string; pending?: Outgoing };
    const items: Item[] = Array.from(this.messages.values())
      .sort((a, b) => a.seq - b.seq)
      .map((m) => ({ key: m.clientMessageId ? `c:${m.clientMessageId}` : `s:${m.seq}`, author: m.author, name: m.authorName ?? '', body: m.body, seq: m.seq, at: m.createdAt }));
    const confirmed = new Set(items.map((i) => i.key));
    for (const o of this.saved.outbox ?? []) {
      if (!confirmed.has(`c:${o.clientMessageId}`)) items.push({ key: `c:${o.clientMessageId}`, author: 'VISITOR', name: '', body: o.body, at: o.createdAt, pending: o });
    }
    const wanted: HTMLElement[] = [];
    let prev: Item | undefined;
    const notices = [...this.notices].sort((a, b) => a.afterSeq - b.afterSeq);
    let n = 0;
    const noticesUpTo = (seq: number) => {
      for (; n < notices.length && notices[n].afterSeq <= seq; n++) {
        const { key, text } = notices[n];
        let row = this.rows.get(key);
        if (!row) this.rows.set(key, (row = h('li', { class: 'event', 'data-testid': 'sb-event', role: 'note' }, text)));
        wanted.push(row);
        prev = undefined; // a step between two lines of one author: name them again after it
      }
    };
    noticesUpTo(0);
    for (const item of items) {
      if (!prev || prev.author !== item.author || prev.name !== item.name) {
        const label = item.author === 'VISITOR' ? 'You' : item.author === 'SYSTEM' ? '' : item.name || 'Agent';
        if (label) {
          const key = `who:${item.key}`;
          let who = this.rows.get(key);
          if (!who) this.rows.set(key, (who = h('li', { class: `who ${item.author}`, 'aria-hidden': 'true' }, label)));
          wanted.push(who);
        }
      }
      prev = item;
      let row = this.rows.get(item.key);
      if (!row) {
        const speaker = item.author === 'VISITOR' ? 'You' : item.author === 'SYSTEM' ? 'Notice' : item.name || 'Agent';
        row = h(
          'li',
          { class: `msg ${item.author}`, 'data-testid': 'sb-message', 'data-author': item.author },
          h('span', { class: 'sr-only' }, `${speaker}: `),
          h('div', { class: 'bubble' }, ...linkNodes(item.body)),
          h('div', { class: 'meta' }, h('time', { datetime: item.at }, formatTime(item.at)), h('span', { class: 'tick' })),
        );
        this.rows.set(item.key, row);
      }
      setAttr(row, 'data-seq', item.seq === undefined ? null : String(item.seq));
      setAttr(row, 'data-pending', item.pending && !item.pending.failed ? 'true' : null);
      setAttr(row, 'data-failed', item.pending?.failed ? 'true' : null);
      const tick = row.querySelector('.tick')!;
      if (item.author === 'VISITOR') {
        const read = item.seq !== undefined && item.seq <= s.agentReadSeq;
        const text = item.pending ? (item.pending.failed ?? 'Sending…') : read ? ' ✓✓ Read' : ' ✓ Sent';
        setText(tick, item.pending ? ` · ${text}` : text);
        tick.classList.toggle('read', read);
        setAttr(tick, 'data-testid', 'sb-tick');
        setAttr(tick, 'data-state', item.pending ? (item.pending.failed ? 'failed' : 'sending') : read ? 'read' : 'sent');
      }
      wanted.push(row);
      if (item.seq !== undefined) noticesUpTo(item.seq);
    }
    noticesUpTo(Infinity);
    reconcile(this.log, wanted);
    if (wasAtEnd) this.scrollToEnd();
  }

  private renderTyping(): void {
    const name = this.session?.status === 'ACTIVE' ? this.agentTyping : null;
    const current = this.typing.firstElementChild;
    if (!name) {
      if (current) this.typing.replaceChildren();
      return;
    }
    const text = `${name} is typing`;
    if (current?.getAttribute('aria-label') === text) return;
    this.typing.replaceChildren(
      h('span', { 'data-testid': 'sb-typing', 'aria-label': text }, `${text} `, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'))),
    );
  }

  private renderRating(): void {
    if (this.session?.agent) this.ratingState.hadAgent = true;
    renderRating(this.ratingBox, this.session, this.ratingState, {
      root: this.root,
      rerender: () => this.render(),
      rate: (comment) => void this.rate(comment),
      newChat: () => this.newChat(),
    });
  }

  /** A count-down near the limit, and the refusal once over it. */
  private renderCounter(): void {
    const note = lengthNote(this.input.value.trim().length);
    const over = note.over;
    const text = this.composeError || note.text;
    this.counter.hidden = !text;
    setText(this.counter, text);
    this.counter.classList.toggle('over', over || Boolean(this.composeError));
    setAttr(this.counter, 'role', this.composeError ? 'alert' : null);
    setAttr(this.input, 'aria-invalid', over ? 'true' : null);
  }

  private scrollToEnd(): void {
    this.body.scrollTop = this.body.scrollHeight;
  }
}

function withoutMessages<T extends { messages: unknown }>(session: T): Omit<T, 'messages'> {
  const copy: Partial<T> = { ...session };
  delete copy.messages;
  return copy as Omit<T, 'messages'>;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function svg(path: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const el = document.createElementNS(ns, 'svg');
  el.setAttribute('viewBox', '0 0 24 24');
  el.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  el.appendChild(p);
  return el;
}
