import { errors, jwtVerify, SignJWT } from 'jose';
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
const VERIFIED_CACHE_SIZE = 5000;

export class TokenService {
  private readonly key: Uint8Array;
  /**
   * Tokens already verified, by their exact text (signature included), until they expire. A
   * token's claims cannot change, and there is no revocation, so a hit answers as jwtVerify would;
   * only its expiry is re-checked. Saves an HMAC and the JWT parsing on every request.
   */
  private readonly verified = new Map<string, Exclude<Viewer, { kind: 'anonymous' }>>();

  constructor(
    secret: string,
    private readonly agentTtlSeconds: number,
    private readonly visitorTtlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  issueAgent(agentId: string, role: AgentRole): Promise<string> {
    return this.sign({ kind: 'agent', role }, agentId, this.agentTtlSeconds);
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
    if (known) {
      if (known.expiresAt > Date.now()) return known;
      this.verified.delete(token);
    }
    const viewer = await this.verifyJwt(token);
    if (viewer.kind !== 'anonymous') {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, viewer);
    }
    return viewer;
  }

  private async verifyJwt(token: string): Promise<Viewer> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const expiresAt = (payload.exp ?? 0) * 1000;
      if (payload.kind === 'agent' && typeof payload.sub === 'string') {
        const role = payload.role === AgentRole.SUPERVISOR ? AgentRole.SUPERVISOR : AgentRole.AGENT;
        return { kind: 'agent', agentId: payload.sub, role, expiresAt };
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

  private sign(claims: Record<string, unknown>, subject: string, ttlSeconds: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}
