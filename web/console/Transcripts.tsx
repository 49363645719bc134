import { useCallback, useEffect, useState } from 'react';
import {
  ConsoleTranscriptDocument,
  ConsoleSessionsDocument,
  ConsoleTranscriptTrailDocument,
  type ConsoleTranscriptQuery,
  type ConsoleTranscriptTrailQuery,
  type SessionStatus,
} from '../generated/console';
import type { ConsoleStore, Session } from './store';

type Transcript = NonNullable<ConsoleTranscriptQuery['session']>;
type Trail = NonNullable<ConsoleTranscriptTrailQuery['session']>;

interface Filters {
  status: SessionStatus | '';
  agentId: string;
  tag: string;
  rating: string;
  from: string;
  to: string;
  text: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const WEEK = 7 * 24 * 3600 * 1000;

/**
 * Status, agent, tag, dates and text go to the server (the desk's `sessions(status:, agentId:,
 * tag:, search:, from:, to:)`: the text is a full-text search of the messages, most relevant
 * first); the rating filters the pages read (100 at a time, "Load more").
 */
const matches = (s: Session, f: Filters): boolean => !f.rating || String(s.rating ?? '') === f.rating;

/** The end of the day `to` names, as the server's exclusive bound. */
const dayAfter = (date: string) => new Date(new Date(date).getTime() + 24 * 3600 * 1000).toISOString();

/** Supervisors (team extension): closed and open sessions, each opening to its transcript; the CSV exports. */
export function Transcripts({ store }: { store: ConsoleStore }) {
  const [filters, setFilters] = useState<Filters>({ status: '', agentId: '', tag: '', rating: '', from: day(new Date(Date.now() - WEEK)), to: day(new Date()), text: '' });
  const [sessions, setSessions] = useState<Session[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<Transcript | null>(null);
  const [trail, setTrail] = useState<Trail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

  const load = useCallback(
    async (after: string | null) => {
      try {
        const { sessions: page } = await store.call(ConsoleSessionsDocument, {
          status: filters.status || null,
          agentId: filters.agentId || null,
          tag: filters.tag.trim().toLowerCase() || null,
          search: filters.text.trim() || null,
          from: filters.from ? new Date(filters.from).toISOString() : null,
          to: filters.to ? dayAfter(filters.to) : null,
          first: 100,
          after,
        });
        setSessions((list) => (after ? [...list, ...page.sessions] : page.sessions));
        setCursor(page.endCursor);
        setError(null);
      } catch (err) {
        setError((err as Error).message);
      }
    },
    [store, filters.status, filters.agentId, filters.tag, filters.text, filters.from, filters.to],
  );
  useEffect(() => void load(null), [load]);

  const show = async (id: string) => {
    try {
      setTrail(null);
      setOpen((await store.call(ConsoleTranscriptDocument, { id })).session);
      setTrail((await store.call(ConsoleTranscriptTrailDocument, { id })).session);
    } catch (err) {
      setError((err as Error).message);
    }
  };

  /** A CSV export, fetched with the bearer token (never a cookie) and saved as a file. */
  const download = async (name: 'sessions' | 'metrics') => {
    const from = new Date(filters.from || 0).toISOString();
    const to = new Date(new Date(filters.to || Date.now()).getTime() + 24 * 3600 * 1000).toISOString();
    const response = await fetch(`${location.origin}/api/v1/exports/${name}.csv?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
      headers: { authorization: `Bearer ${store.token}` },
    });
    if (!response.ok) return setError(`Export refused (${response.status}): ${((await response.json()) as { detail?: string }).detail ?? ''}`);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = `${name}-${filters.from}-${filters.to}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };

  const shown = sessions.filter((s) => matches(s, filters));
  const agents = Array.from(store.agents.values()).sort((a, b) => a.name.localeCompare(b.name));
  return (
    <main className="transcripts" data-testid="sb-transcripts">
      <section aria-labelledby="transcripts-title">
        <h2 id="transcripts-title">Transcripts</h2>
        <div className="exports">
          <button type="button" className="ghost" data-testid="sb-export-sessions" onClick={() => void download('sessions')}>
            Export sessions (CSV)
          </button>
          <button type="button" className="ghost" data-testid="sb-export-metrics" onClick={() => void download('metrics')}>
            Export metrics (CSV)
          </button>
        </div>
        <div className="filters">
          <label>
            Status
            <select data-testid="sb-filter-status" value={filters.status} onChange={(e) => set({ status: e.target.value as Filters['status'] })}>
              <option value="">Any</option>
              <option value="CLOSED">Closed</option>
              <option value="ACTIVE">Active</option>
              <option value="QUEUED">Queued</option>
            </select>
          </label>
          <label>
            Agent
            <select data-testid="sb-filter-agent" value={filters.agentId} onChange={(e) => set({ agentId: e.target.value })}>
              <option value="">Anyone</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Tag
            <input type="text" data-testid="sb-filter-tag" placeholder="billing" value={filters.tag} onChange={(e) => set({ tag: e.target.value })} />
          </label>
          <label>
            Rating
            <select data-testid="sb-filter-rating" value={filters.rating} onChange={(e) => set({ rating: e.target.value })}>
              <option value="">Any</option>
              {[5, 4, 3, 2, 1].map((r) => (
                <option key={r} value={String(r)}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="date" data-testid="sb-filter-from" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
          </label>
          <label>
            To
            <input type="date" data-testid="sb-filter-to" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
          </label>
          <label>
            Text
            <input type="search" data-testid="sb-filter-text" placeholder="words in the messages" value={filters.text} onChange={(e) => set({ text: e.target.value })} />
          </label>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {shown.length === 0 ? (
          <p className="empty">No sessions match.</p>
        ) : (
          <ul className="transcript-list">
            {shown.map((s) => (
              <li key={s.id}>
                <button type="button" data-testid="sb-transcript-row" data-session-id={s.id} aria-current={open?.id === s.id} onClick={() => void show(s.id)}>
                  <strong>{s.customer.name || 'Visitor'}</strong> · {s.status.toLowerCase()} · {s.agent?.name ?? 'nobody'}
                  {s.rating ? ` · ${s.rating}/5` : ''}
                  <span className="sub"> {new Date(s.createdAt).toLocaleString()}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {cursor && (
          <button type="button" className="ghost" onClick={() => void load(cursor)}>
            Load more
          </button>
        )}
      </section>
      {open && (
        <section className="transcript" aria-labelledby="transcript-title" data-testid="sb-transcript" data-session-id={open.id}>
          <h2 id="transcript-title">
            {open.customer.name || 'Visitor'} <span className="sub">{open.customer.email}</span>
          </h2>
          <p className="sub">
            {open.status.toLowerCase()} · {open.agent?.name ?? 'no agent'} · started {new Date(open.createdAt).toLocaleString()}
            {open.closedAt ? ` · closed ${new Date(open.closedAt).toLocaleString()}` : ''}
          </p>
          {open.rating && (
            <p>
              Rated {open.rating}/5{open.ratingComment ? `: “${open.ratingComment}”` : ''}
            </p>
          )}
          <ol>
            {open.messages.messages.map((m) => (
              <li key={m.id} data-testid="sb-message" data-author={m.author} data-seq={m.seq}>
                <span className="sub">
                  {m.authorName ?? m.author.toLowerCase()} · {new Date(m.createdAt).toLocaleTimeString()}
                </span>
                <div className="bubble">{m.body}</div>
              </li>
            ))}
          </ol>
          {open.messages.hasMore && <p className="sub">The first 100 messages are shown.</p>}
          {trail?.id === open.id && trail.notes && trail.notes.length > 0 && (
            <>
              <h3>Notes</h3>
              <ul>
                {trail.notes.map((n) => (
                  <li key={n.id} data-testid="sb-note">
                    <span className="sub">
                      {n.authorName} · {new Date(n.createdAt).toLocaleString()}
                    </span>
                    <div className="bubble note">{n.body}</div>
                  </li>
                ))}
              </ul>
            </>
          )}
          {trail?.id === open.id && trail.events && trail.events.length > 0 && (
            <>
              <h3>Timeline</h3>
              <ol className="timeline" data-testid="sb-transcript-events">
                {trail.events.map((e) => (
                  <li key={e.id}>
                    <span className="sub">{new Date(e.at).toLocaleString()}</span> {e.kind}
                    {e.agent ? ` · ${e.agent.name}` : ''} <span className="sub">({e.actorKind})</span>
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      )}
    </main>
  );
}
