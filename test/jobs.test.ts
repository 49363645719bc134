import { startTestServer } from './support/server';

/**
 * The durable job queue (src/jobs/queue.ts) that deliveries, emails and timers are built on: a job
 * sent inside a change's transaction exists exactly when the change commits, and a job is handled
 * once however many instances work the queue.
 */
describe('the job queue', () => {
  const until = async (check: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('should run a job sent in a transaction only when the transaction commits, once across two instances', async () => {
    const a = await startTestServer();
    const b = await startTestServer({ shareWith: a });
    const handled: Array<{ n: number; by: string }> = [];
    for (const [name, t] of [['a', a], ['b', b]] as const) {
      // Polled every 0.5 s, not woken by NOTIFY: what is tested here is the transaction and "once",
      // not how fast a wake-up is (a NOTIFY sent before a worker's LISTEN is up waits for the 30 s backstop).
      await t.app.jobs.define<{ n: number }>('test-jobs', { notify: false, work: { pollingIntervalSeconds: 0.5 } }, async ({ n }) => {
        handled.push({ n, by: name });
      });
    }
    const em = a.app.orm.em.fork();
    await em.transactional(async (tem) => {
      await a.app.jobs.send(tem, 'test-jobs', { n: 1 });
    });
    await expect(
      em.transactional(async (tem) => {
        await a.app.jobs.send(tem, 'test-jobs', { n: 2 });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    for (let n = 3; n < 23; n++) await b.app.jobs.send(null, 'test-jobs', { n });
    await until(() => handled.length >= 21);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ns = handled.map((h) => h.n).sort((x, y) => x - y);
    expect(ns).toEqual([1, ...Array.from({ length: 20 }, (_, i) => i + 3)]);
  });
});
