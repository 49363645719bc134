import type { Logger } from '../logger';
import type { Bus } from '../pubsub/bus';
import type { RevokedCredential } from '../pubsub/topics';

export type { RevokedCredential };

export type RevocationListener = (credential: RevokedCredential) => void;

/**
 * Credentials that stop working before they expire: an API key revoked, an agent deactivated or
 * its password changed (its token version raised), a customer erased. The change is committed in
 * Postgres first (the source of truth, read by `TokenService` on a cache miss); `revoke` then
 * tells every instance on the bus topic `credentials.revoked`, so each drops what it cached and
 * closes the sockets that credential opened (4403), at once rather than when a cache expires.
 *
 * The bus is at most once: an instance that misses the message (Redis down meanwhile) drops every
 * cached verdict when its bus reconnects (`onReconnect`), and agents' versions are re-read after
 * a few seconds anyway, so a revocation holds within 5 seconds everywhere.
 */
export class Revocations {
  private readonly listeners = new Set<RevocationListener>();
  private started?: Promise<void>;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  /** Subscribes this instance to the topic (once, at start-up). */
  start(): Promise<void> {
    this.started ??= (async () => {
      const feed = await this.bus.feed('credentials.revoked', null);
      void (async () => {
        for await (const credential of feed) this.notify(credential);
      })().catch((error: unknown) => this.logger.warn({ err: error }, 'revocation feed ended'));
    })();
    return this.started;
  }

  /**
   * Call after the change that revokes it committed. Listeners on this instance run now (whatever
   * the bus does), and every other instance hears it on the bus.
   */
  async revoke(credential: { kind: RevokedCredential['kind']; id: string }): Promise<void> {
    const message: RevokedCredential = { kind: credential.kind, id: credential.id };
    this.notify(message);
    this.bus.publish('credentials.revoked', null, message);
  }

  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(credential: RevokedCredential): void {
    for (const listener of this.listeners) {
      try {
        listener(credential);
      } catch (error) {
        this.logger.warn({ err: error, credential }, 'revocation listener failed');
      }
    }
  }
}
