import type { EntityManager } from '@mikro-orm/postgresql';
import * as businessHours from '../db/business-hours';
import * as agents from '../db/agents';
import * as sessions from '../db/sessions';
import { authorize, type Actor } from '../policies';
import { nextOpenAt, validateHours, withinHours, type BusinessHours, type OpeningInterval } from './business-hours';
import type { Routing } from './routing';
import * as validate from './validate';

export interface AvailabilityResult {
  open: boolean;
  withinBusinessHours: boolean;
  agentsOnline: number;
  queueLength: number;
  expectedWaitSeconds: number | null;
  nextOpenAt: Date | null;
}

/** Answers are kept this long per skill line on each instance: an anonymous flood reads memory, not Postgres. */
const CACHE_MS = 1000;
const CACHE_MAX = 1000;

/**
 * "Can a chat be answered now?" (contract, desk: "Never lose a visitor"), for anyone, from stored
 * facts: business hours, the agents ONLINE and online with the skill, the queue, and the median
 * wait of the skill line's chats assigned in the last hour.
 */
export class AvailabilityService {
  private readonly cache = new Map<string, { at: number; value: Promise<AvailabilityResult> }>();

  constructor(private readonly routing: Routing) {}

  async availability(em: EntityManager, viewer: Actor, skillArg: string | null | undefined): Promise<AvailabilityResult> {
    authorize(viewer, 'availability.read');
    const skill = validate.skill(skillArg);
    const key = skill ?? '';
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    const value = this.compute(em, skill);
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  private async compute(em: EntityManager, skill: string | null): Promise<AvailabilityResult> {
    const now = new Date();
    const [hours, online, line] = await Promise.all([businessHours.get(em), this.routing.onlineIds(), sessions.skillLine(em, skill)]);
    const agentsOnline = await agents.countAvailable(em, [...online], skill);
    const within = withinHours(hours, now);
    return {
      open: within && agentsOnline > 0,
      withinBusinessHours: within,
      agentsOnline,
      queueLength: line.queued,
      expectedWaitSeconds: line.samples >= 3 && line.medianWait !== null ? Math.round(line.medianWait) : null,
      nextOpenAt: nextOpenAt(hours, now),
    };
  }

  businessHours(em: EntityManager, viewer: Actor): Promise<BusinessHours | null> {
    authorize(viewer, 'hours.read');
    return businessHours.get(em);
  }

  /** Supervisors: the whole input is checked before anything is stored; null clears them. */
  async setBusinessHours(
    em: EntityManager,
    viewer: Actor,
    input: { timeZone: string; weekly: OpeningInterval[]; closedDates?: string[] | null } | null,
  ): Promise<BusinessHours | null> {
    authorize(viewer, 'hours.set');
    if (!input) {
      await businessHours.clear(em);
      this.cache.clear();
      return null;
    }
    const hours = validateHours(input);
    await businessHours.put(em, hours);
    this.cache.clear();
    return hours;
  }
}
