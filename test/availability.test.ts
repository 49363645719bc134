/**
 * Desk extension, "Never lose a visitor": availability and business hours
 * (docs/contract/extensions/desk.md). Zoned time across a daylight-saving change is checked on the
 * rule itself (services/business-hours.ts, with the instant given); everything else through the
 * API of a real server, as the widget and the console call it.
 */
import { DateTime } from 'luxon';
import { can } from '../src/policies';
import { nextOpenAt, validateHours, withinHours, type BusinessHours } from '../src/services/business-hours';
import {
  AvailabilityDocument,
  BusinessHoursDocument,
  SetBusinessHoursDocument,
  type BusinessHoursInput,
} from './generated/graphql';
import { buildAgent, buildOnlineAgent, startChat, uniqueSkill, waitFor } from './support/factories';
import { startWithSupervisor, type TestServer } from './support/server';

const EVERY_DAY = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
const daily = (opens: string, closes: string) => EVERY_DAY.map((day) => ({ day, opens, closes }));

describe('business hours across daylight saving (Europe/Paris, last Sunday of March 2027)', () => {
  // Clocks go from 02:00 CET (UTC+1) to 03:00 CEST (UTC+2) on 2027-03-28.
  const paris: BusinessHours = validateHours({ timeZone: 'Europe/Paris', weekly: daily('09:00', '17:00') });
  const at = (iso: string) => new Date(iso);

  it('should open at 09:00 local time on both sides of the change, an hour apart in UTC', () => {
    expect(withinHours(paris, at('2027-03-27T07:59:00Z'))).toBe(false); // 08:59 CET
    expect(withinHours(paris, at('2027-03-27T08:00:00Z'))).toBe(true); // 09:00 CET
    expect(withinHours(paris, at('2027-03-28T06:59:00Z'))).toBe(false); // 08:59 CEST
    expect(withinHours(paris, at('2027-03-28T07:00:00Z'))).toBe(true); // 09:00 CEST (UTC+1 arithmetic would say 08:00)
    expect(withinHours(paris, at('2027-03-28T14:59:00Z'))).toBe(true); // 16:59 CEST
    expect(withinHours(paris, at('2027-03-28T15:00:00Z'))).toBe(false); // 17:00 CEST
  });

  it('should give nextOpenAt in the offset of the day it opens', () => {
    // Saturday evening (CET) → Sunday 09:00 CEST = 07:00 UTC.
    expect(nextOpenAt(paris, at('2027-03-27T17:00:00Z'))?.toISOString()).toBe('2027-03-28T07:00:00.000Z');
    // Sunday 02:30 local does not exist; Sunday 01:30 UTC is 03:30 CEST, before opening.
    expect(nextOpenAt(paris, at('2027-03-28T01:30:00Z'))?.toISOString()).toBe('2027-03-28T07:00:00.000Z');
    expect(nextOpenAt(paris, at('2027-03-28T08:00:00Z'))).toBeNull(); // within them
    // And back in October: Sunday 2027-10-31 09:00 CET is 08:00 UTC.
    expect(nextOpenAt(paris, at('2027-10-30T20:00:00Z'))?.toISOString()).toBe('2027-10-31T08:00:00.000Z');
  });

  it('should skip closed dates, whole days in the zone', () => {
    const closed = validateHours({ timeZone: 'Europe/Paris', weekly: daily('09:00', '17:00'), closedDates: ['2027-03-28'] });
    expect(withinHours(closed, at('2027-03-28T10:00:00Z'))).toBe(false);
    expect(nextOpenAt(closed, at('2027-03-27T17:00:00Z'))?.toISOString()).toBe('2027-03-29T07:00:00.000Z');
  });

  it('should be always within hours when none are set, and never open when no interval is', () => {
    expect(withinHours(null, new Date())).toBe(true);
    expect(nextOpenAt(null, new Date())).toBeNull();
    expect(nextOpenAt(validateHours({ timeZone: 'UTC', weekly: [] }), new Date())).toBeNull();
  });
});

