/**
 * The Switchboard chat widget: `<script src="https://HOST/widget.js" async></script>`.
 * The server is the script's own origin, or its `data-server` attribute. No framework: the
 * widget lives in an open shadow root on an element of its own at the end of <body>.
 */
import { Widget } from './widget';

declare global {
  interface Window {
    Switchboard?: { widget: Widget };
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

function mount(): void {
  if (window.Switchboard) return; // the tag was included twice
  const host = document.createElement('switchboard-widget');
  host.setAttribute('data-server', server);
  document.body.appendChild(host);
  window.Switchboard = { widget: new Widget(host, server) };
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount, { once: true });
