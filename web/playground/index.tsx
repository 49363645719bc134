/**
 * GraphiQL, bundled into the server's static files: nothing is loaded from other hosts.
 * Queries and mutations go over HTTP POST, subscriptions over graphql-ws. One Authorization for
 * all tabs: the last one sent from any tab's headers is used by every tab that has none of its
 * own (or only the placeholder). ?query=, ?variables= and ?headers= pre-fill the editors.
 * Tabs live in memory: a reload starts again from the examples, never duplicating them.
 */
import './workers';
import 'graphiql/style.css';
import './playground.css';
import { GraphiQL, type GraphiQLProps } from 'graphiql';
import { createClient, type Client } from 'graphql-ws/client';
import { createRoot } from 'react-dom/client';
import { examples, PLACEHOLDER_TOKEN } from './examples';

type Fetcher = GraphiQLProps['fetcher'];

const httpUrl = `${location.origin}/graphql`;
const wsUrl = `${location.origin.replace(/^http/, 'ws')}/graphql`;

/** The Authorization last sent from any tab: shared by all tabs. */
let sharedAuthorization: string | undefined;

/** Header names in lower case; the placeholder token is not sent; the shared token fills in. */
function normalise(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (name.toLowerCase() === 'authorization' && String(value) === PLACEHOLDER_TOKEN) continue;
    out[name.toLowerCase()] = String(value);
  }
  if (out.authorization) sharedAuthorization = out.authorization;
  else if (sharedAuthorization) out.authorization = sharedAuthorization;
  return out;
}

/**
 * GraphiQL's storage, in memory: tabs from localStorage came back doubled on every reload. It
 * starts with the first tab's text, where GraphiQL looks for its editors' first values (the
 * query, variables and headers props would do that too, but then keep the first operation's
 * name when another tab runs).
 */
function memoryStorage(first: { query: string; variables?: string; headers: string }) {
  const items = new Map<string, string>([
    ['graphiql:query', first.query],
    ['graphiql:variables', first.variables ?? ''],
    ['graphiql:headers', first.headers],
  ]);
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
    clear: () => items.clear(),
    get length() {
      return items.size;
    },
  };
}

/** One socket per Authorization value: a new token means a new connection_init. */
let socket: { authorization: string | undefined; client: Client } | undefined;
function wsClient(authorization: string | undefined): Client {
  if (socket && socket.authorization === authorization) return socket.client;
  void socket?.client.dispose();
  const client = createClient({
    url: wsUrl,
    lazy: true,
    retryAttempts: 2,
    connectionParams: authorization ? { authorization } : {},
  });
  socket = { authorization, client };
  return client;
}

const fetcher: Fetcher = async (params, opts) => {
  const headers = normalise(opts?.headers);
  const operation = opts?.documentAST?.definitions.find(
    (d): d is Extract<typeof d, { kind: 'OperationDefinition' }> =>
      d.kind === 'OperationDefinition' && (!params.operationName || d.name?.value === params.operationName),
  );
  if (operation?.operation === 'subscription') {
    return wsClient(headers.authorization).iterate({
      query: params.query,
      variables: params.variables ?? undefined,
      operationName: params.operationName ?? undefined,
    });
  }
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
    body: JSON.stringify(params),
  });
  return response.json();
};

const search = new URLSearchParams(location.search);
const query = search.get('query') ?? undefined;
const variables = search.get('variables') ?? undefined;
const headers = search.get('headers') ?? undefined;
const defaultHeaders = JSON.stringify({ Authorization: PLACEHOLDER_TOKEN }, null, 2);
const tabs = [...(query ? [{ query, variables, headers: headers ?? defaultHeaders }] : []), ...examples.map((e) => ({ query: e.query, variables: e.variables, headers: defaultHeaders }))];

createRoot(document.getElementById('root')!).render(
  <GraphiQL
    fetcher={fetcher}
    storage={memoryStorage(tabs[0])}
    defaultTabs={tabs}
    defaultHeaders={defaultHeaders}
    defaultEditorToolsVisibility={headers || !query ? 'headers' : 'variables'}
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
  >
    <GraphiQL.Logo>Switchboard</GraphiQL.Logo>
  </GraphiQL>,
);
