import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { AgentService } from './agents';

/**
 * How often each instance looks for something due `delaySeconds` after a state it reads from
 * Postgres (a disconnected agent, an unread reply): a 24th of the delay, from 1 to 5 s, so it is
 * due within about 4 % of its time (within 1 s for the short delays tests use), and an idle
 * instance asks Postgres every 5 s rather than every second at the default delays (120 s).
 */
export function sweepIntervalMs(delaySeconds: number): number {
  return Math.min(5000, Math.max(1000, Math.round((delaySeconds * 1000) / 24)));
}

/**
 * The durable timer behind "Disconnected agents" (contract, desk extension): no setTimeout that
 * dies with its instance, but a sweep on every instance that stamps the agents online now as
 * seen and requeues the chats of those not seen for REQUEUE_DISCONNECTED_SECONDS. Whatever
 * instance crashes or restarts, the others (or it, once back) find the same state in Postgres.
 * The requeue is due within one sweep interval (plus one stamp) of its time.
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
    }, p.intervalMs ?? sweepIntervalMs(p.afterSeconds));
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
