import type { EntityManager } from '@mikro-orm/postgresql';
import * as customers from '../db/customers';
import * as messages from '../db/messages';
import * as notes from '../db/notes';
import * as sessions from '../db/sessions';
import { isUuid } from '../db/sql';
import { EventKind } from '../entities';
import { ConflictError, NotFoundError } from '../errors';
import * as audit from '../events/audit';
import type { Effects } from '../events/effects';
import { authorize, type Actor } from '../policies';
import type { FileService } from './files';
import type { Transactions } from './transaction';

export interface ErasureResult {
  customerId: string;
  sessionsErased: number;
  messagesErased: number;
  filesDeleted: number;
}

/** Sessions per retention batch: each batch is one short transaction (its locks held well under a second). */
export const RETENTION_BATCH = 50;

/**
 * Personal data (contract, team extension): `customerExport`, `eraseCustomer` and retention. An
 * erased session keeps its facts (times, agent, rating, status: metrics do not change) and loses
 * every text about the person: message bodies, the visitor's name on its lines, the rating
 * comment. An erased customer loses its name, email and externalId, and its visitor tokens stop
 * working (revoked: every instance forgets them; on a cache miss Postgres says it is erased).
 */
export class ErasureService {
  constructor(
    private readonly tx: Transactions,
    private readonly files: FileService,
  ) {}

  async exportCustomer(em: EntityManager, viewer: Actor, customerId: string): Promise<string> {
    authorize(viewer, 'customer.data');
    const profile = isUuid(customerId) ? await customers.exportOf(em, customerId) : null;
    if (!profile) throw new NotFoundError('Customer');
    return JSON.stringify({ customer: profile, sessions: await sessions.exportOf(em, customerId) });
  }

  /** One transaction; idempotent (a second run erases nothing more and answers zeros). */
  async eraseCustomer(em: EntityManager, viewer: Actor, customerId: string): Promise<ErasureResult> {
    authorize(viewer, 'customer.data');
    if (!isUuid(customerId)) throw new NotFoundError('Customer');
    const actor = audit.actorOf(viewer);
    return this.tx.run(em, {}, async (tem, effects) => {
      if (!(await customers.lock(tem, customerId))) throw new NotFoundError('Customer');
      if (await sessions.openCount(tem, customerId)) throw new ConflictError('This customer has chats still open: close them first.');
      // Every file of the customer: its sessions' and its uploads never sent.
      const erased = await this.eraseSessions(tem, await sessions.erase(tem, { customerId }), actor, effects, () => this.files.deleteForCustomer(tem, customerId));
      await customers.erase(tem, [customerId]);
      effects.revoked.push({ kind: 'customer', id: customerId });
      return { customerId, ...erased };
    });
  }

  /**
   * Retention: sessions closed more than `days` days ago, in batches of RETENTION_BATCH (each its
   * own transaction; SKIP LOCKED, so two sweeps never take the same one), then the profiles of
   * their customers that have no session left unerased. Returns how many sessions it erased.
   */
  async sweep(em: EntityManager, days: number): Promise<number> {
    const touched = new Set<string>();
    let total = 0;
    for (;;) {
      const n = await this.tx.run(em, {}, async (tem, effects) => {
        const ids = await sessions.dueForRetention(tem, days, RETENTION_BATCH);
        if (!ids.length) return 0;
        for (const id of await sessions.customersOf(tem, ids)) touched.add(id);
        const erased = await sessions.erase(tem, { ids });
        await this.eraseSessions(tem, erased, { actorKind: 'system', actorId: null }, effects, () => this.files.deleteForSessions(tem, erased));
        return ids.length;
      });
      total += n;
      if (n < RETENTION_BATCH) break;
    }
    // After this sweep's batches committed: whichever of two concurrent sweeps checks last sees both.
    const ids = [...touched];
    for (let i = 0; i < ids.length; i += RETENTION_BATCH) {
      await this.tx.run(em, {}, async (tem, effects) => {
        for (const id of await customers.erase(tem, ids.slice(i, i + RETENTION_BATCH), true)) effects.revoked.push({ kind: 'customer', id });
      });
    }
    return total;
  }

  private async eraseSessions(
    tem: EntityManager,
    sessionIds: string[],
    actor: Pick<audit.AuditStep, 'actorKind' | 'actorId'>,
    effects: Effects,
    deleteFiles: () => Promise<number>,
  ): Promise<Omit<ErasureResult, 'customerId'>> {
    const messagesErased = await messages.eraseIn(tem, sessionIds);
    await notes.eraseIn(tem, sessionIds);
    const filesDeleted = await deleteFiles();
    for (const sessionId of sessionIds) {
      await audit.record(tem, effects, { sessionId, kind: EventKind.ERASED, ...actor });
      effects.sessions.add(sessionId);
    }
    return { sessionsErased: sessionIds.length, messagesErased, filesDeleted };
  }
}
