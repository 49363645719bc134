import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Operation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

/** Bodies are checked against the document at run time (below); tests read them freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface RestResponse<T = Json> {
  status: number;
  headers: Headers;
  contentType: string;
  body: T;
}

export interface RestOptions {
  token?: string;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  /** Sent as it is (with `contentType`, default application/json). */
  raw?: string | Buffer;
  contentType?: string | null;
  headers?: Record<string, string>;
}

/**
 * A REST client of /api/v1 over real HTTP, as a partner's backend calls it, that validates every
 * response it receives against the server's own OpenAPI document (status documented for the
 * operation, body against its schema, with ajv's 2020-12 dialect, OpenAPI 3.1's): a response the
 * document does not describe fails the test that received it.
 */
export class RestClient {
  private document?: Promise<{ doc: Document; ajv: Ajv2020 }>;
  private readonly validators = new Map<string, ValidateFunction>();
  /** Every (method path status) received, for the coverage check. */
  readonly seen = new Set<string>();

  constructor(readonly base: string) {}

  get(path: string, options: RestOptions = {}) {
    return this.request('GET', path, options);
  }

  post(path: string, body?: unknown, options: RestOptions = {}) {
    return this.request('POST', path, { ...options, ...(body === undefined ? {} : { body }) });
  }

  put(path: string, body?: unknown, options: RestOptions = {}) {
    return this.request('PUT', path, { ...options, ...(body === undefined ? {} : { body }) });
  }

  async request<T = Json>(method: string, url: string, options: RestOptions = {}): Promise<RestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    const type = options.contentType === undefined ? 'application/json' : options.contentType;
    if (body !== undefined && type) headers['content-type'] = type;
    const response = await fetch(`${this.base}/api/v1${url}`, { method, headers, body });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/json/.test(contentType)) parsed = JSON.parse(text);
    await this.check(method, url, response.status, contentType, parsed);
    return { status: response.status, headers: response.headers, contentType, body: parsed as T };
  }

  /** The served document, as a partner downloads it. */
  async openApi(): Promise<Document> {
    return (await this.load()).doc;
  }

  private load() {
    this.document ??= (async () => {
      const response = await fetch(`${this.base}/api/v1/openapi.json`);
      const doc = (await response.json()) as Document;
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema({ $id: 'openapi', components: doc.components });
      return { doc, ajv };
    })();
    return this.document;
  }

  private async check(method: string, url: string, status: number, contentType: string, body: unknown): Promise<void> {
    const { doc, ajv } = await this.load();
    const pathname = url.split('?')[0];
    const template = Object.keys(doc.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(pathname));
    const where = `${method} ${pathname} → ${status}`;
    if (!template) throw new Error(`${where}: the path is not in the OpenAPI document`);
    const operation = doc.paths[template][method.toLowerCase()];
    if (!operation) throw new Error(`${where}: the method is not in the OpenAPI document`);
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
    const mediaType = contentType.split(';')[0].trim();
    const media = response.content?.[mediaType];
    if (!media) throw new Error(`${where}: content type ${mediaType} not documented`);
    const key = `${template} ${method} ${status} ${mediaType}`;
    let validate = this.validators.get(key);
    if (!validate) {
      const schema = media.schema.$ref ? { $ref: `openapi${media.schema.$ref as string}` } : media.schema;
      validate = ajv.compile(schema);
      this.validators.set(key, validate);
    }
    if (!validate(body)) throw new Error(`${where}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    this.seen.add(`${method} ${template} ${status}`);
  }
}

/** Runs the maintained OpenAPI validator (@seriousme/openapi-schema-validator, ESM) on a document, in its own process. */
export async function validateOpenApi(doc: unknown): Promise<{ valid: boolean; version?: string; output: string }> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, file], (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      resolve({ valid: !error, version: /version[^\d]*(\d\.\d)/i.exec(output)?.[1], output });
    });
  });
}
