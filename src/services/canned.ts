import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../policies';
import * as canned from '../db/canned-responses';
import { isUuid, pgCode, pgConstraint, PG } from '../db/sql';
import { BadInputError, ConflictError, NotFoundError } from '../errors';
import { authorize, can } from '../policies';
import * as check from './desk-validate';

/** At most this many canned responses per owner (the team, or one agent). */
const PER_OWNER = 500;

/**
 * Canned responses (contract, desk: "Agents' tools"): the team's, written by supervisors, and
 * each agent's own. An agent reads the team's and its own; another agent's do not exist for it.
 */
export class CannedService {
  async list(em: EntityManager, viewer: Actor): Promise<canned.CannedRow[]> {
    authorize(viewer, 'canned.read');
    if (viewer.kind !== 'agent') return [];
    return canned.visibleTo(em, viewer.agentId);
  }

  async create(em: EntityManager, viewer: Actor, input: { shortcut: string; title: string; body: string; personal: boolean }): Promise<canned.CannedRow> {
    const ownerId = this.ownerFor(viewer, input.personal);
    const fields = check.canned(input);
    if ((await canned.countOf(em, ownerId)) >= PER_OWNER) throw new BadInputError(`At most ${PER_OWNER} canned responses per owner.`);
    return unique(() => canned.insert(em, { ownerId, ...fields }));
  }

  async update(em: EntityManager, viewer: Actor, id: string, input: { shortcut: string; title: string; body: string; personal: boolean }): Promise<canned.CannedRow> {
    await this.writable(em, viewer, id);
    const ownerId = this.ownerFor(viewer, input.personal);
    const fields = check.canned(input);
    const row = await unique(() => canned.update(em, id, { ownerId, ...fields }));
    if (!row) throw new NotFoundError('Canned response');
    return row;
  }

  async remove(em: EntityManager, viewer: Actor, id: string): Promise<boolean> {
    await this.writable(em, viewer, id);
    return canned.remove(em, id);
  }

  /** The owner a write gives the response: the caller (personal) or the team (supervisors). */
  private ownerFor(viewer: Actor, personal: boolean): string | null {
    authorize(viewer, personal ? 'canned.own' : 'canned.team');
    return personal && viewer.kind === 'agent' ? viewer.agentId : null;
  }

  /** Its owner, or a supervisor for the team's; another agent's personal one is NOT_FOUND. */
  private async writable(em: EntityManager, viewer: Actor, id: string): Promise<canned.CannedRow> {
    authorize(viewer, 'canned.read');
    const row = isUuid(id) ? await canned.byId(em, id) : null;
    if (!row || (row.ownerId !== null && (viewer.kind !== 'agent' || row.ownerId !== viewer.agentId))) throw new NotFoundError('Canned response');
    if (row.ownerId === null) authorize(viewer, 'canned.team');
    else if (!can(viewer, 'canned.own')) throw new NotFoundError('Canned response');
    return row;
  }
}

async function unique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (pgCode(error) === PG.uniqueViolation && pgConstraint(error) === 'canned_response_shortcut') throw new ConflictError('That shortcut is taken.');
    throw error;
  }
}
