import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { crc32, deflateSync } from 'node:zlib';
import type { Target } from './factories';

/** The desk's operations as text (typed by the caller): `doc<{ addNote: { id: string } }>(…)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const doc = <T, V = Record<string, any>>(source: string) => parse(source) as unknown as TypedDocumentNode<T, V>;

/** The server's base URL (…/graphql without the path). */
export const baseOf = (t: Target) => t.url.replace(/\/graphql$/, '');

export interface Uploaded {
  status: number;
  body: { id: string; name: string; contentType: string; size: number; width: number | null; height: number | null; errors?: Array<{ message: string; extensions: { code: string } }> };
}

/** POST /uploads as the widget sends it: multipart with `sessionId` (optional) and `file`. */
export async function upload(t: Target, token: string | undefined, data: Buffer, name: string, sessionId?: string, type = 'application/octet-stream'): Promise<Uploaded> {
  const form = new FormData();
  if (sessionId) form.set('sessionId', sessionId);
  form.set('file', new Blob([new Uint8Array(data)], { type }), name);
  const response = await fetch(`${baseOf(t)}/uploads`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as Uploaded['body'] };
}

/** GET a file's signed URL (relative to the server, as the API gives it). */
export const download = (t: Target, url: string) => fetch(`${baseOf(t)}${url}`);

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const typeAndBody = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([head, typeAndBody, crc]);
}

/** A real PNG (RGB, 8 bits, a colour gradient) of width × height. */
export function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push((x * 255) / width, (y * 255) / height, 160);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** A 1 × 1 GIF. */
export const gif = () => Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
