/** A feed's consumer fell too far behind: the feed was dropped, and next() rejects with this once. */
export class SlowConsumerError extends Error {
  constructor() {
    super('The subscriber fell too far behind; reconnect and resume.');
    this.name = 'SlowConsumerError';
  }
}

/**
 * What to do, besides failing the feed, when it overflows: the WebSocket server passes "close
 * this socket as a slow consumer" down through the operation's context (the consumer may be
 * parked on a send that will not finish for minutes, so next() would tell nobody in time).
 */
export type OverflowHandler = () => void;

/** What a watcher needs of a feed, whatever it carries. */
export interface Closable {
  return(): Promise<unknown>;
  whenClosed(fn: () => void): void;
}

/**
 * A live subscription as an async iterator. Unlike graphql-subscriptions' iterators (which
 * subscribe on the first next()), a Feed is subscribed before it is handed out, so a replay read
 * after it cannot miss what is published meanwhile. Its buffer is bounded: a consumer that falls
 * `maxBuffered` events behind is failed with SlowConsumerError (its socket is closed with 1013 and
 * its client resumes by seq), so memory cannot grow without bound. return() settles a pending
 * next() at once.
 */
export class Feed<T> implements AsyncIterableIterator<T>, Closable {
  private readonly buffer: T[] = [];
  private waiter?: (result: IteratorResult<T>) => void;
  private closed = false;
  private failure?: SlowConsumerError;
  private unsubscribe?: () => void;
  private readonly onClose: Array<() => void> = [];

  constructor(
    private readonly maxBuffered = 1000,
    private readonly overflowed?: OverflowHandler,
  ) {}

  /** Called by the bus once the engine subscription is live. */
  attach(unsubscribe: () => void): void {
    if (this.closed) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.onClose.push(fn);
  }

  push = (value: T): void => {
    if (this.closed) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ value, done: false });
    } else if (this.buffer.length >= this.maxBuffered) {
      this.failure = new SlowConsumerError();
      void this.return();
      this.overflowed?.();
    } else {
      this.buffer.push(value);
    }
  };

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.closed) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.buffer.length = 0;
      this.unsubscribe?.();
      this.waiter?.({ value: undefined, done: true });
      this.waiter = undefined;
      for (const fn of this.onClose.splice(0)) fn();
    }
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

export const SKIP = Symbol('skip');
export const END = Symbol('end');

/**
 * An async generator over `source` whose return() also ends `source` at once, so a generator
 * parked on source.next() finishes instead of leaking its subscription. A generator that ends by
 * itself (END, access lost, an error) ends `source` too: nobody calls return() on a finished one.
 */
export function linked<T>(source: { return(): Promise<unknown> }, gen: AsyncGenerator<T>): AsyncIterableIterator<T> {
  return {
    async next() {
      try {
        const result = await gen.next();
        if (result.done) await source.return();
        return result;
      } catch (error) {
        await source.return();
        throw error;
      }
    },
    async return() {
      await source.return();
      return gen.return(undefined);
    },
    async throw(error?: unknown) {
      await source.return();
      return gen.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Maps each event through `fn`, which may skip it or end the stream. */
export function transform<T, U>(feed: Feed<T>, fn: (value: T) => Promise<U | typeof SKIP | typeof END>): AsyncIterableIterator<U> {
  async function* run(): AsyncGenerator<U> {
    for (;;) {
      const { value, done } = await feed.next();
      if (done) return;
      const out = await fn(value);
      if (out === END) return;
      if (out !== SKIP) yield out as U;
    }
  }
  return linked(feed, run());
}
