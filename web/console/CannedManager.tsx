/** The canned responses: the team's (supervisors write them) and my own; "/" in a reply picks one. */
import { useState, type FormEvent } from 'react';
import { useStore } from './hooks';
import type { ConsoleStore } from './store';

export function CannedManager({ store, close }: { store: ConsoleStore; close: () => void }) {
  useStore(store);
  const supervisor = store.me.role === 'SUPERVISOR';
  const [shortcut, setShortcut] = useState('');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [personal, setPersonal] = useState(!supervisor);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    store.desk
      .createCanned({ shortcut: shortcut.trim(), title: title.trim(), body, personal })
      .then(() => (setShortcut(''), setTitle(''), setBody('')))
      .catch((err: unknown) => setError((err as Error).message));
  };
  return (
    <section className="canned-manager" aria-labelledby="canned-title" data-testid="sb-canned-manager">
      <header>
        <h2 id="canned-title">Canned responses</h2>
        <button type="button" className="ghost" onClick={close}>
          Close
        </button>
      </header>
      <p className="sub">
        Type <kbd>/</kbd> in a reply to pick one. <code>{'{{visitor.name}}'}</code> and <code>{'{{agent.name}}'}</code> are filled in.
      </p>
      <ul className="list">
        {store.desk.canned.map((c) => (
          <li key={c.id}>
            <strong>/{c.shortcut}</strong> {c.title} {!c.owner && <span className="tag">team</span>}
            <div className="sub">{c.body}</div>
            {(c.owner?.id === store.me.id || (!c.owner && supervisor)) && (
              <button type="button" className="ghost small" onClick={() => store.desk.deleteCanned(c.id).catch((err: unknown) => setError((err as Error).message))}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      <form onSubmit={submit} className="canned-form">
        <label>
          Shortcut
          <input data-testid="sb-canned-shortcut" value={shortcut} onChange={(e) => setShortcut(e.target.value)} placeholder="refund" required pattern="[a-z0-9_\-]{1,40}" />
        </label>
        <label>
          Title
          <input data-testid="sb-canned-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
        </label>
        <label>
          Text
          <textarea data-testid="sb-canned-body" value={body} onChange={(e) => setBody(e.target.value)} required rows={3} />
        </label>
        {supervisor && (
          <label className="inline">
            <input type="checkbox" checked={!personal} onChange={(e) => setPersonal(!e.target.checked)} /> For the whole team
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" data-testid="sb-canned-save">
          Save
        </button>
      </form>
    </section>
  );
}
