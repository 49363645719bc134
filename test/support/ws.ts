import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * A real graphql-ws client over a real socket, in the manner of graphql-ws's own test client:
 * everything received is queued; `next()` waits for the next item with a timeout.
 */
export class WsClient {
  readonly client: Client;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly connected: Promise<void>;
  private readonly subscriptions: Subscription<unknown>[] = [];

  constructor(url: string, token?: string, options: { connectionParams?: Record<string, unknown> } = {}) {
    let onClosed!: (e: { code: number; reason: string }) => void;
    let onConnected!: () => void;
    this.closed = new Promise((resolve) => (onClosed = resolve));
    this.connected = new Promise((resolve) => (onConnected = resolve));
    this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: options.connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const e = event as { code: number; reason: string };
          onClosed({ code: e.code, reason: e.reason });
        },
      },
      onNonLazyError: () => undefined,
    });
  }

  subscribe<TData, TVars>(document: TypedDocumentNode<TData, TVars>, variables?: TVars): Subscription<TData> {
    const sub = new Subscription<TData>();
    sub.dispose = this.client.subscribe<TData>(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => sub.push(value as ExecutionResult<TData>),
        error: (error) => sub.fail(error),
        complete: () => sub.finish(),
      },
    );
    this.subscriptions.push(sub as Subscription<unknown>);
    return sub;
  }

  async dispose(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    await this.client.dispose();
  }
}

export class Subscription<T> {
  dispose: () => void = () => undefined;
  completed = false;
  error: unknown;
  private readonly items: ExecutionResult<T>[] = [];
  private waiters: Array<() => void> = [];

  push(value: ExecutionResult<T>) {
    this.items.push(value);
    this.wake();
  }

  fail(error: unknown) {
    this.error = error;
    this.completed = true;
    this.wake();
  }

  finish() {
    this.completed = true;
    this.wake();
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Everything received so far (data only). */
  get received(): T[] {
    return this.items.map((i) => i.data as T);
  }

  /** The next result's data; throws on timeout, on an error result, or when the stream ended. */
  async next(timeoutMs = 3000): Promise<T> {
    const item = await this.nextResult(timeoutMs);
    if (item.errors?.length) throw new Error(`subscription error: ${JSON.stringify(item.errors)}`);
    return item.data as T;
  }

  private consumed = 0;

  async nextResult(timeoutMs = 3000): Promise<ExecutionResult<T>> {
    const deadline = Date.now() + timeoutMs;
    while (this.consumed >= this.items.length) {
      if (this.completed) throw new Error(`subscription ended${this.error ? `: ${JSON.stringify(this.error)}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no subscription event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items[this.consumed++];
  }

  /** Collects `count` results. */
  async take(count: number, timeoutMs = 5000): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Asserts nothing more arrives within `ms`. */
  async expectQuiet(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.consumed < this.items.length) {
      throw new Error(`unexpected subscription event: ${JSON.stringify(this.items[this.consumed])}`);
    }
  }

  /** Waits for the stream to end (complete or error); returns the error, if any. */
  async ended(timeoutMs = 3000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (!this.completed) {
      if (Date.now() > deadline) throw new Error(`subscription did not end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.error;
  }
}

/** The code a refused subscription ends with (an error result, or the error it ended with). */
export async function refusalOf(sub: Subscription<unknown>, timeoutMs = 10_000): Promise<string | undefined> {
  try {
    const result = await sub.nextResult(timeoutMs);
    return result.errors?.[0]?.extensions?.code as string | undefined;
  } catch {
    const error = sub.error as Array<{ extensions?: { code?: string } }> | undefined;
    return error?.[0]?.extensions?.code;
  }
}
