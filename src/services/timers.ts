import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import * as agents from '../db/agents';
import * as messages from '../db/messages';
import * as sessionEvents from '../db/session-events';
import * as sessions from '../db/sessions';
import { EventKind, SessionStatus } from '../entities';
import * as audit from '../events/audit';
import type { Effects } from '../events/effects';
import type { Jobs } from '../jobs/queue';
import type { Logger } from '../logger';
import type { AppMetrics } from '../metrics';
import type { Routing } from './routing';
import type { Transactions } from './transaction';

export const NO_REPLY_QUEUE = 'timer-no-reply';
export const SKILL_FALLBACK_QUEUE = 'timer-skill-fallback';

/**
 * One worker per queue on each instance fetches up to BATCH due timers at once (more at once
 * while batches come back full). It is woken when a timer this instance armed is due (`arm`), so
 * those fire on time; every POLL_SECONDS it also looks for any due timer, which is how one armed
 * by an instance that died since fires (the contract: within 5 s of when it is due).
 */
const POLL_SECONDS = 3;
const BATCH = 8;
/** Past the due time before the woken worker fetches, so that Postgres' clock finds it due. */
const WAKE_MARGIN_MS = 100;
/** A timer held by an instance that died is handed to another after this. */
const EXPIRE_SECONDS = 30;

/**
 * The durable routing timers (contract, desk: "Routing additions"): no reply
 * (REASSIGN_AFTER_SECONDS, AWAY_AFTER_MISSED) and skill fallback (SKILL_FALLBACK_SECONDS), each
 * off at 0. A timer is a pg-boss job with `startAfter`, inserted in the transaction of the change
 * that arms it (an assignment, a chat entering the queue: `arm`, run by the publisher's `record`),
 * so it exists exactly when the change committed; one instance claims it when due (pg-boss'
 * SKIP LOCKED), whichever instance armed it and whatever died since. Handling decides from the
 * state in Postgres under the routing lock, so a late, repeated or superseded timer does nothing.
 */
export class Timers {
  constructor(
    private readonly config: Pick<Config, 'REASSIGN_AFTER_SECONDS' | 'AWAY_AFTER_MISSED' | 'SKILL_FALLBACK_SECONDS'>,
    private readonly jobs: Jobs,
    private readonly logger: Logger,
  ) {}

  /** This instance's worker of each timer queue (set by `start`). */
  private readonly workers = new Map<string, string>();

  /** Publisher recorder: arms the timers of what this change did, on its transaction. */
  arm = async (em: EntityManager, effects: Effects): Promise<void> => {
    const reassign = this.config.REASSIGN_AFTER_SECONDS;
    if (reassign > 0) {
      for (const { sessionId, agentId } of effects.assigned) await this.jobs.send(em, NO_REPLY_QUEUE, { sessionId, agentId }, { startAfter: reassign });
      if (effects.assigned.length) this.wakeAfter(NO_REPLY_QUEUE, reassign);
    }
    const fallback = this.config.SKILL_FALLBACK_SECONDS;
    if (fallback > 0 && effects.enqueued.size) {
      const ids = await sessions.queuedWithSkill(em, [...effects.enqueued]);
      for (const id of ids) await this.jobs.send(em, SKILL_FALLBACK_QUEUE, { sessionId: id }, { startAfter: fallback });
      if (ids.length) this.wakeAfter(SKILL_FALLBACK_QUEUE, fallback);
    }
  };

  /**
   * Only a hint, not the timer (that is the job): when the change rolls back, or this instance
   * dies first, the worker finds nothing, or another instance's poll fires it.
   */
  private wakeAfter(queue: string, seconds: number): void {
    setTimeout(() => {
      const worker = this.workers.get(queue);
      if (worker) this.jobs.wake(worker);
    }, seconds * 1000 + WAKE_MARGIN_MS).unref();
  }

  /** Declares the timer queues and this instance's workers for them (every instance, at start-up). */
  async start(p: { tx: Transactions; routing: Routing; metrics: AppMetrics; em: () => EntityManager }): Promise<void> {
    const queue = { retryLimit: 10, retryDelay: 1, expireInSeconds: EXPIRE_SECONDS, notify: false, work: { pollingIntervalSeconds: POLL_SECONDS, batchSize: BATCH, burstWhenBatchFull: true } };
    this.workers.set(NO_REPLY_QUEUE, await this.jobs.define<{ sessionId: string; agentId: string }>(NO_REPLY_QUEUE, queue, (data) => this.noReply(p, data.sessionId, data.agentId)));
    this.workers.set(
      SKILL_FALLBACK_QUEUE,
      await this.jobs.define<{ sessionId: string }>(SKILL_FALLBACK_QUEUE, queue, async () => {
        // Routing decides who may take what now (db/sessions.ts queuedFor); the timer only makes it look when due.
        await p.tx.run(p.em(), { routing: true }, (tem, effects) => p.routing.drain(tem, effects));
      }),
    );
  }

  /**
   * No reply: the chat is still with that agent, held since REASSIGN_AFTER_SECONDS or more, and the
   * agent wrote nothing since: back at the head of the queue (event `reassigned`), routed to
   * someone else if anyone else can take it, else to the same agent. AWAY after AWAY_AFTER_MISSED
   * in a row; a chat answered in time ends the run.
   */
  private async noReply(p: { tx: Transactions; routing: Routing; metrics: AppMetrics; em: () => EntityManager }, sessionId: string, agentId: string): Promise<void> {
    const afterMs = this.config.REASSIGN_AFTER_SECONDS * 1000;
    if (afterMs <= 0) return; // switched off since it was armed
    await p.tx.run(p.em(), { routing: true }, async (tem, effects) => {
      const session = await sessions.byId(tem, sessionId, true);
      if (!session || session.status !== SessionStatus.ACTIVE || session.agentId !== agentId) return;
      const since = await sessionEvents.heldSince(tem, sessionId, agentId);
      // Handed to it again later (a newer assignment): that one's own timer decides.
      if (!since || since.getTime() + afterMs > Date.now() + 500) return;
      if (await messages.agentWroteSince(tem, sessionId, agentId, since)) {
        await agents.answeredInTime(tem, agentId);
        return;
      }
      const head = await sessions.queueHead(tem);
      await sessions.requeue(tem, sessionId, { queuedAt: new Date(head.getTime() - 1) });
      const missed = await agents.missedOne(tem, agentId);
      const away = this.config.AWAY_AFTER_MISSED > 0 && missed >= this.config.AWAY_AFTER_MISSED;
      if (away) {
        await agents.setAway(tem, agentId);
        effects.agents.add(agentId);
      }
      await audit.record(tem, effects, {
        sessionId,
        kind: EventKind.REASSIGNED,
        actorKind: 'system',
        agentId,
        data: { reason: 'no_reply', fromAgentId: agentId, ...(away ? { agentSetAway: true } : {}) },
      });
      await p.routing.releaseSlot(tem, agentId, effects);
      p.metrics.routingDecisions.inc({ outcome: 'reassigned' });
      effects.sessions.add(sessionId);
      effects.enqueued.add(sessionId);
      await p.routing.touchQueue(tem, effects);
      await p.routing.drain(tem, effects, { sessionId, agentId });
      this.logger.info({ sessionId, agentId, missed, away }, 'no reply: chat reassigned');
    });
  }
}
