/**
 * A load generator, run as a child process of bench/run.ts (IPC channel) so that its CPU is not
 * the server's. Commands (see LoadCommand in common.ts):
 *   setup  - S startChat calls (each with a first message, seq 1), then one messageAdded
 *            subscriber per session (afterSeq 0: seq 1 arriving proves the subscription is live);
 *   closed - C closed-loop senders for T seconds over keep-alive HTTP;
 *   open   - open loop at a fixed offered rate (latency from the scheduled send time);
 *   idle   - open idle subscribed sockets (one session each), kept until exit.
 * Latency is from the send to the subscriber's receipt, both in this process.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  cpuSplit,
  machineTicks,
  MESSAGE_ADDED,
  SEND_MESSAGE,
  serveCommands,
  sleep,
  START_CHAT,
  summarize,
  type LoadCommand,
  type LoadResult,
} from './common';

interface Delivered {
  id: string;
  sessionId: string;
  seq: number;
  clientMessageId: string | null;
}

interface Session {
  id: string;
  token: string;
  customerId: string;
  /** Last seq delivered to this session's subscriber. */
  last: number;
  ws?: WebSocket;
}

interface Pending {
  t0: number;
  acked: boolean;
  received: boolean;
  counted: boolean;
}

const sessions: Session[] = [];
const byId = new Map<string, Session>();
const pending = new Map<string, Pending>();
const idleSockets: WebSocket[] = [];
let idleClosed = 0;
const idleCloseSamples: string[] = [];
let failedIdle = 0;
let hotEnded = 0;
const hotEndedSamples: string[] = [];
let misordered = 0;
let duplicates = 0;
let latencies: number[] = [];
let agent: http.Agent;
let target: URL;
const runTag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let counter = 0;

/**
 * What Apollo Client 4's HttpLink sends: this Accept header, and a body of operationName,
 * variables, extensions (its client-awareness `clientLibrary`) and query, in that order.
 */
const APOLLO_CLIENT_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';
const APOLLO_CLIENT_LIBRARY = { clientLibrary: { name: '@apollo/client', version: '4.3.8' } };

function apolloClientBody(query: string, operationName: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ operationName, variables, extensions: APOLLO_CLIENT_LIBRARY, query });
}

function post(body: string, token?: string): Promise<{ status: number; json: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> } }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { accept: APOLLO_CLIENT_ACCEPT, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (token) headers.authorization = `Bearer ${token}`;
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a graphql-transport-ws socket and subscribes to messageAdded; resolves on the first event. */
function subscribe(wsUrl: string, token: string, sessionId: string, afterSeq: number, localAddress: string | undefined, onMessage: (m: Delivered) => void, onClose: (why: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false, localAddress });
    let live = false;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error('subscription not live within 60 s')), 60_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { type: string; payload?: { data?: { messageAdded: Delivered }; errors?: unknown } };
      switch (frame.type) {
        case 'connection_ack':
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { operationName: 'MessageAdded', variables: { sessionId, afterSeq }, query: MESSAGE_ADDED } }));
          break;
        case 'next': {
          const m = frame.payload?.data?.messageAdded;
          if (!m) {
            fail(new Error(`subscription error: ${JSON.stringify(frame.payload?.errors)}`));
            break;
          }
          onMessage(m);
          if (!live) {
            live = true;
            settled = true;
            clearTimeout(timer);
            resolve(ws);
          }
          break;
        }
        case 'error':
          fail(new Error(`subscription error: ${JSON.stringify(frame.payload)}`));
          break;
        case 'complete':
          if (live) onClose('complete');
          else fail(new Error('completed before the first event'));
          break;
        case 'ping':
          ws.send('{"type":"pong"}');
          break;
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (!live) fail(new Error(`closed ${code} ${reason.toString()}`));
      else onClose(`closed ${code} ${reason.toString()}`);
    });
    ws.on('error', (error: Error) => fail(error));
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pooled<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function deliver(m: Delivered): void {
  const s = byId.get(m.sessionId);
  if (s) {
    if (m.seq === s.last + 1) s.last = m.seq;
    else if (m.seq <= s.last) duplicates++;
    else {
      misordered++;
      s.last = m.seq;
    }
  }
  if (m.clientMessageId) {
    const p = pending.get(m.clientMessageId);
    if (p && !p.received) {
      p.received = true;
      if (p.counted) latencies.push(performance.now() - p.t0);
    }
  }
}

