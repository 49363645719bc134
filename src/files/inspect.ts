import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { crc32, inflateSync } from 'node:zlib';

/** What a file is, judged from its bytes alone (contract, desk: "Files"). */
export interface Inspected {
  contentType: string;
  width: number | null;
  height: number | null;
}

/** Why a file is refused: 415 for a type that is not accepted, 400 for an image that does not decode. */
export class RefusedFile extends Error {
  constructor(message: string, readonly status: 400 | 415) {
    super(message);
  }
}

const IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const ACCEPTED = 'PNG, JPEG, GIF, WebP, PDF or plain text';

/**
 * The type from magic bytes (`file-type`), never from the name or the declared type; plain text
 * is what has no magic, is valid UTF-8 without control characters, and is not markup (an HTML or
 * SVG file renamed `.txt` or `.png` is refused: it would be a page, not text). Images must decode:
 * their dimensions come from `image-size`, and their structure is checked to the end (a
 * truncated or corrupt image is refused).
 */
export async function inspect(data: Buffer): Promise<Inspected> {
  if (data.length === 0) throw new RefusedFile('The file is empty.', 400);
  const detected = await fileTypeFromBuffer(data);
  if (!detected) {
    if (!isPlainText(data)) throw new RefusedFile(`Only ${ACCEPTED} files are accepted.`, 415);
    return { contentType: 'text/plain; charset=utf-8', width: null, height: null };
  }
  if (detected.mime === 'application/pdf') return { contentType: detected.mime, width: null, height: null };
  if (!IMAGES.has(detected.mime)) throw new RefusedFile(`Only ${ACCEPTED} files are accepted (this one is ${detected.mime}).`, 415);
  let size: { width?: number; height?: number };
  try {
    size = imageSize(data);
  } catch {
    throw new RefusedFile('The image does not decode.', 400);
  }
  if (!size.width || !size.height || !complete(detected.mime, data)) throw new RefusedFile('The image is truncated or corrupt.', 400);
  return { contentType: detected.mime, width: size.width, height: size.height };
}

const MARKUP = /^\s*<|<\s*(script|html|body|svg|iframe|object|embed|meta|link|style)\b/i;

function isPlainText(data: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return false;
  }
  // Tab, line feed, form feed, carriage return are text; other C0 controls and DEL are not.
  if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text)) return false;
  return !MARKUP.test(text.replace(/^\ufeff/, ''));
}

/** The image's structure reaches its end: every PNG chunk's CRC and the pixel data, JPEG's EOI, GIF's trailer, WebP's RIFF size. */
function complete(mime: string, data: Buffer): boolean {
  switch (mime) {
    case 'image/png':
      return pngDecodes(data);
    case 'image/jpeg':
      return trimEnd(data).subarray(-2).equals(Buffer.from([0xff, 0xd9]));
    case 'image/gif':
      return trimEnd(data).at(-1) === 0x3b;
    case 'image/webp':
      return data.length >= 12 && data.readUInt32LE(4) + 8 <= data.length;
    default:
      return false;
  }
}

/** Some encoders pad files with zero bytes after the end marker. */
function trimEnd(data: Buffer): Buffer {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Walks the chunks (each CRC checked) to IEND, inflates the pixel data and checks its length. */
function pngDecodes(data: Buffer): boolean {
  let offset = 8;
  let header: { width: number; height: number; depth: number; color: number; interlace: number } | null = null;
  const idat: Buffer[] = [];
  while (offset + 12 <= data.length) {
    const length = data.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > data.length) return false;
    const typeAndData = data.subarray(offset + 4, offset + 8 + length);
    if (crc32(typeAndData) !== data.readUInt32BE(offset + 8 + length)) return false;
    const type = typeAndData.subarray(0, 4).toString('latin1');
    const body = typeAndData.subarray(4);
    if (type === 'IHDR' && body.length >= 13) {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], color: body[9], interlace: body[12] };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') return header !== null && pixelsComplete(header, Buffer.concat(idat));
    offset = end;
  }
  return false;
}

function pixelsComplete(h: { width: number; height: number; depth: number; color: number; interlace: number }, compressed: Buffer): boolean {
  let pixels: Buffer;
  try {
    pixels = inflateSync(compressed, { maxOutputLength: 512 * 1024 * 1024 });
  } catch {
    return false;
  }
  const channels = CHANNELS[h.color];
  if (!channels) return false;
  if (h.interlace !== 0) return pixels.length > 0; // Adam7: seven passes; inflating whole is the check
  const rowBytes = Math.ceil((h.width * channels * h.depth) / 8);
  return pixels.length === h.height * (rowBytes + 1);
}
