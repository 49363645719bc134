import { OnMessageAddedDocument, SendMessageDocument } from './generated/graphql';
import { buildOnlineAgent, startChat } from './support/factories';
import { startTestServer, type TestServer } from './support/server';
import { WsClient } from './support/ws';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});

describe('a chat, end to end', () => {
  it('should route a visitor to an online agent and carry messages both ways live', async () => {
    const agent = await buildOnlineAgent(t, { name: 'Ada' });
    const { session, token } = await startChat(t, { name: 'Vic', message: 'hello' });
    expect(session.status).toBe('ACTIVE');
    expect(session.agent?.name).toBe('Ada');
    expect(session.agent?.email).toBeNull(); // a visitor never sees agent emails

    const visitorWs = new WsClient(t.wsUrl, token);
    const feed = visitorWs.subscribe(OnMessageAddedDocument, { sessionId: session.id, afterSeq: 0 });
    expect((await feed.next()).messageAdded.body).toBe('hello');

    await t.http.ok(SendMessageDocument, { input: { sessionId: session.id, body: 'hi, how can I help?' } }, agent.token);
    const reply = (await feed.next()).messageAdded;
    expect(reply).toMatchObject({ seq: 2, author: 'AGENT', authorName: 'Ada', body: 'hi, how can I help?' });
    await visitorWs.dispose();
    await agent.socket?.dispose();
  });
});
