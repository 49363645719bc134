import { ChangePasswordDocument, CloseChatDocument, EraseCustomerDocument, LoginDocument, ManageAgentDocument, MySessionsDocument } from './generated/graphql';
import { TcpProxy, type Instance } from './support/cluster';
import { clusterForFile } from './support/cluster-file';
import { TEST_REDIS_URL } from './support/env';
import { buildOnlineAgent, connect, loginSupervisor, startChat, tokenAnswer, waitFor } from './support/factories';

/**
 * Revocation across real server processes (team extension: "Agents", "Personal data"): what one
 * instance revokes, every other refuses within 5 seconds, and closes the sockets it holds with
 * 4403; an instance that was cut off from Redis meanwhile does not trust what it had cached.
 */
jest.setTimeout(180_000);

const two = clusterForFile({ count: 2 });
let a: Instance, b: Instance;
beforeAll(() => ([a, b] = two.instances));

/** Milliseconds until `token` is refused on `instance` (fails after 5 s). */
async function refusedWithin(instance: Instance, token: string): Promise<number> {
  const started = Date.now();
  await waitFor(async () => (await tokenAnswer(instance, token)) === '401 UNAUTHENTICATED', 5000, 20);
  return Date.now() - started;
}

describe('revocation on every instance', () => {
  it("should refuse a deactivated agent's token on the other instance within 5 s and close its console there with 4403", async () => {
    const agent = await buildOnlineAgent(b); // its console socket is on B
    expect(await tokenAnswer(b, agent.token)).toBe('ok'); // B has verified (and cached) the token
    const supervisor = await loginSupervisor(a);

    await a.http.ok(ManageAgentDocument, { id: agent.id, input: { active: false } }, supervisor);
    const ms = await refusedWithin(b, agent.token);
    console.log(`a deactivated agent's token refused on the other instance after ${ms} ms`);
    expect(ms).toBeLessThan(5000);
    expect(await agent.socket!.closed).toMatchObject({ code: 4403 });
    expect((await b.http.fail(LoginDocument, { email: agent.email, password: agent.password })).code).toBe('UNAUTHENTICATED');
  });

  it('should refuse every token from before a password change on every instance, and accept the new password everywhere', async () => {
    const agent = await buildOnlineAgent(a);
    const { login: onB } = await b.http.ok(LoginDocument, { email: agent.email, password: agent.password });
    const socketOnB = await connect(b, onB.token);
    expect(await tokenAnswer(b, onB.token)).toBe('ok');

    await a.http.ok(ChangePasswordDocument, { currentPassword: agent.password, newPassword: 'fresh-password-1' }, agent.token);
    expect(await refusedWithin(b, onB.token)).toBeLessThan(5000);
    expect(await refusedWithin(a, agent.token)).toBeLessThan(5000);
    expect(await socketOnB.closed).toMatchObject({ code: 4403 });
    const { login } = await b.http.ok(LoginDocument, { email: agent.email, password: 'fresh-password-1' });
    expect(await tokenAnswer(a, login.token)).toBe('ok');
  });

  it("should refuse an erased customer's visitor token, and close its socket, on an instance that was cut off from Redis when it happened", async () => {
    const proxy = await TcpProxy.to(TEST_REDIS_URL);
    const c = await two.cluster.add({ REDIS_URL: proxy.rewrite(TEST_REDIS_URL) });
    const { session, token: visitor } = await startChat(c, { name: 'Ines Cutoff' });
    await c.http.ok(CloseChatDocument, { sessionId: session.id }, visitor);
    await c.http.ok(MySessionsDocument, {}, visitor); // C has verified (and cached) the visitor token
    const widget = await connect(c, visitor);

    await proxy.refuse(); // C hears nothing from Redis now
    await waitFor(async () => (await c.get('/readyz')).status === 503, 10_000);
    const supervisor = await loginSupervisor(a);
    await a.http.ok(EraseCustomerDocument, { customerId: session.customer.id }, supervisor);
    expect((await b.http.fail(MySessionsDocument, {}, visitor)).code).toBe('UNAUTHENTICATED');

    await proxy.restore();
    await waitFor(async () => (await c.get('/readyz')).status === 200, 15_000);
    expect(await refusedWithin(c, visitor)).toBeLessThan(5000);
    // Its widget's socket, open on C all along, is checked again once C hears the bus.
    expect(await widget.closed).toMatchObject({ code: 4403 });
  });
});
