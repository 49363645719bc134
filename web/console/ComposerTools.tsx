/**
 * The console composer's tools: files (attach, paste; uploaded at once with progress, refusals
 * said plainly) and the canned responses that "/" opens (arrow keys and Enter pick, Escape
 * closes; placeholders filled). Attachments in the transcript are drawn here too.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FileLike } from '../shared/chat';
import { fileHref, isImage, uploadFile, type Uploading } from '../shared/upload';
import type { Canned } from './desk';

const SERVER = location.origin;
const TEXTS = {
  tooLarge: 'This file is too large.',
  refusedType: 'Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent.',
  failed: 'The file could not be uploaded.',
};

/** A message's files: an image shown (a link to it), or a link to download. */
export function Attachments({ files }: { files: readonly FileLike[] }) {
  if (!files.length) return null;
  return (
    <div className="files">
      {files.map((f) => {
        const href = fileHref(SERVER, f.url);
        return isImage(f.contentType) && f.url ? (
          <a key={f.id} href={href} target="_blank" rel="noopener noreferrer">
            <img src={href} alt={f.name} data-testid="sb-attachment" loading="lazy" />
          </a>
        ) : (
          <a key={f.id} href={href} target="_blank" rel="noopener noreferrer" download={f.name} data-testid="sb-attachment" className="doc">
            {f.name}
          </a>
        );
      })}
    </div>
  );
}

/** The files waiting to go with the next reply. */
export function useUploads(token: string, sessionId: string) {
  const [items, setItems] = useState<Uploading[]>([]);
  const refresh = useCallback(() => setItems((list) => [...list]), []);
  const add = (files: File[]) => {
    const started = files.slice(0, 10).map((f) => uploadFile(SERVER, token, f, sessionId, TEXTS, refresh));
    setItems((list) => [...list, ...started]);
  };
  const take = (): FileLike[] => {
    const done = items.filter((u) => u.file).map((u) => u.file!);
    setItems((list) => list.filter((u) => !u.file));
    return done;
  };
  const remove = (key: string) => setItems((list) => list.filter((u) => u.key !== key));
  return { items, add, take, remove, busy: items.some((u) => !u.file && !u.error) };
}

export function UploadTray({ items, remove }: { items: Uploading[]; remove: (key: string) => void }) {
  if (!items.length) return null;
  return (
    <ul className="tray" aria-label="Files to send">
      {items.map((u) => (
        <li key={u.key} className={`file${u.error ? ' failed' : ''}`} data-testid="sb-upload" data-state={u.error ? 'failed' : u.file ? 'done' : 'uploading'}>
          {u.preview ? <img src={u.preview} alt="" /> : <span className="doc-icon" aria-hidden="true">▤</span>}
          <span className="name">{u.name}</span>
          {!u.file && !u.error && <progress max={1} value={u.progress} />}
          {u.error && (
            <span className="error" role="alert" data-testid="sb-upload-error">
              {u.error}
            </span>
          )}
          <button type="button" className="ghost small" aria-label={`Remove ${u.name}`} onClick={() => remove(u.key)}>
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

/** What follows a leading "/" in the composer, while it is one word: the canned responses' query. */
export function slashQuery(draft: string): string | null {
  const m = /^\/([a-z0-9_-]*)$/i.exec(draft);
  return m ? m[1] : null;
}

/** The list "/" opens; the composer moves the highlight (arrow keys) and picks (Enter, Tab, click). */
export function CannedPicker({ items, active, pick }: { items: Canned[]; active: number; pick: (c: Canned) => void }) {
  useEffect(() => {
    document.getElementById(`sb-canned-${active}`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);
  return (
    <ul className="canned" role="listbox" data-testid="sb-canned" aria-label="Canned responses">
      {items.length === 0 ? (
        <li className="empty">No canned response matches.</li>
      ) : (
        items.map((c, i) => (
          <li
            key={c.id}
            id={`sb-canned-${i}`}
            role="option"
            aria-selected={i === active}
            data-testid="sb-canned-item"
            className={i === active ? 'active' : ''}
            onMouseDown={(e) => {
              e.preventDefault(); // keep the focus in the composer
              pick(c);
            }}
          >
            <span className="shortcut">/{c.shortcut}</span> <span className="title">{c.title}</span>
            {!c.owner && <span className="tag">team</span>}
          </li>
        ))
      )}
    </ul>
  );
}
