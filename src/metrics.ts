import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics served at GET /metrics. */
export function createMetrics(queueLength: () => Promise<number>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchboard_process_' });
  return {
    registry,
    socketsOpen: new Gauge({ name: 'switchboard_websockets_open', help: 'Open WebSocket connections', registers: [registry] }),
    subscriptions: new Gauge({ name: 'switchboard_subscriptions_active', help: 'Active GraphQL subscriptions', registers: [registry] }),
    connectionsRejected: new Counter({
      name: 'switchboard_connections_rejected_total',
      help: 'Connections refused or closed by a limit: ws_per_ip (upgrade over WS_MAX_SOCKETS_PER_IP), ws_idle (no subscription for WS_IDLE_SECONDS), http_timeout (headers, request or idle keep-alive timeout)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    documentCache: new Counter({
      name: 'switchboard_document_cache_total',
      help: 'GraphQL documents looked up in the parse-and-validate LRU: hit (verdict reused) or miss (parsed and validated)',
      labelNames: ['result'],
      registers: [registry],
    }),
    operations: new Counter({
      name: 'switchboard_graphql_operations_total',
      help: 'GraphQL operations admitted to run, by path (direct: HTTP on graphql-js; apollo: HTTP through Apollo; ws: graphql-ws; rest: a REST route under /api/v1) and type',
      labelNames: ['path', 'type'],
      registers: [registry],
    }),
    messages: new Counter({ name: 'switchboard_messages_total', help: 'Messages stored', labelNames: ['author'], registers: [registry] }),
    routingDecisions: new Counter({
      name: 'switchboard_routing_decisions_total',
      help: 'Routing outcomes: assigned, queued, requeued, transferred, reassigned',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    queueLength: new Gauge({
      name: 'switchboard_queue_length',
      help: 'Sessions waiting in the queue',
      registers: [registry],
      async collect() {
        this.set(await queueLength());
      },
    }),
  };
}

export type AppMetrics = ReturnType<typeof createMetrics>;
