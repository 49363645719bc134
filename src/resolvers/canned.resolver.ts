import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import type { CannedRow } from '../db/canned-responses';
import { Agent } from '../entities';
import { CannedResponse, CannedResponseInput } from '../schema/desk-types';

/** Canned responses: thin, the rules in CannedService. */
@Resolver(() => CannedResponse)
export class CannedResolver {
  @Query(() => [CannedResponse], { description: "Agents: the team's and their own." })
  cannedResponses(@Ctx() ctx: Context): Promise<CannedRow[]> {
    return ctx.app.canned.list(ctx.em, ctx.viewer);
  }

  @Mutation(() => CannedResponse)
  createCannedResponse(@Arg('input', () => CannedResponseInput) input: CannedResponseInput, @Ctx() ctx: Context): Promise<CannedRow> {
    return ctx.app.canned.create(ctx.em, ctx.viewer, input);
  }

  @Mutation(() => CannedResponse, { description: "Its owner, or a supervisor for the team's." })
  updateCannedResponse(@Arg('id', () => ID) id: string, @Arg('input', () => CannedResponseInput) input: CannedResponseInput, @Ctx() ctx: Context): Promise<CannedRow> {
    return ctx.app.canned.update(ctx.em, ctx.viewer, id, input);
  }

  @Mutation(() => Boolean)
  deleteCannedResponse(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.app.canned.remove(ctx.em, ctx.viewer, id);
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'The agent it belongs to; null for the whole team.' })
  owner(@Root() row: CannedRow, @Ctx() ctx: Context) {
    return row.ownerId ? ctx.loaders.agent.load(row.ownerId) : null;
  }
}
