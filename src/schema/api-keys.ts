import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { ApiScope } from '../policies';
import { DateTimeScalar } from './scalars';

/** The policy's scopes (policies/viewer.ts) as the GraphQL enum of the partners extension. */
export const ApiScopeEnum: { [S in ApiScope]: S } = {
  CHATS_READ: 'CHATS_READ',
  CHATS_WRITE: 'CHATS_WRITE',
  AGENTS_READ: 'AGENTS_READ',
  AGENTS_WRITE: 'AGENTS_WRITE',
  METRICS_READ: 'METRICS_READ',
  WEBHOOKS_MANAGE: 'WEBHOOKS_MANAGE',
};

registerEnumType(ApiScopeEnum, {
  name: 'ApiScope',
  valuesConfig: {
    CHATS_READ: { description: 'Read sessions, transcripts, the queue; subscribe to them.' },
    CHATS_WRITE: { description: 'Send SYSTEM messages, close, transfer, tag and note sessions.' },
    AGENTS_READ: { description: 'Read the team.' },
    AGENTS_WRITE: { description: 'Create agents; change their availability, skills and capacity.' },
    METRICS_READ: { description: 'agentMetrics and exports.' },
    WEBHOOKS_MANAGE: { description: 'Webhook endpoints and deliveries.' },
  },
});

@ObjectType()
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [ApiScopeEnum])
  scopes!: ApiScope[];

  @Field(() => String, { description: 'The first 12 characters of the secret, to recognise it (e.g. "sbk_live_3f9a").' })
  prefix!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Null until first used; updated at most once a minute.' })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Set once revoked; a revoked key is refused everywhere within 5 seconds.' })
  revokedAt!: Date | null;

  /** Resolved in ApiKeyResolver (createdBy). */
  createdById!: string | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey)
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The whole secret, shown this once: only its hash is stored.' })
  secret!: string;
}

