import type { EntityManager } from '@mikro-orm/postgresql';
import * as desk from '../db/session-desk';
import { isUuid } from '../db/sql';
import { EventKind } from '../entities';
import { BadInputError } from '../errors';
import * as audit from '../events/audit';
import { Effects } from '../events/effects';
import { authorize, can, isSupervisor, refuseState, type Actor } from '../policies';
import type { SessionRow } from '../db/sessions';
import { authorizeSession } from './access';
import * as check from './desk-validate';
import type { Transactions } from './transaction';
import * as validate from './validate';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * The desk's side of a session (contract, desk: "Agents' tools"): tags, the visitor's context,
 * the audit trail, a customer's history, and search. What a customer may not see is null for it.
 */
export class DeskService {
  constructor(private readonly tx: Transactions) {}

  /** Replaces the set; records a `tagged` step. */
  async tag(em: EntityManager, viewer: Actor, sessionId: string, values: readonly string[]): Promise<void> {
    const tags = check.tags(values);
    await authorizeSession(em, viewer, sessionId, 'session.tag');
    await this.tx.run(em, {}, async (tem, effects) => {
      await authorizeSession(tem, viewer, sessionId, 'session.tag', true);
      await desk.setTags(tem, sessionId, tags);
      await audit.record(tem, effects, { sessionId, kind: EventKind.TAGGED, ...audit.actorOf(viewer), agentId: viewer.kind === 'agent' ? viewer.agentId : null, data: { tags } });
      effects.sessions.add(sessionId);
    });
  }

  /** The customer's page now (at most one a second kept); `userAgent` from the request. */
  async updateContext(em: EntityManager, viewer: Actor, sessionId: string, input: check.ContextInput, userAgent: string | null): Promise<boolean> {
    const context = check.context(input, userAgent);
    const { session, role } = await authorizeSession(em, viewer, sessionId, 'session.context');
    refuseState('session.context', session, role);
    if (await desk.setContext(em, sessionId, context)) this.tx.committed(Effects.of((e) => e.sessions.add(sessionId)));
    return true;
  }

  /** At startChat, in its transaction. */
  async initialContext(em: EntityManager, sessionId: string, input: check.ContextInput | null | undefined, userAgent: string | null): Promise<void> {
    if (!input && !userAgent) return;
    await desk.setContext(em, sessionId, check.context(input ?? {}, userAgent));
  }

  tags(actor: Actor, session: SessionRow): string[] | null {
    return can(actor, 'session.desk', session) ? desk.tagsOf(session) : null;
  }

  context(actor: Actor, session: SessionRow): desk.ContextRow | null {
    return can(actor, 'session.desk', session) ? desk.contextOf(session) : null;
  }

  async events(em: EntityManager, actor: Actor, session: SessionRow): Promise<desk.EventRow[] | null> {
    return can(actor, 'session.desk', session) ? desk.events(em, session.id) : null;
  }

  /**
   * `Customer.sessions`, newest first: supervisors (and keys) see all; an agent sees every
   * session of a customer it has an ACTIVE chat with now, else only those assigned to it.
   * Null for customers.
   */
  async history(em: EntityManager, actor: Actor, customerId: string, first: number, after: string | null) {
    if (!can(actor, 'history.read')) return null;
    const limit = validate.limit(first, 'first');
    const everything = actor.kind !== 'agent' || isSupervisor(actor) || (await desk.chattingWith(em, actor.agentId, customerId));
    const visibleTo = everything || actor.kind !== 'agent' ? undefined : actor.agentId;
    return page(await desk.find(em, { customerId, visibleTo, before: after ? decodeCursor(after) : undefined, limit: limit + 1 }), limit, false, 0);
  }

  /** `sessions(…)`: an agent its own (supervisors all), filtered, newest or most relevant first. */
  async sessions(
    em: EntityManager,
    viewer: Actor,
    args: { status?: desk.SessionQuery['status']; first: number; after?: string | null; tag?: string | null; search?: string | null; agentId?: string | null; from?: Date | null; to?: Date | null },
  ) {
    authorize(viewer, 'sessions.list');
    const limit = validate.limit(args.first, 'first');
    const search = check.search(args.search);
    const tag = check.tag(args.tag);
    if (args.agentId && !isUuid(args.agentId)) throw new BadInputError('agentId is not an agent id.', 'agentId');
    if (args.from && args.to && args.from > args.to) throw new BadInputError('from must be before to.', 'from');
    const cursor = args.after ? (search ? decodeOffset(args.after) : decodeCursor(args.after)) : undefined;
    const rows = await desk.find(em, {
      visibleTo: can(viewer, 'sessions.all') ? undefined : viewer.kind === 'agent' ? viewer.agentId : undefined,
      status: args.status,
      agentId: args.agentId,
      tag,
      search,
      from: args.from,
      to: args.to,
      before: typeof cursor === 'object' ? cursor : undefined,
      offset: typeof cursor === 'number' ? cursor : 0,
      limit: limit + 1,
    });
    return page(rows, limit, Boolean(search), typeof cursor === 'number' ? cursor : 0);
  }
}

function page(rows: SessionRow[], limit: number, ranked: boolean, offset: number) {
  const list = rows.slice(0, limit);
  const last = list[list.length - 1];
  const more = rows.length > limit && last;
  const endCursor = !more ? null : ranked ? Buffer.from(`o|${offset + limit}`).toString('base64url') : encodeCursor(last);
  return { sessions: list, endCursor };
}

/** A ranked search's cursor: how many results came before. */
function decodeOffset(cursor: string): number {
  const [kind, n] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const offset = Number(n);
  if (kind !== 'o' || !Number.isInteger(offset) || offset < 0 || offset > 100_000) throw new BadInputError('after is not a valid cursor.', 'after');
  return offset;
}
