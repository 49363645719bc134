import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Agent, AgentStatus } from '../entities';
import { NotFoundError } from '../errors';
import { DateTimeScalar } from '../schema/scalars';
import { AgentMetrics, AuthPayload, CreateAgentInput, UpdateAgentInput } from '../schema/types';
import { agentMetrics } from '../services/agent-metrics';

@Resolver(() => Agent)
export class AgentResolver {
  @Query(() => Agent, { nullable: true, description: 'The signed-in agent, null for anyone else.' })
  me(@Ctx() ctx: Context) {
    return ctx.viewer.kind === 'agent' ? ctx.loaders.agent.load(ctx.viewer.agentId) : null;
  }

  @Query(() => [Agent], { description: 'Agents: the team.' })
  agents(@Arg('status', () => AgentStatus, { nullable: true }) status: AgentStatus | null, @Ctx() ctx: Context) {
    return ctx.app.reads.agents(ctx.em, ctx.viewer, status);
  }

  @Query(() => AgentMetrics, {
    description: "Agents see their own; supervisors anyone's, or the team's with agentId null. Default window: the last 7 days.",
  })
  agentMetrics(
    @Arg('agentId', () => ID, { nullable: true }) agentId: string | null,
    @Arg('from', () => DateTimeScalar, { nullable: true }) from: Date | null,
    @Arg('to', () => DateTimeScalar, { nullable: true }) to: Date | null,
    @Ctx() ctx: Context,
  ) {
    return agentMetrics(ctx.em, ctx.viewer, { agentId, from, to });
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('email', () => String) email: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context) {
    // Per IP whatever the email (a new email per attempt), then per email and IP.
    await ctx.app.rateLimiter.consume('loginIp', ctx.ip);
    await ctx.app.rateLimiter.consume('login', `${email.trim().toLowerCase().slice(0, 254)}|${ctx.ip}`);
    const { token, agentId } = await ctx.app.agents.login(ctx.em, email, password);
    ctx.viewer = await ctx.app.tokens.verify(token); // the rest of this request sees the agent it signed in (its own email)
    return { token, agent: await load(ctx, agentId) };
  }

  @Mutation(() => Agent, { description: "The signed-in agent's own availability." })
  async setStatus(@Arg('status', () => AgentStatus) status: AgentStatus, @Ctx() ctx: Context) {
    return load(ctx, await ctx.app.agents.setStatus(ctx.em, ctx.viewer, status));
  }

  @Mutation(() => Agent, { description: 'Availability, skills and capacity: the agent itself or a supervisor.' })
  async updateAgent(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateAgentInput) input: UpdateAgentInput, @Ctx() ctx: Context) {
    await ctx.app.agents.update(ctx.em, ctx.viewer, id, input);
    return load(ctx, id);
  }

  @Mutation(() => Agent, { description: 'Supervisors only.' })
  async createAgent(@Arg('input', () => CreateAgentInput) input: CreateAgentInput, @Ctx() ctx: Context) {
    const id = await ctx.app.agents.create(ctx.em, ctx.viewer, input);
    return load(ctx, id);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Null unless the viewer is an agent.' })
  email(@Root() agent: Agent, @Ctx() ctx: Context): string | null {
    // Agents, and keys (the organisation: partners, AGENTS_READ "emails included").
    return ctx.viewer.kind === 'agent' || ctx.viewer.kind === 'apiKey' ? agent.email : null;
  }

  @FieldResolver(() => Boolean, { description: 'True while the agent has at least one live console connection.' })
  async online(@Root() agent: Agent, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.online()).has(agent.id);
  }
}

async function load(ctx: Context, id: string): Promise<Agent> {
  const [agent] = await ctx.app.reads.agentsByIds(ctx.em, [id]);
  if (!agent) throw new NotFoundError('Agent');
  return agent;
}
