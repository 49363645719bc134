import { createHmac, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { CreateAgentDocument, LoginDocument, MySessionsDocument, OnMessageAddedDocument, QueueDocument, SendMessageDocument, StartChatDocument } from './generated/graphql';
import { AUTH_SECRET } from './support/env';
import { buildOnlineAgent, loginSupervisor, startChat } from './support/factories';
import { counts, RawSocket, sleep } from './support/security';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

/**
 * Contract, "Transport" and "Identities": tokens are signed and verified; a bad one is
 * UNAUTHENTICATED on HTTP and closes the socket with 4403; a socket closes with 4403 when its token
 * expires; agent tokens expire (12 h by default); identity hashes are checked.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});

const key = (secret: string) => new TextEncoder().encode(secret);

/** A token as the server would sign it, with any claims, secret and lifetime. */
function mint(claims: Record<string, unknown>, options: { secret?: string; sub: string; expiresIn?: number; issuer?: string; alg?: string }) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuer(options.issuer ?? 'switchboard')
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(key(options.secret ?? AUTH_SECRET));
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Forged supervisor tokens, each wrong in a different way. */
async function forgeries(): Promise<Array<[string, string]>> {
  const supervisor = await loginSupervisor(t);
  const [header, payload, signature] = supervisor.split('.');
  const claims = decodeJwt(supervisor);
  const visitor = (await startChat(t)).token;
  const [vHeader, , vSignature] = visitor.split('.');
  const agentId = claims.sub as string;
  return [
    ['a payload swapped under a valid signature', `${vHeader}.${payload}.${vSignature}`],
    ['a payload edited after signing', `${header}.${b64({ ...claims, sub: randomUUID() })}.${signature}`],
    ['a signature from another secret', await mint({ kind: 'agent', role: 'SUPERVISOR' }, { sub: agentId, secret: 'another-secret-another-secret-0123456' })],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    ['an expired token', await mint({ kind: 'agent', role: 'SUPERVISOR' }, { sub: agentId, expiresIn: -60 })],
    ['another issuer', await mint({ kind: 'agent', role: 'SUPERVISOR' }, { sub: agentId, issuer: 'someone-else' })],
    ['an unknown kind', await mint({ kind: 'admin', role: 'SUPERVISOR' }, { sub: agentId })],
    ['a truncated token', supervisor.slice(0, -5)],
    ['garbage', 'not.a.token'],
  ];
}

describe('forged and foreign tokens', () => {
  it('should be UNAUTHENTICATED on HTTP, whatever the operation, with nothing run', async () => {
    const forged = await forgeries();
    const before = await counts(t);
    for (const [what, token] of forged) {
      const create = await t.http.request(CreateAgentDocument, { input: { name: 'Forged', email: `f-${randomUUID()}@example.com`, password: 'password123' } }, token);
      const chat = await t.http.request(StartChatDocument, { input: { name: 'Forged' } }, token);
      for (const result of [create, chat]) {
        expect({ what, status: result.status, extensions: result.errors?.[0].extensions }).toEqual({ what, status: 401, extensions: { code: 'UNAUTHENTICATED' } });
        expect(result.data).toBeNull();
      }
    }
    expect(await counts(t)).toEqual(before);
  });

  it('should refuse a malformed authorization header', async () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'token']) {
      const result = await t.http.request(QueueDocument, {}, undefined, { authorization: header });
      expect(result.status).toBe(401);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.data).toBeNull();
    }
  });

  it('should close the socket with 4403 at connection_init, with nothing run', async () => {
    const params: unknown[] = [...(await forgeries()).map(([, token]) => `Bearer ${token}`), 'Basic x', 42, { token: 'x' }];
    const before = await counts(t);
    for (const authorization of params) {
      const socket = new RawSocket(t.wsUrl);
      await socket.opened;
      socket.send({ type: 'connection_init', payload: { authorization } });
      expect({ authorization, code: (await socket.closed).code }).toEqual({ authorization, code: 4403 });
      expect(socket.frames.filter((f) => f.type === 'connection_ack' || f.type === 'next')).toEqual([]);
    }
    expect(await counts(t)).toEqual(before);
  });
});

