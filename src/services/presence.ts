import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { RedisKeys } from '../pubsub/keys';
import type { RedisClient } from '../pubsub/redis';
import { within } from './concurrency';

/** How long routing waits for Redis' list of online agents before it uses this instance's own. */
const PRESENCE_WAIT_MS = 500;
/** Members per command when an instance refreshes all of its entries. */
const PRESENCE_CHUNK = 1000;

/**
 * Where agents' live sockets are. Each entry is (agent, instance) with an expiry time:
 * refreshed every TTL/3 while the instance holds a socket for the agent, set to now + grace
 * when the last one closes. An agent is online while any of its entries has not expired, so a
 * crashed instance's agents drop out within TTL with no clean-up code having to run.
 */
export interface PresenceStore {
  /** True when the entry was not there (new, or lost: Redis restarted or was flushed). */
  set(member: string, expiresAt: number): Promise<boolean>;
  /** `set` for many members at once (the refresh of every socket an instance holds); the members that were not there. */
  setMany(members: readonly string[], expiresAt: number): Promise<Set<string>>;
  /** Agent ids with an unexpired entry. */
  online(now: number): Promise<Set<string>>;
  /** Forgets the entries that expired before `before` (a store of many members stays small). */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly entries = new Map<string, number>();
  async set(member: string, expiresAt: number) {
    const added = !this.entries.has(member);
    this.entries.set(member, expiresAt);
    return added;
  }
  async setMany(members: readonly string[], expiresAt: number) {
    const added = new Set<string>();
    for (const member of members) if (await this.set(member, expiresAt)) added.add(member);
    return added;
  }
  async online(now: number) {
    const ids = new Set<string>();
    for (const [member, expiresAt] of this.entries) {
      if (expiresAt > now) ids.add(member.split('|')[0]);
      else this.entries.delete(member);
    }
    return ids;
  }
  async prune(before: number) {
    for (const [member, expiresAt] of this.entries) if (expiresAt < before) this.entries.delete(member);
  }
  async close() {}
}

export class RedisPresenceStore implements PresenceStore {
  private readonly key: string;
  constructor(private readonly redis: RedisClient, keys: RedisKeys) {
    this.key = keys.presence();
  }
  async set(member: string, expiresAt: number) {
    return (await this.redis.zadd(this.key, expiresAt, member)) === 1;
  }
  async setMany(members: readonly string[], expiresAt: number) {
    // Two commands per chunk, not one per member: an instance holding 5,000 widgets' sockets
    // refreshed them one round trip at a time, 1,500 commands a second for nothing.
    // Members are this instance's own, so nobody else adds one between the two commands.
    const added = new Set<string>();
    for (let i = 0; i < members.length; i += PRESENCE_CHUNK) {
      const chunk = members.slice(i, i + PRESENCE_CHUNK);
      const scores = await this.redis.zmscore(this.key, ...chunk);
      await this.redis.zadd(this.key, ...chunk.flatMap((m) => [expiresAt, m]));
      chunk.forEach((m, j) => scores[j] === null && added.add(m));
    }
    return added;
  }
  async online(now: number) {
    // Routing asks this under its lock: while Redis is down, fail at once (the caller falls back
    // to this instance's own sockets) rather than wait out ioredis' reconnect attempts, which
    // held the lock for seconds per chat and stalled routing everywhere.
    // A command sent just before the connection dropped waits until Redis is back: bounded too.
    if (this.redis.status !== 'ready') throw new Error(`Redis is ${this.redis.status}`);
    const members = await within(this.redis.zrangebyscore(this.key, `(${now}`, '+inf'), PRESENCE_WAIT_MS, 'Redis');
    if (Math.random() < 0.05) void this.redis.zremrangebyscore(this.key, '-inf', now - 60_000).catch(() => undefined);
    return new Set(members.map((m) => m.split('|')[0]));
  }
  async prune(before: number) {
    await this.redis.zremrangebyscore(this.key, '-inf', before);
  }
  async close() {}
}

/** online: the agent just came online; connected: another socket of an online agent; offline: it went. */
export type PresenceChange = 'online' | 'connected' | 'offline';
/** Resolves once what the change means for routing is done (connect waits for it: see connect). */
export type PresenceListener = (agentId: string, change: PresenceChange) => Promise<void>;

