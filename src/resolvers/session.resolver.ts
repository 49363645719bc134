import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Agent, ChatSession, Customer, SessionStatus } from '../entities';
import { NotFoundError } from '../errors';
import { DateTimeScalar } from '../schema/scalars';
import { SessionPage, MessagePage } from '../schema/types';
import type { SessionRow } from '../services/reads';

@Resolver(() => ChatSession)
export class SessionResolver {
  @Query(() => ChatSession, { nullable: true, description: 'A session the viewer may see (its customer, its agent, any supervisor); null otherwise.' })
  async session(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<SessionRow | null> {
    return ctx.app.reads.visibleSession(ctx.em, ctx.viewer, id);
  }

  @Query(() => SessionPage, { description: 'Agents: sessions assigned to me (supervisors: all), newest first.' })
  sessions(
    @Arg('status', () => SessionStatus, { nullable: true }) status: SessionStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
    @Arg('tag', () => String, { nullable: true }) tag: string | null,
    @Arg('search', () => String, { nullable: true }) search: string | null,
    @Arg('agentId', () => ID, { nullable: true }) agentId: string | null,
    @Arg('from', () => DateTimeScalar, { nullable: true }) from: Date | null,
    @Arg('to', () => DateTimeScalar, { nullable: true }) to: Date | null,
  ) {
    return ctx.app.desk.sessions(ctx.em, ctx.viewer, { status, first: first ?? 20, after, tag, search, agentId, from, to });
  }

  @Query(() => [ChatSession], { description: "The signed-in customer's sessions, newest first." })
  mySessions(@Ctx() ctx: Context) {
    return ctx.app.reads.mySessions(ctx.em, ctx.viewer);
  }

  @Query(() => [ChatSession], { description: 'Agents: QUEUED sessions, first in line first.' })
  queue(@Ctx() ctx: Context) {
    return ctx.app.reads.queueFor(ctx.em, ctx.viewer);
  }

  @FieldResolver(() => Customer)
  async customer(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<Customer> {
    const customer = await ctx.loaders.customer.load(session.customerId);
    if (!customer) throw new NotFoundError('Customer');
    return customer;
  }

  @FieldResolver(() => Agent, { nullable: true, description: 'Null while QUEUED.' })
  agent(@Root() session: SessionRow, @Ctx() ctx: Context) {
    return session.agentId ? ctx.loaders.agent.load(session.agentId) : null;
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: '1-based place while QUEUED among the queued sessions that ask for the same\nskill (or for none), first come first served; null otherwise.',
  })
  queuePosition(@Root() session: SessionRow, @Ctx() ctx: Context) {
    return ctx.app.reads.queuePosition(ctx.em, session);
  }

  @FieldResolver(() => DateTimeScalar, { nullable: true, description: 'When it entered the queue, or was last put back in it; null unless QUEUED.' })
  queuedAt(@Root() session: SessionRow) {
    return session.status === SessionStatus.QUEUED ? session.enteredQueueAt : null;
  }

  @FieldResolver(() => MessagePage, {
    description:
      'A page of the transcript. afterSeq: the messages after it, oldest first.\nbeforeSeq: the newest `limit` messages before it. Neither: the newest `limit`.\nlimit: 1 to 200.',
  })
  messages(
    @Root() session: SessionRow,
    @Arg('afterSeq', () => Int, { nullable: true }) afterSeq: number | null,
    @Arg('beforeSeq', () => Int, { nullable: true }) beforeSeq: number | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 50 }) limit: number | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.reads.transcript(ctx.em, session.id, { afterSeq, beforeSeq, limit: limit ?? 50 });
  }
}
