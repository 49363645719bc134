import { RateLimitedError } from '../errors';

/**
 * At most `max` holders at once; the next `maxWaiting` wait their turn in order, and any beyond
 * those are refused at once with RATE_LIMITED (retry in a second) rather than queued without end.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {}

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  /** Waits for a turn; resolves with the function that gives it back (call it once). */
  async acquire(): Promise<() => void> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.maxWaiting) throw new RateLimitedError(1);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
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
