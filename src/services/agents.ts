import type { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { decoyHash, hashPassword, verifyPassword } from '../auth/passwords';
import type { TokenService, Viewer } from '../auth/tokens';
import { isUuid, pgCode, PG } from '../db/sql';
import * as agents from '../db/agents';
import * as sessions from '../db/sessions';
import { AgentRole, AgentStatus, EventKind } from '../entities';
import { BadInputError, ConflictError, NotFoundError, RateLimitedError, UnauthenticatedError } from '../errors';
import type { Logger } from '../logger';
import type { AppMetrics } from '../metrics';
import { authorize } from '../policies';
import { RecentlyRefused, type Semaphore } from './concurrency';
import * as audit from '../events/audit';
import { Effects } from '../events/effects';
import type { PresenceChange } from './presence';
import type { Routing } from './routing';
import type { Transactions } from './transaction';
import * as validate from './validate';

export interface CreateAgentInput {
  name: string;
  email: string;
  password: string;
  skills?: string[] | null;
  maxConcurrentChats?: number | null;
  role?: AgentRole | null;
}

export interface UpdateAgentInput {
  name?: string | null;
  status?: AgentStatus | null;
  skills?: string[] | null;
  maxConcurrentChats?: number | null;
}

/** The supervisor made on a first start with no SUPERVISOR_EMAIL (embedded Postgres only). */
export const FIRST_SUPERVISOR_EMAIL = 'supervisor@example.com';

/** Agents: sign-in, the team, availability, and what presence changes mean for routing. */
export class AgentService {
  constructor(
    private readonly tokens: TokenService,
    private readonly tx: Transactions,
    private readonly routing: Routing,
    private readonly metrics: AppMetrics,
    private readonly logger: Logger,
    /** Bounds the scrypt work done at once (PASSWORD_HASH_CONCURRENCY): a login flood waits or is RATE_LIMITED. */
    private readonly hashing: Semaphore,
  ) {}

  private readonly refusedLogins = new RecentlyRefused();

  async login(em: EntityManager, emailArg: string, password: string): Promise<{ token: string; agentId: string }> {
    const email = emailArg.trim().toLowerCase();
    const agent = await agents.byEmail(em, email);
    // A login refused for want of a hashing turn, tried again, waits in the priority lane: under
    // a flood of new emails a person retrying is served next, whatever the flood does.
    const retried = this.refusedLogins.has(email);
    const ok = await this.hashing.run(async () => verifyPassword(password, agent ? agent.passwordHash : await decoyHash), retried).catch((error: unknown) => {
      if (error instanceof RateLimitedError) this.refusedLogins.add(email);
      throw error;
    });
    if (retried) this.refusedLogins.delete(email);
    if (!agent || !ok) throw new UnauthenticatedError('Wrong email or password.');
    return { token: await this.tokens.issueAgent(agent.id, agent.role), agentId: agent.id };
  }

  async create(em: EntityManager, viewer: Viewer, input: CreateAgentInput): Promise<string> {
    authorize(viewer, 'agent.create');
    const id = randomUUID();
    await this.insert(em, id, input);
    this.tx.committed(Effects.of((e) => e.agents.add(id)));
    return id;
  }

  private async insert(em: EntityManager, id: string, input: CreateAgentInput): Promise<void> {
    const name = validate.name(input.name);
    if (!name) throw new BadInputError('name is required.', 'name');
    const email = validate.email(input.email)!.toLowerCase();
    const password = validate.password(input.password);
    const passwordHash = await this.hashing.run(() => hashPassword(password));
    const skills = validate.skills(input.skills ?? []);
    const capacity = validate.capacity(input.maxConcurrentChats) ?? 3;
    try {
      await agents.insert(em, { id, name, email, passwordHash, role: input.role ?? AgentRole.AGENT, skills, maxConcurrentChats: capacity });
    } catch (error) {
      if (pgCode(error) === PG.uniqueViolation) throw new ConflictError('An agent with that email already exists.');
      throw error;
    }
  }

  /** `setStatus`: the signed-in agent's own availability. Returns its id. */
  async setStatus(em: EntityManager, viewer: Viewer, status: AgentStatus): Promise<string> {
    authorize(viewer, 'status.set');
    await this.update(em, viewer, viewer.agentId, { status });
    return viewer.agentId;
  }

  /** The agent itself or a supervisor. Capacity that appears drains the queue; OFFLINE requeues. */
  async update(em: EntityManager, viewer: Viewer, agentId: string, input: UpdateAgentInput): Promise<void> {
    authorize(viewer, 'agent.update', agentId); // before the transaction and the routing lock
    if (!isUuid(agentId)) throw new NotFoundError('Agent');
    const name = validate.name(input.name);
    if (input.name !== undefined && input.name !== null && !name) throw new BadInputError('name must not be blank.', 'name');
    const skills = input.skills === undefined || input.skills === null ? null : validate.skills(input.skills);
    const capacity = validate.capacity(input.maxConcurrentChats);
    await this.tx.run(em, { routing: true }, async (tem, effects) => {
      const agent = await agents.lockForUpdate(tem, agentId);
      if (!agent) throw new NotFoundError('Agent');
      const goingOffline = input.status === AgentStatus.OFFLINE && agent.status !== AgentStatus.OFFLINE;
      if (capacity !== null && capacity < agent.activeChats && !goingOffline) {
        throw new ConflictError(`The agent has ${agent.activeChats} active chats; close or transfer some before lowering capacity below that.`);
      }
      if (goingOffline) await this.requeueAll(tem, agentId, effects, { reason: 'offline', actorId: viewer.agentId });
      if (name) agent.name = name;
      if (input.status) agent.status = input.status;
      if (skills !== null) agent.skills = skills;
      if (capacity !== null) agent.maxConcurrentChats = capacity;
      await tem.flush(); // before the drain, which reads status and capacity
      effects.agents.add(agentId);
      await this.routing.drain(tem, effects);
    });
  }

  /**
   * The agent's ACTIVE sessions go back to the head of the queue, in the order they came: when it
   * goes OFFLINE (reason `offline`, by the agent or a supervisor) or has not been online for
   * REQUEUE_DISCONNECTED_SECONDS (reason `disconnected`, by the system). Call under the routing lock.
   */
  private async requeueAll(
    em: EntityManager,
    agentId: string,
    effects: Effects,
    why: { reason: 'offline'; actorId: string } | { reason: 'disconnected' },
  ): Promise<number> {
    const active = await sessions.activeOf(em, agentId);
    if (!active.length) return 0;
    const headMs = (await sessions.queueHead(em)).getTime();
    const actor = why.reason === 'offline' ? { actorKind: 'agent' as const, actorId: why.actorId } : { actorKind: 'system' as const };
    for (const [i, id] of active.entries()) {
      await sessions.requeue(em, id, { queuedAt: new Date(headMs - (active.length - i)) });
      await audit.record(em, { sessionId: id, kind: EventKind.REQUEUED, ...actor, agentId, data: { reason: why.reason } });
    }
    await this.routing.releaseAll(em, agentId, effects);
    this.metrics.routingDecisions.inc({ outcome: 'requeued' }, active.length);
    await this.routing.touchQueue(em, effects);
    return active.length;
  }

  /**
   * Contract (desk): "Disconnected agents". Agents holding ACTIVE chats that are not online now and
   * were last seen online (agent.last_seen_at, kept fresh by `seen`) `afterSeconds` ago or more
   * have them requeued, reason `disconnected`; their status stays. State-derived, so it survives
   * any instance's crash, and decided under the routing lock, so it happens once however many
   * instances sweep at the same time. Returns how many chats went back.
   */
  async requeueDisconnected(em: EntityManager, afterSeconds: number): Promise<number> {
    if (!(await agents.overdue(em, afterSeconds)).length) return 0;
    return this.tx.run(em, { routing: true }, async (tem, effects) => {
      // Again under the lock: another instance may have requeued them, or the agent come back.
      const online = await this.routing.onlineIds();
      let n = 0;
      for (const id of await agents.overdue(tem, afterSeconds)) if (!online.has(id)) n += await this.requeueAll(tem, id, effects, { reason: 'disconnected' });
      if (n) await this.routing.drain(tem, effects);
      return n;
    });
  }

  /** Agents online now were seen now: what `requeueDisconnected` measures absence from. */
  async seen(em: EntityManager): Promise<void> {
    await agents.seen(em, [...(await this.routing.onlineIds())]);
  }

  /** SUPERVISOR_EMAIL + SUPERVISOR_PASSWORD: make sure such a supervisor exists and can sign in. */
  async ensureSupervisor(em: EntityManager, emailArg: string, password: string): Promise<void> {
    const email = emailArg.toLowerCase();
    const agent = await agents.byEmail(em, email);
    if (!agent) {
      try {
        await this.insert(em, randomUUID(), { name: 'Supervisor', email, password, role: AgentRole.SUPERVISOR });
        this.logger.info({ email }, 'supervisor created');
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // another instance created it first
      }
      return;
    }
    if (agent.role !== AgentRole.SUPERVISOR || !(await verifyPassword(password, agent.passwordHash))) {
      agent.role = AgentRole.SUPERVISOR;
      agent.passwordHash = await hashPassword(password);
      await em.flush();
      this.logger.info({ email }, 'supervisor credentials updated');
    }
  }

  /**
   * The first start with the embedded Postgres and no SUPERVISOR_*: without a supervisor nobody
   * could sign in, so one is created with a generated password, returned to be logged once.
   * Null when a supervisor exists already (every later start).
   */
  async ensureFirstSupervisor(em: EntityManager): Promise<{ email: string; password: string } | null> {
    if (await agents.countSupervisors(em)) return null;
    const email = FIRST_SUPERVISOR_EMAIL;
    const password = randomBytes(12).toString('base64url');
    await this.insert(em, randomUUID(), { name: 'Supervisor', email, password, role: AgentRole.SUPERVISOR });
    return { email, password };
  }

  /** Presence: coming online may free capacity; going offline is news for the team. */
  async presenceChanged(em: EntityManager, agentId: string, change: PresenceChange): Promise<void> {
    await agents.seen(em, [agentId]);
    if (change === 'offline') {
      this.tx.committed(Effects.of((e) => e.agents.add(agentId)));
      return;
    }
    await this.tx.run(em, { routing: true }, async (tem, effects) => {
      if (change === 'online') effects.agents.add(agentId);
      await this.routing.drain(tem, effects);
    });
  }
}
