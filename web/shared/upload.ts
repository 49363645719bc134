/**
 * Files for a message, as the widget and the console send them: `POST /uploads` (multipart, the
 * bearer token), with upload progress (XMLHttpRequest: fetch reports none), then the id goes in
 * the message's attachmentIds. Refusals come back with the server's reason.
 */
import type { FileLike } from './chat';

export interface Uploading {
  key: string;
  name: string;
  contentType: string;
  /** A local preview of an image (object URL) while it uploads and until sent. */
  preview: string | null;
  /** 0 to 1. */
  progress: number;
  /** Once uploaded. */
  file?: FileLike;
  error?: string;
}

/** What the widget and the console say when the server refuses a file (or the network fails). */
export interface UploadTexts {
  tooLarge: string;
  refusedType: string;
  failed: string;
}

const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

let counter = 0;

/** Uploads one file; `onChange` after every step (progress, done, refused). */
export function uploadFile(
  server: string,
  token: string | null | undefined,
  file: File,
  sessionId: string | null,
  texts: UploadTexts,
  onChange: (u: Uploading) => void,
): Uploading {
  const u: Uploading = { key: `u${++counter}`, name: file.name || 'file', contentType: file.type, preview: IMAGE.test(file.type) ? URL.createObjectURL(file) : null, progress: 0 };
  const form = new FormData();
  if (sessionId) form.append('sessionId', sessionId);
  form.append('file', file, u.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `${server}/uploads`);
  if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) u.progress = e.loaded / e.total;
    onChange(u);
  };
  xhr.onload = () => {
    let body: { id?: string; name?: string; contentType?: string; errors?: Array<{ message: string }> } = {};
    try {
      body = JSON.parse(xhr.responseText) as typeof body;
    } catch {
      /* not JSON: the generic failure below */
    }
    if (xhr.status === 201 && body.id) {
      u.progress = 1;
      u.contentType = body.contentType ?? u.contentType;
      u.file = { id: body.id, name: body.name ?? u.name, contentType: u.contentType, url: u.preview ?? '' };
    } else if (xhr.status === 413) u.error = texts.tooLarge;
    else if (xhr.status === 415) u.error = texts.refusedType;
    else u.error = body.errors?.[0]?.message ?? texts.failed;
    onChange(u);
  };
  xhr.onerror = () => {
    u.error = texts.failed;
    onChange(u);
  };
  xhr.send(form);
  return u;
}

/** The files of a paste or a drop (images pasted from the clipboard have no name: one is given). */
export function filesOf(data: DataTransfer | null): File[] {
  if (!data) return [];
  const files = Array.from(data.files);
  return files.map((f, i) => (f.name ? f : new File([f], `pasted-${Date.now()}-${i}.${f.type.split('/')[1] ?? 'bin'}`, { type: f.type })));
}

/** A file's URL for an <img> or a link: the API's are relative to the server. */
export const fileHref = (server: string, url: string) => (/^(blob:|https?:)/.test(url) ? url : `${server}${url}`);

export const isImage = (contentType: string) => IMAGE.test(contentType);
