/**
 * Beside a chat: the visitor's page now, the tags, notes for colleagues (never the visitor's),
 * the customer's earlier chats (one click reads one) and the audit trail as a timeline.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { time, useStore } from './hooks';
import { parseTags, type DeskData } from './desk';
import type { Chat, ConsoleStore } from './store';

const STEP: Record<string, string> = {
  created: 'Chat started',
  queued: 'Queued',
  assigned: 'Assigned',
  transferred: 'Transferred',
  requeued: 'Back in the queue',
  reassigned: 'Reassigned (no reply)',
  closed: 'Closed',
  rated: 'Rated',
  tagged: 'Tagged',
  noted: 'Note added',
  erased: 'Erased',
};

function stepText(e: NonNullable<DeskData['events']>[number]): string {
  const data = JSON.parse(e.data || '{}') as Record<string, unknown>;
  const who = e.agent ? ` · ${e.agent.name}` : e.actorKind === 'visitor' ? ' · by the visitor' : e.actorKind === 'system' ? '' : ` · by ${e.actorKind}`;
  const extra = e.kind === 'tagged' && Array.isArray(data.tags) ? `: ${(data.tags as string[]).join(', ') || 'none'}` : e.kind === 'rated' ? `: ${String(data.rating)}/5` : '';
  return `${STEP[e.kind] ?? e.kind}${extra}${who}`;
}

export function DeskPanel({ store, chat }: { store: ConsoleStore; chat: Chat }) {
  useStore(store);
  const id = chat.model.id;
  const desk = store.desk.data.get(id);
  const [note, setNote] = useState('');
  const [tags, setTags] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    store.desk.open(id).catch((e: unknown) => setError((e as Error).message));
  }, [store, id]);
  const run = (fn: () => Promise<void>) => {
    setError(null);
    fn().catch((e: unknown) => setError((e as Error).message));
  };
  const addNote = (e?: FormEvent) => {
    e?.preventDefault();
    if (!note.trim()) return;
    run(async () => {
      await store.desk.note(id, note);
      setNote('');
    });
  };
  const ctx = desk?.visitorContext;
  const history = (desk?.customer.sessions?.sessions ?? []).filter((s) => s.id !== id);
  const readOnly = !!chat.gone;
  return (
    <aside className="desk" aria-label="About this chat">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section>
        <h3>Visitor</h3>
        {ctx?.pageUrl ? (
          <p className="page">
            On{' '}
            <a href={ctx.pageUrl} target="_blank" rel="noopener noreferrer" data-testid="sb-visitor-page" title={ctx.pageTitle ?? undefined}>
              {ctx.pageUrl}
            </a>
            {ctx.pageTitle && <span className="sub"> · {ctx.pageTitle}</span>}
          </p>
        ) : (
          <p className="empty">No page known.</p>
        )}
        {ctx && (
          <p className="sub">
            {[ctx.locale, ctx.timeZone, ctx.referrer && `from ${ctx.referrer}`].filter(Boolean).join(' · ')}
            {ctx.userAgent && <span className="ua" title={ctx.userAgent}> · {browserOf(ctx.userAgent)}</span>}
          </p>
        )}
      </section>
      <section>
        <h3>
          <label htmlFor={`sb-tags-${id}`}>Tags</label>
        </h3>
        <input
          id={`sb-tags-${id}`}
          data-testid="sb-tags"
          placeholder="billing, vip (Enter saves)"
          disabled={readOnly || chat.observer}
          value={tags ?? (desk?.tags ?? chat.model.session.tags ?? []).join(', ')}
          onChange={(e) => setTags(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter' || tags === null) return;
            e.preventDefault();
            run(async () => {
              await store.desk.tag(id, parseTags(tags));
              setTags(null);
            });
          }}
        />
      </section>
      <section>
        <h3>Notes</h3>
        <p className="sub">Only your team sees notes.</p>
        <ul className="notes">
          {(desk?.notes ?? []).map((n) => (
            <li key={n.id} data-testid="sb-note">
              <span className="who">{n.authorName}</span> <time dateTime={n.createdAt}>{time(n.createdAt)}</time>
              <div className="body">{n.body}</div>
            </li>
          ))}
        </ul>
        <form onSubmit={addNote} className="note-form">
          <textarea data-testid="sb-note-input" aria-label="New note" rows={2} placeholder="A note for your team…" value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="submit" className="ghost small" data-testid="sb-note-add" disabled={!note.trim()}>
            Add note
          </button>
        </form>
      </section>
      <section>
        <h3>Earlier chats</h3>
        {history.length === 0 ? (
          <p className="empty">None.</p>
        ) : (
          <ul className="history">
            {history.map((h) => (
              <li key={h.id} data-testid="sb-history" data-session-id={h.id}>
                <button type="button" className="ghost small" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                  {new Date(h.createdAt).toLocaleDateString()} · {h.agent?.name ?? 'nobody'} · {h.messages.messages[0]?.body.slice(0, 40) || h.status.toLowerCase()}
                </button>
                {open === h.id && (
                  <ol className="history-log">
                    {h.messages.messages.map((m) => (
                      <li key={m.id} className={m.author}>
                        <span className="who">{m.author === 'VISITOR' ? 'Visitor' : (m.authorName ?? 'Agent')}:</span> {m.body}
                      </li>
                    ))}
                  </ol>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3>Timeline</h3>
        <ol className="timeline" data-testid="sb-timeline">
          {(desk?.events ?? []).map((e) => (
            <li key={e.id} data-testid="sb-timeline-step" data-kind={e.kind}>
              <time dateTime={e.at}>{time(e.at)}</time> {stepText(e)}
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}

function browserOf(ua: string): string {
  const m = /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(ua);
  return m ? m[0].replace('Edg', 'Edge') : ua.slice(0, 30);
}
