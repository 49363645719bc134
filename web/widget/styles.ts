/**
 * The widget's CSS, inside its shadow root: the host page's rules cannot reach it, nor it them.
 * Host pages may theme it through the custom properties, e.g. switchboard-widget { --sb-accent: #0f766e }.
 */
export const css = `
:host {
  all: initial !important;
  position: fixed !important;
  right: 20px !important;
  bottom: 20px !important;
  z-index: 2147483000 !important;
  display: block !important;
  visibility: visible !important;
  opacity: 1 !important;
  transform: none !important;
  --sb-accent: #4338ca;
  --sb-accent-ink: #ffffff;
  --sb-bg: #ffffff;
  --sb-ink: #111827;
  --sb-muted: #4b5563;
  --sb-line: #e5e7eb;
  --sb-visitor: #4338ca;
  --sb-agent: #f3f4f6;
}
/* Nothing is inherited from the host page: the root sets type and colour afresh. */
.root {
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--sb-ink); text-align: left; letter-spacing: normal; word-spacing: normal; text-transform: none;
  font-style: normal; font-weight: 400; direction: ltr; cursor: auto;
  display: flex; flex-direction: column; align-items: flex-end;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button, input, textarea { font: inherit; color: inherit; margin: 0; }
a { color: inherit; text-decoration: underline; text-underline-offset: 2px; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.launcher {
  position: relative; width: 60px; height: 60px; border-radius: 50%; border: 0;
  background: var(--sb-accent); color: var(--sb-accent-ink);
  box-shadow: 0 8px 24px rgba(17, 24, 39, .28); display: grid; place-items: center; margin-left: auto;
}
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #dc2626; color: #fff; font-size: 12px; font-weight: 700; line-height: 22px; text-align: center;
}

.panel {
  width: min(370px, calc(100vw - 40px)); height: min(580px, calc(100vh - 110px));
  margin-bottom: 14px; background: var(--sb-bg); border-radius: 16px; overflow: hidden;
  box-shadow: 0 16px 48px rgba(17, 24, 39, .28); display: flex; flex-direction: column;
}
.head { background: var(--sb-accent); color: var(--sb-accent-ink); padding: 14px 16px; display: flex; align-items: center; gap: 10px; }
.head .titles { flex: 1; min-width: 0; }
.head h2 { margin: 0; font-size: 16px; font-weight: 650; }
.status { margin: 2px 0 0; font-size: 13px; opacity: .92; }
.head button { background: rgba(255,255,255,.16); border: 0; color: inherit; border-radius: 8px; padding: 6px 10px; font-size: 13px; }
.head button:hover { background: rgba(255,255,255,.28); }
.head button.close { font-size: 15px; line-height: 1; padding: 6px 9px; min-width: 32px; }
.confirm { background: #fff7ed; border-bottom: 1px solid #fed7aa; padding: 10px 16px; display: flex; flex-direction: column; gap: 8px; }
.confirm p { margin: 0; }
.confirm .row { display: flex; gap: 8px; }
.danger { background: #b91c1c; }
.secondary { background: #fff; color: var(--sb-ink); border: 1px solid #9ca3af; border-radius: 8px; padding: 9px 14px; font-weight: 600; }
.conn { background: #fef3c7; color: #78350f; font-size: 12px; padding: 4px 16px; }

.body { flex: 1; overflow-y: auto; padding: 14px 14px 6px; display: flex; flex-direction: column; }
.form { display: flex; flex-direction: column; gap: 12px; padding: 6px 4px; }
.form p { margin: 0 0 4px; color: var(--sb-muted); }
.form label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; font-size: 13px; }
.form label span.opt { font-weight: 400; color: var(--sb-muted); }
.form input, .form textarea {
  border: 1px solid #9ca3af; border-radius: 8px; padding: 9px 10px; background: #fff; font-weight: 400;
}
.primary { background: var(--sb-accent); color: var(--sb-accent-ink); border: 0; border-radius: 8px; padding: 10px 14px; font-weight: 600; }
.primary:disabled { opacity: .55; cursor: default; }
.error { color: #b91c1c; font-size: 13px; margin: 0; }

.log { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 3px; }
.who { font-size: 12px; color: var(--sb-muted); margin: 10px 4px 2px; }
.who.VISITOR { text-align: right; }
.msg { display: flex; flex-direction: column; max-width: 82%; align-self: flex-start; }
.msg.VISITOR { align-self: flex-end; align-items: flex-end; }
.msg.SYSTEM { align-self: center; max-width: 92%; }
.bubble { padding: 8px 12px; border-radius: 14px; background: var(--sb-agent); white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.VISITOR .bubble { background: var(--sb-visitor); color: #fff; }
.msg.SYSTEM .bubble { background: transparent; color: var(--sb-muted); font-size: 12px; font-style: italic; text-align: center; padding: 2px 6px; }
.meta { font-size: 11px; color: var(--sb-muted); margin: 1px 6px 0; }
.msg[data-pending] .bubble { opacity: .7; }
.msg[data-failed] .bubble { outline: 2px solid #dc2626; }
.tick.read { color: var(--sb-accent); font-weight: 700; }
.typing { font-size: 12px; color: var(--sb-muted); padding: 4px 18px 2px; min-height: 20px; }
.dots span { display: inline-block; width: 5px; height: 5px; margin: 0 1px; border-radius: 50%; background: currentColor; animation: sb-blink 1.2s infinite; }
.dots span:nth-child(2) { animation-delay: .2s; } .dots span:nth-child(3) { animation-delay: .4s; }
@keyframes sb-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dots span { animation: none; } }

.event { align-self: center; max-width: 92%; margin: 8px 0 4px; font-size: 12px; color: var(--sb-muted); text-align: center; }
.event::before, .event::after { content: "—"; margin: 0 6px; opacity: .5; }
.composer { display: flex; flex-direction: column; gap: 4px; padding: 10px 12px; border-top: 1px solid var(--sb-line); }
.composer .row { display: flex; gap: 8px; align-items: flex-end; }
.attach { display: inline-flex; align-items: center; justify-content: center; width: 36px; height: 36px; border-radius: 8px; cursor: pointer; color: var(--sb-muted); flex: none; }
.attach:hover, .attach:focus-within { background: var(--sb-agent); color: var(--sb-ink); }
.attach:focus-within { outline: 2px solid var(--sb-accent); }
.attach svg { width: 20px; height: 20px; fill: currentColor; }
.tray { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.tray .file { display: flex; align-items: center; gap: 8px; font-size: 12px; padding: 4px 6px; border: 1px solid var(--sb-line); border-radius: 8px; }
.tray .file.failed { border-color: #dc2626; }
.tray img { width: 36px; height: 36px; object-fit: cover; border-radius: 4px; }
.tray .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tray progress { width: 60px; }
.tray .error { color: #b91c1c; flex-basis: 100%; }
.tray .file.failed { flex-wrap: wrap; }
.tray .remove { border: 0; background: transparent; cursor: pointer; color: var(--sb-muted); font: inherit; }
.files:empty { display: none; }
.files { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
.files img { max-width: 200px; max-height: 160px; border-radius: 10px; display: block; border: 1px solid var(--sb-line); }
.files .doc { display: inline-block; padding: 6px 10px; border-radius: 10px; background: var(--sb-agent); color: var(--sb-ink); text-decoration: none; }
.counter { margin: 0; font-size: 12px; color: var(--sb-muted); text-align: right; }
.counter.over { color: #b91c1c; font-weight: 600; text-align: left; }
.composer textarea {
  flex: 1; resize: none; border: 1px solid #9ca3af; border-radius: 10px; padding: 9px 10px; max-height: 120px; min-height: 40px; background: #fff;
}
.rating { border-top: 1px solid var(--sb-line); margin-top: 12px; padding: 12px 4px 4px; display: flex; flex-direction: column; gap: 8px; }
.rating form { display: flex; flex-direction: column; gap: 8px; }
.rating .legend { font-weight: 600; margin: 0; }
.rating button.primary, .rating button.secondary { align-self: stretch; text-align: center; }
.stars { display: flex; gap: 4px; }
.stars button { background: none; border: 0; font-size: 26px; line-height: 1; color: #d1d5db; padding: 2px; }
.stars button.on { color: #f59e0b; }
.rating textarea { border: 1px solid #9ca3af; border-radius: 8px; padding: 8px; resize: vertical; min-height: 44px; }
.note { color: var(--sb-muted); font-size: 13px; margin: 0; }
.offline { display: flex; flex-direction: column; gap: 8px; border-top: 1px solid var(--sb-line); padding-top: 8px; }
.offline .legend { font-weight: 600; margin: 0; }
.offline textarea { border: 1px solid #9ca3af; border-radius: 8px; padding: 8px; resize: vertical; min-height: 60px; font: inherit; }
/* The full-page chat (/chat/<id>, the email's continue link): the panel is the page. */
:host([data-full-page]) .panel { position: fixed; inset: 0; width: 100vw; height: 100vh; height: 100dvh; max-width: none; margin: 0; border-radius: 0; box-shadow: none; }
:host([data-full-page]) .launcher, :host([data-full-page]) .head .close { display: none; }

/* Phones: below 480 px the open panel takes the whole screen, with its close button; the
   launcher stays whole, on screen and at least 48 px; inputs at 16 px (iOS zooms on smaller). */
@media (max-width: 479.98px) {
  .panel {
    position: fixed; inset: 0; width: 100vw; height: 100vh; height: 100dvh; max-width: none;
    margin: 0; border-radius: 0; box-shadow: none;
  }
  .root:has(.panel:not([hidden])) .launcher { display: none; }
  .launcher { width: 56px; height: 56px; }
  input, textarea, .form input, .form textarea, .composer textarea, .rating textarea { font-size: 16px; }
  .head button { min-height: 40px; min-width: 40px; }
}
`;
