/**
 * The reconnect storm's load generator (a child of bench/storm.ts, IPC as bench/load.ts):
 *   setup    - `count` widgets: startChat (each with a first message, seq 1) through `url`, then
 *              one messageAdded socket each on `wsUrl` (instance A), live once seq 1 arrives;
 *   consoles - agents' console sockets on A (sessionAssigned), so chats are routed to them;
 *   watch    - agents' messageAdded streams of their chats, on A;
 *   warm     - `count` other widgets (not measured, not sent to) start chats through `url` and
 *              subscribe on `wsUrl` (instance B) once each, then leave: B has served before the
 *              storm, as a running instance has, rather than compiling its code under it;
 *   arm      - from now on a socket that closes reconnects to `wsUrl` (instance B) after a random
 *              pause of up to `jitterMs`, and resubscribes with afterSeq = last - 1: the one known
 *              message coming back proves the new subscription live (it is not counted twice);
 *   send     - open-loop sends to this process's widgets' sessions at `rate`/s for `seconds`;
 *   report   - per stream: when it had every acknowledged message of its session again after
 *              the kill, and any gap, duplicate or message missing at the end.
 */
import WebSocket from 'ws';
import { MESSAGE_ADDED, SEND_MESSAGE, serveCommands, sleep, START_CHAT } from './common';

interface Stream {
  sessionId: string;
  token: string;
  kind: 'widget' | 'agent' | 'console';
  last: number;
  ws?: WebSocket;
  /** The reconnect's afterSeq (last - 1): that one message coming back is expected once. */
  echo: number | null;
  live: boolean;
  droppedAt?: number;
  resubscribedAt?: number;
  /** The reconnect's phases: TCP + upgrade done, connection_ack received, first event. */
  openAt?: number;
  ackAt?: number;
  liveAt?: number;
  caughtUpAt?: number;
  reconnects: number;
  gaps: number;
  duplicates: number;
}

const streams: Stream[] = [];
const bySession = new Map<string, Stream[]>();
const maxAcked = new Map<string, number>();
const tokens = new Map<string, string>();
let target = '';
let armed = false;
let jitterMs = 1000;
let sent = 0;
let sendErrors = 0;
const errorSamples: string[] = [];
const ASSIGNED = 'subscription { sessionAssigned { id } }';

const note = (e: string) => errorSamples.length < 5 && errorSamples.push(e.slice(0, 200));

function caughtUp(s: Stream): void {
  if (armed && s.live && s.resubscribedAt && !s.caughtUpAt && s.last >= (maxAcked.get(s.sessionId) ?? 0)) s.caughtUpAt = Date.now();
}

function onMessage(s: Stream, seq: number): void {
  if (!s.live && s.resubscribedAt) s.liveAt ??= Date.now();
  s.live = true;
  if (s.echo !== null && seq === s.echo + 1 && seq === s.last) s.echo = null;
  else if (seq === s.last + 1) s.last = seq;
  else if (seq <= s.last) s.duplicates++;
  else {
    s.gaps++;
    s.last = seq;
  }
  caughtUp(s);
}

