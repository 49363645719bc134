import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ConsoleChangePasswordDocument, ConsoleLoginDocument, ConsoleMeDocument, type AgentStatus } from '../generated/console';
import { GraphQLRequestError, request } from '../shared/gql';
import { CannedManager } from './CannedManager';
import { ChatView } from './ChatView';
import { age, time, useStore, useSubmit } from './hooks';
import { API, ConsoleStore, saveToken, savedToken, type Chat } from './store';
import { FormDialog } from './FormDialog';
import { Team } from './Team';
import { Transcripts } from './Transcripts';

export function App() {
  const [store, setStore] = useState<ConsoleStore | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(() => !!savedToken());

  const signOut = (reason: string | null) => {
    saveToken(null);
    setNotice(reason);
    setStore((current) => {
      current?.dispose();
      return null;
    });
  };

  const signIn = (token: string, me: ConsoleStore['me']) => {
    saveToken(token);
    const next = new ConsoleStore(token, me, (reason) => signOut(reason));
    setStore(next);
    void next.start();
  };

  // A token from an earlier visit: still good?
  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    request(API, ConsoleMeDocument, {}, token)
      .then(({ me }) => (me ? signIn(token, me) : signOut(null)))
      .catch(() => signOut(null))
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <p className="loading">Loading…</p>;
  if (!store) return <Login notice={notice} onSignedIn={signIn} />;
  return (
    <Console
      store={store}
      onSignOut={async (handBack) => {
        if (handBack) await store.setStatus('OFFLINE');
        signOut(null);
      }}
    />
  );
}

function Login({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string, me: ConsoleStore['me']) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(
    async () => {
      const { login } = await request(API, ConsoleLoginDocument, { email: email.trim(), password });
      onSignedIn(login.token, login.agent);
    },
    (err) =>
      err instanceof GraphQLRequestError && err.code === 'RATE_LIMITED'
        ? `Too many attempts. Try again in ${err.retryAfterSeconds ?? 60} s.`
        : err instanceof GraphQLRequestError && err.code !== 'NETWORK'
          ? 'Wrong email or password.'
          : 'The server cannot be reached.',
  );

  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Switchboard console</h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label>
          Email
          <input data-testid="sb-login-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input data-testid="sb-login-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button data-testid="sb-login-submit" type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

const STATUS_LABEL: Record<AgentStatus, string> = { ONLINE: 'Online', AWAY: 'Away', OFFLINE: 'Offline' };

/** A question that must be answered before going on; focus starts on its first button. */
function Confirm({ title, children, actions }: { title: string; children: ReactNode; actions: { label: string; testId: string; kind?: string; run: () => void }[] }) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="dialog-title" data-testid="sb-dialog">
        <h2 id="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          {actions.map((a, i) => (
            <button key={a.testId} ref={i === 0 ? first : undefined} type="button" className={a.kind ?? 'ghost'} data-testid={a.testId} onClick={a.run}>
              {a.label}
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}

/**
 * The agent's own password (team extension): the current one, then the new one (at least 8). Every
 * token issued before is refused afterwards, this console's included: it signs out at once.
 */
