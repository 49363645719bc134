/**
 * Where GraphiQL 5's Monaco editors find their web workers: the bundles web/build.mjs writes
 * beside playground.js (GraphiQL's own setup-workers modules expect Vite, webpack or esm.sh).
 * Imported first: Monaco reads this when it loads.
 */
const WORKERS: Record<string, string> = { json: 'json', graphql: 'graphql' };

(globalThis as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  // monaco on globalThis: a partner can script the editors from the console (and the browser tests read them).
  globalAPI: true,
  getWorker(_workerId: string, label: string): Worker {
    return new Worker(new URL(`./workers/${WORKERS[label] ?? 'editor'}.worker.js`, import.meta.url), { type: 'module' });
  },
};
