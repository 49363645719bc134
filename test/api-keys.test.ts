import { createHash } from 'node:crypto';
import {
  AgentMetricsDocument,
  AgentsDocument,
  ApiKeysDocument,
  CloseChatDocument,
  CreateAgentDocument,
  CreateApiKeyDocument,
  MarkReadDocument,
  MeDocument,
  MySessionsDocument,
  OnAgentUpdatedDocument,
  OnMessageAddedDocument,
  OnQueueUpdatedDocument,
  OnSessionAssignedDocument,
  OnSessionUpdatedDocument,
  QueueDocument,
  RateChatDocument,
  RevokeApiKeyDocument,
  SendMessageDocument,
  SessionDocument,
  SessionsDocument,
  SetStatusDocument,
  TranscriptDocument,
  TransferChatDocument,
  UpdateAgentDocument,
  type ApiScope,
} from './generated/graphql';
import { sql } from './support/env';
import { buildActiveChat, buildAgent, connect, loginSupervisor, startChat, uniqueSkill, waitFor, wsClient } from './support/factories';
import { ALL_SCOPES, buildApiKey, type TestKey } from './support/keys';
import { startWithSupervisor, type TestServer } from './support/server';

let t: TestServer;
let supervisor: string;

beforeAll(async () => {
  ({ t, supervisor } = await startWithSupervisor());
});

