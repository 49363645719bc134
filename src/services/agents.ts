import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { decoyHash, hashPassword, verifyPassword } from '../auth/passwords';
import type { TokenService, Viewer } from '../auth/tokens';
import { asDate } from '../db/rows';
import { isUuid, pgCode, PG } from '../db/sql';
import { AgentRole, AgentStatus, EventKind } from '../entities';
import { BadInputError, ConflictError, NotFoundError, UnauthenticatedError } from '../errors';
import type { Logger } from '../logger';
import type { AppMetrics } from '../metrics';
import { requireSelfOrSupervisor, requireSupervisor } from './access';
import type { ChatService } from './chats';
import type { Semaphore } from './concurrency';
import type { Effects } from './effects';
import type { PresenceChange } from './presence';
import { recordEvent, type Routing } from './routing';
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

/** Agents: sign-in, the team, availability, and what presence changes mean for routing. */
export class AgentService {
  constructor(
    private readonly tokens: TokenService,
    private readonly chats: ChatService,
    private readonly routing: Routing,
    private readonly metrics: AppMetrics,
    private readonly logger: Logger,
    /** Bounds the scrypt work done at once (PASSWORD_HASH_CONCURRENCY): a login flood waits or is RATE_LIMITED. */
    private readonly hashing: Semaphore,
  ) {}

  async login(em: EntityManager, emailArg: string, password: string): Promise<{ token: string; agentId: string }> {
    const email = emailArg.trim().toLowerCase();
    const rows = await em.execute<Array<{ id: string; password_hash: string; role: AgentRole }>>(
      'select id, password_hash, role from agent where email = ?',
      [email],
    );
    const row = rows[0];
    const ok = await this.hashing.run(async () => verifyPassword(password, row ? row.password_hash : await decoyHash));
    if (!row || !ok) throw new UnauthenticatedError('Wrong email or password.');
    return { token: await this.tokens.issueAgent(row.id, row.role), agentId: row.id };
  }

  async create(em: EntityManager, viewer: Viewer, input: CreateAgentInput): Promise<string> {
    requireSupervisor(viewer);
    const id = randomUUID();
    await this.insert(em, id, input);
    this.chats.publishAgent(id);
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
      await em.execute(
        `insert into agent (id, name, email, password_hash, role, status, skills, max_concurrent_chats, created_at)
         values (?, ?, ?, ?, ?, 'OFFLINE', ?::text[], ?, now())`,
        [id, name, email, passwordHash, input.role ?? AgentRole.AGENT, `{${skills.join(',')}}`, capacity],
      );
    } catch (error) {
      if (pgCode(error) === PG.uniqueViolation) throw new ConflictError('An agent with that email already exists.');
      throw error;
    }
  }

  /** The agent itself or a supervisor. Capacity that appears drains the queue; OFFLINE requeues. */
  async update(em: EntityManager, viewer: Viewer, agentId: string, input: UpdateAgentInput): Promise<void> {
    requireSelfOrSupervisor(viewer, agentId); // before the transaction and the routing lock
    if (!isUuid(agentId)) throw new NotFoundError('Agent');
    const name = validate.name(input.name);
    if (input.name !== undefined && input.name !== null && !name) throw new BadInputError('name must not be blank.', 'name');
    const skills = input.skills === undefined || input.skills === null ? null : validate.skills(input.skills);
    const capacity = validate.capacity(input.maxConcurrentChats);
    await this.chats.routed(em, async (tem, effects) => {
      const rows = await tem.execute<Array<{ active_chats: number; status: AgentStatus }>>(
        'select active_chats, status from agent where id = ? for update',
        [agentId],
      );
      if (!rows.length) throw new NotFoundError('Agent');
      const current = rows[0];
      const goingOffline = input.status === AgentStatus.OFFLINE && current.status !== AgentStatus.OFFLINE;
      if (capacity !== null && capacity < current.active_chats && !goingOffline) {
        throw new ConflictError(`The agent has ${current.active_chats} active chats; close or transfer some before lowering capacity below that.`);
      }
      if (goingOffline) await this.requeueAll(tem, viewer, agentId, effects);
      await tem.execute(
        `update agent set name = coalesce(?, name), status = coalesce(?, status), skills = coalesce(?::text[], skills),
                max_concurrent_chats = coalesce(?, max_concurrent_chats)
          where id = ?`,
        [name, input.status ?? null, skills === null ? null : `{${skills.join(',')}}`, capacity, agentId],
      );
      effects.agents.add(agentId);
      await this.routing.drain(tem, effects);
    });
  }

  /** OFFLINE: the agent's ACTIVE sessions go back to the head of the queue, in the order they came. */
  private async requeueAll(em: EntityManager, viewer: Viewer & { kind: 'agent' }, agentId: string, effects: Effects): Promise<void> {
    const active = await em.execute<Array<{ id: string }>>(
      `select id from chat_session where agent_id = ? and status = 'ACTIVE' order by created_at, id`,
      [agentId],
    );
    if (!active.length) return;
    const head = await em.execute<Array<{ t: string }>>(
      `select coalesce(min(queued_at), clock_timestamp()) as t from chat_session where status = 'QUEUED'`,
    );
    const headMs = asDate(head[0].t).getTime();
    for (const [i, s] of active.entries()) {
      const queuedAt = new Date(headMs - (active.length - i));
      await em.execute(
        `update chat_session set status = 'QUEUED', agent_id = null, assigned_at = null, agent_read_seq = 0, queued_at = ? where id = ?`,
        [queuedAt, s.id],
      );
      await recordEvent(em, { sessionId: s.id, kind: EventKind.REQUEUED, actorKind: 'agent', actorId: viewer.agentId, agentId, data: { reason: 'offline' } });
    }
    await em.execute('update agent set active_chats = 0 where id = ?', [agentId]);
    this.metrics.routingDecisions.inc({ outcome: 'requeued' }, active.length);
    await this.chats.touchQueue(em, effects);
  }

  /** SUPERVISOR_EMAIL + SUPERVISOR_PASSWORD: make sure such a supervisor exists and can sign in. */
  async ensureSupervisor(em: EntityManager, emailArg: string, password: string): Promise<void> {
    const email = emailArg.toLowerCase();
    const rows = await em.execute<Array<{ id: string; password_hash: string; role: string }>>(
      'select id, password_hash, role from agent where email = ?',
      [email],
    );
    if (!rows.length) {
      try {
        await this.insert(em, randomUUID(), { name: 'Supervisor', email, password, role: AgentRole.SUPERVISOR });
        this.logger.info({ email }, 'supervisor created');
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error; // another instance created it first
      }
      return;
    }
    const { id, password_hash, role } = rows[0];
    if (role !== AgentRole.SUPERVISOR || !(await verifyPassword(password, password_hash))) {
      await em.execute('update agent set role = ?, password_hash = ? where id = ?', [AgentRole.SUPERVISOR, await hashPassword(password), id]);
      this.logger.info({ email }, 'supervisor credentials updated');
    }
  }

  /** Presence: coming online may free capacity; going offline is news for the team. */
  async presenceChanged(em: EntityManager, agentId: string, change: PresenceChange): Promise<void> {
    await em.execute('update agent set last_seen_at = now() where id = ?', [agentId]);
    if (change === 'offline') {
      this.chats.publishAgent(agentId);
      return;
    }
    await this.chats.routed(em, async (tem, effects) => {
      if (change === 'online') effects.agents.add(agentId);
      await this.routing.drain(tem, effects);
    });
  }
}
