import type { Logger } from '../logger';
import type { Bus } from '../pubsub/bus';

/** A credential that can be withdrawn: an API key, or every token of an agent. */
export interface Credential {
  kind: 'apiKey' | 'agent';
  id: string;
}

type Listener = (credential: Credential) => void;

/**
 * Revocation on every instance within seconds (contract, partners: "API keys"). `revoke` is called
 * after the change that withdraws the credential committed (the key's revoked_at, an agent's
 * deactivation): it tells this instance at once and every other one over the bus topic
 * `credentials.revoked`. Listeners drop what they cached of the credential (verified keys) and
 * close the sockets it opened (4403, http/websocket.ts).
 *
 * The bus is at most once: after a Redis outage a revocation may have passed unheard, so
 * `onResync` listeners forget everything they cached and re-check their sockets against the
 * database; and while the bus is down `trusted()` is false, so caches are not consulted at all.
 */
export class Revocations {
  private readonly listeners = new Set<Listener>();
  private readonly resyncs = new Set<() => void>();
  private unlisten: (() => void) | undefined;
  private unreconnect: (() => void) | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  /** Subscribes to the topic (start-up). */
  async start(): Promise<void> {
    this.unlisten = await this.bus.listen('credentials.revoked', null, (credential) => this.emit(credential));
    this.unreconnect = this.bus.onReconnect(() => {
      this.logger.warn('bus reconnected: dropping cached credentials, re-checking open sockets');
      for (const resync of this.resyncs) resync();
    });
  }

  /** Withdraws the credential everywhere: here at once, elsewhere as soon as the bus delivers. */
  async revoke(credential: Credential): Promise<void> {
    const c = { kind: credential.kind, id: credential.id };
    this.emit(c);
    try {
      await this.bus.send('credentials.revoked', null, c);
    } catch (error) {
      // Stored already: other instances' caches expire within seconds, and their sockets are
      // re-checked when their bus comes back.
      this.logger.warn({ err: error, credential: c }, 'revocation not published; other instances catch up from the database');
    }
  }

  /** Called for every revocation heard (possibly twice for one: locally, then from the bus). Returns the unsubscribe. */
  onRevoked(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when revocations may have been missed (the bus reconnected). Returns the unsubscribe. */
  onResync(listener: () => void): () => void {
    this.resyncs.add(listener);
    return () => this.resyncs.delete(listener);
  }

  /** Whether a cache of verified credentials may be trusted now (the bus is heard). */
  trusted(): boolean {
    return this.bus.hearing();
  }

  stop(): void {
    this.unlisten?.();
    this.unreconnect?.();
  }

  private emit(credential: Credential): void {
    for (const listener of this.listeners) {
      try {
        listener(credential);
      } catch (error) {
        this.logger.error({ err: error }, 'revocation listener failed');
      }
    }
  }
}