describe('Mutation.createApiKey', () => {
  it('should require authentication', async () => {
    const { code, result } = await t.http.fail(CreateApiKeyDocument, { name: 'CRM', scopes: ['CHATS_READ'] });
    expect({ code, status: result.status }).toEqual({ code: 'UNAUTHENTICATED', status: 200 });
  });

  it('should refuse agents and every key, even one with all scopes (keys never manage keys)', async () => {
    const agent = await buildAgent(t);
    expect((await t.http.fail(CreateApiKeyDocument, { name: 'CRM', scopes: ['CHATS_READ'] }, agent.token)).code).toBe('FORBIDDEN');
    const key = await buildApiKey(t, ALL_SCOPES, 'all', supervisor);
    for (const op of [
      () => t.http.fail(CreateApiKeyDocument, { name: 'CRM', scopes: ['CHATS_READ'] }, key.secret),
      () => t.http.fail(RevokeApiKeyDocument, { id: key.id }, key.secret),
      () => t.http.fail(ApiKeysDocument, {}, key.secret),
    ]) {
      expect(await op()).toMatchObject({ code: 'FORBIDDEN', message: 'API keys may not do that.' });
    }
  });

  it('should show the secret once, in the sbk_ format, and store only its SHA-256', async () => {
    const { createApiKey } = await t.http.ok(CreateApiKeyDocument, { name: 'Warehouse', scopes: ['CHATS_READ', 'METRICS_READ'] }, supervisor);
    const { secret, apiKey } = createApiKey;
    expect(secret).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'Warehouse', scopes: ['CHATS_READ', 'METRICS_READ'], prefix: secret.slice(0, 12), lastUsedAt: null, revokedAt: null });
    expect(apiKey.createdBy?.name).toBeTruthy();
    const rows = await sql<Record<string, unknown>>(t.databaseUrl, 'select * from api_key where id = $1', [apiKey.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(Object.values(rows[0]))).not.toContain(secret.slice(4));
    expect((rows[0].secret_hash as Buffer).equals(createHash('sha256').update(secret).digest())).toBe(true);
    const { apiKeys } = await t.http.ok(ApiKeysDocument, {}, supervisor);
    expect(apiKeys[0].id).toBe(apiKey.id); // newest first
    expect(JSON.stringify(apiKeys)).not.toContain(secret);
  });

  it('should refuse a key with no scope, an unknown scope or no name', async () => {
    expect(await t.http.fail(CreateApiKeyDocument, { name: 'CRM', scopes: [] }, supervisor)).toMatchObject({ code: 'BAD_USER_INPUT', error: { extensions: { field: 'scopes' } } });
    expect((await t.http.fail(CreateApiKeyDocument, { name: 'CRM', scopes: ['EVERYTHING' as ApiScope] }, supervisor)).code).toBe('BAD_USER_INPUT');
    expect(await t.http.fail(CreateApiKeyDocument, { name: '  ', scopes: ['CHATS_READ'] }, supervisor)).toMatchObject({ code: 'BAD_USER_INPUT', error: { extensions: { field: 'name' } } });
  });

  it('should refuse a key beyond 100 live ones (CONFLICT), and take one again once one is revoked', async () => {
    const other = await startWithSupervisor();
    const made = [];
    for (let i = 0; i < 100; i += 10) made.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => buildApiKey(other.t, ['CHATS_READ'], `k${i + j}`, other.supervisor)))));
    expect((await other.t.http.fail(CreateApiKeyDocument, { name: 'one too many', scopes: ['CHATS_READ'] }, other.supervisor)).code).toBe('CONFLICT');
    await other.t.http.ok(RevokeApiKeyDocument, { id: made[0].id }, other.supervisor);
    await buildApiKey(other.t, ['CHATS_READ'], 'after a revocation', other.supervisor);
    await other.t.close();
  }, 90_000);

  it('should set lastUsedAt once the key is used', async () => {
    const key = await buildApiKey(t, ['AGENTS_READ'], 'reader', supervisor);
    await t.http.ok(AgentsDocument, {}, key.secret);
    const used = await waitFor(async () => (await t.http.ok(ApiKeysDocument, {}, supervisor)).apiKeys.find((k) => k.id === key.id)?.lastUsedAt);
    expect(Date.parse(used)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('API keys as viewers', () => {
  it('should refuse a malformed, unknown or revoked key with UNAUTHENTICATED (401) and 4403', async () => {
    const key = await buildApiKey(t, ['AGENTS_READ'], 'soon revoked', supervisor);
    await t.http.ok(RevokeApiKeyDocument, { id: key.id }, supervisor);
    for (const secret of ['sbk_short', `sbk_${'A'.repeat(43)}`, key.secret]) {
      const { code, result } = await t.http.fail(AgentsDocument, {}, secret);
      expect({ code, status: result.status }).toEqual({ code: 'UNAUTHENTICATED', status: 401 });
      expect((await wsClient(t, secret).closed).code).toBe(4403);
    }
  });

  it('should never be me, never online and never routed to', async () => {
    const key = await buildApiKey(t, ALL_SCOPES, 'bot', supervisor);
    expect((await t.http.ok(MeDocument, {}, key.secret)).me).toBeNull();
    const socket = await connect(t, key.secret); // a live socket, as an agent's console would hold
    const skill = uniqueSkill();
    const { session } = await startChat(t, { skill });
    expect(session.status).toBe('QUEUED');
    const { agents } = await t.http.ok(AgentsDocument, {}, key.secret);
    expect(agents.map((a) => a.id)).not.toContain(key.id);
    expect(agents.find((a) => a.online && a.name === 'bot')).toBeUndefined();
    expect((await t.http.fail(SetStatusDocument, { status: 'ONLINE' }, key.secret)).code).toBe('FORBIDDEN');
    expect((await t.http.ok(SessionDocument, { id: session.id }, key.secret)).session?.status).toBe('QUEUED');
    await socket.dispose();
  });

  it('should store a key’s message as SYSTEM, named after the key, and deliver it to the visitor', async () => {
    const key = await buildApiKey(t, ['CHATS_WRITE'], 'Order bot', supervisor);
    const { session, visitor } = await buildActiveChat(t);
    const watcher = wsClient(t, visitor).subscribe(OnMessageAddedDocument, { sessionId: session.id });
    await new Promise((r) => setTimeout(r, 200));
    const { sendMessage } = await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'Your order shipped.', clientMessageId: 'o-1' } }, key.secret);
    expect(sendMessage).toMatchObject({ author: 'SYSTEM', authorName: 'Order bot', body: 'Your order shipped.', seq: 1 });
    expect(await watcher.next()).toMatchObject({ messageAdded: { author: 'SYSTEM', authorName: 'Order bot', seq: 1 } });
    const again = await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'Your order shipped.', clientMessageId: 'o-1' } }, key.secret);
    expect(again.sendMessage.id).toBe(sendMessage.id);
    await t.http.ok(CloseChatDocument, { sessionId: session.id }, key.secret);
    expect((await t.http.fail(SendMessageDocument, { input: { sessionId: session.id, body: 'late' } }, key.secret)).code).toBe('CONFLICT');
  });
});

