import type { GraphQLFormattedError } from 'graphql';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { cpuMicros, rssBytes } from '../../bench/common';
import type { Cluster, Instance } from './cluster';
import { sql } from './env';
import { buildActiveChat, type Target } from './factories';
import type { TestServer } from './server';

/** The contract's error codes ("Errors"): every refusal carries one of these. */
export const CONTRACT_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR'];

type Frame = { id?: string; type: string; payload?: unknown };

/**
 * A raw graphql-transport-ws socket (the `ws` package, no graphql-ws client), for attacks the real
 * client would not send: oversized frames, no connection_init, forged origins, odd payloads.
 */
export class RawSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The HTTP status when the upgrade itself was refused. */
  refusedStatus?: number;
  private readonly waiters = new Set<() => void>();
  private closeInfo?: { code: number; reason: string };

  constructor(url: string, options: { origin?: string; headers?: Record<string, string>; protocol?: string } = {}) {
    this.ws = new WebSocket(url, options.protocol ?? 'graphql-transport-ws', { origin: options.origin, headers: options.headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => {
        this.refusedStatus = res.statusCode;
        reject(new Error(`upgrade refused: ${res.statusCode}`));
      });
      this.ws.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private wake() {
    for (const w of [...this.waiters]) w();
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching `match` (or throws when the socket closes first / on timeout). */
  async waitFor(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closeInfo) throw new Error(`socket closed ${this.closeInfo.code} ${this.closeInfo.reason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** connection_init (with a bearer token, if given) and waits for the ack. */
  async init(token?: string): Promise<void> {
    await this.opened;
    this.send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
    await this.waitFor((f) => f.type === 'connection_ack');
  }

  private nextId = 0;

  /** Sends a subscribe frame; returns its id. */
  start(query: string, variables?: Record<string, unknown>, operationName?: string): string {
    const id = `op${++this.nextId}`;
    this.send({ id, type: 'subscribe', payload: { query, variables, operationName } });
    return id;
  }

  /**
   * Runs one operation (query, mutation or subscription start) and collects what came back for it
   * until `complete` or `error`: the `next` payloads, and the errors of an `error` frame.
   */
  async run(query: string, variables?: Record<string, unknown>, timeoutMs = 5000): Promise<WsResult> {
    const id = this.start(query, variables);
    const end = await this.waitFor((f) => f.id === id && (f.type === 'complete' || f.type === 'error'), timeoutMs);
    const next = this.frames.filter((f) => f.id === id && f.type === 'next').map((f) => f.payload as { data?: unknown; errors?: GraphQLFormattedError[] });
    const errors = end.type === 'error' ? (end.payload as GraphQLFormattedError[]) : next.flatMap((n) => n.errors ?? []);
    return { id, next, errors, data: next[0]?.data ?? null };
  }

  /** The `next` payloads received so far for one operation id. */
  events(id: string): Array<{ data?: unknown; errors?: GraphQLFormattedError[] }> {
    return this.frames.filter((f) => f.id === id && f.type === 'next').map((f) => f.payload as { data?: unknown });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}

export interface WsResult {
  id: string;
  next: Array<{ data?: unknown; errors?: GraphQLFormattedError[] }>;
  /** The errors of an `error` frame, or of the `next` results. */
  errors: GraphQLFormattedError[];
  data: unknown;
}

/** One operation over a fresh socket: init, run, close. */
export async function wsOnce(t: Pick<Target, 'wsUrl'>, query: string, variables?: Record<string, unknown>, token?: string): Promise<WsResult> {
  const socket = new RawSocket(t.wsUrl);
  try {
    await socket.init(token);
    return await socket.run(query, variables);
  } finally {
    await socket.close();
  }
}

/** Row counts of the tables a refused request must leave alone. */
export async function counts(t: Pick<TestServer, 'databaseUrl'>): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>>(
    t.databaseUrl,
    `select (select count(*) from customer)::int as customers, (select count(*) from chat_session)::int as sessions,
            (select count(*) from message)::int as messages, (select count(*) from agent)::int as agents,
            (select count(*) from session_event)::int as events`,
  );
  return row;
}

/** The stored state of one session, for "nothing changed" assertions. */
export async function sessionState(t: Pick<TestServer, 'databaseUrl'>, id: string): Promise<Record<string, unknown>> {
  const [row] = await sql(
    t.databaseUrl,
    `select s.status, s.agent_id, s.last_seq, s.visitor_read_seq, s.agent_read_seq, s.rating, s.rating_comment, s.closed_at, s.skill,
            (select count(*) from message m where m.session_id = s.id)::int as messages,
            (select count(*) from session_event e where e.session_id = s.id)::int as events
       from chat_session s where s.id = $1`,
    [id],
  );
  return row;
}

/** A raw HTTP POST to /graphql with any body and headers. */
export interface RawResponse {
  status: number;
  text: string;
  headers: Headers;
  json: { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] } | undefined;
}

export async function post(t: Pick<Target, 'url'>, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers, json: parseJson(text) };
}

/** A raw HTTP GET of /graphql with a query string. */
export async function get(t: Pick<Target, 'url'>, params: Record<string, string>, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(`${t.url}?${new URLSearchParams(params)}`, { headers });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers, json: parseJson(text) };
}

function parseJson(text: string): RawResponse['json'] {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a denial-of-service replay measured: a normal client's latency meanwhile, and the server's cost. */
export interface AttackMeasure {
  /** The normal client's round trips during the attack, ms. */
  probe: { n: number; p50: number; p95: number; max: number };
  /** The server process's resident memory, MB: before, the highest sampled during, and after it settled. */
  rssMb: { before: number; peak: number; after: number };
  /** Server CPU time spent during the attack, ms, and the attack's wall time, ms. */
  cpuMs: number;
  ms: number;
}

/**
 * Runs `attack` (bounded by its own count or time) against the server process `pid` while a
 * normal client runs `probe` one after another, and measures what users and operators would:
 * the probe's latency, the server's RSS (before, peak, and `settleMs` after) and CPU. Logs one
 * line, `[dos] name: …`, the figures the issue asks for.
 */
export async function measureAttack(
  name: string,
  pid: number,
  attack: () => Promise<unknown>,
  probe: () => Promise<unknown>,
  options: { settleMs?: number; gapMs?: number } = {},
): Promise<AttackMeasure> {
  const mb = () => rssBytes(pid) / 2 ** 20;
  await probe(); // warm: the probe's own first run is not the attack's doing
  const before = mb();
  const cpu0 = cpuMicros(pid);
  const started = Date.now();
  let done = false;
  let peak = before;
  const running = attack().finally(() => (done = true));
  const latencies: number[] = [];
  while (!done || latencies.length < 5) {
    const t0 = performance.now();
    await probe();
    latencies.push(performance.now() - t0);
    peak = Math.max(peak, mb());
    await sleep(options.gapMs ?? 25);
  }
  await running;
  const ms = Date.now() - started;
  const cpuMs = (cpuMicros(pid) - cpu0) / 1000;
  await sleep(options.settleMs ?? 1000);
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const result: AttackMeasure = {
    probe: { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] },
    rssMb: { before, peak: Math.max(peak, mb()), after: mb() },
    cpuMs,
    ms,
  };
  const f = (n: number) => n.toFixed(0);
  console.log(
    `[dos] ${name}: normal client p50 ${result.probe.p50.toFixed(1)} ms, p95 ${result.probe.p95.toFixed(1)} ms, max ${f(result.probe.max)} ms (n=${result.probe.n}); ` +
      `server RSS ${f(before)} -> peak ${f(result.rssMb.peak)} -> ${f(result.rssMb.after)} MB; CPU ${f(cpuMs)} ms over ${f(ms)} ms`,
  );
  return result;
}

/** Runs `task` `count` times, `concurrency` at a time; resolves with every result (errors included as values). */
export async function flood<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<Array<T | Error>> {
  const out: Array<T | Error> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      }
    }),
  );
  return out;
}

/** The bound on a normal client's p95 latency during an attack (the issue: "a few hundred ms"). */
export const NORMAL_P95_MS = 300;

/**
 * The target of an attack replay: a cluster's first instance (a Target for the factories),
 * and a visitor with an ACTIVE chat on it (its agent's console closed) whose normal query is the
 * `probe` of measureAttack: its session, read over HTTP with its token.
 */
export async function attackTarget(cluster: Cluster): Promise<{ server: Instance; t: Target; token: string; sessionId: string; probe: () => Promise<void> }> {
  const server = cluster.instances[0];
  const t: Target = server;
  const chat = await buildActiveChat(t);
  await chat.agent.socket?.dispose();
  const sessionId = chat.session.id;
  return {
    server,
    t,
    token: chat.visitor,
    sessionId,
    probe: async () => {
      const { data } = await t.http.request(`query Probe { session(id: "${sessionId}") { id status lastSeq } }`, undefined, chat.visitor);
      if ((data as { session?: { id: string } } | null)?.session?.id !== sessionId) throw new Error('the normal query failed');
    },
  };
}

/**
 * Child process of floodInChild: `concurrency` loops POSTing `body` for `ms`, each request with
 * `%uuid%`, `%ip%` (a random 10.x.y.z) and `%bool%` replaced afresh; prints the answers' first
 * error codes (`OK` for none), counted, as JSON.
 */
const FLOOD_CHILD = `
const { randomUUID } = require('node:crypto');
const [url, body, headers, concurrency, ms] = process.argv.slice(1);
const fill = (s) => s.replace(/%uuid%/g, () => randomUUID()).replace(/%ip%/g, () => '10.' + [0, 0, 0].map(() => Math.floor(Math.random() * 250)).join('.')).replace(/%bool%/g, () => String(Math.random() < 0.5));
const counts = {};
const deadline = Date.now() + Number(ms);
const loop = async () => {
  while (Date.now() < deadline) {
    const h = JSON.parse(fill(headers));
    let code;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: fill(body) });
      const json = await response.json().catch(() => ({}));
      code = (json.errors && json.errors[0] && json.errors[0].extensions && json.errors[0].extensions.code) || (response.ok ? 'OK' : 'HTTP ' + response.status);
    } catch (error) {
      code = 'NETWORK';
    }
    counts[code] = (counts[code] || 0) + 1;
  }
};
Promise.all(Array.from({ length: Number(concurrency) }, loop)).then(() => process.stdout.write(JSON.stringify(counts)));
`;

/**
 * An HTTP flood from a process of its own (so that its client-side work does not slow this
 * process's probe): `concurrency` loops POSTing `body` to `url` for `ms`. Returns the answers'
 * codes, counted. See FLOOD_CHILD for the placeholders.
 */
export async function floodInChild(url: string, options: { body: unknown; headers?: Record<string, string>; concurrency: number; ms: number }): Promise<Record<string, number>> {
  const args = ['-e', FLOOD_CHILD, url, JSON.stringify(options.body), JSON.stringify(options.headers ?? {}), String(options.concurrency), String(options.ms)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out) as Record<string, number>;
}
