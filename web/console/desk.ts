/**
 * The desk around each chat in the console (contract, desk: "Agents' tools"): the visitor's page,
 * tags, notes (live), the customer's earlier chats, the audit trail, and the canned responses.
 * Read per chat when it is opened, and again when the session changes (its sessionUpdated).
 */
import {
  ConsoleAddNoteDocument,
  ConsoleCannedResponsesDocument,
  ConsoleCreateCannedDocument,
  ConsoleDeleteCannedDocument,
  ConsoleDeskDocument,
  ConsoleNoteAddedDocument,
  ConsoleTagSessionDocument,
  ConsoleVisitorContextDocument,
  type ConsoleCannedFragment,
  type ConsoleDeskQuery,
  type ConsoleNoteFragment,
  type ConsoleSessionFragment,
} from '../generated/console';
import type { Live, TypedDocument } from '../shared/gql';

export type DeskData = NonNullable<ConsoleDeskQuery['session']>;
export type Note = ConsoleNoteFragment;
export type Canned = ConsoleCannedFragment;

interface Host {
  call<R, V>(document: TypedDocument<R, V>, variables: V): Promise<R>;
  live: Live;
  changed(): void;
  /** A chat's session after a change made here (tags). */
  sessionChanged(session: ConsoleSessionFragment): void;
}

export class Desk {
  readonly data = new Map<string, DeskData>();
  canned: Canned[] = [];
  private readonly watching = new Map<string, () => void>();
  /** The pending re-read of each chat's desk, and whether it is to be whole. */
  private readonly timers = new Map<string, { timer: ReturnType<typeof setTimeout>; full: boolean }>();

  constructor(private readonly host: Host) {}

  /** Reads a chat's desk now, and keeps its notes live. */
  async open(sessionId: string): Promise<void> {
    if (!this.watching.has(sessionId)) {
      this.watching.set(
        sessionId,
        this.host.live.subscribe(ConsoleNoteAddedDocument, { sessionId }, { next: ({ noteAdded }) => this.addNote(noteAdded) }),
      );
    }
    await this.reload(sessionId);
  }

  close(sessionId: string): void {
    this.watching.get(sessionId)?.();
    this.watching.delete(sessionId);
    clearTimeout(this.timers.get(sessionId)?.timer);
    this.timers.delete(sessionId);
    this.data.delete(sessionId);
  }

  /**
   * The session changed: a step (status, agent, tags: `full`) reads the whole desk again; anything
   * else (a read receipt, a page change) only the visitor's page. Once for a burst.
   */
  changedSoon(sessionId: string, full: boolean): void {
    if (!this.watching.has(sessionId)) return;
    const pending = this.timers.get(sessionId);
    const whole = full || Boolean(pending?.full);
    clearTimeout(pending?.timer);
    const timer = setTimeout(() => {
      this.timers.delete(sessionId);
      void (whole ? this.reload(sessionId) : this.reloadContext(sessionId)).catch(() => undefined);
    }, 150);
    this.timers.set(sessionId, { timer, full: whole });
  }

  private async reloadContext(sessionId: string): Promise<void> {
    const { session } = await this.host.call(ConsoleVisitorContextDocument, { id: sessionId });
    const desk = this.data.get(sessionId);
    if (!session || !desk) return;
    desk.visitorContext = session.visitorContext;
    this.host.changed();
  }

  private async reload(sessionId: string): Promise<void> {
    const { session } = await this.host.call(ConsoleDeskDocument, { id: sessionId });
    if (!session) return;
    this.data.set(sessionId, session);
    this.host.changed();
  }

  private addNote(note: Note): void {
    const desk = this.data.get(note.sessionId);
    if (!desk || desk.notes?.some((n) => n.id === note.id)) return;
    desk.notes = [...(desk.notes ?? []), note];
    this.host.changed();
    this.changedSoon(note.sessionId, true); // its step in the timeline
  }

  async note(sessionId: string, body: string): Promise<void> {
    const { addNote } = await this.host.call(ConsoleAddNoteDocument, { sessionId, body });
    this.addNote(addNote);
  }

  async tag(sessionId: string, tags: string[]): Promise<void> {
    const { tagSession } = await this.host.call(ConsoleTagSessionDocument, { sessionId, tags });
    const desk = this.data.get(sessionId);
    if (desk) desk.tags = tagSession.tags;
    this.host.sessionChanged(tagSession);
    this.changedSoon(sessionId, true);
  }

  // ——— canned responses ———

  async loadCanned(): Promise<void> {
    const { cannedResponses } = await this.host.call(ConsoleCannedResponsesDocument, {});
    this.canned = cannedResponses;
    this.host.changed();
  }

  async createCanned(input: { shortcut: string; title: string; body: string; personal: boolean }): Promise<void> {
    await this.host.call(ConsoleCreateCannedDocument, { input });
    await this.loadCanned();
  }

  async deleteCanned(id: string): Promise<void> {
    await this.host.call(ConsoleDeleteCannedDocument, { id });
    await this.loadCanned();
  }

  /** Those whose shortcut starts with what follows "/" (then those whose title contains it). */
  matching(query: string): Canned[] {
    const q = query.toLowerCase();
    const starts = this.canned.filter((c) => c.shortcut.startsWith(q));
    const titled = this.canned.filter((c) => !c.shortcut.startsWith(q) && c.title.toLowerCase().includes(q));
    return [...starts, ...titled].slice(0, 8);
  }

  dispose(): void {
    for (const id of [...this.watching.keys()]) this.close(id);
  }
}

/** A canned response's placeholders filled: {{visitor.name}}, {{agent.name}} (unknown ones stay). */
export function fillPlaceholders(body: string, values: { visitorName: string; agentName: string }): string {
  return body.replace(/\{\{\s*(visitor|agent)\.name\s*\}\}/g, (_, who: string) => (who === 'visitor' ? values.visitorName : values.agentName));
}

/** What the tags input holds, as the API takes it: lower case, comma-separated, each once. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim().toLowerCase().replace(/\s+/g, '-')).filter(Boolean))];
}
