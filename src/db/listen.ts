import { Client } from 'pg';
import type { Logger } from '../logger';

/** Reconnecting after a drop: 1 s, doubling up to 30 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

export interface Listener {
  close(): Promise<void>;
}

/**
 * A connection of its own that LISTENs on `channel`, for as long as it is open: `onChange` on each
 * NOTIFY, and once LISTEN holds after each (re)connect, since what was announced while it was down
 * is lost. A NOTIFY is a hint to reload, never the data: a caller keeps a slow poll besides.
 */
export function listen(url: string, channel: string, onChange: () => void, logger: Logger): Listener {
  let client: Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_MIN_MS;
  let closed = false;
  let connecting: Promise<void> = Promise.resolve();

  const again = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connecting = connect();
    }, delay);
    retry.unref();
    delay = Math.min(RETRY_MAX_MS, delay * 2);
  };

  const connect = async () => {
    const c = new Client({ connectionString: url, application_name: 'switchboard-listen', connectionTimeoutMillis: 5_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    let lost = false;
    const drop = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (client === c) client = null;
      c.removeAllListeners('notification');
      void c.end().catch(() => undefined);
      if (!closed) {
        logger.warn({ err: error, channel, retryInMs: delay }, 'LISTEN connection failed or lost; retrying');
        again();
      }
    };
    c.on('error', drop);
    c.on('end', () => drop());
    c.on('notification', (n) => {
      if (n.channel === channel) onChange();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(channel)}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (closed || lost) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = RETRY_MIN_MS;
    onChange();
  };

  connecting = connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await connecting;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