async function setup(cmd: Extract<LoadCommand, { cmd: 'setup' }>) {
  target = new URL(cmd.url);
  agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const started = performance.now();
  const errors: string[] = [];
  await pooled(
    Array.from({ length: cmd.sessions }, (_, i) => i),
    cmd.concurrency,
    async (i) => {
      const res = await post(apolloClientBody(START_CHAT, 'StartChat', { input: { name: `Bench ${i}`, message: 'hello', clientMessageId: `${runTag}-start-${i}` } }));
      const d = res.json.data?.startChat as { visitorToken: string; session: { id: string; customer: { id: string } } } | undefined;
      if (!d) {
        errors.push(JSON.stringify(res.json.errors ?? res.status));
        return;
      }
      const s: Session = { id: d.session.id, token: d.visitorToken, customerId: d.session.customer.id, last: 0 };
      sessions.push(s);
      byId.set(s.id, s);
    },
  );
  if (errors.length) throw new Error(`startChat failed ${errors.length} times: ${errors.slice(0, 3).join('; ')}`);
  const startChatSeconds = (performance.now() - started) / 1000;
  const subStarted = performance.now();
  await pooled(sessions, 50, async (s, i) => {
    s.ws = await subscribe(cmd.wsUrl, s.token, s.id, 0, cmd.localAddresses[i % cmd.localAddresses.length], deliver, (why) => {
      hotEnded++;
      if (hotEndedSamples.length < 5) hotEndedSamples.push(`${s.id}: ${why}`);
    });
  });
  return { sessions: sessions.length, startChatPerSecond: sessions.length / startChatSeconds, subscribeSeconds: (performance.now() - subStarted) / 1000 };
}

type CpuSample = ReturnType<typeof cpuSplit>;

interface Window {
  sent: number;
  errors: number;
  errorSamples: string[];
  responses: number[];
}

/** One sendMessage with a unique clientMessageId; latency starts at `t0`. */
async function sendOne(w: Window, t0: number, counted: boolean): Promise<void> {
  const s = sessions[counter % sessions.length];
  const cmid = `${runTag}-${counter++}`;
  const p: Pending = { t0, acked: false, received: false, counted };
  pending.set(cmid, p);
  try {
    const res = await post(apolloClientBody(SEND_MESSAGE, 'SendMessage', { input: { sessionId: s.id, body: `message ${cmid}`, clientMessageId: cmid } }), s.token);
    const m = res.json.data?.sendMessage as { seq: number } | undefined;
    if (!m || res.json.errors) throw new Error(JSON.stringify(res.json.errors ?? res.status));
    p.acked = true;
    if (counted) {
      w.sent++;
      w.responses.push(performance.now() - t0);
    }
  } catch (error) {
    pending.delete(cmid);
    w.errors++;
    if (w.errorSamples.length < 5) w.errorSamples.push(String((error as Error).message ?? error).slice(0, 300));
  }
}

async function drain(ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    let waiting = 0;
    for (const p of pending.values()) if (p.acked && !p.received) waiting++;
    if (!waiting || performance.now() > deadline) return;
    await sleep(10);
  }
}

function finish(w: Window, seconds: number, cpu0: CpuSample, cpu1: CpuSample, m0: ReturnType<typeof machineTicks>, m1: ReturnType<typeof machineTicks>, own0: NodeJS.CpuUsage): LoadResult {
  let lost = 0;
  for (const p of pending.values()) if (p.counted && p.acked && !p.received) lost++;
  const own = process.cpuUsage(own0);
  const result: LoadResult = {
    sent: w.sent,
    lost,
    misordered,
    duplicates,
    errors: w.errors,
    errorSamples: w.errorSamples,
    seconds,
    rate: w.sent / seconds,
    latency: summarize(latencies),
    response: summarize(w.responses),
    serverCpuMicros: cpu1.user + cpu1.system - cpu0.user - cpu0.system,
    serverSysMicros: cpu1.system - cpu0.system,
    machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
    clientCpuMicros: own.user + own.system,
    subscribersEnded: hotEnded,
    subscribersEndedSamples: hotEndedSamples.slice(),
  };
  pending.clear();
  latencies = [];
  misordered = 0;
  duplicates = 0;
  return result;
}

