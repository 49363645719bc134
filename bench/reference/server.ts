/**
 * The bare reference: the benchmark's three operations (startChat, sendMessage, messageAdded)
 * written directly on graphql-js + ws/graphql-ws + pg + ioredis, with no framework. A yardstick
 * for the project, not product code: visitors only, no routing, no rate limits, no metrics.
 *
 * It keeps the guarantees the project keeps, so the comparison is of overhead, not of
 * semantics: sendMessage is one SQL statement (seq under the session's row lock, idempotent on
 * clientMessageId) and publishes only after it committed; messageAdded is authorised when it
 * starts, subscribes to the live channel first, then replays from Postgres, then passes live
 * events above the last seq emitted (filling any gap from Postgres).
 *
 * Same tables as the project (the orchestrator applies the project's migrations to its database).
 * Tokens: HMAC-SHA256 over a small JSON payload (what a bare server would do; the project signs
 * HS256 JWTs). Parsed and validated documents are cached by query text (HTTP and WebSocket), as
 * Apollo and the project do.
 *
 * Env: DATABASE_URL, REDIS_URL, PORT, AUTH_SECRET, REDIS_PREFIX, PG_POOL_MAX.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import {
  buildSchema,
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { WebSocketServer } from 'ws';

const SDL = /* GraphQL */ `
  enum Author { VISITOR AGENT SYSTEM }
  enum SessionStatus { QUEUED ACTIVE CLOSED }
  type Customer { id: ID! name: String }
  type Message {
    id: ID!
    sessionId: ID!
    seq: Int!
    author: Author!
    authorName: String
    body: String!
    clientMessageId: String
    createdAt: String!
  }
  type ChatSession { id: ID! status: SessionStatus! customer: Customer! lastSeq: Int! createdAt: String! }
  type StartChatPayload { session: ChatSession! visitorToken: String! }
  input StartChatInput { name: String, message: String, clientMessageId: String }
  input SendMessageInput { sessionId: ID!, body: String!, clientMessageId: String }
  type Query { ok: Boolean }
  type Mutation {
    startChat(input: StartChatInput!): StartChatPayload!
    sendMessage(input: SendMessageInput!): Message!
  }
  type Subscription { messageAdded(sessionId: ID!, afterSeq: Int): Message! }
`;

interface Msg {
  id: string;
  sessionId: string;
  seq: number;
  author: string;
  authorName: string | null;
  body: string;
  clientMessageId: string | null;
  createdAt: string;
}
interface Ctx {
  customerId: string | null;
}

const env = process.env;
const SECRET = env.AUTH_SECRET ?? 'reference-secret-reference-secret-0123456789';
const PREFIX = env.REDIS_PREFIX ?? 'ref:';
const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.PG_POOL_MAX ?? 20) });
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const subscriber = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');

// ---- tokens -------------------------------------------------------------------------------
function sign(customerId: string): string {
  const payload = Buffer.from(JSON.stringify({ sub: customerId, exp: Math.floor(Date.now() / 1000) + 30 * 86400 })).toString('base64url');
  return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url')}`;
}
function verify(header: unknown): string | null | false {
  if (header === undefined || header === null || header === '') return null;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const [payload, mac] = header.slice(7).split('.');
  if (!payload || !mac) return false;
  const want = createHmac('sha256', SECRET).update(payload).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; exp: number };
  return claims.exp * 1000 > Date.now() ? claims.sub : false;
}

// ---- helpers ------------------------------------------------------------------------------
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fail = (code: string, message: string) => new GraphQLError(message, { extensions: { code } });
const COLUMNS = 'id, session_id, seq, author, author_name, body, client_message_id, created_at';
function toMsg(r: Record<string, unknown>): Msg {
  return {
    id: r.id as string,
    sessionId: r.session_id as string,
    seq: r.seq as number,
    author: r.author as string,
    authorName: (r.author_name as string | null) ?? null,
    body: r.body as string,
    clientMessageId: (r.client_message_id as string | null) ?? null,
    createdAt: (r.created_at as Date).toISOString(),
  };
}
function checkBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim().length < 1 || body.trim().length > 4000) throw fail('BAD_USER_INPUT', 'body must be 1 to 4000 characters');
  return body;
}
function checkCmid(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > 100) throw fail('BAD_USER_INPUT', 'clientMessageId must be at most 100 characters');
  return v;
}

