/**
 * The Switchboard chat widget: `<script src="https://HOST/widget.js" async></script>`.
 * The server is the script's own origin, or its `data-server` attribute. No framework: the
 * widget lives in an open shadow root on an element of its own at the end of <body>.
 *
 * Identity (README, "Identity verification"): `data-external-id`, `data-identity-hash`,
 * `data-name` and `data-email` on the tag, or `window.Switchboard.identify({...})` on
 * single-page sites once the visitor signs in (before it is loaded: push the call onto
 * `window.SwitchboardQueue = [['identify', {...}]]`).
 *
 * Language: `data-locale="fr"` (en, fr, de, es), else the browser's.
 */
import { Storage } from './storage';
import { pickLocale, setLocale } from './i18n';
import { Widget, type Identity } from './widget';

interface SwitchboardApi {
  widget: Widget;
  identify(identity: Identity): void;
}

declare global {
  interface Window {
    Switchboard?: SwitchboardApi;
    SwitchboardQueue?: Array<[string, Identity]>;
  }
}

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  const scripts = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]'));
  return scripts.find((s) => /\/widget\.js(\?|#|$)/.test(s.src)) ?? null;
}

function serverOf(script: HTMLScriptElement | null): string {
  const explicit = script?.dataset.server;
  const base = explicit || (script?.src ? new URL(script.src, location.href).origin : location.origin);
  return new URL(base, location.href).href.replace(/\/+$/, '');
}

const script = findScript();
const server = serverOf(script);

function identityOf(el: HTMLScriptElement | null): Identity {
  const d = el?.dataset ?? {};
  return { externalId: d.externalId || null, identityHash: d.identityHash || null, name: d.name || null, email: d.email || null };
}

/**
 * The full-page chat served at /chat/<sessionId> (the continue link of an email): the link's
 * fragment is the visitor's token. It is kept as the widget keeps its own (localStorage) and taken
 * out of the address bar and history at once.
 */
function adoptContinueLink(): boolean {
  const match = /^\/chat\/([0-9a-f-]{36})\/?$/i.exec(location.pathname);
  if (!script?.dataset.fullPage || !match) return false;
  const token = decodeURIComponent(location.hash.slice(1));
  if (token) {
    const storage = new Storage(server);
    storage.set({ token, sessionId: match[1], open: true, outbox: storage.state.sessionId === match[1] ? storage.state.outbox : [] });
    history.replaceState(null, '', location.pathname + location.search);
  }
  return true;
}

function mount(): void {
  if (window.Switchboard) return; // the tag was included twice
  // The language: data-locale on the tag, else the browser's (every visible string is from i18n.ts).
  setLocale(pickLocale([script?.dataset.locale, ...(navigator.languages ?? []), navigator.language]));
  const fullPage = adoptContinueLink();
  const host = document.createElement('switchboard-widget');
  host.setAttribute('data-server', server);
  if (fullPage) host.setAttribute('data-full-page', '');
  document.body.appendChild(host);
  const widget = new Widget(host, server, identityOf(script), fullPage);
  window.Switchboard = { widget, identify: (identity) => widget.identify(identity) };
  for (const [method, arg] of window.SwitchboardQueue ?? []) if (method === 'identify') widget.identify(arg);
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount, { once: true });
