import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AttachmentPayload } from '../src/pubsub/topics';
import { CLEANUP_JOB } from '../src/services/files';
import { sql } from './support/env';
import { buildActiveChat, connect, startChat, waitFor } from './support/factories';
import { download, doc, gif, png, upload } from './support/desk';
import { startTestServer, type TestServer } from './support/server';

type Attachment = AttachmentPayload & { url: string };
type Sent = { sendMessage: { seq: number; body: string; attachments: Attachment[] } };
const ATTACHMENT = 'attachments { id name contentType size width height url }';
const SEND = doc<Sent>(`mutation ($input: SendMessageInput!) { sendMessage(input: $input) { seq body ${ATTACHMENT} } }`);
const TRANSCRIPT = doc<{ session: { lastSeq: number; messages: { messages: Array<{ seq: number; attachments: Attachment[] }> } } }>(
  `query ($id: ID!) { session(id: $id) { lastSeq messages { messages { seq ${ATTACHMENT} } } } }`,
);

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ env: { UPLOAD_MAX_BYTES: '4096' } });
});

describe('POST /uploads', () => {
  it('should require authentication', async () => {
    const { session } = await startChat(t);
    const res = await upload(t, undefined, png(4, 4), 'a.png', session.id);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('should store an image with its dimensions, and the agent should receive it live and download it with safe headers', async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    const live = agent.socket!.subscribe(doc<{ messageAdded: { seq: number; attachments: Attachment[] } }>(
      `subscription ($id: ID!) { messageAdded(sessionId: $id) { seq ${ATTACHMENT} } }`,
    ), { id: session.id });
    await new Promise((r) => setTimeout(r, 150));
    const image = png(12, 7);
    const res = await upload(t, visitor, image, 'screen shot.png', session.id, 'text/html');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), name: 'screen shot.png', contentType: 'image/png', size: image.length, width: 12, height: 7 });

    const { sendMessage } = await t.http.ok(SEND, { input: { sessionId: session.id, body: ' ', attachmentIds: [res.body.id] } }, visitor);
    expect(sendMessage.body).toBe('');
    expect(sendMessage.attachments).toEqual([expect.objectContaining({ id: res.body.id, width: 12, height: 7, url: expect.stringMatching(/^\/files\//) })]);
    const event = await live.next();
    expect(event.messageAdded.attachments.map((a) => a.id)).toEqual([res.body.id]);

    const file = await download(t, event.messageAdded.attachments[0].url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-security-policy')).toBe('sandbox');
    expect(file.headers.get('content-disposition')).toMatch(/^inline/);
    expect(Buffer.from(await file.arrayBuffer()).equals(image)).toBe(true);
  });

  it('should serve text and PDF as attachments, never inline, and keep the order given', async () => {
    const { agent, session } = await buildActiveChat(t);
    const text = await upload(t, agent.token, Buffer.from('order 1234\nthanks\n'), 'notes.txt', session.id);
    const pdf = await upload(t, agent.token, Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'), 'invoice.pdf', session.id);
    expect([text.status, pdf.status]).toEqual([201, 201]);
    expect([text.body.contentType, pdf.body.contentType]).toEqual(['text/plain; charset=utf-8', 'application/pdf']);
    const { sendMessage } = await t.http.ok(SEND, { input: { sessionId: session.id, body: 'Here you go', attachmentIds: [pdf.body.id, text.body.id] } }, agent.token);
    expect(sendMessage.attachments.map((a) => a.name)).toEqual(['invoice.pdf', 'notes.txt']);
    const file = await download(t, sendMessage.attachments[1].url);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''notes\.txt/);
    expect(await file.text()).toBe('order 1234\nthanks\n');
    // The transcript read later shows them too.
    const { session: read } = await t.http.ok(TRANSCRIPT, { id: session.id }, agent.token);
    expect(read.messages.messages.at(-1)!.attachments.map((a) => a.name)).toEqual(['invoice.pdf', 'notes.txt']);
  });

  it('should refuse a file over UPLOAD_MAX_BYTES with 413, while reading it', async () => {
    const { session, visitor } = await buildActiveChat(t);
    const res = await upload(t, visitor, Buffer.alloc(5000, 'a'), 'big.txt', session.id);
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0].message).toMatch(/larger than 4 KB/);
    // Streamed (no Content-Length to judge by): refused once the limit is passed.
    const big = Buffer.alloc(200_000, 'a');
    const streamed = await fetch(`${t.server.url}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${visitor}`, 'content-type': 'multipart/form-data; boundary=XX' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('--XX\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\n'));
          controller.enqueue(big);
          controller.enqueue(new TextEncoder().encode('\r\n--XX--\r\n'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('should refuse an HTML file renamed .png with 415, and a truncated PNG', async () => {
    const { session, visitor } = await buildActiveChat(t);
    const html = await upload(t, visitor, Buffer.from('<!doctype html><script>alert(1)</script>'), 'cat.png', session.id, 'image/png');
    expect(html.status).toBe(415);
    expect(html.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const exe = await upload(t, visitor, Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'), 'x.png', session.id);
    expect(exe.status).toBe(415);
    const whole = png(30, 30);
    const truncated = await upload(t, visitor, whole.subarray(0, whole.length - 30), 'cut.png', session.id);
    expect(truncated.status).toBe(400);
    expect(truncated.body.errors?.[0].message).toMatch(/truncated or corrupt/);
    expect((await upload(t, visitor, gif(), 'dot.gif', session.id)).body).toMatchObject({ contentType: 'image/gif', width: 1, height: 1 });
  });

  it('should answer NOT_FOUND for a session the uploader may not see', async () => {
    const { session } = await buildActiveChat(t);
    const stranger = await startChat(t);
    const res = await upload(t, stranger.token, png(2, 2), 'a.png', session.id);
    expect(res.status).toBe(404);
    expect(res.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
  });
});

describe('attachments', () => {
  it("should refuse someone else's upload, one used already, or an unknown id with BAD_USER_INPUT, storing nothing", async () => {
    const { agent, session, visitor } = await buildActiveChat(t);
    const mine = await upload(t, visitor, png(3, 3), 'a.png', session.id);
    const send = (token: string, ids: string[]) => t.http.fail(SEND, { input: { sessionId: session.id, body: 'look', attachmentIds: ids } }, token);
    expect((await send(agent.token, [mine.body.id])).code).toBe('BAD_USER_INPUT');
    expect((await send(visitor, ['00000000-0000-4000-8000-000000000000'])).code).toBe('BAD_USER_INPUT');
    expect((await send(visitor, ['not-an-id'])).code).toBe('BAD_USER_INPUT');
    expect((await send(visitor, Array.from({ length: 11 }, () => mine.body.id))).code).toBe('BAD_USER_INPUT');
    const before = (await t.http.ok(TRANSCRIPT, { id: session.id }, visitor)).session.lastSeq;
    expect(before).toBe(0);
    await t.http.ok(SEND, { input: { sessionId: session.id, body: 'look', attachmentIds: [mine.body.id] } }, visitor);
    expect((await send(visitor, [mine.body.id])).code).toBe('BAD_USER_INPUT');
    expect((await t.http.ok(TRANSCRIPT, { id: session.id }, visitor)).session.lastSeq).toBe(1);
  });

  it("should attach a returning visitor's upload to startChat's opening message", async () => {
    const first = await startChat(t);
    const file = await upload(t, first.token, png(5, 5), 'before.png');
    expect(file.status).toBe(201);
    const res = await t.http.ok(
      doc<{ startChat: { session: { id: string; messages: { messages: Array<{ body: string; attachments: Attachment[] }> } } } }>(
        `mutation ($input: StartChatInput!) { startChat(input: $input) { session { id messages { messages { body ${ATTACHMENT} } } } } }`,
      ),
      { input: { attachmentIds: [file.body.id] } },
      first.token,
    );
    expect(res.startChat.session.messages.messages).toEqual([{ body: '', attachments: [expect.objectContaining({ id: file.body.id, width: 5 })] }]);
    // An anonymous caller has no uploads.
    const anonymous = await t.http.fail(doc('mutation ($input: StartChatInput!) { startChat(input: $input) { visitorToken } }'), { input: { attachmentIds: [file.body.id] } });
    expect(anonymous.code).toBe('BAD_USER_INPUT');
  });
});

describe('GET /files/<id>', () => {
  it('should answer 403 to a tampered or expired URL', async () => {
    const { session, visitor } = await buildActiveChat(t);
    const file = await upload(t, visitor, png(2, 2), 'a.png', session.id);
    const url = t.app.files.url(file.body.id);
    expect((await download(t, url)).status).toBe(200);
    const tampered = url.replace(/sig=./, (m) => `sig=${m.endsWith('A') ? 'B' : 'A'}`);
    expect((await download(t, tampered)).status).toBe(403);
    const otherFile = url.replace(file.body.id, '00000000-0000-4000-8000-000000000000');
    expect((await download(t, otherFile)).status).toBe(403);
    const later = url.replace(/expires=(\d+)/, (_, e: string) => `expires=${Number(e) + 600}`);
    expect((await download(t, later)).status).toBe(403);
    const expired = t.app.files.signer.url(file.body.id, Date.now() - 3 * 3600 * 1000);
    const res = await download(t, expired);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('storage', () => {
  it('should serve through one instance a file uploaded through another (Postgres storage)', async () => {
    const other = await startTestServer({ shareWith: t });
    const { session, visitor, agent } = await buildActiveChat(t);
    const file = await upload(t, visitor, png(9, 9), 'shared.png', session.id);
    const { sendMessage } = await other.http.ok(SEND, { input: { sessionId: session.id, body: 'x', attachmentIds: [file.body.id] } }, visitor);
    const { session: read } = await other.http.ok(TRANSCRIPT, { id: session.id }, agent.token);
    const res = await download(other, read.messages.messages[0].attachments[0].url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png(9, 9))).toBe(true);
    expect(sendMessage.attachments[0].id).toBe(file.body.id);    await other.close();
  });

  it('should keep files on disk with STORAGE_DIR, and delete uploads never sent after 24 h', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-files-'));
    const disk = await startTestServer({ env: { STORAGE_DIR: dir } });
    const { session, visitor } = await buildActiveChat(disk);
    const sent = await upload(disk, visitor, png(4, 4), 'kept.png', session.id);
    await disk.http.ok(SEND, { input: { sessionId: session.id, body: 'x', attachmentIds: [sent.body.id] } }, visitor);
    const unused = await upload(disk, visitor, png(4, 4), 'forgotten.png', session.id);
    expect(fs.readdirSync(dir).sort()).toEqual([sent.body.id, unused.body.id].sort());
    expect((await sql(disk.databaseUrl, 'select data from upload where id = $1', [sent.body.id]))[0].data).toBeNull();
    const fresh = await upload(disk, visitor, png(4, 4), 'recent.png', session.id);
    await sql(disk.databaseUrl, `update upload set created_at = now() - interval '25 hours' where id = any($1::uuid[])`, [[sent.body.id, unused.body.id]]);
    await disk.app.jobs.send(null, CLEANUP_JOB, {});
    await waitFor(async () => !fs.existsSync(path.join(dir, unused.body.id)), 15000);
    expect(fs.readdirSync(dir).sort()).toEqual([sent.body.id, fresh.body.id].sort());
    const { code } = await disk.http.fail(SEND, { input: { sessionId: session.id, body: 'x', attachmentIds: [unused.body.id] } }, visitor);
    expect(code).toBe('BAD_USER_INPUT');    await disk.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("should delete a customer's files, or a session's, for erasure and retention", async () => {
    const { session, visitor } = await buildActiveChat(t);
    const sent = await upload(t, visitor, png(3, 3), 'a.png', session.id);
    await t.http.ok(SEND, { input: { sessionId: session.id, body: 'x', attachmentIds: [sent.body.id] } }, visitor);
    const url = t.app.files.url(sent.body.id);
    expect((await download(t, url)).status).toBe(200);
    const customerId = (await sql<{ customer_id: string }>(t.databaseUrl, 'select customer_id from chat_session where id = $1', [session.id]))[0].customer_id;
    expect(await t.app.files.deleteForCustomer(t.app.orm.em.fork(), customerId)).toBe(1);
    expect((await download(t, url)).status).toBe(404);
    const other = await buildActiveChat(t);
    await upload(t, other.visitor, png(3, 3), 'b.png', other.session.id);
    expect(await t.app.files.deleteForSessions(t.app.orm.em.fork(), [other.session.id])).toBe(1);
  });

  it('should count uploads against the sender’s sendMessage rate limit', async () => {
    const limited = await startTestServer({ env: { RATE_LIMITS: 'on', RATE_SEND_MESSAGE: '2:1' } });
    const { session, visitor } = await buildActiveChat(limited);
    await connect(limited);
    expect((await upload(limited, visitor, png(2, 2), 'a.png', session.id)).status).toBe(201);
    expect((await upload(limited, visitor, png(2, 2), 'b.png', session.id)).status).toBe(201);
    const third = await upload(limited, visitor, png(2, 2), 'c.png', session.id);
    expect(third.status).toBe(429);
    expect(third.body.errors?.[0].extensions.code).toBe('RATE_LIMITED');    await limited.close();
  });
});
