import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { ChatSession, Message } from '../entities';
import { NotFoundError } from '../errors';
import { SendMessageInput, StartChatInput, StartChatPayload } from '../schema/types';
import type { SessionRow } from '../services/reads';

/** Thin: who is calling, call the service, return the session as it now is. */
@Resolver()
export class ChatResolver {
  @Mutation(() => StartChatPayload, { description: 'Anyone: open a chat. Routed at once to an online agent with the skill and free capacity, else QUEUED.' })
  async startChat(@Arg('input', () => StartChatInput) input: StartChatInput, @Ctx() ctx: Context) {
    await ctx.app.rateLimiter.consume('startChat', ctx.ip);
    const { sessionId, customerId } = await ctx.app.chats.startChat(ctx.em, ctx.viewer, input, ctx.userAgent);
    return { session: await current(ctx, sessionId), visitorToken: await ctx.app.tokens.issueVisitor(customerId) };
  }

  @Mutation(() => Message, { description: "The session's customer or its agent." })
  async sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: Context) {
    // The root EntityManager, not this request's fork: the send is one statement on a pooled
    // connection and needs no unit of work (MessageService forks only to explain a refusal), and
    // a fork per message is a measurable share of the hot path's CPU.
    return ctx.app.messages.send(ctx.app.orm.em as Context['em'], ctx.viewer, input);
  }

  @Mutation(() => Boolean, { description: 'Ephemeral: fans out on typing(sessionId), stores nothing.' })
  async setTyping(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('typing', () => Boolean) typing: boolean,
    @Ctx() ctx: Context,
    @Arg('draft', () => String, { nullable: true }) draft: string | null,
  ) {
    await ctx.app.chats.setTyping(ctx.em, ctx.viewer, sessionId, typing, draft);
    return true;
  }

  @Mutation(() => ChatSession, { description: "Read receipt: raises the caller's side's read seq (never lowers it)." })
  async markRead(@Arg('sessionId', () => ID) sessionId: string, @Arg('seq', () => Int) seq: number, @Ctx() ctx: Context) {
    await ctx.app.chats.markRead(ctx.em, ctx.viewer, sessionId, seq);
    return current(ctx, sessionId);
  }

  @Mutation(() => ChatSession, { description: "Its customer, its agent or a supervisor. Frees the agent's capacity." })
  async closeChat(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context) {
    await ctx.app.chats.close(ctx.em, ctx.viewer, sessionId);
    return current(ctx, sessionId);
  }

  @Mutation(() => ChatSession, { description: 'Its customer, once CLOSED. rating 1 to 5.' })
  async rateChat(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('rating', () => Int) rating: number,
    @Arg('comment', () => String, { nullable: true }) comment: string | null,
    @Ctx() ctx: Context,
  ) {
    await ctx.app.chats.rate(ctx.em, ctx.viewer, sessionId, rating, comment);
    return current(ctx, sessionId);
  }

  @Mutation(() => ChatSession, { description: 'Hand an ACTIVE session to a named agent, or back to the queue for a skill.' })
  async transferChat(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('toAgentId', () => ID, { nullable: true }) toAgentId: string | null,
    @Arg('skill', () => String, { nullable: true }) skill: string | null,
    @Ctx() ctx: Context,
  ) {
    await ctx.app.chats.transfer(ctx.em, ctx.viewer, sessionId, toAgentId, skill);
    return current(ctx, sessionId);
  }
}

/** The session after a mutation, as the caller may see it (a transfer may take it out of view). */
async function current(ctx: Context, sessionId: string): Promise<SessionRow> {
  const session = await ctx.app.reads.session(ctx.em, sessionId);
  if (!session) throw new NotFoundError();
  return session;
}