/** Opens `s`'s socket on `url` and subscribes; resolves once the first event arrives (or the ack, for a console). */
function connect(s: Stream, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    s.ws = ws;
    s.live = false;
    const timer = setTimeout(() => reject(new Error(`not live within 60 s (${ws.readyState === WebSocket.OPEN ? 'open' : 'not open'})`)), 60_000);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.on('open', () => {
      if (s.resubscribedAt) s.openAt ??= Date.now();
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${s.token}` } }));
    });
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString('utf8')) as { type: string; payload?: { data?: { messageAdded?: { seq: number } }; errors?: unknown } };
      if (frame.type === 'connection_ack') {
        if (s.resubscribedAt) s.ackAt ??= Date.now();
        const payload = s.kind === 'console' ? { query: ASSIGNED } : { query: MESSAGE_ADDED, variables: { sessionId: s.sessionId, afterSeq: s.echo ?? s.last } };
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload }));
        if (s.kind === 'console') ready();
      } else if (frame.type === 'next' && frame.payload?.data?.messageAdded) {
        onMessage(s, frame.payload.data.messageAdded.seq);
        ready();
      } else if ((frame.type === 'next' && s.kind !== 'console') || frame.type === 'error') {
        note(`subscription error: ${JSON.stringify(frame.payload)}`);
        clearTimeout(timer);
        reject(new Error(`subscription error: ${JSON.stringify(frame.payload).slice(0, 200)}`));
      }
      else if (frame.type === 'ping') ws.send('{"type":"pong"}');
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (s.ws !== ws) return;
      s.live = false;
      if (!armed) return reject(new Error('closed before the storm'));
      s.droppedAt ??= Date.now();
      setTimeout(() => void reconnect(s), Math.random() * jitterMs);
    });
  });
}

async function reconnect(s: Stream): Promise<void> {
  s.reconnects++;
  if (s.kind !== 'console') s.echo = Math.max(0, s.last - 1);
  s.resubscribedAt = Date.now();
  await connect(s, target).catch((error: Error) => note(`reconnect: ${error.message}`));
}

async function pooled<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const json = (await res.json()) as { data?: T; errors?: unknown };
  if (!json.data || json.errors) throw new Error(JSON.stringify(json.errors ?? res.status));
  return json.data;
}

function track(s: Stream): Stream {
  streams.push(s);
  bySession.set(s.sessionId, [...(bySession.get(s.sessionId) ?? []), s]);
  return s;
}

const blank = { echo: null, live: false, reconnects: 0, gaps: 0, duplicates: 0 };

async function setup(cmd: { url: string; wsUrl: string; count: number; tag: string }) {
  const ids = Array.from({ length: cmd.count }, (_, i) => i);
  const created: Stream[] = [];
  await pooled(ids, 16, async (i) => {
    const { startChat } = await gql<{ startChat: { visitorToken: string; session: { id: string } } }>(cmd.url, START_CHAT, { input: { name: `Storm ${i}`, message: 'hello', clientMessageId: `${cmd.tag}-${i}` } });
    tokens.set(startChat.session.id, startChat.visitorToken);
    maxAcked.set(startChat.session.id, 1);
    created.push(track({ sessionId: startChat.session.id, token: startChat.visitorToken, kind: 'widget', last: 0, ...blank }));
  });
  // A busy machine can make one fail; a widget tries three times (its failures are reported).
  await pooled(created, 50, async (s) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await connect(s, cmd.wsUrl);
      } catch (error) {
        s.ws?.terminate();
        if (attempt === 3) throw error;
        note(`setup attempt ${attempt}: ${(error as Error).message}`);
      }
    }
  });
  return { widgets: created.length };
}

async function warm(cmd: { url: string; wsUrl: string; count: number; tag: string }) {
  const ids = Array.from({ length: cmd.count }, (_, i) => i);
  await pooled(ids, 16, async (i) => {
    const { startChat } = await gql<{ startChat: { visitorToken: string; session: { id: string } } }>(cmd.url, START_CHAT, { input: { name: `Warm ${i}`, message: 'hello', clientMessageId: `${cmd.tag}-${i}` } });
    const s: Stream = { sessionId: startChat.session.id, token: startChat.visitorToken, kind: 'widget', last: 0, ...blank };
    await connect(s, cmd.wsUrl);
    const ws = s.ws;
    s.ws = undefined; // its close is not a drop to reconnect
    ws?.close();
  });
  return { warmed: cmd.count };
}

async function send(cmd: { url: string; rate: number; seconds: number }) {
  const sessions = [...tokens.keys()];
  const start = Date.now();
  const total = Math.round(cmd.rate * cmd.seconds);
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / cmd.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    const sessionId = sessions[Math.floor(Math.random() * sessions.length)];
    const p = gql<{ sendMessage: { seq: number } }>(cmd.url, SEND_MESSAGE, { input: { sessionId, body: `storm ${i}`, clientMessageId: `${process.pid}-${start}-${i}` } }, tokens.get(sessionId))
      .then(({ sendMessage }) => {
        sent++;
        maxAcked.set(sessionId, Math.max(maxAcked.get(sessionId) ?? 0, sendMessage.seq));
        for (const s of bySession.get(sessionId) ?? []) caughtUp(s);
      })
      .catch((error: Error) => {
        sendErrors++;
        note(`send: ${error.message}`);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { sent, sendErrors };
}

function report(cmd: { killAt: number }) {
  const measured = streams.filter((s) => s.kind !== 'console');
  const behind = measured.filter((s) => s.last < (maxAcked.get(s.sessionId) ?? 0));
  return {
    streams: measured.length,
    consoles: streams.length - measured.length,
    reconnected: measured.filter((s) => s.resubscribedAt).length,
    catchUpMs: measured.filter((s) => s.caughtUpAt).map((s) => s.caughtUpAt! - cmd.killAt),
    reconnectDelayMs: measured.filter((s) => s.resubscribedAt).map((s) => s.resubscribedAt! - cmd.killAt),
    // Where a resubscription's time goes: socket open (TCP + upgrade), then connection_ack, then the first event.
    openMs: measured.filter((s) => s.openAt).map((s) => s.openAt! - s.resubscribedAt!),
    ackMs: measured.filter((s) => s.ackAt && s.openAt).map((s) => s.ackAt! - s.openAt!),
    firstEventMs: measured.filter((s) => s.liveAt && s.ackAt).map((s) => s.liveAt! - s.ackAt!),
    neverCaughtUp: measured.filter((s) => !s.caughtUpAt).length,
    lost: behind.reduce((n, s) => n + (maxAcked.get(s.sessionId)! - s.last), 0),
    gaps: measured.reduce((n, s) => n + s.gaps, 0),
    duplicates: measured.reduce((n, s) => n + s.duplicates, 0),
    sent,
    sendErrors,
    errorSamples,
  };
}

type Command = { id?: number } & (
  | ({ cmd: 'setup' } & Parameters<typeof setup>[0])
  | { cmd: 'consoles'; wsUrl: string; tokens: string[] }
  | { cmd: 'watch'; wsUrl: string; chats: Array<{ token: string; sessionId: string }> }
  | ({ cmd: 'warm' } & Parameters<typeof warm>[0])
  | { cmd: 'arm'; wsUrl: string; jitterMs: number }
  | ({ cmd: 'send' } & Parameters<typeof send>[0])
  | ({ cmd: 'report' } & Parameters<typeof report>[0])
  | { cmd: 'status' }
  | { cmd: 'exit' }
);

serveCommands(async (msg: Command): Promise<unknown> => {
  switch (msg.cmd) {
    case 'setup':
      return setup(msg);
    case 'consoles':
      for (const token of msg.tokens) await connect(track({ sessionId: `console:${token.slice(-12)}`, token, kind: 'console', last: 0, ...blank }), msg.wsUrl);
      return { consoles: msg.tokens.length };
    case 'watch':
      await pooled(msg.chats, 20, (c) => connect(track({ sessionId: c.sessionId, token: c.token, kind: 'agent', last: 0, ...blank }), msg.wsUrl));
      return { watching: msg.chats.length };
    case 'warm':
      return warm(msg);
    case 'arm':
      target = msg.wsUrl;
      jitterMs = msg.jitterMs;
      armed = true;
      return { armed };
    case 'send':
      return send(msg);
    case 'status':
      return {
        live: streams.filter((s) => s.live).length,
        // Consoles carry no messages to catch up on: the streams are the widgets' and the agents' chats.
        caughtUp: streams.filter((s) => s.kind !== 'console' && s.caughtUpAt).length,
        total: streams.filter((s) => s.kind !== 'console').length,
        behind: streams.filter((s) => s.kind !== 'console' && s.last < (maxAcked.get(s.sessionId) ?? 0)).length,
      };
    case 'report':
      return report(msg);
    case 'exit':
      for (const s of streams) s.ws?.terminate();
      setTimeout(() => process.exit(0), 50);
      return { bye: true };
  }
});
