import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Target } from './factories';
import { leave } from './leftovers';

/** JSON as received: the tests read into it freely (what they expect is asserted, not typed). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

/** One request a receiver got, as it arrived. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { type: string; timestamp: string; data: Loose };
  at: number;
}

/** What the receiver answers a request: a status, or 'hang' (never answers). */
export type Answer = number | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1, as a partner would run one: it records every POST and answers
 * with `answer(request, n)` (default 200), n counting from 1 per webhook-id. Closed after the file.
 */
export async function startReceiver(answer: (r: Received, n: number) => Answer | Promise<Answer> = () => 200) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const inFlight = new Map<string, number>();
  let overlaps = 0;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body,
        event: JSON.parse(body),
        at: Date.now(),
      };
      received.push(r);
      const n = (counts.get(r.id) ?? 0) + 1;
      counts.set(r.id, n);
      const flying = (inFlight.get(r.id) ?? 0) + 1;
      inFlight.set(r.id, flying);
      if (flying > 1) overlaps += 1;
      // Over when answered, or when the sender went away (an instance killed mid-attempt).
      res.once('close', () => inFlight.set(r.id, (inFlight.get(r.id) ?? 1) - 1));
      const status = await answer(r, n);
      if (status === 'hang') {
        hanging.add(res);
        return;
      }
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  leave(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Requests that arrived while another attempt of the same delivery was unanswered. */
    get overlaps() {
      return overlaps;
    },
    of: (type: string) => received.filter((r) => r.event.type === type),
  };
}

/** What `standardwebhooks`' own verify says of a request, with this secret. */
export function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });
}

export const ENDPOINT_FIELDS = 'id url events description enabled disabledReason createdAt';
export const DELIVERY_FIELDS = 'id endpointId event status attempts responseStatus lastError lastAttemptAt nextAttemptAt createdAt payload';

export async function createEndpoint(t: Target, token: string, input: { url: string; events: string[]; description?: string }) {
  const { createWebhookEndpoint } = await t.http.ok<{ createWebhookEndpoint: { endpoint: Loose; secret: string } }, unknown>(
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`,
    { input },
    token,
  );
  return createWebhookEndpoint;
}

export async function deliveriesOf(t: Target, token: string, endpointId: string, first = 200): Promise<Array<Loose>> {
  const { webhookDeliveries } = await t.http.ok<{ webhookDeliveries: { deliveries: Array<Loose> } }, unknown>(
    `query($id: ID, $first: Int) { webhookDeliveries(endpointId: $id, first: $first) { deliveries { ${DELIVERY_FIELDS} } endCursor } }`,
    { id: endpointId, first },
    token,
  );
  return webhookDeliveries.deliveries;
}
