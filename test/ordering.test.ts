import { inSeqOrder, type SeqOrderOptions } from '../src/pubsub/ordering';

/**
 * The seq ordering of messageAdded as a pure function, on a fake feed: the live source is a list
 * of what the bus delivers (late, twice, out of order, or never), the store a list of what
 * Postgres holds.
 */
type Item = { seq: number; live?: boolean };

function fakeFeed(events: number[]): AsyncIterator<Item> {
  const queue = [...events];
  return {
    async next() {
      const seq = queue.shift();
      return seq === undefined ? { value: undefined, done: true } : { value: { seq, live: true }, done: false };
    },
  };
}

function store(upTo: number, missing: number[] = []) {
  const loads: Array<[number, number]> = [];
  const load = async (after: number, limit: number) => {
    loads.push([after, limit]);
    const items: Item[] = [];
    for (let seq = after + 1; seq <= upTo && items.length < limit; seq++) if (!missing.includes(seq)) items.push({ seq });
    return items;
  };
  return { load, loads };
}

async function collect(live: number[], o: Partial<SeqOrderOptions<Item>> & Pick<SeqOrderOptions<Item>, 'load'>) {
  const out: Item[] = [];
  for await (const item of inSeqOrder(fakeFeed(live), { start: 0, batch: 50, ...o })) out.push(item);
  return out;
}

describe('inSeqOrder', () => {
  it('should replay what is stored after start, then pass live items after it', async () => {
    const { load } = store(3);
    const out = await collect([4, 5], { load, start: 1 });
    expect(out.map((i) => [i.seq, !!i.live])).toEqual([[2, false], [3, false], [4, true], [5, true]]);
  });

  it('should replay in batches of `batch`, each read after the previous was handed on', async () => {
    const { load, loads } = store(120);
    const out = await collect([], { load, batch: 50 });
    expect(out.map((i) => i.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(loads).toEqual([[0, 50], [50, 50], [100, 50]]);
  });

  it('should drop live items already replayed or delivered (a publish seen twice)', async () => {
    const { load } = store(3);
    const out = await collect([2, 3, 4, 4, 3, 5], { load });
    expect(out.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('should fill a gap from the store when a live item skips ahead (a publish lost or late)', async () => {
    // What is stored grows as the live items arrive (a message is stored before it is published).
    let upTo = 1;
    const loads: Array<[number, number]> = [];
    const load = async (after: number, limit: number) => {
      loads.push([after, limit]);
      return Array.from({ length: Math.max(0, Math.min(limit, upTo - after)) }, (_, i) => ({ seq: after + i + 1 }));
    };
    const delivered = [4, 3, 2, 5];
    const live: AsyncIterator<Item> = {
      async next() {
        const seq = delivered.shift();
        if (seq === undefined) return { value: undefined, done: true };
        upTo = Math.max(upTo, seq);
        return { value: { seq, live: true }, done: false };
      },
    };
    const out: Item[] = [];
    for await (const item of inSeqOrder(live, { start: 0, batch: 50, load })) out.push(item);
    expect(out.map((i) => [i.seq, !!i.live])).toEqual([[1, false], [2, false], [3, false], [4, true], [5, true]]);
    expect(loads).toEqual([[0, 50], [1, 2]]); // the replay, then one read for the gap 2..3
  });

  it('should fill only up to the live item and pass the live item itself', async () => {
    const { load } = store(2);
    const live = [5];
    const stored = store(4); // 3 and 4 reached Postgres; their publishes were lost
    const out = await collect(live, { load: async (after, limit) => (after >= 2 ? stored.load(after, limit) : load(after, limit)) });
    expect(out.map((i) => [i.seq, !!i.live])).toEqual([[1, false], [2, false], [3, false], [4, false], [5, true]]);
  });

  it('should hold a live item back while the gap before it cannot be filled, and never emit out of order', async () => {
    const { load } = store(1, [2]); // 2 is not readable yet
    const out = await collect([3, 2, 3, 4], { load });
    expect(out.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
  });

  it('should end at the first live item the viewer may no longer see, after dedupe', async () => {
    const { load } = store(2);
    const out = await collect([2, 3, 4], { load, admit: (i) => i.seq < 4 });
    expect(out.map((i) => i.seq)).toEqual([1, 2, 3]);
  });

  it('should stop replaying once the stream has ended (access lost)', async () => {
    const { load } = store(120);
    let handed = 0;
    const out: number[] = [];
    for await (const item of inSeqOrder(fakeFeed([]), { start: 0, batch: 50, load, ended: () => handed >= 50 })) {
      out.push(item.seq);
      handed++;
    }
    expect(out).toHaveLength(50);
  });

  it('should give each replay batch its turn back, also when the consumer stops early', async () => {
    const { load } = store(100);
    let held = 0;
    const turn = async () => {
      held++;
      return () => void held--;
    };
    const stream = inSeqOrder(fakeFeed([]), { start: 0, batch: 50, load, turn });
    await stream.next();
    expect(held).toBe(1);
    await stream.return(undefined);
    expect(held).toBe(0);
  });
});
