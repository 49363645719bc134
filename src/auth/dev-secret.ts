import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Zero set-up (embedded Postgres, no AUTH_SECRET): the data lives under DATA_DIR across restarts,
 * so the signing key does too, or every restart would void the visitor tokens widgets keep and
 * the agents' sessions. Written once, readable by the owner only.
 */
export function persistentSecret(dataDir: string): string {
  const file = path.resolve(dataDir, 'auth-secret');
  if (fs.existsSync(file)) {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  }
  const secret = randomBytes(32).toString('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