describe('token expiry', () => {
  it('should close a socket with 4403 when its token expires, leaving other sockets open', async () => {
    const agent = await buildOnlineAgent(t);
    const chat = await startChat(t, { message: 'hi' });
    const customerId = decodeJwt(chat.token).sub as string;
    const shortLived = await mint({ kind: 'visitor' }, { sub: customerId, expiresIn: 4 });
    const expiring = new WsClient(t.wsUrl, shortLived);
    const lasting = new WsClient(t.wsUrl, chat.token);
    const doomed = expiring.subscribe(OnMessageAddedDocument, { sessionId: chat.session.id });
    const kept = lasting.subscribe(OnMessageAddedDocument, { sessionId: chat.session.id });
    await Promise.all([expiring.connected, lasting.connected]);
    await sleep(200);
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'before expiry' } }, agent.token);
    expect((await doomed.next(5000)).messageAdded.body).toBe('before expiry');

    const closed = await expiring.closed;
    expect(closed.code).toBe(4403);
    expect(Date.now()).toBeGreaterThanOrEqual((decodeJwt(shortLived).exp! - 1) * 1000);
    await t.http.ok(SendMessageDocument, { input: { sessionId: chat.session.id, body: 'after expiry' } }, agent.token);
    expect((await kept.take(2, 5000)).map((m) => m.messageAdded.body)).toEqual(['before expiry', 'after expiry']);
    expect(doomed.received.map((m) => m.messageAdded.body)).toEqual(['before expiry']);
    // And the expired token is refused outright from then on.
    const http = await t.http.request(MySessionsDocument, {}, shortLived);
    expect(http.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await expiring.dispose();
    await lasting.dispose();
    await agent.socket?.dispose();
  }, 20000);

  it('should give agent tokens a 12 h lifetime by default', async () => {
    const claims = decodeJwt(await loginSupervisor(t));
    expect(claims.exp! - claims.iat!).toBe(12 * 3600);
  });

  it('should take the agent token lifetime from AGENT_TOKEN_TTL_SECONDS', async () => {
    const short = await startTestServer({ env: { AGENT_TOKEN_TTL_SECONDS: '120' } });
    try {
      const claims = decodeJwt(await loginSupervisor(short));
      expect(claims.exp! - claims.iat!).toBe(120);
      expect(decodeJwt((await startChat(short)).token).exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(24 * 3600);
    } finally {
      await short.close();
    }
  });
});

describe('identity hashes', () => {
  const SECRET = 'identity-secret-for-tests';
  const hash = (externalId: string, secret = SECRET) => createHmac('sha256', secret).update(externalId).digest('hex');
  let idt: TestServer;
  beforeAll(async () => {
    idt = await startTestServer({ env: { IDENTITY_SECRET: SECRET } });
  });

  it('should link a valid pair to the same verified customer', async () => {
    const first = await startChat(idt, { externalId: 'user-1', identityHash: hash('user-1') });
    const second = await startChat(idt, { externalId: 'user-1', identityHash: hash('user-1').toUpperCase() });
    expect(first.session.customer.verified).toBe(true);
    expect(second.session.customer.id).toBe(first.session.customer.id);
  });

  it('should refuse a wrong hash with FORBIDDEN, storing nothing', async () => {
    await startChat(idt, { externalId: 'user-2', identityHash: hash('user-2') });
    const before = await counts(idt);
    for (const identityHash of [hash('user-3'), hash('user-2', 'wrong-secret'), 'zz', '', hash('user-2').slice(0, 63)]) {
      const result = await idt.http.request(StartChatDocument, { input: { name: 'Impostor', externalId: 'user-2', identityHash, message: 'let me in' } });
      expect({ identityHash, code: result.errors?.[0].extensions?.code }).toEqual({ identityHash, code: 'FORBIDDEN' });
      expect(result.data).toBeNull();
    }
    expect(await counts(idt)).toEqual(before);
  });

  it('should never link an externalId without a hash to the existing customer', async () => {
    const owner = await startChat(idt, { externalId: 'user-4', identityHash: hash('user-4'), message: 'private' });
    const stranger = await startChat(idt, { externalId: 'user-4', message: 'who am I' });
    expect(stranger.session.customer.id).not.toBe(owner.session.customer.id);
    expect(stranger.session.customer.verified).toBe(false);
    const theirs = await idt.http.ok(MySessionsDocument, {}, stranger.token);
    expect(theirs.mySessions.map((s) => s.id)).toEqual([stranger.session.id]);
    // Nor does a visitor token carrying someone else's externalId.
    const again = await startChat(idt, { externalId: 'user-4' }, stranger.token);
    expect(again.session.customer.id).toBe(stranger.session.customer.id);
  });

  it('should never link anything when IDENTITY_SECRET is unset, whatever hash is sent', async () => {
    const owner = await startChat(t, { externalId: 'user-5', identityHash: hash('user-5') });
    const other = await startChat(t, { externalId: 'user-5', identityHash: hash('user-5') });
    expect(owner.session.customer.verified).toBe(false);
    expect(other.session.customer.verified).toBe(false);
    expect(other.session.customer.id).not.toBe(owner.session.customer.id);
  });
});

describe('login', () => {
  it('should refuse a wrong password or unknown email alike, issuing nothing', async () => {
    const agent = await buildOnlineAgent(t);
    const wrong = await t.http.request(LoginDocument, { email: agent.email, password: 'not-the-password' });
    const unknown = await t.http.request(LoginDocument, { email: `nobody-${randomUUID()}@example.com`, password: 'not-the-password' });
    expect(wrong.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(unknown.errors?.[0].message).toBe(wrong.errors?.[0].message);
    expect(wrong.data).toBeNull();
    await agent.socket?.dispose();
  });
});
