import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Agent } from '../entities';
import { NotFoundError } from '../errors';
import { CustomerErasure } from '../schema/types';

/** The team extension: running the team (agents, passwords) and its data (export, erasure). */
@Resolver()
export class TeamResolver {
  @Query(() => [Agent], { description: 'Supervisors: every agent, deactivated ones included.' })
  allAgents(@Ctx() ctx: Context) {
    return ctx.app.team.allAgents(ctx.em, ctx.viewer);
  }

  @Query(() => String, { description: "Supervisors: one customer's data as a JSON document (profile, sessions, messages, events, ratings)." })
  customerExport(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context) {
    return ctx.app.erasure.exportCustomer(ctx.em, ctx.viewer, customerId);
  }

  @Mutation(() => Boolean, { description: 'The signed-in agent: its own password (current one required). Its other tokens stop working.' })
  async changePassword(
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
    @Ctx() ctx: Context,
  ) {
    await ctx.app.team.changePassword(ctx.em, ctx.viewer, currentPassword, newPassword);
    return true;
  }

  @Mutation(() => Agent, { description: "Supervisors: set another agent's password. That agent's tokens stop working." })
  async resetAgentPassword(@Arg('id', () => ID) id: string, @Arg('newPassword', () => String) newPassword: string, @Ctx() ctx: Context) {
    await ctx.app.team.resetPassword(ctx.em, ctx.viewer, id, newPassword);
    const [agent] = await ctx.app.reads.agentsByIds(ctx.em, [id]);
    if (!agent) throw new NotFoundError('Agent');
    return agent;
  }

  @Mutation(() => CustomerErasure, { description: "Supervisors: remove a customer's personal data for good (see team.md)." })
  eraseCustomer(@Arg('customerId', () => ID) customerId: string, @Ctx() ctx: Context) {
    return ctx.app.erasure.eraseCustomer(ctx.em, ctx.viewer, customerId);
  }
}
