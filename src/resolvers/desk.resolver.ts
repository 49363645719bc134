import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { Context } from '../context';
import type { ContextRow, EventRow } from '../db/session-desk';
import { Agent, ChatSession, Customer } from '../entities';
import { NotFoundError } from '../errors';
import type { NotePayload } from '../pubsub/topics';
import { Note, SessionEvent, VisitorContext, VisitorContextInput } from '../schema/desk-types';
import { SessionPage } from '../schema/types';
import type { SessionRow } from '../services/reads';

type Data = SubscribeResolverData<unknown, Record<string, unknown>, Context>;

/** The desk's side of a session (contract, desk: "Agents' tools"): thin, the rules in NoteService and DeskService. */
@Resolver(() => ChatSession)
export class DeskSessionResolver {
  @FieldResolver(() => [Note], { nullable: true, description: 'Agents and supervisors; null for customers.' })
  notes(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<NotePayload[] | null> {
    return ctx.app.notes.list(ctx.em, ctx.viewer, session);
  }

  @FieldResolver(() => [String], { nullable: true, description: 'Agents and supervisors; null for customers.' })
  tags(@Root() session: SessionRow, @Ctx() ctx: Context): string[] | null {
    return ctx.app.desk.tags(ctx.viewer, session);
  }

  @FieldResolver(() => VisitorContext, { nullable: true, description: 'Agents and supervisors; null for customers. The page the visitor is on now.' })
  visitorContext(@Root() session: SessionRow, @Ctx() ctx: Context): ContextRow | null {
    return ctx.app.desk.context(ctx.viewer, session);
  }

  @FieldResolver(() => [SessionEvent], { nullable: true, description: 'Agents and supervisors; null for customers. The audit trail, oldest first.' })
  events(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<EventRow[] | null> {
    return ctx.app.desk.events(ctx.em, ctx.viewer, session);
  }

  @Mutation(() => Note, { description: "The session's agent or a supervisor (or a CHATS_WRITE key)." })
  addNote(@Arg('sessionId', () => ID) sessionId: string, @Arg('body', () => String) body: string, @Ctx() ctx: Context): Promise<NotePayload> {
    return ctx.app.notes.add(ctx.em, ctx.viewer, sessionId, body);
  }

  @Mutation(() => ChatSession, { description: "The session's agent or a supervisor: replaces the set. Each tag as a skill, at most 20." })
  async tagSession(@Arg('sessionId', () => ID) sessionId: string, @Arg('tags', () => [String]) tags: string[], @Ctx() ctx: Context): Promise<SessionRow> {
    await ctx.app.desk.tag(ctx.em, ctx.viewer, sessionId, tags);
    const session = await ctx.app.reads.session(ctx.em, sessionId);
    if (!session) throw new NotFoundError();
    return session;
  }

  @Mutation(() => Boolean, { description: "The session's customer: the page it is on now." })
  updateVisitorContext(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('input', () => VisitorContextInput) input: VisitorContextInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.app.desk.updateContext(ctx.em, ctx.viewer, sessionId, input, ctx.userAgent);
  }

  @Subscription(() => Note, {
    description: 'Agents and supervisors who may see the session.',
    subscribe: ({ args, context }: Data) => context.app.live.noteAdded({ viewer: context.viewer, em: () => context.em, onOverflow: context.onSlowConsumer }, args.sessionId as string),
  })
  noteAdded(@Root() note: NotePayload, @Arg('sessionId', () => ID) _sessionId: string): NotePayload {
    return note;
  }
}

@Resolver(() => Note)
export class NoteResolver {
  @FieldResolver(() => Agent, { nullable: true, description: 'The agent who wrote it; null when an API key did.' })
  author(@Root() note: NotePayload, @Ctx() ctx: Context) {
    return note.authorId ? ctx.loaders.agent.load(note.authorId) : null;
  }
}

@Resolver(() => SessionEvent)
export class SessionEventResolver {
  @FieldResolver(() => Agent, { nullable: true, description: 'The agent involved (assigned to, transferred from, who closed), when one is.' })
  agent(@Root() event: EventRow, @Ctx() ctx: Context) {
    return event.agentId ? ctx.loaders.agent.load(event.agentId) : null;
  }
}

@Resolver(() => Customer)
export class CustomerHistoryResolver {
  @FieldResolver(() => SessionPage, {
    nullable: true,
    description:
      'Agents and supervisors: this customer\'s sessions, newest first. An agent sees\nevery session of a customer it now has an ACTIVE chat with (read only).\nfirst: 1 to 200.',
  })
  sessions(
    @Root() customer: Customer,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.desk.history(ctx.em, ctx.viewer, customer.id, first ?? 20, after);
  }
}
