/**
 * Links in message text, found without ever parsing HTML: the text is cut into plain runs and
 * http(s) URLs, and each frontend builds text nodes and <a> elements from the pieces (never
 * innerHTML). Trailing punctuation that usually ends a sentence stays outside the link.
 */
export type Piece = { text: string; href?: undefined } | { text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/;

export const LINK_ATTRS = { rel: 'noopener noreferrer nofollow', target: '_blank' } as const;

export function linkPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0];
    const trailing = TRAILING.exec(url)?.[0] ?? '';
    // Keep a closing parenthesis that belongs to the URL (https://en.wikipedia.org/wiki/A_(b)).
    const keep = trailing.startsWith(')') && (url.match(/\(/g)?.length ?? 0) > (url.slice(0, -trailing.length).match(/\)/g)?.length ?? 0) ? 1 : 0;
    url = url.slice(0, url.length - trailing.length + keep);
    const start = match.index;
    if (!isHttpUrl(url)) continue;
    if (start > last) pieces.push({ text: text.slice(last, start) });
    pieces.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && Boolean(url.hostname);
  } catch {
    return false;
  }
}

/** The pieces as DOM nodes: text nodes and anchors whose text is set as text. */
export function linkNodes(text: string): Node[] {
  return linkPieces(text).map((p) => {
    if (!p.href) return document.createTextNode(p.text);
    const a = document.createElement('a');
    a.href = p.href;
    a.rel = LINK_ATTRS.rel;
    a.target = LINK_ATTRS.target;
    a.textContent = p.text;
    return a;
  });
}
