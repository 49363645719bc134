import { createHmac, timingSafeEqual } from 'node:crypto';

/** A download URL is valid for an hour and at least 50 minutes, rounded so that one file's URL stays the same for ten. */
const VALID_SECONDS = 3600;
const ROUND_SECONDS = 600;

/**
 * Signed, expiring download URLs (contract, desk: "Files"): `/files/<id>?expires=<unix>&sig=<hmac>`,
 * HMAC-SHA256 under a key derived from the server secret, so any instance checks any URL.
 */
export class UrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('switchboard files v1').digest();
  }

  url(id: string, now = Date.now()): string {
    const expires = Math.ceil((now / 1000 + VALID_SECONDS - ROUND_SECONDS) / ROUND_SECONDS) * ROUND_SECONDS + ROUND_SECONDS;
    return `/files/${id}?expires=${expires}&sig=${this.sign(id, expires)}`;
  }

  /** True when `sig` is this server's signature of `id` until `expires`, and that is still ahead. */
  verify(id: string, expires: unknown, sig: unknown, now = Date.now()): boolean {
    if (typeof expires !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(expires)) return false;
    const at = Number(expires);
    if (at * 1000 <= now) return false;
    const expected = Buffer.from(this.sign(id, at));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${id}.${expires}`).digest('base64url');
  }
}
