import { errors, jwtVerify, SignJWT } from 'jose';
import { webcrypto } from 'node:crypto';
import { AgentRole } from '../entities/enums';

/** Who is calling. Tokens are HS256 JWTs signed with AUTH_SECRET. */
export type Viewer =
  | { kind: 'anonymous' }
  | { kind: 'visitor'; customerId: string; expiresAt: number }
  | { kind: 'agent'; agentId: string; role: AgentRole; expiresAt: number };

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

export class InvalidTokenError extends Error {}

const ISSUER = 'switchboard';

/** The token of a `Bearer <token>` value; null when there is none; InvalidTokenError when malformed. */
export function bearerToken(header: unknown): string | null {
  if (header === undefined || header === null || header === '') return null;
  if (typeof header !== 'string') throw new InvalidTokenError('authorization must be a string');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new InvalidTokenError('authorization must be "Bearer <token>"');
  return match[1];
}

/** Verified tokens remembered (bounded): a widget sends the same token with every message. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * How long an agent's token version and active flag, read from Postgres, are trusted: a
 * revocation whose bus message this instance missed still holds within this (the contract: 5 s).
 */
export const AGENT_CHECK_MS = 2000;

/** What Postgres says of a token's subject now: null when it is gone (or erased, for a customer). */
export interface CredentialLookup {
  agent(agentId: string): Promise<{ tokenVersion: number; active: boolean } | null>;
  customerValid(customerId: string): Promise<boolean>;
}

type SignedInViewer = Exclude<Viewer, { kind: 'anonymous' }>;

export class TokenService {
  /**
   * Imported once: given the secret's bytes, jose imports a WebCrypto key on every sign and
   * verify, which was most of a token's verification (a reconnect storm verifies thousands).
   */
  private readonly key: Promise<webcrypto.CryptoKey>;
  /**
   * Tokens already verified, by their exact text (signature included), until they expire or are
   * revoked (`forget`). A hit answers as jwtVerify would; its expiry is re-checked, and an agent's
   * token version against `versions`. Saves an HMAC, the JWT parsing and, for a visitor, the
   * database read on every request: a widget's send costs no read.
   */
  private readonly verified = new Map<string, SignedInViewer & { version?: number }>();
  /** Agents' token versions and active flags as last read, for AGENT_CHECK_MS. */
  private readonly versions = new Map<string, { tokenVersion: number; active: boolean; at: number }>();
  /** Lookups in flight, shared by concurrent requests of the same agent. */
  private readonly reading = new Map<string, Promise<{ tokenVersion: number; active: boolean } | null>>();
  /** Raised by every `forget` and `reset`: a verdict read before one is not cached after it. */
  private generation = 0;
  private lookup?: CredentialLookup;
  /** Whether cached verdicts may be trusted now (the bus that carries revocations is heard). */
  private trusted: () => boolean = () => true;

  constructor(
    secret: string,
    private readonly agentTtlSeconds: number,
    private readonly visitorTtlSeconds: number,
  ) {
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  /** Where revocable state is read (Postgres); without it (unit use) tokens are trusted until expiry. */
  useLookup(lookup: CredentialLookup, trusted: () => boolean): void {
    this.lookup = lookup;
    this.trusted = trusted;
  }

  /** `version`: the agent's token_version now; raising it revokes every token signed before. */
  issueAgent(agentId: string, role: AgentRole, version = 0): Promise<string> {
    return this.sign({ kind: 'agent', role, ver: version }, agentId, this.agentTtlSeconds);
  }

  /** A revocation (auth/revocation.ts): nothing cached of that subject is trusted again. */
  forget(credential: { kind: string; id: string }): void {
    this.generation++;
    if (credential.kind === 'agent') this.versions.delete(credential.id);
    for (const [token, viewer] of this.verified) {
      if ((viewer.kind === 'agent' && credential.kind === 'agent' && viewer.agentId === credential.id) ||
        (viewer.kind === 'visitor' && credential.kind === 'customer' && viewer.customerId === credential.id)) {
        this.verified.delete(token);
      }
    }
  }

  /** After a bus outage (revocations may have been missed): check everything against Postgres again. */
  reset(): void {
    this.generation++;
    this.verified.clear();
    this.versions.clear();
  }

  issueVisitor(customerId: string): Promise<string> {
    return this.sign({ kind: 'visitor' }, customerId, this.visitorTtlSeconds);
  }

  /** The viewer a `Bearer <token>` header (or connectionParams value) stands for. */
  async fromAuthorization(header: unknown): Promise<Viewer> {
    const token = bearerToken(header);
    return token === null ? ANONYMOUS : this.verify(token);
  }

  async verify(token: string): Promise<Viewer> {
    const known = this.verified.get(token);
    // While the bus is not heard a revocation may pass unseen: the database decides (a read per request).
    if (known && known.expiresAt > Date.now() && this.trusted()) {
      if (known.kind === 'agent') await this.checkAgent(known.agentId, known.version ?? 0);
      return strip(known);
    }
    if (known) this.verified.delete(token);
    const generation = this.generation;
    const viewer = await this.verifyJwt(token);
    if (viewer.kind === 'agent') await this.checkAgent(viewer.agentId, viewer.version ?? 0);
    if (viewer.kind === 'visitor' && this.lookup && !(await this.lookup.customerValid(viewer.customerId))) {
      throw new InvalidTokenError('customer erased');
    }
    if (generation === this.generation && this.trusted()) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, viewer);
    }
    return strip(viewer);
  }

  /** An agent token is good while its version is the agent's and the agent is active. */
  private async checkAgent(agentId: string, version: number): Promise<void> {
    if (!this.lookup) return;
    const cached = this.versions.get(agentId);
    let state: { tokenVersion: number; active: boolean } | null | undefined = cached && Date.now() - cached.at <= AGENT_CHECK_MS ? cached : undefined;
    if (!state) {
      const generation = this.generation;
      let read = this.reading.get(agentId);
      if (!read) {
        read = this.lookup.agent(agentId).finally(() => this.reading.delete(agentId));
        this.reading.set(agentId, read);
      }
      state = await read;
      if (state && generation === this.generation && this.trusted()) this.versions.set(agentId, { ...state, at: Date.now() });
    }
    if (!state || !state.active || state.tokenVersion !== version) throw new InvalidTokenError('token revoked');
  }

  private async verifyJwt(token: string): Promise<SignedInViewer & { version?: number }> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const expiresAt = (payload.exp ?? 0) * 1000;
      if (payload.kind === 'agent' && typeof payload.sub === 'string') {
        const role = payload.role === AgentRole.SUPERVISOR ? AgentRole.SUPERVISOR : AgentRole.AGENT;
        const version = typeof payload.ver === 'number' ? payload.ver : 0;
        return { kind: 'agent', agentId: payload.sub, role, expiresAt, version };
      }
      if (payload.kind === 'visitor' && typeof payload.sub === 'string') {
        return { kind: 'visitor', customerId: payload.sub, expiresAt };
      }
      throw new InvalidTokenError('unknown token kind');
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(error.code);
      throw error;
    }
  }

  private async sign(claims: Record<string, unknown>, subject: string, ttlSeconds: number): Promise<string> {
    const key = await this.key;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(key);
  }
}

/** The viewer without the cache's bookkeeping (the token version). */
function strip(viewer: SignedInViewer & { version?: number }): SignedInViewer {
  if (viewer.kind !== 'agent') return viewer;
  return { kind: 'agent', agentId: viewer.agentId, role: viewer.role, expiresAt: viewer.expiresAt };
}
