/**
 * The frontends' GraphQL transport: typed documents (web/generated/*, strings) over HTTP POST,
 * and subscriptions over graphql-ws that survive reconnects without losing or repeating messages.
 */
import { createClient, type Client } from 'graphql-ws/client';

/** What codegen's `documentMode: string` emits: a String carrying its result and variable types. */
export interface TypedDocument<TResult, TVariables> {
  toString(): string;
  __apiType?: (variables: TVariables) => TResult;
}

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    /** extensions.code of the first error, or NETWORK / HTTP_<status>. */
    readonly code: string,
    readonly retryAfterSeconds?: number,
    /** The server said so (extensions.retryable: true): the same request may succeed later. */
    private readonly markedRetryable = false,
  ) {
    super(message);
  }

  /**
   * Worth sending again unchanged (with the same clientMessageId): what the server marks
   * `extensions.retryable`, and a request that got no GraphQL answer at all (no connection, a
   * timeout, a proxy's 502/503/504). Everything else would be refused the same way again.
   */
  get retryable(): boolean {
    return this.markedRetryable || this.code === 'NETWORK' || /^HTTP_50[234]$/.test(this.code);
  }
}

export async function request<TResult, TVariables>(
  url: string,
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
  token?: string | null,
  timeoutMs = 20_000,
): Promise<TResult> {
  // A request caught in a dropped connection may never settle: give up and let the caller retry.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: document.toString(), variables }),
      signal: abort.signal,
    });
  } catch (error) {
    throw new GraphQLRequestError(`The server cannot be reached (${(error as Error).message}).`, 'NETWORK');
  } finally {
    clearTimeout(timer);
  }
  let json: { data?: TResult | null; errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number; retryable?: boolean } }[] };
  try {
    json = (await response.json()) as typeof json;
  } catch {
    throw new GraphQLRequestError(`Unexpected response (HTTP ${response.status}).`, `HTTP_${response.status}`);
  }
  const first = json.errors?.[0];
  if (first) throw new GraphQLRequestError(first.message, first.extensions?.code ?? `HTTP_${response.status}`, first.extensions?.retryAfterSeconds, first.extensions?.retryable === true);
  if (!json.data) throw new GraphQLRequestError(`Empty response (HTTP ${response.status}).`, `HTTP_${response.status}`);
  return json.data;
}

export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface LiveOptions {
  url: string;
  /** Read at every (re)connect. */
  token: () => string | null | undefined;
  onState?: (state: LiveState) => void;
  /** A close the client must not retry (4403: the token is bad or expired). */
  onFatal?: (code: number) => void;
  /** Connect at once rather than with the first subscription (the console: presence). */
  eager?: boolean;
}

export interface Sink<T> {
  next(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

export interface Live {
  /**
   * Subscribes, and after every reconnect subscribes again with the variables as they are then:
   * `resume` returns the variables to use (e.g. afterSeq = the last seq seen).
   */
  subscribe<TResult, TVariables>(
    document: TypedDocument<TResult, TVariables>,
    variables: TVariables,
    sink: Sink<TResult>,
    resume?: (variables: TVariables) => TVariables,
  ): () => void;
  /** Drops the socket now; the client reconnects and resubscribes (after a network change). */
  reconnect(): void;
  dispose(): void;
  readonly client: Client;
}

/** The page (globalThis is its window); in Node, where the tests run the chat model, it has no such events. */
const page = globalThis as { addEventListener?(type: string, listener: () => void): void; removeEventListener?(type: string, listener: () => void): void };

/** Fatal close codes: the server refused who we are; retrying with the same token is pointless. */
const FATAL = new Set([4400, 4401, 4403, 4406, 4409, 4429, 4500]);

export function createLive(options: LiveOptions): Live {
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let everConnected = false;
  let socket: WebSocket | undefined;
  const client = createClient({
    url: options.url,
    lazy: !options.eager,
    lazyCloseTimeout: 1000,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    connectionParams: () => {
      const token = options.token();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    shouldRetry: (event) => {
      const code = (event as CloseEvent | undefined)?.code;
      if (typeof code === 'number' && FATAL.has(code)) {
        options.onState?.('failed');
        options.onFatal?.(code);
        return false;
      }
      return true;
    },
    // Quick first retries, then at most every 5 s.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5000, 300 * 2 ** retries) + Math.random() * 300)),
    on: {
      connecting: () => options.onState?.(everConnected ? 'reconnecting' : 'connecting'),
      connected: (s) => {
        socket = s as WebSocket;
        everConnected = true;
        options.onState?.('connected');
      },
      closed: () => {
        socket = undefined;
        clearTimeout(pongTimer);
        if (everConnected) options.onState?.('reconnecting');
      },
      // A ping with no pong within 5 s: the connection is dead though the browser has not noticed.
      ping: (received) => {
        if (!received) pongTimer = setTimeout(() => socket?.readyState === WebSocket.OPEN && client.terminate(), 5000);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  });
  const reconnect = () => {
    if (socket) client.terminate();
  };
  const onOffline = () => reconnect();
  const onOnline = () => reconnect();
  page.addEventListener?.('offline', onOffline);
  page.addEventListener?.('online', onOnline);

  return {
    client,
    reconnect,
    subscribe<TResult, TVariables>(
      document: TypedDocument<TResult, TVariables>,
      variables: TVariables,
      sink: Sink<TResult>,
      resume?: (variables: TVariables) => TVariables,
    ) {
      // graphql-ws sends this same payload object again after each reconnect, so keeping its
      // variables current (e.g. afterSeq) is what makes a resubscription resume where we were.
      const payload = { query: document.toString(), variables: variables as Record<string, unknown> };
      const refresh = () => {
        if (resume) payload.variables = resume(payload.variables as TVariables) as Record<string, unknown>;
      };
      const offConnecting = client.on('connecting', refresh);
      const dispose = client.subscribe<TResult>(payload, {
        next: (result) => {
          if (result.errors?.length) sink.error?.(result.errors);
          else if (result.data) sink.next(result.data);
        },
        error: (error) => sink.error?.(error),
        complete: () => sink.complete?.(),
      });
      return () => {
        offConnecting();
        dispose();
      };
    },
    dispose() {
      page.removeEventListener?.('offline', onOffline);
      page.removeEventListener?.('online', onOnline);
      clearTimeout(pongTimer);
      void client.dispose();
    },
  };
}

/** A random id for clientMessageId (crypto.randomUUID needs a secure context). */
export function newId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** http(s)://host → ws(s)://host/graphql */
export function wsUrlFor(server: string): string {
  return `${server.replace(/^http/, 'ws')}/graphql`;
}
