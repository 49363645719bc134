import * as messages from '../src/db/messages';
import { Author } from '../src/entities';
import { AppError } from '../src/errors';
import { authorizeOn, authorize, can, personId, refuseState, requireScope, type Actor, type ApiScope, type SignedIn } from '../src/policies';
import { CloseChatDocument, SendMessageDocument, TransferChatDocument } from './generated/graphql';
import { buildActiveChat, buildOnlineAgent, loginSupervisor, startChat, uniqueSkill, type TestAgent } from './support/factories';
import { buildApiKey } from './support/keys';
import { startTestServer, type TestServer } from './support/server';
import type { WsClient } from './support/ws';

/** What the API answers a viewer for `action`: 'ok' or the contract code, as the policy decides. */
function decision(act: () => void): string {
  try {
    act();
    return 'ok';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe('policy: the desk (notes, tags, context, trail, files)', () => {
  const visitor = { kind: 'visitor', customerId: 'c' } as unknown as Actor;
  const agent = { kind: 'agent', agentId: 'a', role: 'AGENT' } as unknown as Actor;
  const teammate = { kind: 'agent', agentId: 't', role: 'AGENT' } as unknown as Actor;
  const key = (...scopes: ApiScope[]): Actor => ({ kind: 'apiKey', keyId: 'k', name: 'CRM', scopes });
  const active = { customerId: 'c', agentId: 'a', status: 'ACTIVE' } as never;
  const queued = { customerId: 'c', agentId: null, status: 'QUEUED' } as never;
  const closed = { customerId: 'c', agentId: 'a', status: 'CLOSED' } as never;

  it("should never show the desk's side of a session to its customer, and show it to whoever sees the session on the desk", () => {
    expect(decision(() => authorizeOn(visitor, 'session.desk', active))).toBe('FORBIDDEN');
    expect(decision(() => authorizeOn(visitor, 'note.add', active))).toBe('FORBIDDEN');
    expect(decision(() => authorizeOn(agent, 'session.desk', active))).toBe('ok');
    expect(decision(() => authorizeOn(teammate, 'session.desk', active))).toBe('NOT_FOUND');
    expect(decision(() => authorizeOn(teammate, 'session.desk', queued))).toBe('ok');
    expect(decision(() => authorizeOn(key('CHATS_READ'), 'session.desk', active))).toBe('ok');
    expect(decision(() => authorizeOn(key('CHATS_READ'), 'note.add', active))).toBe('FORBIDDEN');
    expect(decision(() => authorizeOn(key('CHATS_WRITE', 'CHATS_READ'), 'note.add', active))).toBe('ok');
  });

  it('should let only the customer report its page, and only the two parties upload to an open chat', () => {
    expect(decision(() => authorizeOn(agent, 'session.context', active))).toBe('FORBIDDEN');
    expect(decision(() => refuseState('session.context', closed, 'customer'))).toBe('CONFLICT');
    expect(decision(() => refuseState('file.upload', queued, 'agent'))).toBe('CONFLICT');
    expect(decision(() => authorize(agent, 'upload.unbound'))).toBe('FORBIDDEN');
    expect(decision(() => authorize(visitor, 'upload.unbound'))).toBe('ok');
    expect(decision(() => authorize(agent, 'canned.team'))).toBe('FORBIDDEN');
    expect(decision(() => authorize({ kind: 'agent', agentId: 's', role: 'SUPERVISOR' } as unknown as Actor, 'canned.team'))).toBe('ok');
  });
});

describe('policy: API keys (scopes)', () => {
  const key = (...scopes: ApiScope[]): Actor => ({ kind: 'apiKey', keyId: 'k', name: 'CRM', scopes });
  const session = { customerId: 'c', agentId: 'a', status: 'ACTIVE' } as const;

  it('should let a key see every session with CHATS_READ, and refuse it naming the scope without it', () => {
    expect(can(key('CHATS_READ'), 'session.read', session as never)).toBe(true);
    expect(can(key('AGENTS_READ'), 'session.read', session as never)).toBe(false);
    expect(() => authorizeOn(key('AGENTS_READ'), 'session.read', session as never)).toThrow(/lacks the scope CHATS_READ/);
    expect(decision(() => authorizeOn(key('CHATS_READ'), 'session.read', null))).toBe('NOT_FOUND');
  });

  it('should let a key act with the action’s scope alone, as the organisation', () => {
    expect(decision(() => authorizeOn(key('CHATS_WRITE'), 'session.close', session as never))).toBe('ok');
    expect(decision(() => authorizeOn(key('CHATS_WRITE'), 'message.send', session as never))).toBe('ok');
    expect(decision(() => authorizeOn(key('CHATS_READ'), 'message.send', session as never))).toBe('FORBIDDEN');
    expect(decision(() => refuseState('message.send', { ...session, status: 'CLOSED' } as never, 'apiKey'))).toBe('CONFLICT');
  });

  it('should refuse a key what its scopes do not allow, naming the scope', () => {
    expect(() => authorizeOn(key('CHATS_READ'), 'session.close', session as never)).toThrow(/CHATS_WRITE/);
    expect(() => authorize(key('CHATS_READ'), 'agent.create')).toThrow(/AGENTS_WRITE/);
    expect(decision(() => authorize(key('AGENTS_WRITE'), 'agent.create'))).toBe('ok');
    expect(decision(() => authorize(key('METRICS_READ'), 'metrics.read', null))).toBe('ok');
  });

  it('should let supervisors and WEBHOOKS_MANAGE keys manage webhooks, and nobody else', () => {
    const viewer = (v: Record<string, unknown>) => v as unknown as Actor;
    expect(decision(() => authorize(key('WEBHOOKS_MANAGE'), 'webhooks.manage'))).toBe('ok');
    expect(() => authorize(key('CHATS_READ', 'AGENTS_WRITE'), 'webhooks.manage')).toThrow(/WEBHOOKS_MANAGE/);
    expect(decision(() => authorize(viewer({ kind: 'agent', agentId: 'a', role: 'SUPERVISOR' }), 'webhooks.manage'))).toBe('ok');
    expect(decision(() => authorize(viewer({ kind: 'agent', agentId: 'a', role: 'AGENT' }), 'webhooks.manage'))).toBe('FORBIDDEN');
    expect(decision(() => authorize(viewer({ kind: 'visitor', customerId: 'c' }), 'webhooks.manage'))).toBe('FORBIDDEN');
    expect(decision(() => authorize(viewer({ kind: 'anonymous' }), 'webhooks.manage'))).toBe('UNAUTHENTICATED');
  });

  it('should never route to, or rate for, a key', () => {
    const all = key('CHATS_READ', 'CHATS_WRITE', 'AGENTS_READ', 'AGENTS_WRITE', 'METRICS_READ', 'WEBHOOKS_MANAGE');
    expect(decision(() => authorize(all, 'assigned.watch'))).toBe('FORBIDDEN');
    expect(decision(() => authorize(all, 'status.set'))).toBe('FORBIDDEN');
    expect(decision(() => authorizeOn(all, 'session.rate', session as never))).toBe('FORBIDDEN');
  });
});

describe('policy: running the team (team extension)', () => {
  const agent: Actor = { kind: 'agent', agentId: 'a', role: 'AGENT' as never, expiresAt: Date.now() + 60_000 };
  const boss: Actor = { kind: 'agent', agentId: 'b', role: 'SUPERVISOR' as never, expiresAt: Date.now() + 60_000 };
  const visitor: Actor = { kind: 'visitor', customerId: 'c', expiresAt: Date.now() + 60_000 };
  const key = (...scopes: ApiScope[]): Actor => ({ kind: 'apiKey', keyId: 'k', name: 'BI', scopes });
  const all = key('CHATS_READ', 'CHATS_WRITE', 'AGENTS_READ', 'AGENTS_WRITE', 'METRICS_READ', 'WEBHOOKS_MANAGE');

  it('should leave roles, activation, passwords and personal data to supervisors, never to a key', () => {
    for (const action of ['team.manage', 'password.reset', 'customer.data'] as const) {
      expect([agent, boss, visitor, all].map((who) => decision(() => authorize(who, action)))).toEqual(['FORBIDDEN', 'ok', 'FORBIDDEN', 'FORBIDDEN']);
    }
    expect(decision(() => authorize({ kind: 'anonymous' }, 'team.manage'))).toBe('UNAUTHENTICATED');
  });

  it('should let every agent change its own password, and nobody else', () => {
    expect([agent, boss, visitor, all].map((who) => decision(() => authorize(who, 'password.change')))).toEqual(['ok', 'ok', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it('should let supervisors and METRICS_READ keys export, naming the scope to other keys', () => {
    expect([agent, boss, visitor, key('METRICS_READ')].map((who) => decision(() => authorize(who, 'exports.read')))).toEqual(['FORBIDDEN', 'ok', 'FORBIDDEN', 'ok']);
    expect(() => authorize(key('CHATS_READ'), 'exports.read')).toThrow(/METRICS_READ/);
  });
});

/**
 * The send statement repeats the policy's `message.send` in SQL, for speed. For every pair of
 * (viewer, session state), the statement must store a message exactly when the policy allows it,
 * and the API must answer what the policy decides (NOT_FOUND, FORBIDDEN or CONFLICT otherwise).
 */
describe('policy: message.send and the send statement', () => {
  let t: TestServer;
  const sockets: WsClient[] = [];
  let a: TestAgent;
  let b: TestAgent;
  let lead: TestAgent;
  const online = async (overrides: Parameters<typeof buildOnlineAgent>[1]) => {
    const agent = await buildOnlineAgent(t, overrides);
    sockets.push(agent.socket!);
    return agent;
  };

  beforeAll(async () => {
    t = await startTestServer();
    a = await online({ skills: [uniqueSkill()] });
    b = await online({ skills: [uniqueSkill()] });
    lead = await online({ skills: [uniqueSkill()], role: 'SUPERVISOR' as never });
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t.close();
  });

  /** A chat in each state of its life, each with its visitor's token. */
  async function states(): Promise<Record<string, { id: string; visitor: string }>> {
    const supervisor = await loginSupervisor(t);
    const chatWith = async (agent: TestAgent) => {
      const skill = (await t.app.reads.agentsByIds(t.app.orm.em.fork(), [agent.id]))[0].skills[0];
      const { session, token } = await startChat(t, { skill });
      expect(session.status).toBe('ACTIVE');
      return { id: session.id, visitor: token };
    };
    const queued = await startChat(t, { skill: uniqueSkill() });
    const abandoned = await startChat(t, { skill: uniqueSkill() });
    await t.http.ok(CloseChatDocument, { sessionId: abandoned.session.id }, abandoned.token);
    const active = await chatWith(a);
    const closed = await chatWith(a);
    await t.http.ok(CloseChatDocument, { sessionId: closed.id }, closed.visitor);
    const requeued = await chatWith(a);
    await t.http.ok(TransferChatDocument, { sessionId: requeued.id, toAgentId: null, skill: uniqueSkill() }, supervisor);
    const withLead = await chatWith(lead);
    return {
      QUEUED: { id: queued.session.id, visitor: queued.token },
      'CLOSED in the queue': { id: abandoned.session.id, visitor: abandoned.token },
      'ACTIVE with A': active,
      'CLOSED with A': closed,
      'QUEUED again (requeued by A)': requeued,
      'ACTIVE with a supervisor': withLead,
    };
  }

  it('should store a message exactly when the policy allows it, and answer what the policy decides otherwise', async () => {
    const chats = await states();
    const stranger = (await buildActiveChat(t)).visitor;
    const supervisor = await loginSupervisor(t);
    const writer = (await buildApiKey(t, ['CHATS_WRITE'], 'writer', supervisor)).secret;
    const reader = (await buildApiKey(t, ['CHATS_READ'], 'reader', supervisor)).secret;
    const table: string[] = [];
    const mismatches: string[] = [];
    for (const [state, chat] of Object.entries(chats)) {
      const viewers: Record<string, string> = {
        'its visitor': chat.visitor,
        'another visitor': stranger,
        'agent A': a.token,
        'agent B': b.token,
        'a supervisor': supervisor,
        'the assigned supervisor': lead.token,
        'a CHATS_WRITE key': writer,
        'a CHATS_READ key': reader,
      };
      for (const [who, token] of Object.entries(viewers)) {
        const viewer = (token.startsWith('sbk_') ? await t.app.apiKeys.verify(t.app.orm.em.fork(), token) : await t.app.tokens.verify(token)) as SignedIn;
        const session = (await t.app.reads.session(t.app.orm.em.fork(), chat.id))!;
        const policy = decision(() => refuseState('message.send', session, authorizeOn(viewer, 'message.send', session)));
        expect(can(viewer, 'message.send', session)).toBe(policy === 'ok');
        // A key's scope is checked before the statement (requireScope): a key without it never reaches it.
        const scoped = decision(() => requireScope(viewer, 'message.send')) === 'ok';
        const stored = !scoped
          ? null
          : await messages.insertGuarded(t.app.orm.em.fork(), {
              author: viewer.kind === 'visitor' ? Author.VISITOR : viewer.kind === 'agent' ? Author.AGENT : Author.SYSTEM,
              authorId: personId(viewer)!,
              sessionId: chat.id,
              body: 'straight to the statement',
              clientMessageId: null,
            });
        const api = await t.http.request(SendMessageDocument, { input: { sessionId: chat.id, body: 'through the API' } }, token);
        const answered = api.errors?.length ? (api.errors[0].extensions?.code as string) : 'ok';
        table.push(`${state} / ${who}: ${policy}`);
        if ((stored !== null) !== (policy === 'ok')) mismatches.push(`${state} / ${who}: statement ${stored ? 'stored' : 'refused'}, policy ${policy}`);
        if (answered !== policy) mismatches.push(`${state} / ${who}: API ${answered}, policy ${policy}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The table covers every kind of answer, so a statement or policy that allowed all, or none, fails.
    const outcomes = new Set(table.map((line) => line.split(': ')[1]));
    expect([...outcomes].sort()).toEqual(['CONFLICT', 'FORBIDDEN', 'NOT_FOUND', 'ok']);
    expect(table).toContain('ACTIVE with A / agent A: ok');
    expect(table).toContain('ACTIVE with A / a supervisor: FORBIDDEN');
    expect(table).toContain('QUEUED / agent B: FORBIDDEN');
    expect(table).toContain('CLOSED with A / agent A: CONFLICT');
    expect(table).toContain('QUEUED again (requeued by A) / agent A: FORBIDDEN');
    expect(table).toContain('ACTIVE with A / agent B: NOT_FOUND');
    expect(table).toContain('QUEUED / its visitor: ok');
    expect(table).toContain('ACTIVE with a supervisor / the assigned supervisor: ok');
    expect(table).toContain('QUEUED / a CHATS_WRITE key: ok');
    expect(table).toContain('CLOSED with A / a CHATS_WRITE key: CONFLICT');
    expect(table).toContain('ACTIVE with A / a CHATS_READ key: FORBIDDEN');
  });
});
