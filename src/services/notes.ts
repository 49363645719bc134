import type { EntityManager } from '@mikro-orm/postgresql';
import * as agents from '../db/agents';
import * as notes from '../db/notes';
import { EventKind } from '../entities';
import * as audit from '../events/audit';
import { can, type Actor, type SessionResource } from '../policies';
import type { NotePayload } from '../pubsub/topics';
import { authorizeSession } from './access';
import type { Transactions } from './transaction';
import * as validate from './validate';

/**
 * Notes (contract, desk: "Agents' tools"): written by the session's agent or a supervisor, read
 * by the desk (`session.desk`). They live in their own table and travel on their own topic
 * (`note.created`), so no path that serves a customer (messages, messageAdded, transcripts,
 * emails) can carry one.
 */
export class NoteService {
  constructor(private readonly tx: Transactions) {}

  async add(em: EntityManager, viewer: Actor, sessionId: string, bodyArg: string): Promise<NotePayload> {
    const body = validate.body(bodyArg);
    await authorizeSession(em, viewer, sessionId, 'note.add');
    return this.tx.run(em, {}, async (tem, effects) => {
      await authorizeSession(tem, viewer, sessionId, 'note.add', true);
      const authorId = viewer.kind === 'agent' ? viewer.agentId : null;
      const authorName = authorId ? ((await agents.nameOf(tem, authorId)) ?? 'Agent') : 'API';
      const note = await notes.insert(tem, { sessionId, authorId, authorName, body });
      await audit.record(tem, effects, { sessionId, kind: EventKind.NOTED, ...audit.actorOf(viewer), agentId: authorId, data: { noteId: note.id } });
      effects.notes.push(note);
      return note;
    });
  }

  /** Null for whoever may not see the desk's side of the session (a customer). */
  async list(em: EntityManager, actor: Actor, session: SessionResource & { id: string }): Promise<NotePayload[] | null> {
    return can(actor, 'session.desk', session) ? notes.ofSession(em, session.id) : null;
  }
}
