/**
 * Everything a test file opened and has not closed yet (servers, clusters, sockets, processes),
 * disposed last-in first-out, as graphql-ws's tests/utils/tservers.ts does with its `leftovers`:
 * the server helper, the cluster and the factories register what they open, so no test file
 * keeps a socket list, an afterEach or an afterAll of its own for them.
 *
 * What a test (or a beforeEach) opens is disposed right after that test; what a beforeAll opens,
 * after the file's tests. Newest first: sockets before the server they talk to, a server sharing
 * another's database before the one that drops it. Each jest test file has its own module
 * registry, so each file has its own lists.
 */
type Dispose = () => unknown;

const fileScoped: Dispose[] = [];
const testScoped: Dispose[] = [];
let inTest = false;

/** Registers `dispose` to run after the test (or file) that opened it; returns a function that runs it now, once. */
export function leave(dispose: Dispose): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= Promise.resolve().then(dispose).then(() => undefined));
  (inTest ? testScoped : fileScoped).push(once);
  return once;
}

/** Disposes `list`, newest first; all run even when one fails, then the first failure is thrown. */
async function dispose(list: Dispose[]): Promise<void> {
  let failure: unknown;
  while (list.length > 0) {
    try {
      await list.pop()!();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
}

// Outside jest (bench/ imports the process and database helpers) there is nothing to hook; the
// hooks are registered when a test file first imports this, before any hook of its own, so they
// run before the file's own afterEach/afterAll (which then see everything closed).
type Hook = (fn: () => unknown, timeoutMs?: number) => void;
const hooks = globalThis as { beforeEach?: Hook; afterEach?: Hook; afterAll?: Hook };
if (hooks.afterAll && hooks.afterEach && hooks.beforeEach) {
  hooks.beforeEach(() => {
    inTest = true;
  });
  hooks.afterEach(async () => {
    inTest = false;
    await dispose(testScoped);
  }, 120_000);
  hooks.afterAll(() => dispose(fileScoped), 120_000);
}
