/**
 * The widget's conversation: the chat model's timeline drawn as list items, grouped by author,
 * with read ticks on the visitor's own lines. Rows are kept by key and moved, never rebuilt, so
 * screen readers announce only what is new.
 */
import type { WidgetMessageFragment, WidgetSessionFragment } from '../generated/widget';
import type { ChatModel } from '../shared/chat';
import { h, reconcile, setAttr, setText } from '../shared/dom';
import { linkNodes } from '../shared/linkify';
import { fileHref, isImage } from '../shared/upload';
import { t } from './i18n';

export type WidgetChat = ChatModel<WidgetSessionFragment, WidgetMessageFragment>;

export class Transcript {
  private readonly rows = new Map<string, HTMLElement>();

  constructor(
    private readonly log: HTMLUListElement,
    private readonly typing: HTMLDivElement,
    private readonly server: string,
  ) {}

  clear(): void {
    this.rows.clear();
    this.log.replaceChildren();
  }

  render(chat: WidgetChat): void {
    const wanted: HTMLElement[] = [];
    for (const entry of chat.timeline()) {
      if (entry.kind === 'notice') {
        wanted.push(this.row(entry.key, () => h('li', { class: 'event', 'data-testid': 'sb-event', role: 'note' }, entry.text)));
        continue;
      }
      const label = entry.author === 'VISITOR' ? t.you : entry.author === 'SYSTEM' ? '' : entry.name || t.agent;
      if (entry.first && label) wanted.push(this.row(`who:${entry.key}`, () => h('li', { class: `who ${entry.author}`, 'aria-hidden': 'true' }, label)));
      const row = this.row(entry.key, () =>
        h(
          'li',
          { class: `msg ${entry.author}`, 'data-testid': 'sb-message', 'data-author': entry.author },
          h('span', { class: 'sr-only' }, `${entry.author === 'SYSTEM' ? t.notice : label}: `),
          h('div', { class: 'bubble' }, ...linkNodes(entry.body)),
          h('div', { class: 'files' }),
          h('div', { class: 'meta' }, h('time', { datetime: entry.at }, formatTime(entry.at)), h('span', { class: 'tick' })),
        ),
      );
      const { pending, seq } = entry;
      setAttr(row, 'data-seq', seq === undefined ? null : String(seq));
      setAttr(row, 'data-pending', pending && !pending.failed ? 'true' : null);
      setAttr(row, 'data-failed', pending?.failed ? 'true' : null);
      this.renderFiles(row.querySelector('.files')!, entry.files);
      if (entry.author === 'VISITOR') {
        const tick = row.querySelector('.tick')!;
        const read = seq !== undefined && seq <= chat.session.agentReadSeq;
        setText(tick, pending ? ` · ${pending.failed ?? t.sending}` : read ? ` ${t.read}` : ` ${t.sent}`);
        tick.classList.toggle('read', read);
        setAttr(tick, 'data-testid', 'sb-tick');
        setAttr(tick, 'data-state', pending ? (pending.failed ? 'failed' : 'sending') : read ? 'read' : 'sent');
      }
      wanted.push(row);
    }
    reconcile(this.log, wanted);
    this.renderTyping(chat.session.status === 'ACTIVE' ? chat.otherTyping : null);
  }

  /** Each file of a message: an image shown (a link to it), or a link; the sent ones by their signed URL. */
  private renderFiles(box: Element, files: ReadonlyArray<{ id: string; name: string; contentType: string; url: string }>): void {
    const key = files.map((f) => `${f.id}:${f.url.split('?')[0]}`).join(',');
    if (box.getAttribute('data-files') === key) return;
    box.setAttribute('data-files', key);
    box.replaceChildren(
      ...files.map((f) => {
        const href = fileHref(this.server, f.url);
        return isImage(f.contentType) && f.url
          ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'file-link' }, h('img', { src: href, alt: f.name, 'data-testid': 'sb-attachment', loading: 'lazy' }))
          : h('a', { href, target: '_blank', rel: 'noopener noreferrer', download: f.name, 'data-testid': 'sb-attachment', class: 'doc' }, f.name);
      }),
    );
  }

  private row(key: string, build: () => HTMLElement): HTMLElement {
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = build()));
    return row;
  }

  renderTyping(name: string | null): void {
    const current = this.typing.firstElementChild;
    if (!name) {
      if (current) this.typing.replaceChildren();
      return;
    }
    const text = t.isTyping(name);
    if (current?.getAttribute('aria-label') === text) return;
    this.typing.replaceChildren(
      h('span', { 'data-testid': 'sb-typing', 'aria-label': text }, `${text} `, h('span', { class: 'dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'))),
    );
  }
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
