import { Arg, ID, Int, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { Context } from '../context';
import { Agent, ChatSession, Message } from '../entities';
import type { MessagePayload, TypingPayload } from '../pubsub/topics';
import { TypingEvent } from '../schema/types';
import type { Listener } from '../services/live';
import type { SessionRow } from '../services/reads';

type Data = SubscribeResolverData<unknown, Record<string, unknown>, Context>;
/** The subscription's listener: its viewer, a fresh EntityManager per use, its socket's overflow handler. */
const listener = (ctx: Context): Listener => ({ viewer: ctx.viewer, em: () => ctx.em, onOverflow: ctx.onSlowConsumer });

/** Subscriptions: authorised in `subscribe`, when they start; the streams live in LiveService. */
@Resolver()
export class LiveResolver {
  @Subscription(() => Message, {
    description:
      'New messages of a session, for its customer and its agent (supervisors: any).\nWith afterSeq, first delivers every stored message after it, then live ones,\nin seq order, with no gap and no duplicate.',
    subscribe: ({ args, context }: Data) =>
      context.app.live.messageAdded(listener(context), args.sessionId as string, (args.afterSeq as number | null) ?? null),
  })
  messageAdded(
    @Root() message: MessagePayload,
    @Arg('sessionId', () => ID) _sessionId: string,
    @Arg('afterSeq', () => Int, { nullable: true }) _afterSeq: number | null,
  ): MessagePayload {
    return message;
  }

  @Subscription(() => ChatSession, {
    description: 'The session changed: assigned, transferred, queue position, read seqs, closed, rated.',
    subscribe: ({ args, context }: Data) => context.app.live.sessionUpdated(listener(context), args.sessionId as string),
  })
  sessionUpdated(@Root() session: SessionRow, @Arg('sessionId', () => ID) _sessionId: string): SessionRow {
    return session;
  }

  @Subscription(() => TypingEvent, {
    description: "The other side's typing indicator.",
    subscribe: ({ args, context }: Data) => context.app.live.typing(listener(context), args.sessionId as string),
  })
  typing(@Root() event: TypingPayload, @Arg('sessionId', () => ID) _sessionId: string): TypingPayload {
    return event;
  }

  @Subscription(() => ChatSession, {
    description: 'Agents: a session was just assigned (or transferred) to me.',
    subscribe: ({ context }: Data) => context.app.live.sessionAssigned(listener(context)),
  })
  sessionAssigned(@Root() session: SessionRow): SessionRow {
    return session;
  }

  @Subscription(() => [ChatSession], {
    description: 'Agents: the queue changed; the whole queue, first in line first.',
    subscribe: ({ context }: Data) => context.app.live.queueUpdated(listener(context)),
  })
  queueUpdated(@Root() queue: SessionRow[]): SessionRow[] {
    return queue;
  }

  @Subscription(() => Agent, {
    description: "Agents: a teammate's status, online flag or load changed.",
    subscribe: ({ context }: Data) => context.app.live.agentUpdated(listener(context)),
  })
  agentUpdated(@Root() agent: Agent): Agent {
    return agent;
  }
}
