import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword, verifyPassword } from '../auth/passwords';
import type { RateLimiter } from '../auth/rate-limit';
import * as agents from '../db/agents';
import { isUuid, pgCode, PG } from '../db/sql';
import { AgentRole, type Agent } from '../entities';
import { BadInputError, ConflictError, NotFoundError } from '../errors';
import type { Effects } from '../events/effects';
import { authorize, type Actor } from '../policies';
import type { Semaphore } from './concurrency';
import type { Transactions } from './transaction';
import * as validate from './validate';

/** updateAgent's fields for supervisors only (team extension). */
export interface TeamChanges {
  role?: AgentRole | null;
  active?: boolean | null;
  email?: string | null;
}

export const LAST_SUPERVISOR = 'The last active supervisor cannot be demoted or deactivated.';

/** Whether updateAgent's input asks for anything only a supervisor may change. */
export const asksTeamChange = (input: TeamChanges): boolean =>
  (input.role ?? null) !== null || (input.active ?? null) !== null || (input.email ?? null) !== null;

/**
 * Running the team (contract, team extension: "Agents"): role, activation and email changes, the
 * last-supervisor rule, passwords. Every change that must sign an agent out raises its
 * token_version and revokes it (effects.revoked: auth/revocation.ts closes its sockets with 4403
 * and every instance refuses its tokens).
 */
export class TeamService {
  constructor(
    private readonly tx: Transactions,
    private readonly hashing: Semaphore,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /** `allAgents`: every agent, deactivated ones included. */
  async allAgents(em: EntityManager, viewer: Actor): Promise<Agent[]> {
    authorize(viewer, 'team.manage');
    return agents.list(em, null, true);
  }

  /**
   * Inside updateAgent's transaction, the agent's row locked (and the routing lock held, which
   * also orders concurrent demotions: two supervisors cannot demote each other at once).
   * `requeue` puts the agent's ACTIVE chats back at the head of the queue (reason `deactivated`).
   */
  async apply(
    tem: EntityManager,
    agentId: string,
    current: { role: AgentRole; active: boolean },
    input: TeamChanges,
    effects: Effects,
    requeue: () => Promise<unknown>,
  ): Promise<void> {
    const email = validate.email(input.email);
    const deactivate = input.active === false && current.active;
    const reactivate = input.active === true && !current.active;
    const newRole = input.role && input.role !== current.role ? input.role : null;
    const leavesSupervision = current.active && current.role === AgentRole.SUPERVISOR && (deactivate || newRole === AgentRole.AGENT);
    if (leavesSupervision && (await agents.otherActiveSupervisors(tem, agentId)) === 0) throw new ConflictError(LAST_SUPERVISOR);
    if (email !== null) {
      try {
        await agents.setEmail(tem, agentId, email.toLowerCase());
      } catch (error) {
        if (pgCode(error) === PG.uniqueViolation) throw new ConflictError('An agent with that email already exists.');
        throw error;
      }
    }
    if (deactivate) await requeue();
    if (deactivate || reactivate || newRole) {
      await agents.setStanding(tem, agentId, { active: deactivate ? false : reactivate ? true : null, role: newRole, revoke: deactivate || newRole !== null });
    }
    if (deactivate || newRole) effects.revoked.push({ kind: 'agent', id: agentId });
  }

  /** The signed-in agent's own password; every token issued before, this one included, stops working. */
  async changePassword(em: EntityManager, viewer: Actor, currentPassword: string, newPassword: string): Promise<void> {
    authorize(viewer, 'password.change');
    if (viewer.kind !== 'agent') return;
    // Guessing the current password with a stolen token is guessing a login: the same bucket.
    await this.rateLimiter.consume('login', `password|${viewer.agentId}`);
    const fresh = validate.password(newPassword, 'newPassword');
    const stored = await agents.passwordHash(em, viewer.agentId);
    if (!stored || !(await this.hashing.run(() => verifyPassword(currentPassword, stored)))) {
      throw new BadInputError('The current password is wrong.', 'currentPassword');
    }
    await this.setPassword(em, viewer.agentId, fresh);
  }

  /** A supervisor sets another agent's password; that agent's tokens stop working. */
  async resetPassword(em: EntityManager, viewer: Actor, agentId: string, newPassword: string): Promise<void> {
    authorize(viewer, 'password.reset');
    if (!isUuid(agentId)) throw new NotFoundError('Agent');
    await this.setPassword(em, agentId, validate.password(newPassword, 'newPassword'));
  }

  private async setPassword(em: EntityManager, agentId: string, password: string): Promise<void> {
    const hash = await this.hashing.run(() => hashPassword(password));
    await this.tx.run(em, {}, async (tem, effects) => {
      if (!(await agents.setPassword(tem, agentId, hash))) throw new NotFoundError('Agent');
      effects.revoked.push({ kind: 'agent', id: agentId });
    });
  }
}
