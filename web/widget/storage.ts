/**
 * What the widget keeps across page reloads, per server, in localStorage: the visitor's token and
 * session, the form's name and email, whether the panel was open, and the outbox (messages written
 * but not yet confirmed: sent again, with the same clientMessageId, after a reload).
 */
import type { Outgoing } from '../shared/chat';

export interface Saved {
  token?: string;
  sessionId?: string;
  name?: string;
  email?: string;
  open?: boolean;
  outbox?: Outgoing[];
}

export class Storage {
  private readonly key: string;
  state: Saved;

  constructor(server: string) {
    this.key = `switchboard:${server}`;
    this.state = this.read();
  }

  private read(): Saved {
    try {
      return JSON.parse(localStorage.getItem(this.key) ?? '{}') as Saved;
    } catch {
      return {};
    }
  }

  /** Changes some of it and writes it all. */
  set(changes: Saved): void {
    Object.assign(this.state, changes);
    try {
      localStorage.setItem(this.key, JSON.stringify(this.state));
    } catch {
      /* storage full or blocked: the chat still works for this page */
    }
  }

  /** Forgets the session (and, when it was refused, the token); keeps who the visitor said they are. */
  forgetSession(dropToken: boolean): void {
    const { name, email, open, token } = this.state;
    this.state = {};
    this.set({ name, email, open, token: dropToken ? undefined : token });
  }
}
