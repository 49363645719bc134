import { buildActiveChat } from './support/factories';
import { doc, download, png, upload } from './support/desk';
import { startCluster, type Cluster } from './support/cluster';

/** Files across instances (desk: "Files"): two server processes on one Postgres, files stored in it. */
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ count: 2 });
}, 120_000);

describe('files across instances', () => {
  it('should serve through one process a file uploaded through another, signed by either', async () => {
    const [a, b] = cluster.instances;
    const { session, visitor, agent } = await buildActiveChat(a);
    const image = png(20, 10);
    const uploaded = await upload(a, visitor, image, 'across.png', session.id);
    expect(uploaded.status).toBe(201);
    const SEND = doc<{ sendMessage: { attachments: Array<{ id: string; url: string }> } }>(
      'mutation ($i: SendMessageInput!) { sendMessage(input: $i) { attachments { id url } } }',
    );
    const { sendMessage } = await b.http.ok(SEND, { i: { sessionId: session.id, body: 'via b', attachmentIds: [uploaded.body.id] } }, visitor);
    const READ = doc<{ session: { messages: { messages: Array<{ attachments: Array<{ url: string }> }> } } }>(
      'query ($id: ID!) { session(id: $id) { messages { messages { attachments { url } } } } }',
    );
    const urlFromA = (await a.http.ok(READ, { id: session.id }, agent.token)).session.messages.messages[0].attachments[0].url;
    for (const [through, url] of [[b, urlFromA], [a, sendMessage.attachments[0].url]] as const) {
      const res = await download(through, url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);
    }
  });
});
