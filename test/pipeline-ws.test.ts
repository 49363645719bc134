/**
 * The WebSocket side of the one pipeline: graphql-ws's and ws's complaints about a client go
 * through pino at warn, one line (never a raw console.error stack outside the JSON log), and a
 * document is prepared once for both transports.
 */
import { MAX_BODY_BYTES } from '../src/http/limits';
import { startChat } from './support/factories';
import { RawSocket } from './support/security';
import { startTestServer, type TestServer } from './support/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close()); // closes every socket still open (1001)

afterEach(() => jest.restoreAllMocks());

async function openSocket(token?: string): Promise<RawSocket> {
  const socket = new RawSocket(t.wsUrl);
  await socket.init(token);
  return socket;
}

/** Spies on console.error and on the logger's warn; `lines` are the warnings' messages and fields, as one string each. */
function watchLogs() {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const warn = jest.spyOn(t.app.logger, 'warn');
  return { consoleError, lines: () => warn.mock.calls.map((call) => JSON.stringify(call)) };
}

describe('WebSocket errors in the log', () => {
  it('should log an oversized frame at warn, one line, and close only that socket with 1009', async () => {
    const logs = watchLogs();
    const other = await openSocket();
    const socket = await openSocket();
    socket.send('x'.repeat(MAX_BODY_BYTES + 1));
    expect((await socket.closed).code).toBe(1009);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.consoleError).not.toHaveBeenCalled();
    const lines = logs.lines().filter((l) => /Max payload size exceeded/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\\n\s+at /); // no stack
    expect(other.isOpen).toBe(true);
  });

  it("should log a server-only message type sent by a client at warn, one line, and close with 4400", async () => {
    const logs = watchLogs();
    const socket = await openSocket();
    socket.send({ id: '1', type: 'next', payload: { data: {} } });
    expect(await socket.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
    expect(logs.consoleError).not.toHaveBeenCalled();
    const lines = logs.lines().filter((l) => /Unexpected message of type next/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\\n\s+at /);
  });
});

describe('one prepared-document cache for HTTP and WebSocket', () => {
  it('should parse and validate a document once, whichever transport sends it first', async () => {
    const { session, token } = await startChat(t, { name: 'Cache' });
    // A source of its own, so that no other test has cached it.
    const query = `query Once($id: ID!) { session(id: $id) { id status } } # ${session.id}`;
    const lookups = async () => Object.fromEntries((await t.app.metrics.documentCache.get()).values.map((v) => [v.labels.result, v.value]));
    const before = await lookups();
    expect((await t.http.request(query, { id: session.id }, token)).data).toEqual({ session: { id: session.id, status: session.status } });
    const socket = await openSocket(token);
    expect((await socket.run(query, { id: session.id })).data).toEqual({ session: { id: session.id, status: session.status } });
    const after = await lookups();
    expect((after.miss ?? 0) - (before.miss ?? 0)).toBe(1);
    expect((after.hit ?? 0) - (before.hit ?? 0)).toBeGreaterThanOrEqual(1);
    const ws = (await t.app.metrics.operations.get()).values.find((v) => v.labels.path === 'ws' && v.labels.type === 'query');
    expect(ws?.value).toBeGreaterThanOrEqual(1);
  });
});
