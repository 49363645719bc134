/**
 * The page the visitor is on (desk: "Visitor context"): sent with startChat, and again whenever
 * it changes, on a single-page site too: `history.pushState` / `replaceState` are wrapped (once)
 * to announce themselves, and `popstate` / `hashchange` are listened to.
 */
export interface PageContext {
  pageUrl: string | null;
  pageTitle: string | null;
  referrer: string | null;
  locale: string | null;
  timeZone: string | null;
}

const cut = (v: string | null | undefined) => (v ? v.slice(0, 2000) : null);
const http = (v: string) => (/^https?:/i.test(v) ? cut(v) : null);

export function currentPage(): PageContext {
  let timeZone: string | null = null;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? null;
  } catch {
    /* an old browser: no time zone */
  }
  return { pageUrl: http(location.href), pageTitle: cut(document.title), referrer: http(document.referrer), locale: cut(navigator.language), timeZone };
}

const EVENT = 'switchboard:navigate';

export function watchPage(changed: (context: PageContext) => void): void {
  const h = history as History & { __switchboard?: boolean };
  if (!h.__switchboard) {
    h.__switchboard = true;
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = h[method].bind(h);
      h[method] = (...args: Parameters<History['pushState']>) => {
        const result = original(...args);
        window.dispatchEvent(new Event(EVENT));
        return result;
      };
    }
  }
  let last = location.href;
  // The title is often set just after the URL: read both a tick later.
  const check = () =>
    setTimeout(() => {
      if (location.href === last) return;
      last = location.href;
      changed(currentPage());
    }, 50);
  for (const name of [EVENT, 'popstate', 'hashchange']) window.addEventListener(name, check);
}
