/**
 * What every console view shares, below them all (App, ChatView and Team import it; it imports
 * none of them): the store as React state, and how a time is shown.
 */
import { useState, useSyncExternalStore, type FormEvent } from 'react';
import type { ConsoleStore } from './store';

/** Re-renders the component on every change of the store. */
export function useStore(store: ConsoleStore): number {
  return useSyncExternalStore(store.subscribe, store.getVersion);
}

export function time(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * A form's submit: busy while `work` runs, its failure shown as `error` (through `describe`,
 * by default the error's message).
 */
export function useSubmit(work: () => Promise<void>, describe: (error: unknown) => string = (error) => (error as Error).message) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

/** How long ago, roughly: "4 min", "3 h 12 min", "2 days" (the offline inbox's chats can be old). */
export function age(iso: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} days`;
}