export class Presence {
  readonly instanceId = randomUUID();
  private readonly sockets = new Map<string, number>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /** Agents whose entry could not be written (store unreachable): others may see them offline. */
  private readonly unsynced = new Set<string>();
  private refresher?: NodeJS.Timeout;

  constructor(
    private readonly store: PresenceStore,
    private readonly ttlMs: number,
    private readonly graceMs: number,
    private readonly logger: Logger,
    /** false: nobody listens to changes (widget presence, services/email.ts), so none are worked out. */
    private readonly reportsChanges = true,
  ) {}

  /** Told when an agent comes online, opens another socket, or goes (after the grace period). */
  onChange: PresenceListener = async () => undefined;

  start() {
    this.refresher = setInterval(() => void this.refresh(), Math.max(500, Math.floor(this.ttlMs / 3)));
    this.refresher.unref();
  }

  /**
   * A socket for this agent opened on this instance. Resolves after the routing this triggers
   * has committed (chats waiting for the agent are assigned before the socket is acknowledged),
   * so a console that reads its chats once connected sees every one of them.
   */
  async connect(agentId: string): Promise<void> {
    const count = (this.sockets.get(agentId) ?? 0) + 1;
    this.sockets.set(agentId, count);
    clearTimeout(this.graceTimers.get(agentId));
    this.graceTimers.delete(agentId);
    if (count > 1) return;
    const wasOnline = this.reportsChanges && (await this.isOnline(agentId));
    await this.store.set(this.member(agentId), Date.now() + this.ttlMs).catch((error: unknown) => {
      this.unsynced.add(agentId);
      throw error;
    });
    if (this.reportsChanges) await this.onChange(agentId, wasOnline ? 'connected' : 'online');
  }

  /** A socket for this agent closed on this instance. */
  async disconnect(agentId: string): Promise<void> {
    const count = (this.sockets.get(agentId) ?? 1) - 1;
    if (count > 0) {
      this.sockets.set(agentId, count);
      return;
    }
    this.sockets.delete(agentId);
    await this.store.set(this.member(agentId), Date.now() + this.graceMs);
    if (!this.reportsChanges) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(agentId);
      void this.isOnline(agentId).then((online) => {
        if (!online) void this.onChange(agentId, 'offline');
      });
    }, this.graceMs + 50);
    timer.unref();
    this.graceTimers.set(agentId, timer);
  }

  async isOnline(agentId: string): Promise<boolean> {
    return (await this.onlineIds()).has(agentId);
  }

  /** Online agents everywhere; if the store cannot answer, this instance's own. */
  async onlineIds(): Promise<Set<string>> {
    try {
      return await this.store.online(Date.now());
    } catch (error) {
      this.logger.warn({ err: error }, 'presence store unavailable: using this instance only');
      return new Set(this.sockets.keys());
    }
  }

  private member(agentId: string) {
    return `${agentId}|${this.instanceId}`;
  }

  /**
   * Keeps this instance's entries alive. An entry that had to be re-created (Redis restarted and
   * lost it) or could not be written before (Redis was unreachable) means other instances saw the
   * agent offline meanwhile and may have queued chats for it: it counts as coming online again,
   * so the queue drains to it.
   */
  private async refresh() {
    const expiresAt = Date.now() + this.ttlMs;
    // Widget presence has a member per session ever watched: expired ones are dropped a minute on.
    if (!this.reportsChanges) await this.store.prune(Date.now() - 60_000).catch(() => undefined);
    const ids = [...this.sockets.keys()];
    if (!ids.length) return;
    const members = ids.map((id) => this.member(id));
    let added: Set<string>;
    try {
      added = await this.store.setMany(members, expiresAt);
    } catch (error) {
      for (const id of ids) this.unsynced.add(id);
      this.logger.warn({ err: error }, 'presence refresh failed');
      return;
    }
    ids.forEach((agentId, i) => {
      const missed = this.unsynced.delete(agentId);
      if ((added.has(members[i]) || missed) && this.sockets.has(agentId) && this.reportsChanges) void this.onChange(agentId, 'online');
    });
  }

  /** Shutdown: this instance's agents go into their grace period now. */
  async stop(): Promise<void> {
    clearInterval(this.refresher);
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    const expiresAt = Date.now() + this.graceMs;
    await Promise.all([...this.sockets.keys()].map((id) => this.store.set(this.member(id), expiresAt).catch(() => undefined)));
    this.sockets.clear();
  }
}
