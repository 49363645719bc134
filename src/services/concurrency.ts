import { RateLimitedError } from '../errors';

/**
 * At most `max` holders at once; the next `maxWaiting` wait their turn in order, and any beyond
 * those are refused at once with RATE_LIMITED (retry in a second) rather than queued without end.
 * A `priority` caller waits in a lane of its own (as long, as bounded), served before the others.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly waitingFirst: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {}

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0 && this.waitingFirst.length === 0;
  }

  /** Waits for a turn; resolves with the function that gives it back (call it once). */
  async acquire(priority = false): Promise<() => void> {
    if (this.running >= this.max) {
      const lane = priority ? this.waitingFirst : this.waiting;
      if (lane.length >= this.maxWaiting) throw new RateLimitedError(1);
      await new Promise<void>((resolve) => lane.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waitingFirst.shift() ?? this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  async run<T>(task: () => Promise<T>, priority = false): Promise<T> {
    const release = await this.acquire(priority);
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/**
 * Keys refused a moment ago, remembered for `ttlMs` (at most `size` of them, the oldest forgotten
 * first): a client that retries as told gets a place in the priority lane, which a flood of
 * ever-new requests never earns.
 */
export class RecentlyRefused {
  private readonly at = new Map<string, number>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly size = 10_000,
  ) {}

  has(key: string): boolean {
    const at = this.at.get(key);
    return at !== undefined && Date.now() - at < this.ttlMs;
  }

  add(key: string): void {
    this.at.delete(key);
    if (this.at.size >= this.size) this.at.delete(this.at.keys().next().value as string);
    this.at.set(key, Date.now());
  }

  delete(key: string): void {
    this.at.delete(key);
  }
}

/** One Semaphore per key (a viewer, say), forgotten when idle, so memory follows the keys in use. */
export class KeyedSemaphore {
  private readonly byKey = new Map<string, Semaphore>();

  constructor(private readonly max: number) {}

  async acquire(key: string): Promise<() => void> {
    let semaphore = this.byKey.get(key);
    if (!semaphore) this.byKey.set(key, (semaphore = new Semaphore(this.max)));
    const release = await semaphore.acquire();
    return () => {
      release();
      if (semaphore.idle && this.byKey.get(key) === semaphore) this.byKey.delete(key);
    };
  }
}

/**
 * `promise`, or a rejection once `ms` have passed without its answer (the answer, if it comes
 * later, is dropped). For a backing service that must not hold a request: Redis reconnecting.
 */
export function within<T>(promise: Promise<T>, ms: number, what = 'the answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
