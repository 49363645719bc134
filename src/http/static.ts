import compression from 'compression';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The frontends built by `npm run build` (web/build.mjs) into dist-web/: the demo page at `/`,
 * the widget at `/widget.js`, the agent console at `/console`, the full-page chat at
 * `/chat/<sessionId>` (an email's continue link), GraphiQL at `/playground` and at
 * `GET /graphql` when a browser asks for a page. Without a build the API still serves; this says so.
 */
export function mountFrontends(app: Express, logger: Pick<Logger, 'warn'>, dir = findWebDir()): void {
  if (!dir) {
    logger.warn('frontends not built (npm run build): /, /widget.js, /console, /playground and /api/docs are not served');
    return;
  }
  const page = (file: string) => (req: Request, res: Response, next: NextFunction) => {
    res.set(pageHeaders(req));
    res.sendFile(path.join(dir, file), (error) => error && next(error));
  };

  // The bundles (GraphiQL's is 1.3 MB) go compressed to clients that accept it. /graphql does not
  // pass through compression at all: filtered, it would still add `Vary: Accept-Encoding` to the
  // API's answers, which the direct path (graphql-post.ts) does not.
  const compress = compression();
  app.use((req, res, next) => (req.path.startsWith('/graphql') ? next() : compress(req, res, next)));

  // A browser opening /graphql gets the playground; API calls (JSON accepted first, or
  // carrying Apollo's CSRF-preflight headers) go on to Apollo as before.
  app.get('/graphql', (req, res, next) => (wantsPage(req) ? page('playground/index.html')(req, res, next) : next()));
  app.get('/', page('index.html'));
  app.get('/console', page('console/index.html'));
  app.get('/playground', page('playground/index.html'));
  app.get('/api/docs', page('api-docs/index.html')); // the REST API's reference (Scalar, bundled)
  // The widget full page, signed in by the link's #token (desk: the email's continue link).
  app.get(/^\/chat\/[0-9a-fA-F-]{36}\/?$/, page('chat.html'));
  app.use(
    express.static(dir, {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res, file) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        if (file.endsWith('.html')) {
          res.setHeader('Cache-Control', 'no-cache');
          return;
        }
        // widget.js is loaded by customers' pages: cacheable for a little while, usable cross-origin.
        res.setHeader('Cache-Control', path.basename(file).startsWith('widget.') ? 'public, max-age=300' : 'no-cache');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        res.setHeader('Access-Control-Allow-Origin', '*');
      },
    }),
  );
}

/** A top-level browser navigation: HTML preferred over JSON and none of Apollo's preflight headers. */
export function wantsPage(req: Request): boolean {
  if (req.headers['apollo-require-preflight'] || req.headers['x-apollo-operation-name'] || req.headers['content-type']) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

function pageHeaders(req: Request): Record<string, string> {
  const host = /^[\w.\-:[\]]+$/.test(req.headers.host ?? '') ? req.headers.host! : '';
  const ws = host ? ` ws://${host} wss://${host}` : '';
  return {
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      `connect-src 'self'${ws}`,
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'self'",
    ].join('; '),
  };
}

/** dist-web/ beside package.json, whether running from src/ (ts-jest) or dist/src/ (built). */
export function findWebDir(from = __dirname): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const web = path.join(dir, 'dist-web');
      return fs.existsSync(path.join(web, 'index.html')) ? web : null;
    }
    if (path.dirname(dir) === dir) return null;
  }
}
