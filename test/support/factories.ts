import { randomUUID } from 'node:crypto';
import {
  CreateAgentDocument,
  LoginDocument,
  MeDocument,
  SetStatusDocument,
  StartChatDocument,
  type CreateAgentInput,
  type StartChatInput,
} from '../generated/graphql';
import { SUPERVISOR } from './env';
import type { HttpClient } from './http';
import { leave } from './leftovers';
import { WsClient } from './ws';

/**
 * Factories in the manner of Outline's server/test/factories.ts: everything through the API, on
 * any server a client can reach (a TestServer in this process, or an Instance of ./cluster.ts).
 * What they open (sockets) is a leftover (./leftovers.ts), closed after the file's tests.
 */
export interface Target {
  /** The GraphQL endpoint over HTTP (…/graphql), and a client for it. */
  url: string;
  http: HttpClient;
  wsUrl: string;
}

export async function loginSupervisor(t: Target): Promise<string> {
  const { login } = await t.http.ok(LoginDocument, SUPERVISOR);
  return login.token;
}

export interface TestAgent {
  id: string;
  token: string;
  email: string;
  password: string;
  /** The console socket that makes it `online`, when connected. */
  socket?: WsClient;
}

/** What the API answers a token now: 'ok', or the status and code (a revoked token: '401 UNAUTHENTICATED'). */
export async function tokenAnswer(t: Target, token: string): Promise<string> {
  const result = await t.http.request(MeDocument, {}, token);
  return result.errors?.length ? `${result.status} ${String(result.errors[0].extensions?.code)}` : 'ok';
}

/** Creates an agent (via the supervisor) and signs it in. */
export async function buildAgent(t: Target, overrides: Partial<CreateAgentInput> = {}): Promise<TestAgent> {
  const supervisor = await loginSupervisor(t);
  const email = overrides.email ?? `agent-${randomUUID().slice(0, 8)}@example.com`;
  const password = overrides.password ?? 'agent-password';
  const { createAgent } = await t.http.ok(
    CreateAgentDocument,
    { input: { name: overrides.name ?? `Agent ${email.slice(6, 10)}`, email, password, ...overrides } },
    supervisor,
  );
  const { login } = await t.http.ok(LoginDocument, { email, password });
  return { id: createAgent.id, token: login.token, email, password };
}

/**
 * An agent that is available: ONLINE with a live console socket. The socket is what makes it
 * `online`; the test disposes it (or calls goOffline) to take the agent away, else it is closed
 * after the file's tests.
 */
export async function buildOnlineAgent(t: Target, overrides: Partial<CreateAgentInput> = {}): Promise<TestAgent> {
  const agent = await buildAgent(t, overrides);
  await t.http.ok(SetStatusDocument, { status: 'ONLINE' }, agent.token);
  agent.socket = await connect(t, agent.token);
  return agent;
}

/** A graphql-ws client, closed after the file's tests unless the test disposes it first. */
export function wsClient(t: Target, token?: string, options?: ConstructorParameters<typeof WsClient>[2]): WsClient {
  const client = new WsClient(t.wsUrl, token, options);
  leave(() => client.dispose().catch(() => undefined));
  return client;
}

/** Opens a console socket and waits until the server has acknowledged it (presence recorded). */
export async function connect(t: Target, token?: string): Promise<WsClient> {
  const client = wsClient(t, token);
  await client.connected; // connection_ack comes after the server recorded presence
  return client;
}

export async function startChat(t: Target, input: StartChatInput = {}, token?: string) {
  const { startChat } = await t.http.ok(StartChatDocument, { input: { name: 'Visitor', ...input } }, token);
  return { session: startChat.session, token: startChat.visitorToken };
}

/** A skill of its own per chat, so that routing in one test never touches another test's agents. */
export const uniqueSkill = () => `s${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export interface ActiveChatOptions {
  message?: string;
  name?: string;
  /** Where the visitor starts the chat (default: where the agent is online). */
  via?: Target;
  /** The agent's overrides (its skill is always the chat's own). */
  agent?: Partial<CreateAgentInput>;
}

/**
 * An ACTIVE chat between a fresh visitor and a fresh online agent that alone has its skill (its
 * console socket is a leftover, or the test disposes `agent.socket` to take it away).
 */
export async function buildActiveChat(t: Target, input: ActiveChatOptions = {}) {
  const skill = uniqueSkill();
  const agentName = input.agent?.name ?? `Agent ${skill.slice(1, 6)}`;
  const agent = await buildOnlineAgent(t, { ...input.agent, name: agentName, skills: [skill] });
  const { session, token } = await startChat(input.via ?? t, { skill, name: input.name ?? 'Vic', ...(input.message ? { message: input.message } : {}) });
  if (session.status !== 'ACTIVE' || session.agent?.id !== agent.id) {
    throw new Error(`expected the chat to go to ${agent.id} at once, got ${session.status} with ${session.agent?.id}`);
  }
  return { agent, agentName, session, visitor: token, skill };
}

/** Polls `check` until it returns true (or a truthy value), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | false | null | undefined>, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
