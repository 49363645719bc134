import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

/**
 * The Standard Webhooks signature (contract, partners: `v1,<base64 HMAC-SHA256(key, id + "." +
 * timestamp + "." + body)>`, `key` the base64-decoded part of the secret after `whsec_`), made
 * with node:crypto: the `standardwebhooks` package signs in JavaScript (fast-sha256) at about five
 * times the CPU per delivery (bench/README.md). The tests check every delivery with that package's
 * own `verify`.
 */
export class Signer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  }

  sign(id: string, seconds: number, body: string): string {
    return `v1,${createHmac('sha256', this.key).update(`${id}.${seconds}.${body}`).digest('base64')}`;
  }
}
