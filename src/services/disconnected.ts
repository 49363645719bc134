import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { AgentService } from './agents';

/** How often each instance looks; the requeue is due within this (plus one stamp) of its time. */
export const SWEEP_INTERVAL_MS = 1000;

/**
 * The durable timer behind "Disconnected agents" (contract, desk extension): no setTimeout that
 * dies with its instance, but a sweep on every instance that stamps the agents online now as
 * seen and requeues the chats of those not seen for REQUEUE_DISCONNECTED_SECONDS. Whatever
 * instance crashes or restarts, the others (or it, once back) find the same state in Postgres.
 */
export function startDisconnectSweep(p: {
  agents: AgentService;
  em: () => EntityManager;
  afterSeconds: number;
  logger: Logger;
  intervalMs?: number;
}): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async () => {
    try {
      const em = p.em();
      await p.agents.seen(em);
      if (p.afterSeconds > 0) {
        const n = await p.agents.requeueDisconnected(em, p.afterSeconds);
        if (n) p.logger.info({ chats: n }, 'chats of disconnected agents requeued');
      }
    } catch (error) {
      p.logger.warn({ err: error }, 'disconnected-agents sweep failed; retrying');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(schedule);
    }, p.intervalMs ?? SWEEP_INTERVAL_MS);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
