import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, type PubSub } from 'type-graphql';
import { AgentResolver } from '../resolvers/agent.resolver';
import { ApiKeyResolver } from '../resolvers/api-key.resolver';
import { AvailabilityResolver } from '../resolvers/availability.resolver';
import { CannedResolver } from '../resolvers/canned.resolver';
import { CustomerHistoryResolver, DeskSessionResolver, NoteResolver, SessionEventResolver } from '../resolvers/desk.resolver';
import { AttachmentResolver, MessageFilesResolver } from '../resolvers/files.resolver';
import { ChatResolver } from '../resolvers/chat.resolver';
import { LiveResolver } from '../resolvers/live.resolver';
import { SessionResolver } from '../resolvers/session.resolver';
import { TeamResolver } from '../resolvers/team.resolver';
import { WebhookResolver } from '../resolvers/webhook.resolver';
import { assertCleanText } from '../services/validate';
import { DateTimeScalar } from './scalars';
import './types';

/**
 * Every string argument is checked for NUL bytes and lone surrogates before any resolver runs:
 * each root field's resolver is wrapped once, here. (A type-graphql global middleware did this
 * before, but it wraps every field of every type in an async dispatcher, so each field of each
 * message sent to each subscriber became a promise: the largest single cost of fan-out.)
 */
function checkRootArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const resolve = field.resolve;
      if (!resolve) continue;
      field.resolve = (source, args, context, info) => {
        assertCleanText(args);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

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
  cached ??= checkRootArguments(
    buildSchemaSync({
      resolvers: [
        SessionResolver,
        ChatResolver,
        AgentResolver,
        LiveResolver,
        ApiKeyResolver,
        AvailabilityResolver,
        WebhookResolver,
        DeskSessionResolver,
        NoteResolver,
        SessionEventResolver,
        CustomerHistoryResolver,
        MessageFilesResolver,
        AttachmentResolver,
        CannedResolver,
        TeamResolver,
      ],
      scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
      validate: false,
      pubSub: topicsNotUsed,
    }),
  );
  return cached;
}

/** The schema as committed in schema.graphql. */
export function printAppSchema(): string {
  return `${printSchema(buildAppSchema())}\n`;
}
