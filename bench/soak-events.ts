/**
 * The soak's partners (contract, partners): a webhook receiver in this process, registered as an
 * endpoint for every event type, and, where RabbitMQ answers (EVENTS_AMQP_URL, default the local
 * broker), a queue bound to the servers' event exchange. At the end every message stored and every
 * chat started since the endpoint was registered must have arrived at both, each webhook signed
 * (checked with the `standardwebhooks` package), and nothing may have arrived for what Postgres
 * does not hold.
 */
import amqp, { type ChannelModel } from 'amqplib';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { sleep } from './common';
import { RUN_ID } from './config';
import type { Invariant } from './soak-checks';

interface Event {
  type: string;
  data: { message?: { id: string }; chat?: { id: string } };
}

/** What arrived at one sink: per event type, the ids of its message (message.created) or chat. */
class Arrivals {
  readonly ids = new Map<string, Map<string, number>>();
  total = 0;
  add(event: Event): void {
    const id = event.type === 'message.created' ? event.data.message?.id : event.data.chat?.id;
    if (!id) return;
    this.total += 1;
    const of = this.ids.get(event.type) ?? new Map<string, number>();
    of.set(id, (of.get(id) ?? 0) + 1);
    this.ids.set(event.type, of);
  }
  duplicates(): number {
    let n = 0;
    for (const of of this.ids.values()) for (const c of of.values()) n += c - 1;
    return n;
  }
}

export class SoakEvents {
  readonly webhooks = new Arrivals();
  readonly amqp = new Arrivals();
  unsigned: string[] = [];
  private secret = '';
  private since: Date | null = null;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly broker: { model: ChannelModel; exchange: string; url: string } | null,
  ) {}

  static async start(amqpUrl: string): Promise<SoakEvents> {
    // The sinks' callbacks reach the instance made once both are set up.
    const made: { events?: SoakEvents } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(204).end();
        made.events?.received(Buffer.concat(chunks).toString('utf8'), req.headers);
      });
    });
    server.keepAliveTimeout = 10_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/soak`;
    let broker: { model: ChannelModel; exchange: string; url: string } | null = null;
    try {
      const model = await amqp.connect(amqpUrl);
      model.on('error', () => undefined);
      const exchange = `soak.events.${RUN_ID}`;
      const ch = await model.createChannel();
      // Declared as the servers declare it; the queue exists before the first event is published.
      await ch.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, exchange, '#');
      await ch.consume(queue, (m) => m && made.events?.amqp.add(JSON.parse(m.content.toString('utf8')) as Event), { noAck: true });
      broker = { model, exchange, url: amqpUrl };
    } catch {
      broker = null; // no broker here: the stream is not checked
    }
    made.events = new SoakEvents(server, url, broker);
    return made.events;
  }

  /** What the servers need: private addresses allowed (the receiver is on loopback), the event stream. */
  get env(): Record<string, string> {
    return { WEBHOOK_ALLOW_PRIVATE: '1', ...(this.broker ? { EVENTS_AMQP_URL: this.broker.url, EVENTS_AMQP_EXCHANGE: this.broker.exchange } : {}) };
  }

  /** Registers the endpoint (through nginx) and waits until every instance has reloaded the endpoints. */
  async register(graphqlUrl: string, token: string): Promise<void> {
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
        variables: { input: { url: this.url, events: ['*'], description: 'soak' } },
      }),
    });
    const json = (await res.json()) as { data?: { createWebhookEndpoint: { secret: string } }; errors?: unknown };
    if (!json.data) throw new Error(`soak: could not register the webhook endpoint: ${JSON.stringify(json.errors)}`);
    this.secret = json.data.createWebhookEndpoint.secret;
    await sleep(3000); // other instances pick up the new endpoint's event types
    this.since = new Date();
  }

  private received(body: string, headers: http.IncomingHttpHeaders): void {
    try {
      new Webhook(this.secret).verify(body, { 'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']), 'webhook-signature': String(headers['webhook-signature']) });
    } catch (error) {
      if (this.unsigned.length < 10) this.unsigned.push(`${String(headers['webhook-id'])}: ${(error as Error).message}`);
      else this.unsigned.push('');
    }
    this.webhooks.add(JSON.parse(body) as Event);
  }

  /**
   * Waits (up to `timeoutMs`) until every message stored and chat started since registration has
   * arrived at each sink, then checks.
   */
  async check(databaseUrl: string, timeoutMs: number): Promise<Invariant[]> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const since = this.since ?? new Date(0);
      const expected = async () => {
        const messages = (await client.query<{ id: string }>('select id from message where created_at >= $1', [since])).rows.map((r) => r.id);
        const chats = (await client.query<{ id: string }>('select id from chat_session where created_at >= $1', [since])).rows.map((r) => r.id);
        return { 'message.created': messages, 'chat.started': chats };
      };
      const missing = (sink: Arrivals, want: Record<string, string[]>) =>
        Object.entries(want).flatMap(([type, ids]) => ids.filter((id) => !sink.ids.get(type)?.has(id)).map((id) => `${type} ${id}`));
      const t0 = Date.now();
      let want = await expected();
      while (Date.now() - t0 < timeoutMs && (missing(this.webhooks, want).length || (this.broker && missing(this.amqp, want).length))) {
        await sleep(1000);
        want = await expected();
      }
      const waited = ((Date.now() - t0) / 1000).toFixed(1);
      const counted = `${want['message.created'].length} messages and ${want['chat.started'].length} chats since the endpoint was registered`;
      // Nothing for what was not stored: every message.created names a stored message.
      const named = [...(this.webhooks.ids.get('message.created')?.keys() ?? [])];
      const stored = new Set((await client.query<{ id: string }>('select id from message where id = any($1::uuid[])', [named])).rows.map((r) => r.id));
      const phantom = named.filter((id) => !stored.has(id)).map((id) => `message.created ${id}: no such message`);
      const out: Invariant[] = [];
      const inv = (name: string, samples: string[], detail: string): Invariant => ({ name, violations: samples.length, detail, samples: samples.slice(0, 10) });
      out.push(inv('every committed change reached the webhook endpoint', missing(this.webhooks, want), `${counted}; ${this.webhooks.total} deliveries (${this.webhooks.duplicates()} repeated), all in ${waited} s after the catch-up`));
      out.push(inv('every webhook signed, verified with standardwebhooks', this.unsigned, `${this.webhooks.total} deliveries verified`));
      out.push(inv('no webhook for a change that was not stored', phantom, `${named.length} message.created deliveries checked against Postgres`));
      if (this.broker) out.push(inv('every committed change reached the AMQP stream', missing(this.amqp, want), `${counted}; ${this.amqp.total} events (${this.amqp.duplicates()} repeated)`));
      else out.push(inv('every committed change reached the AMQP stream', [], 'not checked: RabbitMQ did not answer'));
      return out;
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    await this.broker?.model.close().catch(() => undefined);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
