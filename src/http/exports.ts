import { stringify } from 'csv-stringify';
import express, { type Request, type Response } from 'express';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { App } from '../app';
import { InvalidTokenError } from '../auth/tokens';
import * as agents from '../db/agents';
import * as sessions from '../db/sessions';
import { GraphQLError } from 'graphql';
import { AppError, BadInputError, RateLimitedError } from '../errors';
import { authorize, personId } from '../policies';
import { agentMetrics } from '../services/agent-metrics';
import type { GraphQLPipeline } from './pipeline';
import { problemResponses } from './rest/openapi';
import { sendProblem } from './rest/problem';

/** The default window, as agentMetrics's: the last 7 days. */
const WEEK_MS = 7 * 24 * 3600 * 1000;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Exports running at once on one instance (each holds a Postgres connection of its own); more are RATE_LIMITED. */
export const MAX_EXPORTS_AT_ONCE = 4;
/** The CSV is sent in chunks of about this many bytes, not a write per row. */
const CHUNK_BYTES = 64 * 1024;

const METRICS_COLUMNS = [
  'agentId', 'agentName', 'from', 'to', 'chatsAssigned', 'chatsClosed', 'resolutionRate', 'avgFirstResponseSeconds',
  'avgResponseSeconds', 'avgRating', 'messagesSent', 'chatsAbandoned',
] as const;

/**
 * No formula injection: a spreadsheet runs a cell that begins with = + - or @ as a formula, so
 * such a text cell is prefixed with ' (OWASP "CSV Injection"; the contract's rule). Numbers are
 * written as numbers.
 */
export const guardCell = (value: string): string => (/^[=+\-@]/.test(value) ? `'${value}` : value);

/** RFC 4180 (csv-stringify's defaults: comma, double quotes, CRLF inside quoted cells kept), a header row, every text cell guarded. */
const csvWriter = (columns: readonly string[]) => stringify({ header: true, columns: [...columns], record_delimiter: '\r\n', cast: { string: guardCell } });

/** Gathers the CSV writer's small pieces (one per row) into chunks of about CHUNK_BYTES. */
function chunked(): Transform {
  let pending: string[] = [];
  let size = 0;
  return new Transform({
    transform(piece: Buffer | string, _encoding, done) {
      pending.push(piece.toString());
      size += piece.length;
      if (size < CHUNK_BYTES) return done();
      const out = pending.join('');
      pending = [];
      size = 0;
      done(null, out);
    },
    flush(done) {
      done(null, pending.length ? pending.join('') : undefined);
    },
  });
}

function instant(value: unknown, field: string): Date | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !ISO.test(value) || Number.isNaN(Date.parse(value))) {
    throw new BadInputError(`${field} must be an ISO-8601 date-time, e.g. 2026-11-21T09:30:00.000Z.`, field);
  }
  return new Date(value);
}

/** `?from=&to=`: [from, to), by default the last 7 days; nothing else is accepted. */
function windowOf(req: Request): { from: Date; to: Date } {
  const unknown = Object.keys(req.query).find((k) => k !== 'from' && k !== 'to');
  if (unknown) throw new BadInputError(`Unknown query parameter ${unknown}.`, unknown);
  const to = instant(req.query.to, 'to') ?? new Date();
  const from = instant(req.query.from, 'from') ?? new Date(to.getTime() - WEEK_MS);
  if (from.getTime() > to.getTime()) throw new BadInputError('from must not be after to.', 'from');
  return { from, to };
}

/**
 * `GET /api/v1/exports/sessions.csv` and `metrics.csv` (contract, team extension: "Exports"): for a
 * supervisor token or a METRICS_READ key (the policy's `exports.read`), rate limited per caller
 * (RATE_EXPORT). RFC 4180 CSV (csv-stringify), UTF-8, a header row, streamed: the sessions come
 * from a Postgres cursor through the CSV writer to the socket with back-pressure all the way, so
 * an export of any size holds one batch in memory.
 */
type Caller = Awaited<ReturnType<GraphQLPipeline['viewer']>>;

