import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Agent } from '../entities';
import type { ApiScope } from '../policies';
import { ApiKey, ApiScopeEnum, CreateApiKeyPayload } from '../schema/api-keys';
import type { ApiKeyRow } from '../services/api-keys';

/** Partners' API keys (extension partners): supervisors only, never a key. */
@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: 'Supervisors: every key, newest first.' })
  apiKeys(@Ctx() ctx: Context) {
    return ctx.app.apiKeys.list(ctx.em, ctx.viewer);
  }

  @Mutation(() => CreateApiKeyPayload, { description: 'Supervisors only (never a key): a new key with these scopes, at least one.' })
  createApiKey(@Arg('name', () => String) name: string, @Arg('scopes', () => [ApiScopeEnum]) scopes: ApiScope[], @Ctx() ctx: Context) {
    return ctx.app.apiKeys.create(ctx.em, ctx.viewer, { name, scopes });
  }

  @Mutation(() => ApiKey, { description: 'Supervisors only.' })
  revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.apiKeys.revoke(ctx.em, ctx.viewer, id);
  }

  @FieldResolver(() => Agent, { nullable: true })
  createdBy(@Root() key: ApiKeyRow, @Ctx() ctx: Context) {
    return key.createdById ? ctx.loaders.agent.load(key.createdById) : null;
  }
}
