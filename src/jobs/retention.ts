import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { ErasureService } from '../services/erasure';
import type { Jobs } from './queue';

export const RETENTION_QUEUE = 'retention';
/** Once a day, at 03:17 UTC (off the hour, when most deployments are quiet). */
export const RETENTION_CRON = '17 3 * * *';

/**
 * RETENTION_DAYS (contract, team extension: "Personal data"): a durable daily job. pg-boss sends
 * one job per tick whatever the number of instances, the queue's `exclusive` policy lets only one
 * be queued or running at a time, and one worker claims it; the sweep itself takes its sessions
 * with SKIP LOCKED in small batches (services/erasure.ts), so even two sweeps at once never erase
 * the same session twice. Every instance defines the worker (the job runs whichever one is up);
 * with RETENTION_DAYS unset the schedule is removed and a job that still comes does nothing.
 */
export async function scheduleRetention(p: {
  jobs: Jobs;
  erasure: ErasureService;
  em: () => EntityManager;
  days: number | undefined;
  logger: Logger;
}): Promise<void> {
  const { jobs, erasure, days, logger } = p;
  await jobs.define(RETENTION_QUEUE, { policy: 'exclusive', retryLimit: 3, retryDelay: 300 }, async () => {
    if (!days) return;
    const started = Date.now();
    const erased = await erasure.sweep(p.em(), days);
    logger.info({ sessions: erased, days, ms: Date.now() - started }, 'retention: old sessions erased');
  });
  if (days) await jobs.schedule(RETENTION_QUEUE, RETENTION_CRON);
  else await jobs.unschedule(RETENTION_QUEUE);
}
