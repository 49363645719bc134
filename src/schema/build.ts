import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, type MiddlewareFn, type PubSub } from 'type-graphql';
import type { Context } from '../context';
import { AgentResolver } from '../resolvers/agent.resolver';
import { ChatResolver } from '../resolvers/chat.resolver';
import { LiveResolver } from '../resolvers/live.resolver';
import { SessionResolver } from '../resolvers/session.resolver';
import { assertCleanText } from '../services/validate';
import { DateTimeScalar } from './scalars';
import './types';

/** Every string argument is checked for NUL bytes and lone surrogates before any resolver runs. */
const CleanText: MiddlewareFn<Context> = ({ args, info }, next) => {
  if (info.parentType.name === 'Query' || info.parentType.name === 'Mutation' || info.parentType.name === 'Subscription') {
    assertCleanText(args);
  }
  return next();
};

/**
 * type-graphql requires a pubSub, but every subscription here has its own `subscribe` (see
 * LiveService: authorised at start, replay from Postgres, bounded feeds). Topic-based
 * subscriptions would skip all that, so this one refuses to be used.
 */
const topicsNotUsed: PubSub = {
  publish() {
    throw new Error('Publish through Bus; topic-based subscriptions are not used.');
  },
  subscribe() {
    throw new Error('Give the @Subscription a `subscribe` function (see LiveService).');
  },
};

let cached: GraphQLSchema | undefined;

export function buildAppSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [SessionResolver, ChatResolver, AgentResolver, LiveResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    globalMiddlewares: [CleanText],
    validate: false,
    pubSub: topicsNotUsed,
  });
  return cached;
}

/** The schema as committed in schema.graphql. */
export function printAppSchema(): string {
  return `${printSchema(buildAppSchema())}\n`;
}
