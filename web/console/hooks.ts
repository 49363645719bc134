/**
 * What every console view shares, below them all (App, ChatView and Team import it; it imports
 * none of them): the store as React state, and how a time is shown.
 */
import { useSyncExternalStore } from 'react';
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