// ---- pub/sub: one Redis subscriber connection, channels ref-counted in process --------------
type Listener = (m: Msg) => void;
const channels = new Map<string, { listeners: Set<Listener>; ready: Promise<unknown> }>();
subscriber.on('message', (channel: string, raw: string) => {
  const entry = channels.get(channel);
  if (!entry) return;
  const message = JSON.parse(raw) as Msg;
  for (const listener of entry.listeners) listener(message);
});
async function listen(channel: string, listener: Listener): Promise<() => void> {
  let entry = channels.get(channel);
  if (!entry) {
    entry = { listeners: new Set(), ready: subscriber.subscribe(channel) };
    channels.set(channel, entry);
  }
  entry.listeners.add(listener);
  await entry.ready;
  return () => {
    const current = channels.get(channel);
    if (!current || !current.listeners.delete(listener) || current.listeners.size) return;
    channels.delete(channel);
    void subscriber.unsubscribe(channel).catch(() => undefined);
  };
}

/** A subscribed-before-handed-out queue; return() settles a parked next() at once. */
class Feed {
  private buffer: Msg[] = [];
  private waiter?: (r: IteratorResult<Msg>) => void;
  closed = false;
  stop?: () => void;
  push = (m: Msg) => {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: m, done: false });
    } else if (this.buffer.length >= 1000) this.close();
    else this.buffer.push(m);
  };
  next(): Promise<IteratorResult<Msg>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift() as Msg, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.buffer.length = 0;
    this.stop?.();
    this.waiter?.({ value: undefined, done: true });
    this.waiter = undefined;
  }
}

async function messagesAfter(sessionId: string, after: number, limit: number): Promise<Msg[]> {
  const { rows } = await pool.query(`select ${COLUMNS} from message where session_id = $1 and seq > $2 order by seq limit $3`, [sessionId, after, limit]);
  return rows.map(toMsg);
}

// ---- the three operations ------------------------------------------------------------------
const SEND = `
with s as (
  update chat_session set last_seq = last_seq + 1
   where id = $1 and customer_id = $2 and status <> 'CLOSED'
     and ($3::text is null or not exists (select 1 from message m where m.session_id = $1 and m.client_message_id = $3::text))
  returning id, last_seq
)
insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
select gen_random_uuid(), s.id, s.last_seq, 'VISITOR', $2, (select name from customer where id = $2), $4, $3::text, now()
  from s
returning ${COLUMNS}`;

const sendMessage: GraphQLFieldResolver<unknown, Ctx, { input: { sessionId: string; body: string; clientMessageId?: string | null } }> = async (_s, { input }, ctx) => {
  if (!ctx.customerId) throw fail('UNAUTHENTICATED', 'Sign in first.');
  const body = checkBody(input.body);
  const cmid = checkCmid(input.clientMessageId);
  if (!UUID.test(input.sessionId)) throw fail('NOT_FOUND', 'Not found.');
  let rows: Array<Record<string, unknown>> = [];
  try {
    rows = (await pool.query(SEND, [input.sessionId, ctx.customerId, cmid, body])).rows;
  } catch (error) {
    if ((error as { code?: string }).code !== '23505' || !cmid) throw error;
  }
  if (rows.length) {
    const message = toMsg(rows[0]);
    redis.publish(`${PREFIX}message.created:${input.sessionId}`, JSON.stringify(message)).catch(() => undefined);
    return message;
  }
  // Nothing written: a retry (return the first) or a refusal.
  const { rows: s } = await pool.query('select customer_id, status from chat_session where id = $1', [input.sessionId]);
  if (!s.length || s[0].customer_id !== ctx.customerId) throw fail('NOT_FOUND', 'Not found.');
  if (cmid) {
    const { rows: existing } = await pool.query(`select ${COLUMNS} from message where session_id = $1 and client_message_id = $2`, [input.sessionId, cmid]);
    if (existing.length) return toMsg(existing[0]);
  }
  throw fail('CONFLICT', 'This chat is closed.');
};

