import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Target } from './address';

/** A delivery attempt's whole budget (contract: "timeout 10 s"). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** How much of the receiver's answer is read (and thrown away). */
const RESPONSE_MAX = 64 * 1024;

/**
 * Keep-alive connections, one pool per (URL origin, checked address): a connection is reused only
 * to the address that was checked for it, and a host that now resolves elsewhere gets a new pool.
 */
const pools = new Map<string, http.Agent>();
const POOLS_MAX = 500;

function poolFor(target: Target): http.Agent {
  const key = `${target.url.origin}|${target.address}`;
  let agent = pools.get(key);
  if (!agent) {
    if (pools.size >= POOLS_MAX) {
      const [oldest, old] = pools.entries().next().value as [string, http.Agent];
      old.destroy();
      pools.delete(oldest);
    }
    const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: ATTEMPT_TIMEOUT_MS };
    agent = target.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
    pools.set(key, agent);
  }
  return agent;
}

/** Closes every kept-alive connection (shutdown). */
export function closePools(): void {
  for (const agent of pools.values()) agent.destroy();
  pools.clear();
}

export interface AttemptResult {
  /** The HTTP status, null when none came (timeout, refused, reset). */
  status: number | null;
  error: string | null;
}

/**
 * One POST to the checked address (`target.address`: the URL's host stays the Host header and the
 * TLS name), on a kept-alive connection to that address, no redirect followed (a 3xx is an answer like any other non-2xx),
 * everything within ATTEMPT_TIMEOUT_MS.
 */
export function post(target: Target, body: string, headers: Record<string, string>, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptResult> {
  const { url, address, family } = target;
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    // A connection is kept only after an answer read to its end; any other outcome closes it.
    const done = (result: AttemptResult, keep = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!keep) req.destroy();
      resolve(result);
    };
    const req = request(
      url,
      {
        method: 'POST',
        agent: poolFor(target),
        lookup: pinned,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Switchboard-Webhooks/1', ...headers },
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_MAX) done(answer(res.statusCode ?? null));
        });
        res.on('end', () => done(answer(res.statusCode ?? null), true));
        res.on('error', () => done(answer(res.statusCode ?? null)));
      },
    );
    const timer = setTimeout(() => done({ status: null, error: `timeout after ${timeoutMs / 1000} s` }), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => done({ status: null, error: describe(error) }));
    req.setNoDelay(true);
    req.end(body);
  });
}

function answer(status: number | null): AttemptResult {
  if (status !== null && status >= 200 && status < 300) return { status, error: null };
  if (status !== null && status >= 300 && status < 400) return { status, error: `HTTP ${status} (redirects are not followed)` };
  return { status, error: `HTTP ${status ?? 'without status'}` };
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ECONNRESET') return 'connection reset';
  if (error.code === 'ETIMEDOUT') return 'connection timed out';
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