function PasswordDialog({ store, onClose }: { store: ConsoleStore; onClose: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { error, submit } = useSubmit(async () => {
    await store.call(ConsoleChangePasswordDocument, { currentPassword: current, newPassword: next });
    store.signedOut('Password changed. Sign in with the new one.');
  });
  return (
    <FormDialog title="Change my password" titleId="password-title" onSubmit={submit} error={error} save={{ label: 'Change password', testId: 'sb-password-save' }} onCancel={onClose}>
      <label>
        Current password
        <input data-testid="sb-password-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        New password (at least 8 characters)
        <input data-testid="sb-password-new" type="password" autoComplete="new-password" minLength={8} required value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
    </FormDialog>
  );
}

const chats = (n: number) => `${n} chat${n === 1 ? '' : 's'}`;

function Console({ store, onSignOut }: { store: ConsoleStore; onSignOut: (handBack: boolean) => Promise<void> }) {
  useStore(store);
  const [tab, setTab] = useState<'chats' | 'team' | 'transcripts'>('chats');
  const [statusError, setStatusError] = useState<string | null>(null);
  const [asking, setAsking] = useState<'signout' | 'offline' | 'password' | null>(null);
  const [cannedOpen, setCannedOpen] = useState(false);
  const active = store.activeCount();
  const me = store.me;
  const mine = store.visibleChats();
  const selected = store.selected ? store.chats.get(store.selected) : undefined;
  const unread = store.unreadTotal();

  useEffect(() => {
    document.title = unread ? `(${unread}) Switchboard console` : 'Switchboard console';
  }, [unread]);

  const changeStatus = async (status: AgentStatus, confirmed = false) => {
    // Going OFFLINE hands every chat back to the queue: ask first when there are some.
    if (status === 'OFFLINE' && !confirmed && active > 0) return setAsking('offline');
    setAsking(null);
    setStatusError(null);
    try {
      await store.setStatus(status);
    } catch (error) {
      setStatusError((error as Error).message);
    }
  };
  const signOut = async (handBack: boolean) => {
    setAsking(null);
    try {
      await onSignOut(handBack);
    } catch (error) {
      setStatusError((error as Error).message);
    }
  };

  return (
    // Any click is the user gesture the browser wants before notifications and sound.
    <div className="app" onClick={() => store.notifier.gesture()}>
      <header className="bar">
        <span className="brand">Switchboard</span>
        {me.role === 'SUPERVISOR' && (
          <nav className="tabs" aria-label="Views">
            <button type="button" aria-pressed={tab === 'chats'} onClick={() => setTab('chats')}>
              Chats
            </button>
            <button type="button" data-testid="sb-team-tab" aria-pressed={tab === 'team'} onClick={() => setTab('team')}>
              Team
            </button>
            <button type="button" data-testid="sb-transcripts-tab" aria-pressed={tab === 'transcripts'} onClick={() => setTab('transcripts')}>
              Transcripts
            </button>
          </nav>
        )}
        <span className="spacer" />
        {store.conn !== 'connected' && (
          <span className="conn" role="status" data-testid="sb-connection">
            {store.conn === 'failed' ? 'Disconnected' : store.conn === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        )}
        <label className="status-switch">
          <span className={`dot ${me.status}${me.online ? ' live' : ''}`} aria-hidden="true" />
          <span className="sr-only">My status</span>
          <select data-testid="sb-status-select" value={me.status} onChange={(e) => void changeStatus(e.target.value as AgentStatus)}>
            {(['ONLINE', 'AWAY', 'OFFLINE'] as const).map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="ghost" data-testid="sb-canned-open" aria-pressed={cannedOpen} onClick={() => setCannedOpen(!cannedOpen)}>
          Canned
        </button>
        <button
          type="button"
          className="ghost"
          data-testid="sb-mute"
          aria-pressed={store.notifier.muted}
          title={store.notifier.muted ? 'Notifications muted' : 'Sound and desktop notifications on'}
          onClick={() => {
            store.notifier.setMuted(!store.notifier.muted);
            store.changed();
          }}
        >
          {store.notifier.muted ? 'Alerts muted' : 'Alerts on'}
        </button>
        <span className="me" data-testid="sb-me">
          {me.name}
          {me.role === 'SUPERVISOR' && <span className="tag">supervisor</span>}
        </span>
 <button type="button" className="ghost" data-testid="sb-password" onClick={() => setAsking('password')}>
          Password
        </button>
        <button type="button" className="ghost" data-testid="sb-sign-out" onClick={() => (active > 0 ? setAsking('signout') : void signOut(false))}>
          Sign out
        </button>
      </header>
      {asking === 'signout' && (
        <Confirm
          title="Sign out"
          actions={[
            { label: `Hand back ${chats(active)} and sign out`, testId: 'sb-signout-handback', kind: 'primary', run: () => void signOut(true) },
            { label: 'Sign out, keep them', testId: 'sb-signout-keep', run: () => void signOut(false) },
            { label: 'Cancel', testId: 'sb-dialog-cancel', run: () => setAsking(null) },
          ]}
        >
          <p>
            You have {chats(active)} open. Hand {active === 1 ? 'it' : 'them'} back to the queue (you go Offline), so that a teammate can answer? If
            you keep them, they go back on their own after a while unless you return.
          </p>
        </Confirm>
      )}
      {asking === 'offline' && (
        <Confirm
          title="Go offline"
          actions={[
            { label: `Go offline and hand back ${chats(active)}`, testId: 'sb-offline-confirm', kind: 'primary', run: () => void changeStatus('OFFLINE', true) },
            { label: 'Cancel', testId: 'sb-dialog-cancel', run: () => setAsking(null) },
          ]}
        >
          <p>Going offline puts your {chats(active)} back at the head of the queue for your teammates.</p>
        </Confirm>
      )}
      {asking === 'password' && <PasswordDialog store={store} onClose={() => setAsking(null)} />}
      {statusError && (
        <p className="error banner" role="alert">
          {statusError}
        </p>
      )}
      {cannedOpen && <CannedManager store={store} close={() => setCannedOpen(false)} />}
      {tab === 'team' && me.role === 'SUPERVISOR' ? (
        <Team store={store} />
      ) : tab === 'transcripts' && me.role === 'SUPERVISOR' ? (
        <Transcripts store={store} />
      ) : (
        <div className={`workspace${selected ? ' has-chat' : ''}`}>
          <aside className="side">
            <section aria-labelledby="mine-title">
              <h2 id="mine-title">
                My chats <span className="count" data-testid="sb-mine-count">{active}</span>
              </h2>
              {mine.length === 0 ? (
                <p className="empty">{me.status === 'ONLINE' ? 'No chats yet. New ones appear here.' : 'Go online to receive chats.'}</p>
              ) : (
                <ul className="list">
                  {mine.map((chat) => (
                    <SessionItem key={chat.model.id} store={store} chat={chat} active={chat === selected} />
                  ))}
                </ul>
              )}
            </section>
            {me.role === 'SUPERVISOR' && <TeamChats store={store} selected={selected?.model.id ?? null} />}
            <section aria-labelledby="queue-title">
              <h2 id="queue-title">
                Queue <span className="count">{store.queue.length}</span>
              </h2>
              {store.queue.length === 0 ? (
                <p className="empty">Nobody is waiting.</p>
              ) : (
                <ol className="list queue">
                  {store.queue.map((s) => (
                    <li key={s.id} data-testid="sb-queue-item" data-session-id={s.id}>
                      <span className="who">{s.customer.name || 'Visitor'}</span>
                      <span className="sub">
                        #{s.queuePosition ?? '?'}
                        {s.skill ? ` · ${s.skill}` : ''} · waiting since <time dateTime={s.queuedAt ?? s.createdAt} data-testid="sb-waiting-since">{time(s.queuedAt ?? s.createdAt)}</time>
                        {' · '}
                        <span data-testid="sb-queue-age" title={`Started ${new Date(s.createdAt).toLocaleString()}`}>
                          {age(s.createdAt)} old
                        </span>
                      </span>
                      {s.customer.email && (
                        <span className="sub" data-testid="sb-queue-email">
                          Reply by email possible: {s.customer.email}
                        </span>
                      )}
                      {me.role === 'SUPERVISOR' && <AssignControl store={store} sessionId={s.id} />}
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </aside>
          <main className="main">{selected ? <ChatView key={selected.model.id} store={store} chat={selected} /> : <p className="empty big">Select a chat.</p>}</main>
        </div>
      )}
    </div>
  );
}

/** Supervisors: every live chat of the team, opened read only (join by transferring it to yourself). */
function TeamChats({ store, selected }: { store: ConsoleStore; selected: string | null }) {
  const others = store.teamChats;
  return (
    <section aria-labelledby="team-chats-title">
      <h2 id="team-chats-title">
        Team's chats <span className="count">{others.length}</span>
      </h2>
      {others.length === 0 ? (
        <p className="empty">No other live chats.</p>
      ) : (
        <ul className="list">
          {others.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={`session${selected === s.id ? ' active' : ''}`}
                data-testid="sb-team-session"
                data-session-id={s.id}
                aria-current={selected === s.id ? 'true' : undefined}
                onClick={() => store.observe(s)}
              >
                <span className="who">{s.customer.name || 'Visitor'}</span>
                <span className="sub">with {s.agent?.name ?? '—'}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Supervisors: a queued chat to a named agent who can take it now. */
function AssignControl({ store, sessionId }: { store: ConsoleStore; sessionId: string }) {
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);
  const able = Array.from(store.agents.values()).filter((a) => store.canTake(a) === null);
  return (
    <form
      className="assign"
      onSubmit={(e) => {
        e.preventDefault();
        if (!to) return;
        setError(null);
        store.assign(sessionId, to).catch((err: unknown) => setError((err as Error).message));
      }}
    >
      <label>
        <span className="sr-only">Assign to</span>
        <select data-testid="sb-assign-target" value={to} onChange={(e) => setTo(e.target.value)}>
          <option value="">{able.length ? 'Assign to…' : 'Nobody can take it now'}</option>
          {able.map((a) => (
            <option key={a.id} value={a.id}>
              {a.id === store.me.id ? `${a.name} (me)` : a.name} — {a.activeChats}/{a.maxConcurrentChats}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="ghost small" data-testid="sb-assign" disabled={!to}>
        Assign
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function SessionItem({ store, chat, active }: { store: ConsoleStore; chat: Chat; active: boolean }) {
  const s = chat.model.session;
  const unread = store.unread(chat);
  const preview = chat.model.last()?.body ?? '';
  return (
    <li>
      <button
        type="button"
        className={`session${active ? ' active' : ''}${chat.gone || s.status === 'CLOSED' ? ' done' : ''}`}
        data-testid="sb-session"
        data-session-id={s.id}
        data-status={chat.gone ? 'GONE' : s.status}
        aria-current={active ? 'true' : undefined}
        onClick={() => store.select(s.id)}
      >
        <span className="who">{s.customer.name || 'Visitor'}</span>
        {unread > 0 && (
          <span className="unread" data-testid="sb-unread" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
        <span className="sub">{chat.gone ?? (s.status === 'CLOSED' ? 'Closed' : chat.model.otherTyping ? 'typing…' : preview)}</span>
      </button>
    </li>
  );
}
