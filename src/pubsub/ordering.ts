/** Anything with a per-session sequence number (messages). */
export interface Sequenced {
  seq: number;
}

export interface SeqOrderOptions<T extends Sequenced> {
  /** The last seq the client has: the stream starts after it. */
  start: number;
  /** Stored items after `after`, oldest first, at most `limit` (Postgres, in the server). */
  load(after: number, limit: number): Promise<T[]>;
  /** Replay reads this many at a time, each batch handed on before the next is read. */
  batch: number;
  /** Waits for a turn to read a replay batch (a per-viewer bound); resolves with the release. */
  turn?: () => Promise<() => void>;
  /** A live item the viewer may still see; false ends the stream (checked after dedupe). */
  admit?: (item: T) => boolean;
  /** True once the stream must end (access lost): checked before each replay batch is handed on. */
  ended?: () => boolean;
}

/**
 * The seq ordering of `messageAdded(afterSeq)`, as a pure function of a live source and a loader:
 * replay what is stored after `start` in batches, then pass live items above the last seq
 * emitted (dedupe), filling a gap (a live item that skips ahead: the bus may reorder or drop) from
 * the loader first. So: seq order, no gap, no duplicate, whatever the live source does, provided
 * the live source was subscribed before the first load (pubsub/feed.ts).
 */
export async function* inSeqOrder<T extends Sequenced>(live: AsyncIterator<T>, o: SeqOrderOptions<T>): AsyncGenerator<T> {
  let last = o.start;
  for (;;) {
    const release = o.turn ? await o.turn() : () => undefined;
    let batch: T[];
    try {
      batch = await o.load(last, o.batch);
      if (batch.length && o.ended?.()) return;
      for (const item of batch) {
        yield item;
        last = item.seq;
      }
    } finally {
      release();
    }
    if (batch.length < o.batch) break;
  }
  for (;;) {
    const { value, done } = await live.next();
    if (done) return;
    if (value.seq <= last) continue;
    if (o.admit && !o.admit(value)) return;
    if (value.seq > last + 1) {
      for (const item of await o.load(last, value.seq - last - 1)) {
        if (item.seq !== last + 1) break;
        yield item;
        last = item.seq;
      }
    }
    // Still a gap (the loader did not have them yet): wait for a later item, which fills it.
    if (value.seq === last + 1) {
      yield value;
      last = value.seq;
    }
  }
}