describe('policy: availability and business hours', () => {
  it('should let anyone read them, and only supervisors set the hours', () => {
    const visitor = { kind: 'visitor', customerId: 'c', expiresAt: 0 } as const;
    expect(can({ kind: 'anonymous' }, 'availability.read')).toBe(true);
    expect(can({ kind: 'anonymous' }, 'hours.read')).toBe(true);
    expect(can(visitor, 'hours.set')).toBe(false);
    expect(can({ kind: 'agent', agentId: 'a', role: 'AGENT' as never, expiresAt: 0 }, 'hours.set')).toBe(false);
    expect(can({ kind: 'agent', agentId: 's', role: 'SUPERVISOR' as never, expiresAt: 0 }, 'hours.set')).toBe(true);
  });
});

let t: TestServer;
let supervisor: string;

beforeAll(async () => ({ t, supervisor } = await startWithSupervisor()));

const availability = async (skill: string | null, token?: string) => (await t.http.ok(AvailabilityDocument, { skill }, token)).availability;
const hours = async () => (await t.http.ok(BusinessHoursDocument, {})).businessHours;
const setHours = (input: BusinessHoursInput | null, token = supervisor) => t.http.request(SetBusinessHoursDocument, { input }, token);

afterEach(async () => {
  await setHours(null);
});

describe('Query.availability', () => {
  it('should answer anonymous callers: closed with nobody online, open once an agent with the skill is', async () => {
    const skill = uniqueSkill();
    const before = await availability(skill);
    expect(before).toEqual({ open: false, withinBusinessHours: true, agentsOnline: 0, queueLength: 0, expectedWaitSeconds: null, nextOpenAt: null });
    await buildOnlineAgent(t, { skills: [skill] });
    await buildAgent(t, { skills: [skill] }); // OFFLINE: does not count
    const after = await waitFor(async () => {
      const a = await availability(skill);
      return a.open && a;
    });
    expect(after.agentsOnline).toBe(1);
    expect(after.withinBusinessHours).toBe(true);
  });

  it('should count the skill line\'s queue, and give the median wait of the last hour once there are 3 samples', async () => {
    const skill = uniqueSkill();
    const chats = [];
    for (let i = 0; i < 3; i++) chats.push(await startChat(t, { skill }));
    expect(chats.every((c) => c.session.status === 'QUEUED')).toBe(true);
    expect((await availability(skill)).queueLength).toBe(3);
    await new Promise((r) => setTimeout(r, 1600));
    await buildOnlineAgent(t, { skills: [skill], maxConcurrentChats: 2 });
    // Two assigned (two samples), one still queued: not enough for a median.
    const two = await waitFor(async () => {
      const a = await availability(skill);
      return a.queueLength === 1 && a;
    });
    expect(two.expectedWaitSeconds).toBeNull();
    await buildOnlineAgent(t, { skills: [skill] });
    const three = await waitFor(async () => {
      const a = await availability(skill);
      return a.queueLength === 0 && a;
    });
    expect(three.expectedWaitSeconds).toBeGreaterThanOrEqual(2);
    expect(three.expectedWaitSeconds).toBeLessThan(30);
  });

  it('should refuse a bad skill with BAD_USER_INPUT', async () => {
    const refused = await t.http.fail(AvailabilityDocument, { skill: 'Not A Skill!' });
    expect(refused.code).toBe('BAD_USER_INPUT');
  });
});

