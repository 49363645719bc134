/**
 * The widget's elements, built once in its shadow root: the launcher, and the panel with its head,
 * pre-chat form, transcript, rating box, typing line and composer. Behaviour is the caller's
 * (`Actions`); this file only builds and labels.
 */
import { h, setAttr } from '../shared/dom';
import { locale, t } from './i18n';
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
  /** Files chosen, pasted or dropped. */
  files(files: File[], e?: Event): void;
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
  fileInput: HTMLInputElement;
  tray: HTMLUListElement;
}

const chatIcon =
  'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8.5L4 21.5V18a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z';

export function buildView(root: ShadowRoot, act: Actions): View {
  const style = document.createElement('style');
  style.textContent = css;
  const panelId = 'sb-panel';
  const status = h('p', { class: 'status', 'data-testid': 'sb-status', role: 'status', 'aria-live': 'polite' });
  const endButton = h('button', { type: 'button', 'data-testid': 'sb-end', onclick: () => act.askEnd() }, t.endChat);
  const minimise = h('button', { type: 'button', class: 'close', 'data-testid': 'sb-close-panel', 'aria-label': t.closePanel, onclick: () => act.close() }, '✕');
  const confirmEnd = h('button', { type: 'button', class: 'primary danger', 'data-testid': 'sb-end-confirm', onclick: () => act.confirmEnd() }, t.endChat);
  const endConfirm = h(
    'div',
    { class: 'confirm', role: 'alertdialog', 'aria-label': t.endChat, hidden: true, 'data-testid': 'sb-end-dialog' },
    h('p', {}, t.endQuestion),
    h('div', { class: 'row' }, confirmEnd, h('button', { type: 'button', class: 'secondary', 'data-testid': 'sb-end-cancel', onclick: () => act.cancelEnd() }, t.keepChatting)),
  );
  const connBanner = h('div', { class: 'conn', role: 'status', hidden: true, 'data-testid': 'sb-connection' }, t.reconnecting);

  const nameInput = h('input', { 'data-testid': 'sb-name', name: 'name', autocomplete: 'name', required: true, maxlength: 200 });
  const emailInput = h('input', { 'data-testid': 'sb-email', name: 'email', type: 'email', autocomplete: 'email', maxlength: 200 });
  const startButton = h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-start' }, t.startChat);
  const formError = h('p', { class: 'error', role: 'alert' });
  const emailNote = h('span', { class: 'opt' }, t.optional);
  const offlineNote = h('p', { 'data-testid': 'sb-offline-note' });
  const offlineMessage = h('textarea', { 'data-testid': 'sb-offline-message', name: 'message', rows: 3, maxlength: 4000 });
  const offline = h(
    'div',
    { class: 'offline', 'data-testid': 'sb-offline', hidden: true },
    h('p', { class: 'legend' }, t.nobodyAvailable),
    offlineNote,
    h('label', {}, h('span', {}, `${t.yourMessage} `, h('span', { class: 'opt' }, t.optional)), offlineMessage),
  );
  const wait = h('p', { class: 'note', 'data-testid': 'sb-wait', hidden: true });
  const form = h(
    'form',
    // data-availability: pending until the server said whether anyone can answer (open, offline, unknown).
    { class: 'form', 'aria-label': t.startAChat, 'data-availability': 'pending', onsubmit: (e: Event) => (e.preventDefault(), act.start()) },
    h('p', {}, t.intro),
    wait,
    h('label', {}, t.yourName, nameInput),
    h('label', {}, h('span', {}, `${t.email} `, emailNote), emailInput),
    offline,
    formError,
    startButton,
  );
  const log = h('ul', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.messages });
  // The rating prompt scrolls with the conversation, under its last line, rather than covering it.
  const ratingBox = h('div', { class: 'rating', 'data-testid': 'sb-rating' });
  const body = h('div', { class: 'body' }, form, log, ratingBox);
  const typing = h('div', { class: 'typing', 'aria-live': 'polite' });

  const counter = h('p', { class: 'counter', 'data-testid': 'sb-counter', 'aria-live': 'polite', hidden: true });
  const input = h('textarea', {
    'data-testid': 'sb-input',
    rows: 1,
    'aria-describedby': 'sb-counter',
    placeholder: t.writeMessage,
    'aria-label': t.message,
    onkeydown: (e: Event) => {
      const k = e as KeyboardEvent;
      if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
        k.preventDefault();
        act.send();
      }
    },
    oninput: () => act.input(),
    onblur: () => act.blur(),
    onpaste: (e: Event) => {
      const files = Array.from((e as ClipboardEvent).clipboardData?.files ?? []);
      if (files.length) act.files(files, e);
    },
  });
  // An <input type=file> inside its label: the paper-clip button opens the file chooser.
  const fileInput = h('input', {
    type: 'file',
    class: 'sr-only',
    'data-testid': 'sb-file',
    multiple: true,
    accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain',
    onchange: (e: Event) => {
      const el = e.target as HTMLInputElement;
      act.files(Array.from(el.files ?? []));
      el.value = '';
    },
  });
  const attach = h('label', { class: 'attach', title: t.attach }, fileInput, h('span', { class: 'sr-only' }, t.attach), svg(clipIcon));
  const tray = h('ul', { class: 'tray', hidden: true, 'aria-label': t.attach });
  setAttr(counter, 'id', 'sb-counter');
  const composer = h(
    'form',
    { class: 'composer', 'aria-label': t.sendAMessage, onsubmit: (e: Event) => (e.preventDefault(), act.send()) },
    counter,
    tray,
    h('div', { class: 'row' }, attach, input, h('button', { class: 'primary', type: 'submit', 'data-testid': 'sb-send' }, t.send)),
  );

  const panel = h(
    'div',
    {
      class: 'panel',
      id: panelId,
      role: 'dialog',
      'aria-label': t.support,
      hidden: true,
      onkeydown: (e: Event) => act.panelKey(e as KeyboardEvent),
      ondragover: (e: Event) => e.preventDefault(),
      ondrop: (e: Event) => {
        const files = Array.from((e as DragEvent).dataTransfer?.files ?? []);
        if (files.length) act.files(files, e);
      },
    },
    h('div', { class: 'head' }, h('div', { class: 'titles' }, h('h2', {}, t.support), status), endButton, minimise),
    connBanner,
    endConfirm,
    body,
    typing,
    composer,
  );
  const badge = h('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = h(
    'button',
    { class: 'launcher', type: 'button', 'data-testid': 'sb-launcher', 'aria-controls': panelId, 'aria-expanded': 'false', 'aria-label': t.openChat, onclick: () => act.toggle() },
    svg(chatIcon),
    badge,
  );
  root.append(style, h('div', { class: 'root', lang: locale }, panel, launcher));
  return { launcher, badge, panel, status, endButton, endConfirm, connBanner, body, form, nameInput, emailInput, startButton, formError, offline, offlineNote, offlineMessage, emailNote, wait, log, ratingBox, typing, composer, counter, input, fileInput, tray };
}

const clipIcon = 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z';

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
