import busboy from 'busboy';
import type express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app';
import { InvalidTokenError } from '../auth/tokens';
import { AppError, type ErrorCode } from '../errors';
import { RefusedFile } from '../files/inspect';
import { fail } from './graphql-post';

type Cors = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/**
 * `POST /uploads` and `GET /files/<id>` (contract, desk: "Files"): multipart read by busboy, the
 * size limit enforced while reading (413 as soon as it is passed), the rules in FileService.
 * Errors are the GraphQL-shaped body of every other refusal, with the matching HTTP status.
 */
export function mountFiles(expressApp: express.Express, app: App, cors: Cors): void {
  expressApp.options('/uploads', cors);
  expressApp.post('/uploads', cors, (req, res) => {
    receive(app, req, res).catch((error: unknown) => answerError(app, res, error));
  });
  expressApp.get('/files/:id', cors, (req, res) => {
    send(app, req, res).catch((error: unknown) => answerError(app, res, error));
  });
}

async function receive(app: App, req: express.Request, res: express.Response): Promise<void> {
  const max = app.config.UPLOAD_MAX_BYTES;
  const tooLarge = () => {
    res.setHeader('Connection', 'close');
    fail(res, 413, `The file is larger than ${Math.floor(max / 1024)} KB.`, 'BAD_USER_INPUT');
    req.unpipe();
    req.resume(); // read and drop the rest, so the client sees the answer; the socket closes after it
    setTimeout(() => req.destroy(), 5000).unref();
  };
  if (Number(req.headers['content-length'] ?? 0) > max + 64 * 1024) return tooLarge();
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    return fail(res, 400, 'Send multipart/form-data with the fields sessionId (optional) and file.', 'BAD_USER_INPUT');
  }
  const viewer = await app.tokens.fromAuthorization(req.headers.authorization);
  await app.files.admit(viewer);

  const form = await new Promise<{ fields: Map<string, string>; file?: { name: string; data: Buffer } } | 'too large'>((resolve, reject) => {
    const fields = new Map<string, string>();
    let file: { name: string; data: Buffer } | undefined;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 4, fieldSize: 1024, parts: 6, fileSize: max } });
    } catch {
      return reject(new AppError('Malformed multipart body.', 'BAD_USER_INPUT'));
    }
    let settled = false;
    const done = (value: Parameters<typeof resolve>[0] | Error) => {
      if (settled) return;
      settled = true;
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (field, stream, info) => {
      if (field !== 'file') return void stream.resume();
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => done('too large'));
      stream.on('end', () => {
        if (!settled) file = { name: info.filename ?? 'file', data: Buffer.concat(chunks) };
      });
    });
    parser.on('error', () => done(new AppError('Malformed multipart body.', 'BAD_USER_INPUT')));
    parser.on('close', () => done({ fields, file }));
    req.pipe(parser);
  });
  if (form === 'too large') return tooLarge();
  if (!form.file) return fail(res, 400, 'The field file is missing.', 'BAD_USER_INPUT');
  const sessionId = form.fields.get('sessionId') || null;
  const upload = await app.files.upload(app.orm.em.fork(), viewer, sessionId, form.file);
  const { id, name, contentType, size, width, height } = upload;
  res.status(201).json({ id, name, contentType, size, width, height });
}

async function send(app: App, req: express.Request, res: express.Response): Promise<void> {
  const found = await app.files.download(app.orm.em.fork(), String(req.params.id), req.query.expires, req.query.sig);
  if (!found) return fail(res, 403, 'This link is invalid or has expired.', 'FORBIDDEN');
  const { upload, data } = found;
  const image = upload.contentType.startsWith('image/');
  const filename = encodeURIComponent(upload.name);
  res.setHeader('Content-Type', upload.contentType);
  res.setHeader('Content-Length', data.length);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', 'sandbox');
  res.setHeader('Content-Disposition', `${image ? 'inline' : 'attachment'}; filename*=UTF-8''${filename}`);
  res.setHeader('Cache-Control', 'private, max-age=600');
  res.status(200).end(data);
}

function answerError(app: App, res: express.Response, error: unknown): void {
  if (res.headersSent) return void res.end();
  if (error instanceof RefusedFile) return fail(res, error.status, error.message, 'BAD_USER_INPUT');
  if (error instanceof InvalidTokenError) return fail(res, 401, 'The token is invalid or expired.', 'UNAUTHENTICATED');
  if (error instanceof AppError) {
    const retry = error.extensions.retryAfterSeconds;
    if (typeof retry === 'number') res.setHeader('Retry-After', String(retry));
    return fail(res, STATUS[error.code], error.message, error.code);
  }
  app.logger.error({ err: error }, 'files: unexpected error');
  fail(res, 500, 'Internal server error.', 'INTERNAL_SERVER_ERROR');
}
