import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import type { Target } from './address';

/** A delivery attempt's whole budget (contract: "timeout 10 s"). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** How much of the receiver's answer is read (and thrown away). */
const RESPONSE_MAX = 64 * 1024;
/** Connections one instance keeps to one receiver address (four slots of twenty deliveries fit). */
const CONNECTIONS = 64;

/**
 * Kept-alive connections, one pool per (URL origin, checked address): a connection is made only to
 * the address that was checked for it (the pool's lookup answers with it), and a host that now
 * resolves elsewhere gets a new pool. undici rather than node:http: the same attempt costs about
 * 40 % less CPU (bench/README.md), and a delivery is one request.
 */
const pools = new Map<string, Agent>();
const POOLS_MAX = 500;

function poolFor(target: Target): Agent {
  const key = `${target.url.origin}|${target.address}`;
  let agent = pools.get(key);
  if (!agent) {
    if (pools.size >= POOLS_MAX) {
      const [oldest, old] = pools.entries().next().value as [string, Agent];
      void old.destroy().catch(() => undefined);
      pools.delete(oldest);
    }
    const { address, family } = target;
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
      else callback(null, address, family);
    };
    agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 4_000, keepAliveMaxTimeout: ATTEMPT_TIMEOUT_MS, connect: { lookup: pinned, timeout: ATTEMPT_TIMEOUT_MS } });
    pools.set(key, agent);
  }
  return agent;
}

/** Closes every kept-alive connection (shutdown). */
export function closePools(): void {
  for (const agent of pools.values()) void agent.destroy().catch(() => undefined);
  pools.clear();
}

export interface AttemptResult {
  /** The HTTP status, null when none came (timeout, refused, reset). */
  status: number | null;
  error: string | null;
}

/**
 * One POST to the checked address (`target.address`: the URL's host stays the Host header and the
 * TLS name), on a kept-alive connection to that address, no redirect followed (a 3xx is an answer
 * like any other non-2xx), everything within `timeoutMs`. The answer's body is read up to
 * RESPONSE_MAX and thrown away.
 */
export async function post(target: Target, body: string, headers: Record<string, string>, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const { signal } = timeout;
  let status: number;
  try {
    const res = await request(target.url, {
      method: 'POST',
      dispatcher: poolFor(target),
      headers: { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1', ...headers },
      body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    status = res.statusCode;
    try {
      let read = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > RESPONSE_MAX) {
          res.body.destroy();
          break;
        }
      }
    } catch {
      // The status came; a body cut short does not change the outcome.
    }
  } catch (error) {
    if (signal.aborted) return { status: null, error: `timeout after ${timeoutMs / 1000} s` };
    return { status: null, error: describe(error as NodeJS.ErrnoException) };
  } finally {
    clearTimeout(timer);
  }
  return answer(status);
}

function answer(status: number | null): AttemptResult {
  if (status !== null && status >= 200 && status < 300) return { status, error: null };
  if (status !== null && status >= 300 && status < 400) return { status, error: `HTTP ${status} (redirects are not followed)` };
  return { status, error: `HTTP ${status ?? 'without status'}` };
}

function describe(error: NodeJS.ErrnoException): string {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  if (cause?.code && !error.code?.startsWith('ECONN')) return describe(cause);
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'UND_ERR_SOCKET') return 'connection closed before an answer';
  if (error.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  if (error.code === 'ECONNRESET') return 'connection reset';
  if (error.code === 'ETIMEDOUT') return 'connection timed out';
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
