import type { FormEvent, ReactNode } from 'react';

/** A modal form (the agent form, the password form): its fields, the server's refusal, Save and Cancel. */
export function FormDialog(p: {
  title: string;
  titleId: string;
  testId?: string;
  onSubmit: (e: FormEvent) => void;
  error: string | null;
  busy?: boolean;
  save: { label: string; busyLabel?: string; testId: string };
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <div className="backdrop">
      <form className="dialog agent-form" role="dialog" aria-modal="true" aria-labelledby={p.titleId} data-testid={p.testId} onSubmit={p.onSubmit}>
        <h2 id={p.titleId}>{p.title}</h2>
        {p.children}
        {p.error && (
          <p className="error" role="alert">
            {p.error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="submit" className="primary" data-testid={p.save.testId} disabled={p.busy}>
            {p.busy ? (p.save.busyLabel ?? p.save.label) : p.save.label}
          </button>
          <button type="button" className="ghost" data-testid="sb-dialog-cancel" onClick={p.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