export function exportsRouter(app: App, gql: GraphQLPipeline): express.Router {
  const router = express.Router();

  const caller = async (req: Request): Promise<Caller> => {
    let viewer: Caller;
    try {
      viewer = await gql.admitViewer(req.headers.authorization);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AppError('The token is invalid or expired.', 'UNAUTHENTICATED');
      throw error;
    }
    authorize(viewer, 'exports.read');
    // Per person, or per API key (on top of the key's own RATE_API_KEY bucket).
    await app.rateLimiter.consume('export', viewer.kind === 'apiKey' ? `key:${viewer.keyId}` : (personId(viewer) ?? 'anonymous'));
    return viewer;
  };

  const send = (name: string, window: { from: Date; to: Date }, res: Response) => {
    const stamp = (d: Date) => d.toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('content-type', 'text/csv; charset=utf-8; header=present');
    res.setHeader('content-disposition', `attachment; filename="${name}-${stamp(window.from)}-${stamp(window.to)}.csv"`);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
  };

  let running = 0;
  const handle = (work: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    let counted = false;
    try {
      if (running >= MAX_EXPORTS_AT_ONCE) throw new RateLimitedError(5);
      running++;
      counted = true;
      await work(req, res);
    } catch (error) {
      if (res.headersSent) {
        // Mid-stream: the CSV cannot be turned into an error any more; cut it so it is not taken for whole.
        app.logger.warn({ err: error }, 'export stopped');
        res.destroy();
      } else {
        // As the REST API answers (problem+json), through the one formatter: anything not ours is logged and masked.
        const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error), { originalError: error as Error });
        sendProblem(res, gql.format(graphQLError.toJSON(), error));
      }
    } finally {
      if (counted) running--;
    }
  };

  router.get('/sessions.csv', handle(async (req, res) => {
    await caller(req);
    const window = windowOf(req);
    const rows = await sessions.exportRows(app.orm.em.fork(), window.from, window.to);
    send('sessions', window, res);
    await pipeline(rows, csvWriter(sessions.EXPORT_COLUMNS), chunked(), res);
  }));

  router.get('/metrics.csv', handle(async (req, res) => {
    const viewer = await caller(req);
    const window = windowOf(req);
    const em = app.orm.em.fork();
    const team = await agents.list(em, null, true);
    send('metrics', window, res);
    const csv = csvWriter(METRICS_COLUMNS);
    const done = pipeline(csv, res);
    // One agent at a time, written as it is computed (the team row last): a large team streams too.
    for (const agent of [...team, null]) {
      const m = await agentMetrics(em, viewer, { agentId: agent?.id ?? null, from: window.from, to: window.to });
      const record = { ...m, agentName: agent ? agent.name : 'team', from: m.from.toISOString(), to: m.to.toISOString() };
      if (!csv.write(METRICS_COLUMNS.map((c) => record[c]))) await new Promise((resolve) => csv.once('drain', resolve));
    }
    csv.end();
    await done;
  }));

  return router;
}

/**
 * The two routes in the OpenAPI document (http/rest/openapi.ts), from the same columns the
 * handlers write: the document cannot list a column the CSV lacks.
 */
export function exportPaths(): Record<string, Record<string, unknown>> {
  const window = ['from', 'to'].map((name) => ({
    name,
    in: 'query',
    required: false,
    description: `ISO-8601; the window is [from, to), by default the last 7 days.`,
    schema: { type: 'string' },
  }));
  const csv = (what: string, columns: readonly string[]) => ({
    description: `${what}: RFC 4180, UTF-8, a header row, streamed; a text cell beginning with = + - or @ is prefixed with '. Columns: ${columns.join(', ')}.`,
    headers: {
      'Content-Disposition': { description: 'attachment; filename="…"', schema: { type: 'string' } },
      'Cache-Control': { schema: { type: 'string', enum: ['no-store'] } },
    },
    content: { 'text/csv': { schema: { type: 'string' } } },
  });
  const operation = (operationId: string, summary: string, what: string, columns: readonly string[]) => ({
    get: {
      operationId,
      summary,
      description: 'A supervisor token or an API key with METRICS_READ. At most a few at once per caller (RATE_EXPORT).',
      tags: ['Exports'],
      security: [{ bearer: [] }],
      parameters: window,
      responses: { 200: csv(what, columns), ...problemResponses(false) },
    },
  });
  return {
    '/exports/sessions.csv': operation('exportSessions', 'Sessions as CSV', 'One row per session created in the window', sessions.EXPORT_COLUMNS),
    '/exports/metrics.csv': operation('exportMetrics', 'Agent metrics as CSV', 'One row per agent, then the team', METRICS_COLUMNS),
  };
}