describe('Mutation.setBusinessHours / Query.businessHours', () => {
  it('should be null (always within hours) until set, readable by anyone, settable by supervisors only', async () => {
    expect(await hours()).toBeNull();
    const input = { timeZone: 'Europe/Paris', weekly: [{ day: 'MONDAY' as const, opens: '09:00', closes: '17:30' }], closedDates: ['2027-12-25', '2027-01-01'] };
    expect((await t.http.fail(SetBusinessHoursDocument, { input })).code).toBe('UNAUTHENTICATED');
    const agent = await buildAgent(t);
    expect((await t.http.fail(SetBusinessHoursDocument, { input }, agent.token)).code).toBe('FORBIDDEN');
    const { token: visitor } = await startChat(t);
    expect((await t.http.fail(SetBusinessHoursDocument, { input }, visitor)).code).toBe('FORBIDDEN');
    expect(await hours()).toBeNull();
    const set = await setHours(input);
    expect(set.errors).toBeUndefined();
    expect(await hours()).toEqual({ ...input, closedDates: ['2027-01-01', '2027-12-25'] });
    expect((await setHours(null)).data).toEqual({ setBusinessHours: null });
    expect(await hours()).toBeNull();
  });

  it('should refuse bad input with BAD_USER_INPUT and store nothing', async () => {
    const good = { timeZone: 'America/Toronto', weekly: daily('08:00', '24:00'), closedDates: [] };
    await setHours(good);
    const bad: Array<[string, BusinessHoursInput]> = [
      ['unknown zone', { ...good, timeZone: 'Mars/Olympus_Mons' }],
      ['25:00', { ...good, weekly: [{ day: 'MONDAY', opens: '09:00', closes: '25:00' }] }],
      ['closes before opens', { ...good, weekly: [{ day: 'MONDAY', opens: '17:00', closes: '09:00' }] }],
      ['opens at 24:00', { ...good, weekly: [{ day: 'MONDAY', opens: '24:00', closes: '24:00' }] }],
      ['not a time', { ...good, weekly: [{ day: 'MONDAY', opens: '9am', closes: '17:00' }] }],
      ['a date that does not exist', { ...good, closedDates: ['2027-02-30'] }],
      ['too many intervals', { ...good, weekly: Array.from({ length: 71 }, () => ({ day: 'MONDAY' as const, opens: '09:00', closes: '10:00' })) }],
    ];
    for (const [why, input] of bad) {
      const result = await setHours(input);
      expect([why, result.errors?.[0]?.extensions?.code]).toEqual([why, 'BAD_USER_INPUT']);
      expect(result.status).toBe(200);
    }
    const refusedDay = await t.http.request('mutation { setBusinessHours(input: { timeZone: "UTC", weekly: [{ day: FUNDAY, opens: "09:00", closes: "10:00" }] }) { timeZone } }', {}, supervisor);
    expect(refusedDay.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await hours()).toEqual({ ...good, weekly: good.weekly }); // unchanged
  });

  it('should close on a closed date even with an agent online, who still gets chats; nextOpenAt is the next day\'s opening', async () => {
    const zone = 'Asia/Tokyo';
    const today = DateTime.now().setZone(zone);
    await setHours({ timeZone: zone, weekly: daily('00:00', '24:00'), closedDates: [today.toISODate()!] });
    const skill = uniqueSkill();
    const agent = await buildOnlineAgent(t, { skills: [skill] });
    const a = await waitFor(async () => {
      const v = await availability(skill);
      return v.agentsOnline === 1 && v;
    });
    expect(a.open).toBe(false);
    expect(a.withinBusinessHours).toBe(false);
    expect(a.nextOpenAt).toBe(today.plus({ days: 1 }).startOf('day').toUTC().toISO({ suppressMilliseconds: false }));
    // Hours do not change routing: an agent online outside hours still gets chats.
    const { session } = await startChat(t, { skill });
    expect(session.status).toBe('ACTIVE');
    expect(session.agent?.id).toBe(agent.id);
  });

  it('should be open within hours set around now', async () => {
    const zone = 'America/Los_Angeles';
    const now = DateTime.now().setZone(zone);
    const day = EVERY_DAY[now.weekday - 1];
    await setHours({ timeZone: zone, weekly: [{ day, opens: '00:00', closes: '24:00' }] });
    const skill = uniqueSkill();
    await buildOnlineAgent(t, { skills: [skill] });
    const a = await waitFor(async () => {
      const v = await availability(skill);
      return v.open && v;
    });
    expect(a).toMatchObject({ withinBusinessHours: true, nextOpenAt: null, agentsOnline: 1 });
  });
});