async function closedLoop(cmd: Extract<LoadCommand, { cmd: 'closed' }>): Promise<LoadResult> {
  const w: Window = { sent: 0, errors: 0, errorSamples: [], responses: [] };
  latencies = [];
  const m0 = machineTicks();
  const own0 = process.cpuUsage();
  const cpu0 = cpuSplit(cmd.serverPid);
  const start = performance.now();
  const deadline = start + cmd.seconds * 1000;
  await Promise.all(
    Array.from({ length: cmd.senders }, async () => {
      while (performance.now() < deadline) await sendOne(w, performance.now(), true);
    }),
  );
  const end = performance.now();
  const cpu1 = cpuSplit(cmd.serverPid);
  const m1 = machineTicks();
  await drain(cmd.drainMs);
  return finish(w, (end - start) / 1000, cpu0, cpu1, m0, m1, own0);
}

async function openLoop(cmd: Extract<LoadCommand, { cmd: 'open' }>): Promise<LoadResult & { offered: number; issued: number; maxInFlight: number }> {
  const w: Window = { sent: 0, errors: 0, errorSamples: [], responses: [] };
  latencies = [];
  const m0 = machineTicks();
  const own0 = process.cpuUsage();
  const cpu0 = cpuSplit(cmd.serverPid);
  const start = performance.now();
  const total = Math.round(cmd.rate * cmd.seconds);
  const interval = 1000 / cmd.rate;
  const inFlight = new Set<Promise<void>>();
  let issued = 0;
  let peak = 0;
  while (issued < total) {
    const now = performance.now();
    while (issued < total && start + issued * interval <= now) {
      // Latency counts from when the message was due, so a stalled client or server cannot hide it.
      const promise = sendOne(w, start + issued * interval, true).finally(() => inFlight.delete(promise));
      inFlight.add(promise);
      issued++;
    }
    peak = Math.max(peak, inFlight.size);
    // Sleep (never spin: the client shares the machine's two cores with the server).
    if (issued < total) await sleep(Math.max(1, Math.floor(start + issued * interval - performance.now())));
  }
  await Promise.all(inFlight);
  const end = performance.now();
  const cpu1 = cpuSplit(cmd.serverPid);
  const m1 = machineTicks();
  await drain(cmd.drainMs);
  return { ...finish(w, (end - start) / 1000, cpu0, cpu1, m0, m1, own0), offered: cmd.rate, issued, maxInFlight: peak };
}

async function idle(cmd: Extract<LoadCommand, { cmd: 'idle' }>) {
  const errors: string[] = [];
  let live = 0;
  const started = performance.now();
  await pooled(cmd.sessionIds, cmd.concurrency, async (sessionId, i) => {
    try {
      const ws = await subscribe(cmd.wsUrl, cmd.token, sessionId, 0, cmd.localAddresses[i % cmd.localAddresses.length], () => undefined, (why) => {
        idleClosed++;
        if (idleCloseSamples.length < 5) idleCloseSamples.push(why);
      });
      idleSockets.push(ws);
      live++;
    } catch (error) {
      if (errors.length < 5) errors.push(String((error as Error).message ?? error).slice(0, 200));
      failedIdle++;
    }
  });
  return { requested: cmd.sessionIds.length, live, failed: cmd.sessionIds.length - live, errorSamples: errors, seconds: (performance.now() - started) / 1000 };
}
serveCommands(async (msg: LoadCommand & { id?: number }) => {
  switch (msg.cmd) {
    case 'setup':
      return setup(msg);
    case 'closed':
      return closedLoop(msg);
    case 'open':
      return openLoop(msg);
    case 'idle':
      return idle(msg);
    case 'status':
      return { idleOpen: idleSockets.filter((s) => s.readyState === WebSocket.OPEN).length, idleClosed, idleCloseSamples, failedIdle };
    case 'exit':
      for (const s of sessions) s.ws?.terminate();
      for (const ws of idleSockets) ws.terminate();
      agent?.destroy();
      setTimeout(() => process.exit(0), 50);
      return { bye: true };
  }
});
