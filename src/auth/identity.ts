import { createHmac, timingSafeEqual } from 'node:crypto';

/** True when identityHash is the hex HMAC-SHA256 of externalId under secret. */
export function verifyIdentityHash(secret: string, externalId: string, identityHash: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(identityHash)) return false;
  const expected = createHmac('sha256', secret).update(externalId).digest();
  return timingSafeEqual(expected, Buffer.from(identityHash, 'hex'));
}

export function identityHash(secret: string, externalId: string): string {
  return createHmac('sha256', secret).update(externalId).digest('hex');
}
