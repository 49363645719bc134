import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { DateTimeScalar } from '../schema/scalars';
import {
  CreateWebhookEndpointInput,
  CreateWebhookEndpointPayload,
  UpdateWebhookEndpointInput,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryStatus,
  WebhookEndpoint,
} from '../schema/webhook.types';

/** Partners: webhook endpoints and deliveries (supervisors, or keys with WEBHOOKS_MANAGE). */
@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Query(() => [WebhookEndpoint], { description: 'Supervisors or WEBHOOKS_MANAGE.' })
  webhookEndpoints(@Ctx() ctx: Context) {
    return ctx.app.webhooks.list(ctx.em, ctx.viewer);
  }

  @Query(() => WebhookDeliveryPage, { description: 'Supervisors or WEBHOOKS_MANAGE. first: 1 to 200.' })
  webhookDeliveries(
    @Arg('endpointId', () => ID, { nullable: true }) endpointId: string | null,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true }) status: WebhookDeliveryStatus | null,
    @Arg('event', () => String, { nullable: true }) event: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.webhooks.page(ctx.em, ctx.viewer, { endpointId, status, event, first: first ?? 50, after });
  }

  @Mutation(() => CreateWebhookEndpointPayload, { description: 'Supervisors or WEBHOOKS_MANAGE.' })
  createWebhookEndpoint(@Arg('input', () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput, @Ctx() ctx: Context) {
    return ctx.app.webhooks.create(ctx.em, ctx.viewer, input);
  }

  @Mutation(() => WebhookEndpoint)
  updateWebhookEndpoint(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput, @Ctx() ctx: Context) {
    return ctx.app.webhooks.update(ctx.em, ctx.viewer, id, input);
  }

  @Mutation(() => Boolean, { description: "Its deliveries' log is kept; nothing more is sent to it." })
  deleteWebhookEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.webhooks.remove(ctx.em, ctx.viewer, id);
  }

  @Mutation(() => CreateWebhookEndpointPayload, { description: 'A new secret; the old one keeps signing alongside for 24 hours (two signatures).' })
  rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.webhooks.rotate(ctx.em, ctx.viewer, id);
  }

  @Mutation(() => WebhookDelivery, { description: 'Queue a "ping" event to the endpoint now.' })
  sendTestWebhook(@Arg('endpointId', () => ID) endpointId: string, @Ctx() ctx: Context) {
    return ctx.app.webhooks.sendTest(ctx.em, ctx.viewer, endpointId);
  }

  @Mutation(() => WebhookDelivery, { description: 'Send one delivery again, whatever its status: same id, same payload, attempts restart.' })
  replayWebhookDelivery(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.webhooks.replay(ctx.em, ctx.viewer, id);
  }

  @Mutation(() => Int, { description: 'Replay every FAILED delivery of the endpoint created since `since`; returns how many.' })
  replayFailedWebhookDeliveries(@Arg('endpointId', () => ID) endpointId: string, @Arg('since', () => DateTimeScalar) since: Date, @Ctx() ctx: Context) {
    return ctx.app.webhooks.replayFailed(ctx.em, ctx.viewer, endpointId, since);
  }
}
