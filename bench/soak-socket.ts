/**
 * The soak's clients' transport: GraphQL over HTTP with retries by clientMessageId, and a
 * graphql-transport-ws socket that reconnects by itself (jittered) and resubscribes every
 * `messageAdded` with `afterSeq` = the last seq it got, as the widget and the console do
 * (web/shared/chat.ts). Every stream checks its own order as it goes: each seq must be the last
 * plus one, across reconnects.
 */
import WebSocket from 'ws';
import { MESSAGE_ADDED, sleep } from './common';

export interface GqlError {
  message: string;
  extensions?: { code?: string; retryable?: boolean };
}
export interface GqlResult<T> {
  status: number;
  data?: T;
  errors?: GqlError[];
}

/** Counts every failure by kind, and keeps a few samples. */
export class Tally {
  readonly counts: Record<string, number> = {};
  readonly samples: string[] = [];
  add(kind: string, sample?: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    // The first samples of each kind.
    if (sample && this.samples.filter((s) => s.startsWith(`${kind}:`)).length < 2 && this.samples.length < 20) this.samples.push(`${kind}: ${sample.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
}

export async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json,application/json;q=0.9' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as { data?: T; errors?: GqlError[] }) };
  } catch {
    return { status: res.status, errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 200)}`, extensions: { code: `HTTP_${res.status}`, retryable: res.status >= 500 } }] };
  }
}

/**
 * Runs the operation until it succeeds or fails for good: network errors, nginx's 502/504 (the
 * instance died mid-request) and errors marked `retryable` are retried for up to `forMs`; the
 * same variables go again (sends carry a clientMessageId, so a retry stores nothing twice).
 */
export async function gqlRetry<T>(url: string, query: string, variables: Record<string, unknown>, token: string | undefined, errors: Tally, forMs = 30_000): Promise<GqlResult<T>> {
  const deadline = Date.now() + forMs;
  for (let attempt = 0; ; attempt++) {
    let result: GqlResult<T>;
    try {
      result = await gql<T>(url, query, variables, token);
    } catch (error) {
      result = { status: 0, errors: [{ message: String((error as Error).message ?? error), extensions: { code: 'NETWORK', retryable: true } }] };
    }
    const error = result.errors?.[0];
    if (!error) return result;
    const retryable = error.extensions?.retryable === true || result.status >= 502 || result.status === 0;
    errors.add(`${error.extensions?.code ?? 'UNKNOWN'}${retryable ? ' (retried)' : ''}`, error.message);
    if (!retryable || Date.now() > deadline) return result;
    await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
  }
}

export interface Delivered {
  id: string;
  sessionId: string;
  seq: number;
  author: string;
  body: string;
  clientMessageId: string | null;
}

/** One `messageAdded` stream as its client sees it, across reconnects. */
export class StreamLog {
  last: number;
  received = 0;
  gaps = 0;
  duplicates = 0;
  samples: string[] = [];
  /** The server ended it (complete or error): access lost (transferred away), or refused. */
  ended: string | null = null;

  constructor(
    readonly sessionId: string,
    readonly owner: string,
    start = 0,
  ) {
    this.last = start;
  }

  add(m: Delivered): void {
    this.received++;
    if (m.seq === this.last + 1) this.last = m.seq;
    else if (m.seq <= this.last) {
      this.duplicates++;
      if (this.samples.length < 5) this.samples.push(`duplicate seq ${m.seq} after ${this.last}`);
    } else {
      this.gaps++;
      if (this.samples.length < 5) this.samples.push(`gap: seq ${m.seq} after ${this.last}`);
      this.last = m.seq;
    }
  }
}

interface Sub {
  id: string;
  query: string;
  variables: () => Record<string, unknown>;
  onNext: (data: Record<string, unknown>) => void;
  onEnd: (why: string) => void;
}

/** A graphql-transport-ws socket that reconnects (after a jittered pause) until stopped. */
export class LiveSocket {
  private ws?: WebSocket;
  private readonly subs = new Map<string, Sub>();
  private nextId = 0;
  private stopped = false;
  private acked = false;
  connects = 0;
  drops = 0;

  constructor(
    private readonly wsUrl: string,
    private readonly token: string,
    private readonly onDrop: () => void = () => undefined,
  ) {}

  start(): void {
    this.open();
  }

  get live(): boolean {
    return this.acked && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Follows a session's messages, resuming after the log's last seq on every (re)connect. */
  watch(log: StreamLog, onEnd: () => void = () => undefined): () => void {
    return this.subscribe(
      MESSAGE_ADDED,
      () => ({ sessionId: log.sessionId, afterSeq: log.last }),
      (data) => log.add(data.messageAdded as Delivered),
      (why) => {
        log.ended = why;
        onEnd();
      },
    );
  }

  subscribe(query: string, variables: () => Record<string, unknown>, onNext: Sub['onNext'], onEnd: Sub['onEnd'] = () => undefined): () => void {
    const sub: Sub = { id: String(++this.nextId), query, variables, onNext, onEnd };
    this.subs.set(sub.id, sub);
    if (this.live) this.send(sub);
    return () => {
      if (this.subs.delete(sub.id) && this.live) this.ws!.send(JSON.stringify({ id: sub.id, type: 'complete' }));
    };
  }

  /** Drops the connection as a flaky network would; it reconnects by itself. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  private send(sub: Sub): void {
    this.ws!.send(JSON.stringify({ id: sub.id, type: 'subscribe', payload: { query: sub.query, variables: sub.variables() } }));
  }

  private open(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.wsUrl, 'graphql-transport-ws', { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    this.acked = false;
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${this.token}` } })));
    ws.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString('utf8')) as { id?: string; type: string; payload?: { data?: Record<string, unknown>; errors?: unknown } | unknown[] };
      const sub = frame.id ? this.subs.get(frame.id) : undefined;
      switch (frame.type) {
        case 'connection_ack':
          this.acked = true;
          this.connects++;
          for (const s of this.subs.values()) this.send(s);
          break;
        case 'next': {
          const data = (frame.payload as { data?: Record<string, unknown> })?.data;
          if (sub && data) sub.onNext(data);
          else if (sub) this.end(sub, `error: ${JSON.stringify((frame.payload as { errors?: unknown })?.errors).slice(0, 200)}`);
          break;
        }
        case 'error':
          if (sub) this.end(sub, `error: ${JSON.stringify(frame.payload).slice(0, 200)}`);
          break;
        case 'complete':
          if (sub) this.end(sub, 'complete');
          break;
        case 'ping':
          ws.send('{"type":"pong"}');
          break;
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.acked = false;
      if (this.stopped) return;
      this.drops++;
      this.onDrop();
      setTimeout(() => this.open(), 200 + Math.random() * 1800);
    });
  }

  private end(sub: Sub, why: string): void {
    this.subs.delete(sub.id);
    sub.onEnd(why);
  }
}
