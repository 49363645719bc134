/**
 * The widget's elements, built once in its shadow root: the launcher, and the panel with its head,
 * pre-chat form, transcript, rating box, typing line and composer. Behaviour is the caller's
 * (`Actions`); this file only builds and labels.
 */
import { h, setAttr } from '../shared/dom';
import { css } from './styles';

export interface Actions {
  toggle(): void;
  close(): void;
  askEnd(): void;
  confirmEnd(): void;
  cancelEnd(): void;
  start(): void;
  send(): void;
  input(): void;
  blur(): void;
  panelKey(e: KeyboardEvent): void;
}

export interface View {
  launcher: HTMLButtonElement;
  badge: HTMLSpanElement;
  panel: HTMLDivElement;
  status: HTMLParagraphElement;
  endButton: HTMLButtonElement;
  endConfirm: HTMLDivElement;
  connBanner: HTMLDivElement;
  body: HTMLDivElement;
  form: HTMLFormElement;
  nameInput: HTMLInputElement;
  emailInput: HTMLInputElement;
  startButton: HTMLButtonElement;
  formError: HTMLParagraphElement;
  /** The offline form's part (availability.open false): when we reply, and the message to leave. */
  offline: HTMLDivElement;
  offlineNote: HTMLParagraphElement;
  offlineMessage: HTMLTextAreaElement;
  emailNote: HTMLSpanElement;
  /** While open: the expected wait. */
  wait: HTMLParagraphElement;
  log: HTMLUListElement;
  ratingBox: HTMLDivElement;
  typing: HTMLDivElement;
  composer: HTMLFormElement;
  counter: HTMLParagraphElement;
  input: HTMLTextAreaElement;
}

const chatIcon =
  'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z';

export function buildView(root: ShadowRoot, act: Actions): View {
  const style = document.createElement('style');
  style.textContent = css;
  const panelId = 'sb-panel';
  const status = h('p', { class: 'status', 'data-testid': 'sb-status', role: 'status', 'aria-live': 'polite' });
  const endButton = h('button', { type: 'button', 'data-testid': 'sb-end', onclick: () => act.askEnd() }, 'End chat');
  const minimise = h('button', { type: 'button', class: 'close', 'data-testid': 'sb-close-panel', 'aria-label': 'Close the chat window', onclick: () => act.close() }, '✕');
  const confirmEnd = h('button', { type: 'button', class: 'primary danger', 'data-testid': 'sb-end-confirm', onclick: () => act.confirmEnd() }, 'End chat');
  const endConfirm = h(
    'div',
    { class: 'confirm', role: 'alertdialog', 'aria-label': 'End this chat?', hidden: true, 'data-testid': 'sb-end-dialog' },
    h('p', {}, 'End this chat? You will not be able to write in it again.'),
    h('div', { class: 'row' }, confirmEnd, h('button', { type: 'button', class: 'secondary', 'data-testid': 'sb-end-cancel', onclick: () => act.cancelEnd() }, 'Keep chatting')),
  );
  const connBanner = h('div', { class: 'conn', role: 'status', hidden: true, 'data-testid': 'sb-connection' }, 'Reconnecting…');

  const nameInput = h('input', { 'data-testid': 'sb-name', name: 'name', autocomplete: 'name', required: true, maxlength: 200 });
  const emailInput = h('input', { 'data-testid': 'sb-email', name: 'email', type: 'email', autocomplete: 'email', maxlength: 200 });
  const startButton = h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-start' }, 'Start chat');
  const formError = h('p', { class: 'error', role: 'alert' });
  const emailNote = h('span', { class: 'opt' }, '(optional)');
  const offlineNote = h('p', { 'data-testid': 'sb-offline-note' });
  const offlineMessage = h('textarea', { 'data-testid': 'sb-offline-message', name: 'message', rows: 3, maxlength: 4000 });
  const offline = h(
    'div',
    { class: 'offline', 'data-testid': 'sb-offline', hidden: true },
    h('p', { class: 'legend' }, 'Nobody is available right now.'),
    offlineNote,
    h('label', {}, h('span', {}, 'Your message ', h('span', { class: 'opt' }, '(optional)')), offlineMessage),
  );
  const wait = h('p', { class: 'note', 'data-testid': 'sb-wait', hidden: true });
  const form = h(
    'form',
    // data-availability: pending until the server said whether anyone can answer (open, offline, unknown).
    { class: 'form', 'aria-label': 'Start a chat', 'data-availability': 'pending', onsubmit: (e: Event) => (e.preventDefault(), act.start()) },
    h('p', {}, 'Hi! Tell us who you are and we will connect you with someone from our team.'),
    wait,
    h('label', {}, 'Your name', nameInput),
    h('label', {}, h('span', {}, 'Email ', emailNote), emailInput),
    offline,
    formError,
    startButton,
  );
  const log = h('ul', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  // The rating prompt scrolls with the conversation, under its last line, rather than covering it.
  const ratingBox = h('div', { class: 'rating', 'data-testid': 'sb-rating' });
  const body = h('div', { class: 'body' }, form, log, ratingBox);
  const typing = h('div', { class: 'typing', 'aria-live': 'polite' });

  const counter = h('p', { class: 'counter', 'data-testid': 'sb-counter', 'aria-live': 'polite', hidden: true });
  const input = h('textarea', {
    'data-testid': 'sb-input',
    rows: 1,
    'aria-describedby': 'sb-counter',
    placeholder: 'Write a message…',
    'aria-label': 'Message',
    onkeydown: (e: Event) => {
      const k = e as KeyboardEvent;
      if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
        k.preventDefault();
        act.send();
      }
    },
    oninput: () => act.input(),
    onblur: () => act.blur(),
  });
  setAttr(counter, 'id', 'sb-counter');
  const composer = h(
    'form',
    { class: 'composer', 'aria-label': 'Send a message', onsubmit: (e: Event) => (e.preventDefault(), act.send()) },
    counter,
    h('div', { class: 'row' }, input, h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-send' }, 'Send')),
  );

  const panel = h(
    'div',
    { class: 'panel', id: panelId, role: 'dialog', 'aria-label': 'Support chat', hidden: true, onkeydown: (e: Event) => act.panelKey(e as KeyboardEvent) },
    h('div', { class: 'head' }, h('div', { class: 'titles' }, h('h2', {}, 'Support'), status), endButton, minimise),
    connBanner,
    endConfirm,
    body,
    typing,
    composer,
  );
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h(
    'button',
    { class: 'launcher', type: 'button', 'data-testid': 'sb-launcher', 'aria-controls': panelId, 'aria-expanded': 'false', 'aria-label': 'Open support chat', onclick: () => act.toggle() },
    svg(chatIcon),
    badge,
  );
  root.append(style, h('div', { class: 'root' }, panel, launcher));
  return { launcher, badge, panel, status, endButton, endConfirm, connBanner, body, form, nameInput, emailInput, startButton, formError, offline, offlineNote, offlineMessage, emailNote, wait, log, ratingBox, typing, composer, counter, input };
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
