/**
 * A TCP proxy in front of Postgres that counts the statements its clients run, by reading the
 * frontend protocol: each `Q` (simple query) and each `E` (execute of the extended protocol) is
 * one statement. pg_stat_statements would need a restart of the shared Postgres to load; this
 * counts exactly what one server process sends, and nothing of anyone else's.
 */
import net from 'node:net';

export class StatementCounter {
  statements = 0;
  /** Statement texts (from Parse and simple Query messages, whitespace folded, first 100 characters) and how often each ran. */
  readonly texts = new Map<string, number>();
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  /** `url` with the proxy's host and port. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 5432), this.target.hostname);
      this.sockets.add(client).add(upstream);
      let buffer: Buffer = Buffer.alloc(0);
      let started = false;
      client.on('data', (chunk: Buffer) => {
        upstream.write(chunk);
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        // The startup packet has no type byte: int32 length, then the protocol version.
        if (!started && buffer.length >= 4) {
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          buffer = buffer.subarray(len);
          started = true;
        }
        while (started && buffer.length >= 5) {
          const len = buffer.readInt32BE(1);
          if (buffer.length < 1 + len) break;
          const type = buffer[0];
          if (type === 0x51 /* Q */ || type === 0x45 /* E */) this.statements++;
          if (type === 0x51 /* Q */ || type === 0x50 /* P: name, then the text */) {
            const body = buffer.subarray(5, 1 + len);
            const start = type === 0x50 ? body.indexOf(0) + 1 : 0;
            const text = body.subarray(start, body.indexOf(0, start)).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 100);
            this.texts.set(text, (this.texts.get(text) ?? 0) + 1);
          }
          buffer = buffer.subarray(1 + len);
        }
      });
      upstream.on('data', (chunk) => client.write(chunk));
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The counts of each text since `before` (a copy of `texts` taken then), most frequent first. */
  since(before: Map<string, number>): Array<[string, number]> {
    return [...this.texts].map(([t, n]): [string, number] => [t, n - (before.get(t) ?? 0)]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