/** What a key of each scope may do: every operation of partners.md's table, and those no key may. */
describe('API key scopes', () => {
  type Op = { name: string; scope: ApiScope | null; run: (secret: string, allowed: boolean) => Promise<{ code?: string; message?: string }> };
  const outcome = async (p: Promise<{ errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data: unknown }>) => {
    const r = await p;
    return r.errors?.length ? { code: r.errors[0].extensions?.code as string, message: r.errors[0].message } : {};
  };
  let shared: Awaited<ReturnType<typeof buildActiveChat>>;
  let ops: Op[];

  beforeAll(async () => {
    shared = await buildActiveChat(t, { message: 'hello' });
    const fresh = async (allowed: boolean) => (allowed ? buildActiveChat(t) : shared);
    const req = t.http.request.bind(t.http);
    ops = [
      { name: 'session', scope: 'CHATS_READ', run: (k) => outcome(req(TranscriptDocument, { id: shared.session.id }, k)) },
      { name: 'sessions', scope: 'CHATS_READ', run: (k) => outcome(req(SessionsDocument, {}, k)) },
      { name: 'queue', scope: 'CHATS_READ', run: (k) => outcome(req(QueueDocument, {}, k)) },
      { name: 'sendMessage', scope: 'CHATS_WRITE', run: async (k, ok) => outcome(req(SendMessageDocument, { input: { sessionId: (await fresh(ok)).session.id, body: 'from the CRM' } }, k)) },
      { name: 'closeChat', scope: 'CHATS_WRITE', run: async (k, ok) => outcome(req(CloseChatDocument, { sessionId: (await fresh(ok)).session.id }, k)) },
      {
        name: 'transferChat',
        scope: 'CHATS_WRITE',
        run: async (k, ok) => outcome(req(TransferChatDocument, { sessionId: (await fresh(ok)).session.id, toAgentId: null, skill: uniqueSkill() }, k)),
      },
      { name: 'agents', scope: 'AGENTS_READ', run: (k) => outcome(req(AgentsDocument, {}, k)) },
      {
        name: 'createAgent',
        scope: 'AGENTS_WRITE',
        run: (k) => outcome(req(CreateAgentDocument, { input: { name: 'Made by key', email: `k-${uniqueSkill()}@example.com`, password: 'password1' } }, k)),
      },
      { name: 'updateAgent', scope: 'AGENTS_WRITE', run: (k) => outcome(req(UpdateAgentDocument, { id: shared.agent.id, input: { maxConcurrentChats: 4 } }, k)) },
      { name: 'agentMetrics', scope: 'METRICS_READ', run: (k) => outcome(req(AgentMetricsDocument, {}, k)) },
      { name: 'apiKeys', scope: null, run: (k) => outcome(req(ApiKeysDocument, {}, k)) },
      { name: 'setStatus', scope: null, run: (k) => outcome(req(SetStatusDocument, { status: 'AWAY' }, k)) },
      { name: 'mySessions', scope: null, run: (k) => outcome(req(MySessionsDocument, {}, k)) },
      { name: 'markRead', scope: null, run: (k) => outcome(req(MarkReadDocument, { sessionId: shared.session.id, seq: 1 }, k)) },
      { name: 'rateChat', scope: null, run: (k) => outcome(req(RateChatDocument, { sessionId: shared.session.id, rating: 5 }, k)) },
    ];
  });

  it('should allow exactly its operations over HTTP and refuse the rest with FORBIDDEN naming the scope', async () => {
    const mismatches: string[] = [];
    for (const scope of ALL_SCOPES) {
      const key = await buildApiKey(t, [scope], `only ${scope}`, supervisor);
      for (const op of ops) {
        const allowed = op.scope === scope;
        const got = await op.run(key.secret, allowed);
        const expected = allowed ? {} : { code: 'FORBIDDEN', message: op.scope ? `This API key lacks the scope ${op.scope}.` : 'API keys may not do that.' };
        if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push(`${scope} ${op.name}: ${JSON.stringify(got)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('should allow exactly its subscriptions over WebSocket and refuse the rest naming the scope', async () => {
    const subs = [
      { name: 'messageAdded', scope: 'CHATS_READ', start: (c: ReturnType<typeof wsClient>) => c.subscribe(OnMessageAddedDocument, { sessionId: shared.session.id, afterSeq: 0 }) },
      { name: 'sessionUpdated', scope: 'CHATS_READ', start: (c: ReturnType<typeof wsClient>) => c.subscribe(OnSessionUpdatedDocument, { sessionId: shared.session.id }) },
      { name: 'queueUpdated', scope: 'CHATS_READ', start: (c: ReturnType<typeof wsClient>) => c.subscribe(OnQueueUpdatedDocument, {}) },
      { name: 'agentUpdated', scope: 'AGENTS_READ', start: (c: ReturnType<typeof wsClient>) => c.subscribe(OnAgentUpdatedDocument, {}) },
      { name: 'sessionAssigned', scope: null, start: (c: ReturnType<typeof wsClient>) => c.subscribe(OnSessionAssignedDocument, {}) },
    ] as const;
    const mismatches: string[] = [];
    for (const scope of ALL_SCOPES) {
      const key: TestKey = await buildApiKey(t, [scope], `ws ${scope}`, supervisor);
      const client = wsClient(t, key.secret);
      await client.connected;
      for (const sub of subs) {
        const s = sub.start(client);
        if (sub.scope === scope) {
          // Allowed: it runs and hears a change (the transcript's replay, a session or queue change, a teammate's update).
          if (sub.name === 'sessionUpdated') await t.http.ok(MarkReadDocument, { sessionId: shared.session.id, seq: 1 }, shared.visitor);
          if (sub.name === 'queueUpdated') await startChat(t, { skill: uniqueSkill() });
          if (sub.name === 'agentUpdated') await t.http.ok(UpdateAgentDocument, { id: shared.agent.id, input: { maxConcurrentChats: 5 } }, supervisor);
          const got = await s.nextResult(3000).catch((e: Error) => ({ errors: [{ message: e.message }] }));
          if (got.errors?.length) mismatches.push(`${scope} ${sub.name}: ${JSON.stringify(got.errors)}`);
        } else {
          // Refused when it starts: an error frame, or a result with errors, then the end.
          const message = JSON.stringify(await s.nextResult(3000).catch(() => s.error));
          const expected = sub.scope ? `This API key lacks the scope ${sub.scope}.` : 'API keys may not do that.';
          if (!message.includes(expected) || !message.includes('FORBIDDEN')) mismatches.push(`${scope} ${sub.name}: ${message}`);
        }
        s.dispose();
      }
      await client.dispose();
    }
    expect(mismatches).toEqual([]);
  });
});

describe('Mutation.revokeApiKey', () => {
  it('should require authentication, and refuse an unknown id', async () => {
    expect((await t.http.fail(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' })).code).toBe('UNAUTHENTICATED');
    expect((await t.http.fail(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }, supervisor)).code).toBe('NOT_FOUND');
    expect((await t.http.fail(RevokeApiKeyDocument, { id: 'nope' }, supervisor)).code).toBe('NOT_FOUND');
  });

  it('should refuse the key at once and close its open socket with 4403', async () => {
    const key = await buildApiKey(t, ['CHATS_READ', 'AGENTS_READ'], 'revoked while connected', supervisor);
    await t.http.ok(AgentsDocument, {}, key.secret); // verified, so cached
    const client = wsClient(t, key.secret);
    const stream = client.subscribe(OnAgentUpdatedDocument, {});
    await client.connected;
    const started = Date.now();
    const { revokeApiKey } = await t.http.ok(RevokeApiKeyDocument, { id: key.id }, supervisor);
    expect(revokeApiKey.revokedAt).not.toBeNull();
    const closed = await client.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(Date.now() - started).toBeLessThan(5000);
    // The client ends its subscription as it handles the close: just after `closed`, not before.
    await waitFor(async () => stream.completed, 2_000, 20);
    const { code, result } = await t.http.fail(AgentsDocument, {}, key.secret);
    expect({ code, status: result.status }).toEqual({ code: 'UNAUTHENTICATED', status: 401 });
    // Revoking again keeps the first time.
    expect((await t.http.ok(RevokeApiKeyDocument, { id: key.id }, supervisor)).revokeApiKey.revokedAt).toBe(revokeApiKey.revokedAt);
  });
});

describe('RATE_API_KEY', () => {
  it('should limit each key on its own, over HTTP and WebSocket, with RATE_LIMITED and Retry-After', async () => {
    const limited = await startWithSupervisor({ env: { RATE_LIMITS: 'on', RATE_API_KEY: '3:1', RATE_LOGIN: '100:100', RATE_LOGIN_IP: '100:100' } });
    const [a, b] = [await buildApiKey(limited.t, ['AGENTS_READ'], 'a', limited.supervisor), await buildApiKey(limited.t, ['AGENTS_READ'], 'b', limited.supervisor)];
    for (let i = 0; i < 3; i++) await limited.t.http.ok(AgentsDocument, {}, a.secret);
    const response = await fetch(limited.t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.secret}` },
      body: JSON.stringify({ query: '{ agents { id } }' }),
    });
    const body = (await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: Number(response.headers.get('retry-after')) });
    await limited.t.http.ok(AgentsDocument, {}, b.secret); // another key has its own bucket
    // The same bucket on WebSocket: b has two left; connecting takes one, the first subscription the last.
    const client = wsClient(limited.t, b.secret);
    await client.connected;
    await client.subscribe(OnAgentUpdatedDocument, {}).expectQuiet(200);
    const refused = client.subscribe(OnAgentUpdatedDocument, {});
    expect(JSON.stringify(await refused.nextResult().catch(() => refused.error))).toContain('RATE_LIMITED');
    await loginSupervisor(limited.t); // people's requests are not counted against keys
  });
});
