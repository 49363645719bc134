import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Revocations } from '../auth/revocation';
import { InvalidTokenError } from '../auth/tokens';
import * as apiKeys from '../db/api-keys';
import { isUuid } from '../db/sql';
import { BadInputError, ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { authorize, type Actor, type ApiKeyViewer, type ApiScope } from '../policies';
import type { Transactions } from './transaction';
import * as validate from './validate';

export type ApiKeyRow = apiKeys.ApiKeyRow;

/** `sbk_` + 43 base64url characters (32 random bytes). */
const SECRET = /^sbk_[A-Za-z0-9_-]{43}$/;
export const isApiKeySecret = (token: string): boolean => token.startsWith('sbk_');

export const API_SCOPES: readonly ApiScope[] = ['CHATS_READ', 'CHATS_WRITE', 'AGENTS_READ', 'AGENTS_WRITE', 'METRICS_READ', 'WEBHOOKS_MANAGE'];

/** A verified key is trusted this long without asking Postgres again (or until revoked). */
export const KEY_CACHE_MS = 3000;
const CACHE_SIZE = 5000;
/** Keys not revoked, at most. */
export const MAX_LIVE_KEYS = 100;
/** lastUsedAt is written at most once a minute per key. */
const TOUCH_MS = 60_000;

const hash = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/**
 * Partners' API keys: created and revoked by supervisors (never by a key), stored as SHA-256
 * hashes, verified on every request with a short cache that a revocation (on any instance, over
 * auth/revocation.ts) empties at once.
 */
export class ApiKeyService {
  private readonly verified = new Map<string, { viewer: ApiKeyViewer; until: number }>();
  private readonly touched = new Map<string, number>();
  /** Keys heard revoked lately: a socket verified just before the news, registered just after, is still closed. */
  private readonly revoked = new Set<string>();

  constructor(
    private readonly tx: Transactions,
    private readonly revocations: Revocations,
    private readonly logger: Logger,
  ) {
    revocations.onRevoked((credential) => {
      if (credential.kind !== 'apiKey') return;
      this.revoked.add(credential.id);
      if (this.revoked.size > CACHE_SIZE) this.revoked.delete(this.revoked.values().next().value as string);
      for (const [digest, entry] of this.verified) if (entry.viewer.keyId === credential.id) this.verified.delete(digest);
    });
    revocations.onResync(() => this.verified.clear());
  }

  async create(em: EntityManager, actor: Actor, input: { name: string; scopes: readonly string[] }): Promise<{ apiKey: ApiKeyRow; secret: string }> {
    authorize(actor, 'apiKeys.manage');
    const name = validate.name(input.name);
    if (!name) throw new BadInputError('name is required.', 'name');
    const scopes = [...new Set(input.scopes)];
    if (!scopes.length) throw new BadInputError('A key needs at least one scope.', 'scopes');
    const unknown = scopes.find((s) => !API_SCOPES.includes(s as ApiScope));
    if (unknown) throw new BadInputError(`Unknown scope ${JSON.stringify(unknown).slice(0, 60)}.`, 'scopes');
    const secret = `sbk_${randomBytes(32).toString('base64url')}`;
    const apiKey = await this.tx.run(em, {}, async (tem) => {
      await apiKeys.lockCreation(tem);
      if ((await apiKeys.countLive(tem)) >= MAX_LIVE_KEYS) throw new ConflictError(`At most ${MAX_LIVE_KEYS} keys may be live at once: revoke one first.`);
      return apiKeys.insert(tem, { id: randomUUID(), name, scopes: scopes as ApiScope[], prefix: secret.slice(0, 12), secretHash: hash(secret), createdById: actor.agentId });
    });
    return { apiKey, secret };
  }

  list(em: EntityManager, actor: Actor): Promise<ApiKeyRow[]> {
    authorize(actor, 'apiKeys.manage');
    return apiKeys.list(em);
  }

  /** Revoked in Postgres, then on every instance (caches dropped, sockets closed with 4403). */
  async revoke(em: EntityManager, actor: Actor, id: string): Promise<ApiKeyRow> {
    authorize(actor, 'apiKeys.manage');
    if (!isUuid(id)) throw new NotFoundError('API key');
    const key = await this.tx.run(em, {}, (tem) => apiKeys.revoke(tem, id));
    if (!key) throw new NotFoundError('API key');
    await this.revocations.revoke({ kind: 'apiKey', id });
    return key;
  }

  /** The viewer a key stands for; InvalidTokenError (UNAUTHENTICATED / 4403) when malformed, unknown or revoked. */
  async verify(em: EntityManager, secret: string): Promise<ApiKeyViewer> {
    if (!SECRET.test(secret)) throw new InvalidTokenError('malformed API key');
    const digest = hash(secret);
    const id = digest.toString('base64');
    const cached = this.verified.get(id);
    const now = Date.now();
    if (cached && cached.until > now && this.revocations.trusted()) return cached.viewer;
    this.verified.delete(id);
    const row = await apiKeys.byHash(em, digest);
    if (!row || row.revokedAt) throw new InvalidTokenError(row ? 'revoked API key' : 'unknown API key');
    const viewer: ApiKeyViewer = Object.freeze({ kind: 'apiKey', keyId: row.id, name: row.name, scopes: Object.freeze([...row.scopes]) });
    if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(id, { viewer, until: now + KEY_CACHE_MS });
    this.touch(em, row.id, now);
    return viewer;
  }

  /** Whether this instance heard the key revoked (since it started, the latest CACHE_SIZE). */
  heardRevoked(keyId: string): boolean {
    return this.revoked.has(keyId);
  }

  /** Which of these keys are revoked now (sockets re-checked after the bus was away). */
  revokedAmong(em: EntityManager, ids: readonly string[]): Promise<string[]> {
    return ids.length ? apiKeys.revokedAmong(em, ids) : Promise.resolve([]);
  }

  private touch(em: EntityManager, id: string, now: number): void {
    if ((this.touched.get(id) ?? 0) > now - TOUCH_MS) return;
    this.touched.set(id, now);
    if (this.touched.size > CACHE_SIZE) this.touched.delete(this.touched.keys().next().value as string);
    apiKeys.touch(em, id).catch((error: unknown) => this.logger.warn({ err: error, keyId: id }, 'API key lastUsedAt not written'));
  }
}