const START_NEW = `
with c as (insert into customer (id, name, verified, created_at) values ($1, $2, false, now()) returning id, name),
s as (
  insert into chat_session (id, customer_id, status, queued_at, created_at, last_seq)
  select $3, c.id, 'QUEUED', clock_timestamp(), date_trunc('milliseconds', now()), case when $4::text is null then 0 else 1 end from c
  returning id, customer_id, status, last_seq, created_at
),
m as (
  insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
  select gen_random_uuid(), s.id, 1, 'VISITOR', s.customer_id, c.name, $4::text, $5, now() from s, c where $4::text is not null
  returning ${COLUMNS}
)
select s.*, (select row_to_json(m) from m) as first from s`;

const START_KNOWN = `
with s as (
  insert into chat_session (id, customer_id, status, queued_at, created_at, last_seq)
  values ($3, $1, 'QUEUED', clock_timestamp(), date_trunc('milliseconds', now()), case when $4::text is null then 0 else 1 end)
  returning id, customer_id, status, last_seq, created_at
),
m as (
  insert into message (id, session_id, seq, author, author_id, author_name, body, client_message_id, created_at)
  select gen_random_uuid(), s.id, 1, 'VISITOR', s.customer_id, coalesce($2, (select name from customer where id = $1)), $4::text, $5, now() from s where $4::text is not null
  returning ${COLUMNS}
)
select s.*, (select row_to_json(m) from m) as first from s`;

const startChat: GraphQLFieldResolver<unknown, Ctx, { input: { name?: string | null; message?: string | null; clientMessageId?: string | null } }> = async (_s, { input }, ctx) => {
  const first = input.message === undefined || input.message === null ? null : checkBody(input.message);
  const cmid = checkCmid(input.clientMessageId);
  const customerId = ctx.customerId ?? randomUUID();
  const sessionId = randomUUID();
  const { rows } = await pool.query(ctx.customerId ? START_KNOWN : START_NEW, [customerId, input.name ?? null, sessionId, first, cmid]);
  const s = rows[0];
  if (s.first) {
    const f = s.first as Record<string, unknown>;
    const message: Msg = { ...toMsg({ ...f, created_at: new Date(f.created_at as string) }) };
    redis.publish(`${PREFIX}message.created:${sessionId}`, JSON.stringify(message)).catch(() => undefined);
  }
  return {
    visitorToken: sign(customerId),
    session: { id: s.id, status: s.status, customer: { id: customerId, name: input.name ?? null }, lastSeq: s.last_seq, createdAt: (s.created_at as Date).toISOString() },
  };
};

