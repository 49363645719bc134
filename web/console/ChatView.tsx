import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Outgoing } from '../shared/chat';
import { BODY_MAX, lengthNote, tooLongMessage } from '../shared/limits';
import { LINK_ATTRS, linkPieces } from '../shared/linkify';
import { Attachments, CannedPicker, slashQuery, UploadTray, useUploads } from './ComposerTools';
import { fillPlaceholders, type Canned } from './desk';
import { DeskPanel } from './DeskPanel';
import { time, useStore } from './hooks';
import type { Chat, ConsoleStore } from './store';

/** Message text with its http(s) links as anchors; everything else stays text. */
function Linked({ text }: { text: string }) {
  return (
    <>
      {linkPieces(text).map((p, i) =>
        p.href ? (
          <a key={i} href={p.href} rel={LINK_ATTRS.rel} target={LINK_ATTRS.target}>
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

export function ChatView({ store, chat }: { store: ConsoleStore; chat: Chat }) {
  useStore(store);
  const s = chat.model.session;
  const id = s.id;
  const [draft, setDraft] = useState('');
  const [transferOpen, setTransferOpen] = useState(false);
  const [target, setTarget] = useState('queue');
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState(false);
  const [pickerAt, setPickerAt] = useState(0);
  const [pickerClosed, setPickerClosed] = useState(false);
  const uploads = useUploads(store.token, id);
  const query = pickerClosed ? null : slashQuery(draft);
  const picks = query === null ? [] : store.desk.matching(query);
  const logRef = useRef<HTMLDivElement>(null);
  const closed = s.status === 'CLOSED';
  const readOnly = closed || !!chat.gone || !!chat.observer;
  const tooLong = draft.trim().length > BODY_MAX;

  const entries = chat.model.timeline();

  // Keep the newest message in view; mark what is shown as read while the page is visible.
  useLayoutEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [entries.length]);
  useEffect(() => {
    const mark = () => document.visibilityState === 'visible' && store.markRead(id);
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [store, id, entries.length, s.agentReadSeq]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (uploads.busy) return setError('Wait until the files are uploaded.');
    if (!draft.trim() && !uploads.items.some((u) => u.file)) return;
    if (tooLong) return setRefused(true); // never cut silently: say so, keep the text
    setRefused(false);
    setError(null);
    store.send(id, draft, uploads.take());
    setDraft('');
  };
  const pick = (c: Canned) => {
    setDraft(fillPlaceholders(c.body, { visitorName: s.customer.name || 'there', agentName: store.me.name }));
    setPickerAt(0);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (query !== null) {
      // The canned responses' list is open: arrows move, Enter or Tab picks, Escape closes.
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = Math.max(1, picks.length);
        setPickerAt((pickerAt + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && picks[pickerAt]) {
        e.preventDefault();
        pick(picks[pickerAt]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setPickerClosed(true);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };
  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
      setTransferOpen(false);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const teammates = Array.from(store.agents.values())
    .filter((a) => a.id !== s.agent?.id)
    .map((a) => ({ agent: a, why: store.canTake(a) }))
    .sort((x, y) => Number(x.why !== null) - Number(y.why !== null) || x.agent.name.localeCompare(y.agent.name));
  return (
    <section className="chat" aria-labelledby="chat-title">
      <header className="chat-head">
        <button type="button" className="ghost back" data-testid="sb-back" aria-label="Back to the chat list" onClick={() => store.select(null)}>
          ← Chats
        </button>
        <div className="titles">
          <h2 id="chat-title">{s.customer.name || 'Visitor'}</h2>
          <p className="sub">
            {s.customer.email ?? 'no email'}
            {s.customer.verified ? ' · verified' : ''}
            {s.skill ? ` · ${s.skill}` : ''} · <span data-testid="sb-chat-status">{chat.gone ?? s.status}</span>
            {s.rating ? ` · rated ${s.rating}/5` : ''}
            {chat.observer && s.agent ? ` · with ${s.agent.name}` : ''}
          </p>
          {s.rating && s.ratingComment && (
            <blockquote className="rating-comment" data-testid="sb-rating-comment">
              “{s.ratingComment}”
            </blockquote>
          )}
        </div>
        <div className="actions">
          {chat.observer && s.status === 'ACTIVE' && (
            <button type="button" className="primary" data-testid="sb-join" onClick={() => void act(() => store.transfer(id, store.me.id))}>
              Join (take it over)
            </button>
          )}
          <button type="button" data-testid="sb-transfer" aria-expanded={transferOpen} disabled={readOnly} onClick={() => {
              if (!transferOpen) store.refreshAgents().catch(() => undefined);
              setTransferOpen(!transferOpen);
            }}
          >
            Transfer
          </button>
          <button type="button" data-testid="sb-close" className="danger" disabled={readOnly} onClick={() => void act(() => store.close(id))}>
            Close chat
          </button>
          {(closed || chat.gone) && (
            <button type="button" className="ghost" onClick={() => store.dismiss(id)}>
              Dismiss
            </button>
          )}
        </div>
      </header>
      {transferOpen && !readOnly && (
        <form
          className="transfer"
          aria-label="Transfer the chat"
          onSubmit={(e) => {
            e.preventDefault();
            void act(() => store.transfer(id, target === 'queue' ? null : target));
          }}
        >
          <label>
            Transfer to
            <select data-testid="sb-transfer-target" value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="queue">Back to the queue</option>
              {teammates.map(({ agent: a, why }) => (
                // Only those who can take it now can be chosen; the others say why not.
                <option key={a.id} value={a.id} disabled={why !== null}>
                  {a.id === store.me.id ? `${a.name} (me)` : a.name} — {why ?? 'online'}, {a.activeChats}/{a.maxConcurrentChats} chats
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" data-testid="sb-transfer-confirm">
            Transfer
          </button>
        </form>
      )}
      {error && (
        <p className="error banner" role="alert">
          {error}
        </p>
      )}
      <div className="chat-body">
      <div className="conversation">
      <div className="log" ref={logRef} role="log" aria-live="polite" aria-label="Transcript">
        {entries.map((r) =>
          r.kind === 'notice' ? (
            <div key={r.key} className="event" data-testid="sb-event" role="note">
              {r.text}
            </div>
          ) : (
            <div key={r.key} className={`row ${r.author}${r.first ? ' first' : ''}`}>
              {r.first && r.author !== 'SYSTEM' && (
                <div className="who" aria-hidden="true">
                  {r.author === 'VISITOR' ? s.customer.name || 'Visitor' : r.name || 'Agent'}
                </div>
              )}
              <div
                className="msg"
                data-testid="sb-message"
                data-author={r.author}
                data-seq={r.seq}
                data-pending={r.pending && !r.pending.failed ? 'true' : undefined}
                data-failed={r.pending?.failed ? 'true' : undefined}
              >
                <span className="sr-only">{r.author === 'VISITOR' ? 'Visitor' : r.author === 'SYSTEM' ? 'Notice' : r.name || 'Agent'}: </span>
                <div className="bubble">
                  <Linked text={r.body} />
                  <Attachments files={r.files} />
                </div>
                <div className="meta">
                  <time dateTime={r.at}>{time(r.at)}</time>
                  {r.author === 'AGENT' && <Tick pending={r.pending} read={r.seq !== undefined && r.seq <= s.visitorReadSeq} />}
                </div>
              </div>
            </div>
          ),
        )}
      </div>
      {chat.model.otherDraft && !readOnly && (
        <p className="draft" data-testid="sb-draft" aria-label="The visitor is writing">
          {chat.model.otherDraft}
        </p>
      )}
      <div className="typing" aria-live="polite">
        {chat.model.otherTyping && !readOnly && (
          <span data-testid="sb-typing">
            {chat.model.otherTyping} is typing
            <span className="dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
          </span>
        )}
      </div>
      {readOnly ? (
        <p className="ended">{chat.gone ? `${chat.gone}.` : 'This chat is closed.'}</p>
      ) : (
        <form
          className="composer"
          onSubmit={submit}
          aria-label="Reply"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            const files = Array.from(e.dataTransfer.files);
            if (!files.length) return;
            e.preventDefault();
            uploads.add(files);
          }}
        >
          <p id="sb-console-counter" className={`counter${tooLong ? ' over' : ''}`} data-testid="sb-counter" role={refused ? 'alert' : undefined}>
            {refused ? tooLongMessage(draft.trim().length) : lengthNote(draft.trim().length).text}
          </p>
          <UploadTray items={uploads.items} remove={uploads.remove} />
          {query !== null && <CannedPicker items={picks} active={Math.min(pickerAt, Math.max(0, picks.length - 1))} pick={pick} />}
          <label className="attach" title="Attach a file">
            <input
              type="file"
              className="sr-only"
              data-testid="sb-file"
              multiple
              accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain"
              onChange={(e) => {
                uploads.add(Array.from(e.target.files ?? []));
                e.target.value = '';
              }}
            />
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
              <path fill="currentColor" d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z" />
            </svg>
            <span className="sr-only">Attach a file</span>
          </label>
          <textarea
            data-testid="sb-input"
            aria-label="Reply"
            placeholder="Write a reply… (Enter sends, Shift+Enter for a new line, / for canned responses)"
            rows={2}
            aria-invalid={tooLong || undefined}
            aria-describedby="sb-console-counter"
            value={draft}
            onPaste={(e) => {
              const files = Array.from(e.clipboardData.files);
              if (!files.length) return;
              e.preventDefault();
              uploads.add(files);
            }}
            aria-autocomplete="list"
            aria-expanded={query !== null}
            onChange={(e) => {
              setDraft(e.target.value);
              setRefused(false);
              setPickerClosed(false);
              setPickerAt(0);
              store.typing(id, e.target.value.trim().length > 0);
            }}
            onKeyDown={onKey}
            onBlur={() => store.typing(id, false)}
          />
          <button type="submit" className="primary" data-testid="sb-send">
            Send
          </button>
        </form>
      )}
      </div>
      <DeskPanel store={store} chat={chat} />
      </div>
    </section>
  );
}

/** An agent's own line: sending, failed (and why), sent, or read by the visitor. */
function Tick({ pending, read }: { pending?: Outgoing; read: boolean }) {
  return (
    <span className={`tick${read ? ' read' : ''}`} data-testid="sb-tick" data-state={pending ? (pending.failed ? 'failed' : 'sending') : read ? 'read' : 'sent'}>
      {pending ? ` · ${pending.failed ?? 'Sending…'}` : read ? ' ✓✓ Read' : ' ✓ Sent'}
    </span>
  );
}
