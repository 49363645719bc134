import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Availability, BusinessHours, BusinessHoursInput } from '../schema/availability.types';

/** Desk extension, "Never lose a visitor": availability, business hours, the transcript by email. */
@Resolver()
export class AvailabilityResolver {
  @Query(() => Availability, { description: 'Anyone, anonymous included: can a chat be answered now?' })
  availability(@Arg('skill', () => String, { nullable: true }) skill: string | null, @Ctx() ctx: Context) {
    return ctx.app.availability.availability(ctx.em, ctx.viewer, skill);
  }

  @Query(() => BusinessHours, { nullable: true, description: 'Anyone; null when none are set (always within hours).' })
  businessHours(@Ctx() ctx: Context) {
    return ctx.app.availability.businessHours(ctx.em, ctx.viewer);
  }

  @Mutation(() => BusinessHours, { nullable: true, description: 'Supervisors; null clears them (always within hours).' })
  setBusinessHours(@Arg('input', () => BusinessHoursInput, { nullable: true }) input: BusinessHoursInput | null, @Ctx() ctx: Context) {
    return ctx.app.availability.setBusinessHours(ctx.em, ctx.viewer, input);
  }

  @Mutation(() => Boolean, { description: "The session's customer: mail the transcript to the customer's email (BAD_USER_INPUT without one)." })
  async emailTranscript(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context) {
    await ctx.app.email.emailTranscript(ctx.em, ctx.viewer, sessionId);
    return true;
  }
}