/** Subscribe first, then replay after afterSeq (or from the newest), then live above the last seq. */
async function messageAdded(_s: unknown, args: { sessionId: string; afterSeq?: number | null }, ctx: Ctx): Promise<AsyncIterableIterator<Msg>> {
  if (!ctx.customerId) throw fail('UNAUTHENTICATED', 'Sign in first.');
  const { sessionId } = args;
  if (!UUID.test(sessionId)) throw fail('NOT_FOUND', 'Not found.');
  const { rows } = await pool.query('select customer_id from chat_session where id = $1', [sessionId]);
  if (!rows.length || rows[0].customer_id !== ctx.customerId) throw fail('NOT_FOUND', 'Not found.');
  const feed = new Feed();
  feed.stop = await listen(`${PREFIX}message.created:${sessionId}`, feed.push);
  let start = args.afterSeq ?? null;
  if (start === null) {
    const { rows: s } = await pool.query('select last_seq from chat_session where id = $1', [sessionId]);
    start = (s[0]?.last_seq as number | undefined) ?? 0;
  }
  async function* run(last: number): AsyncGenerator<Msg> {
    for (;;) {
      const batch = await messagesAfter(sessionId, last, 500);
      for (const m of batch) {
        yield m;
        last = m.seq;
      }
      if (batch.length < 500) break;
    }
    for (;;) {
      const { value, done } = await feed.next();
      if (done) return;
      if (value.seq <= last) continue;
      if (value.seq > last + 1) {
        for (const m of await messagesAfter(sessionId, last, value.seq - last - 1)) {
          if (m.seq !== last + 1) break;
          yield m;
          last = m.seq;
        }
      }
      if (value.seq === last + 1) {
        yield value;
        last = value.seq;
      }
    }
  }
  const gen = run(start);
  const stream: AsyncIterableIterator<Msg> = {
    next: () => gen.next(),
    async return() {
      feed.close();
      return gen.return(undefined);
    },
    async throw(error?: unknown) {
      feed.close();
      return gen.throw(error);
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}

// ---- schema ----------------------------------------------------------------------------------
const schema = buildSchema(SDL);
const mutation = schema.getMutationType() as GraphQLObjectType;
mutation.getFields().startChat.resolve = startChat as GraphQLFieldResolver<unknown, unknown>;
mutation.getFields().sendMessage.resolve = sendMessage as GraphQLFieldResolver<unknown, unknown>;
const subscriptionField = (schema.getSubscriptionType() as GraphQLObjectType).getFields().messageAdded;
subscriptionField.subscribe = messageAdded as unknown as GraphQLFieldResolver<unknown, unknown>;
subscriptionField.resolve = (payload: unknown) => payload;

// ---- HTTP ------------------------------------------------------------------------------------
const MAX_BODY = 100 * 1024;
const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
function documentFor(query: string): DocumentNode | readonly GraphQLError[] {
  let doc = documents.get(query);
  if (!doc) {
    try {
      const parsed = parse(query, { maxTokens: 5000 });
      const errors = validate(schema, parsed);
      doc = errors.length ? errors : parsed;
    } catch (error) {
      doc = [error instanceof GraphQLError ? error : new GraphQLError('Could not parse the query.')];
    }
    if (documents.size > 1000) documents.clear();
    documents.set(query, doc);
  }
  return doc;
}
function formatErrors(errors: readonly GraphQLError[]) {
  return errors.map((e) => {
    const code = (e.originalError instanceof GraphQLError ? e.originalError.extensions.code : e.extensions.code) as string | undefined;
    const known = code ?? (e.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT');
    return { message: known === 'INTERNAL_SERVER_ERROR' ? 'Internal server error.' : e.message, path: e.path, extensions: { code: known } };
  });
}
function reply(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return reply(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/graphql') return reply(res, 404, { error: 'not found' });
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    void (async () => {
      let body: { query?: unknown; variables?: Record<string, unknown>; operationName?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(res, 400, { errors: [{ message: 'Malformed request body.', extensions: { code: 'BAD_USER_INPUT' } }] });
      }
      if (typeof body.query !== 'string') return reply(res, 400, { errors: [{ message: 'query is required', extensions: { code: 'BAD_USER_INPUT' } }] });
      const document = documentFor(body.query);
      if (!('kind' in document)) return reply(res, 400, { errors: formatErrors(document) });
      const customerId = verify(req.headers.authorization);
      if (customerId === false) return reply(res, 200, { errors: [{ message: 'The token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }] });
      const result = await execute({ schema, document, variableValues: body.variables, operationName: body.operationName, contextValue: { customerId } satisfies Ctx });
      reply(res, 200, result.errors ? { ...result, errors: formatErrors(result.errors) } : result);
    })().catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent) reply(res, 500, { errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    });
  });
});

// ---- WebSocket -------------------------------------------------------------------------------
const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY });
useServer<Record<string, unknown> | undefined, { customerId?: string | null }>(
  {
    schema,
    connectionInitWaitTimeout: 3000,
    onConnect: (ctx) => {
      const customerId = verify(ctx.connectionParams?.authorization);
      if (customerId === false) return false;
      ctx.extra.customerId = customerId;
      return true;
    },
    context: (ctx): Ctx => ({ customerId: ctx.extra.customerId ?? null }),
    // Parse and validate each distinct document once, as the HTTP side does (and as the project does).
    onSubscribe: (ctx, _id, payload) => {
      const document = documentFor(payload.query);
      if (!('kind' in document)) return document;
      return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue: { customerId: ctx.extra.customerId ?? null } satisfies Ctx };
    },
  },
  wss,
);

const port = Number(env.PORT ?? 4100);
server.listen(port, env.HOST ?? '0.0.0.0', () => {
  console.log(JSON.stringify({ msg: 'reference listening', port, pid: process.pid }));
});

const stop = () => {
  for (const socket of wss.clients) socket.close(1001, 'Server shutting down');
  server.close();
  void Promise.allSettled([pool.end(), redis.quit(), subscriber.quit()]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
