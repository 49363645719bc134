/**
 * The widget's files on their way: chosen, pasted or dropped, uploaded at once (with progress),
 * shown in a tray above the composer (a preview for images, a clear error for a file too large or
 * of a refused type), then sent with the next message.
 */
import type { FileLike } from '../shared/chat';
import { h, setText } from '../shared/dom';
import { uploadFile, type Uploading } from '../shared/upload';
import { t } from './i18n';

export class FileTray {
  private items: Uploading[] = [];

  constructor(
    private readonly tray: HTMLUListElement,
    private readonly server: string,
    private readonly token: () => string | null | undefined,
    private readonly onChange: () => void,
  ) {}

  add(files: File[], sessionId: string): void {
    for (const file of files.slice(0, 10)) {
      this.items.push(uploadFile(this.server, this.token(), file, sessionId, { tooLarge: t.tooLarge, refusedType: t.refusedType, failed: t.uploadFailed }, () => this.render()));
    }
    this.render();
  }

  /** Still uploading: the message waits. */
  get busy(): boolean {
    return this.items.some((u) => !u.file && !u.error);
  }

  /** The uploaded files, taken out of the tray for a message (the refused ones stay, with their error). */
  take(): FileLike[] {
    const done = this.items.filter((u) => u.file);
    this.items = this.items.filter((u) => !u.file);
    this.render();
    return done.map((u) => u.file!);
  }

  clear(): void {
    this.items = [];
    this.render();
  }

  private remove(key: string): void {
    const gone = this.items.find((u) => u.key === key);
    if (gone?.preview && !gone.file) URL.revokeObjectURL(gone.preview);
    this.items = this.items.filter((u) => u.key !== key);
    this.render();
  }

  private render(): void {
    this.tray.hidden = this.items.length === 0;
    this.tray.replaceChildren(
      ...this.items.map((u) => {
        const status = h('span', { class: 'state' });
        setText(status, u.error ?? (u.file ? '' : `${t.uploading} ${Math.round(u.progress * 100)} %`));
        return h(
          'li',
          { class: `file${u.error ? ' failed' : ''}`, 'data-testid': 'sb-upload', 'data-state': u.error ? 'failed' : u.file ? 'done' : 'uploading' },
          u.preview ? h('img', { src: u.preview, alt: '' }) : h('span', { class: 'doc', 'aria-hidden': 'true' }, '▤'),
          h('span', { class: 'name' }, u.name),
          h('progress', { max: 1, value: u.progress, hidden: Boolean(u.file || u.error) }),
          u.error ? h('span', { class: 'error', role: 'alert', 'data-testid': 'sb-upload-error' }, u.error) : status,
          h('button', { type: 'button', class: 'remove', 'aria-label': t.removeFile(u.name), onclick: () => this.remove(u.key) }, '✕'),
        );
      }),
    );
    this.onChange();
  }
}
